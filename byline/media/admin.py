"""The media library in the admin, and the editor's endpoints (preview, picker)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_POST

from byline.errors import json_error
from byline.media import actions
from byline.media.body_checks import body_warnings
from byline.media.images import ImageRejected
from byline.media.markup import picture_html
from byline.media.models import Image
from byline.sitetime import admin_time

MAX_PREVIEW_CHARS = 500_000
PICKER_SIZE = 60
EDIT_PERMISSIONS = (
    "articles.add_article",
    "articles.change_article",
    "articles.add_staticpage",
    "articles.change_staticpage",
)


class UploadForm(forms.ModelForm):
    upload = forms.FileField(
        label="Image",
        help_text="JPEG, PNG, WebP or GIF. Its location (EXIF GPS) is removed; renditions "
        "for every screen are made once, now.",
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}
        ),
    )

    class Meta:
        model = Image
        fields = ["alt", "caption", "credit"]

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        try:
            actions.check_upload(upload, size=upload.size)
        except ImageRejected as error:
            raise forms.ValidationError(str(error)) from None
        upload.seek(0)
        return upload

    def save(self, commit: bool = True):  # the admin calls save_model, which uploads
        self.save_m2m = lambda: None
        return self.instance


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ["thumbnail", "alt", "caption", "credit", "size", "uploaded"]
    list_display_links = ["thumbnail", "alt"]
    search_fields = ["alt", "caption", "credit"]
    readonly_fields = ["shown", "token", "size", "uploaded_by", "uploaded"]
    fields = ["shown", "alt", "caption", "credit", "token", "size", "uploaded_by", "uploaded"]
    actions = ["delete_selected"]
    uploaded = admin_time("uploaded_at", "uploaded at")

    class Media:
        css = {"all": ["media/library.css"]}

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = UploadForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["upload", "alt", "caption", "credit"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        if change:
            actions.describe_image(
                obj, alt=data["alt"], caption=data["caption"], credit=data["credit"]
            )
            return
        upload = data["upload"]
        image = actions.upload_image(
            upload,
            filename=upload.name,
            size=upload.size,
            alt=data["alt"],
            caption=data["caption"],
            credit=data["credit"],
            user=request.user,
        )
        obj.__dict__.update(image.__dict__)

    def delete_model(self, request, obj) -> None:
        actions.delete_image(obj)

    def delete_queryset(self, request, queryset) -> None:
        for image in queryset:
            actions.delete_image(image)

    @admin.display(description="Image")
    def thumbnail(self, image: Image) -> str:
        small = image.rendition_for(160, "webp") or image.rendition_for(160)
        if small is None:
            return "—"
        return picture_html(image, sizes="80px", css_class="media-thumbnail", alt="")

    @admin.display(description="Preview")
    def shown(self, image: Image) -> str:
        return picture_html(image, sizes="(min-width: 60rem) 40rem, 100vw", lazy=False)

    @admin.display(description="Insert in an article as")
    def token(self, image: Image) -> str:
        return format_html("<code>{}</code>", image.token)

    @admin.display(description="Size")
    def size(self, image: Image) -> str:
        return f"{image.width} × {image.height}"

    # The editor's endpoints ------------------------------------------------------------

    def get_urls(self):
        urls = [
            path("picker/", self.admin_site.admin_view(self.picker), name="media_image_picker"),
            path("preview/", self.admin_site.admin_view(self.preview), name="media_editor_preview"),
        ]
        return urls + super().get_urls()

    @staticmethod
    def _may_edit(request: HttpRequest) -> bool:
        return any(request.user.has_perm(perm) for perm in EDIT_PERMISSIONS)

    def picker(self, request: HttpRequest) -> JsonResponse:
        """The library's latest images (or those matching ``q``) for the editor's picker."""
        return require_GET(self._picker)(request)

    def _picker(self, request: HttpRequest) -> JsonResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        images = Image.objects.all()
        query = request.GET.get("q", "").strip()[:200]
        if query:
            images = images.filter(
                Q(alt__icontains=query) | Q(caption__icontains=query) | Q(credit__icontains=query)
            )
        found = []
        for image in images[:PICKER_SIZE]:
            thumb = image.rendition_for(320, "webp") or image.rendition_for(320)
            found.append(
                {
                    "id": image.pk,
                    "alt": image.alt,
                    "caption": image.caption,
                    "credit": image.credit,
                    "token": image.token,
                    "thumbnail": thumb and self._url(thumb["name"]),
                    "width": image.width,
                    "height": image.height,
                }
            )
        response = JsonResponse({"images": found})
        response["Cache-Control"] = "private, no-store"
        return response

    @staticmethod
    def _url(name: str) -> str:
        from django.core.files.storage import default_storage

        return default_storage.url(name)

    def preview(self, request: HttpRequest) -> JsonResponse:
        """The body rendered as readers will see it, and what saving it would warn about."""
        return require_POST(self._preview)(request)

    def _preview(self, request: HttpRequest) -> JsonResponse:
        from django.conf import settings

        from byline import readers
        from byline.articles.rendering import render_markdown

        if not self._may_edit(request):
            return json_error(403, "You may not edit articles or pages.")
        limit = settings.BYLINE_EDITOR_PREVIEW_RATE_LIMIT
        if readers.over_limit("editor-preview", [f"user:{request.user.pk}"], limit, 60):
            return json_error(429, "Too many previews: the preview resumes in a minute.", 60)
        body = request.POST.get("body", "")
        if len(body) > MAX_PREVIEW_CHARS:
            return json_error(413, "The body is too long to preview.")
        response = JsonResponse({"html": render_markdown(body), "warnings": body_warnings(body)})
        response["Cache-Control"] = "private, no-store"
        return response
