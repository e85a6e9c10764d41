"""A reader edits their own comment: the form page (no script needed) and its answer.

Thin views over ``editing``; every page here is the reader's own, never cached.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from byline.csrf import CSRF_REFUSED, cached_page_form
from byline.discussion import actions, editing
from byline.discussion.forms import EditForm
from byline.discussion.markup import single_comment
from byline.discussion.models import Comment
from byline.discussion.views import (
    comment_url,
    json_refusal,
    private,
    request_context,
    wants_json,
    with_retry_after,
)
from byline.readers import commenter_token

UPDATED = "Your comment is updated."
WAITING = "Your edited comment will appear once a moderator has read it."


def _comment(pk: int) -> Comment:
    comment = get_object_or_404(Comment.objects.select_related("article"), pk=pk)
    if not comment.article.is_live:
        raise Http404("No such comment")
    return comment


def edit_page(
    request: HttpRequest, comment: Comment, form: EditForm, message: str = "", status: int = 200
) -> HttpResponse:
    """The edit form as the reader filled it (or the comment's words), with why it came back."""
    token = commenter_token(request)
    context = {
        "comment": comment,
        "article": comment.article,
        "form": form,
        "message": message,
        "can_edit": editing.may_edit(comment, token),
        "until": timezone.localtime(editing.editable_until(comment)),
    }
    return private(render(request, "discussion/edit_page.html", context, status=status))


def _rejected_by_csrf(request: HttpRequest) -> HttpResponse:
    match = request.resolver_match
    comment = _comment(match.kwargs["pk"] if match else 0)
    message = (
        "We could not confirm that this form was sent from this site. "
        "Please check your comment and save it again."
    )
    if wants_json(request):
        return json_refusal({"status": "rejected", "reason": CSRF_REFUSED, "message": message}, 403)
    return edit_page(request, comment, EditForm(request.POST), message, status=403)


@require_http_methods(["GET", "HEAD", "POST"])
@cached_page_form(on_rejected=_rejected_by_csrf)
def edit_comment(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the edit form for the reader's own comment. POST: save the new words."""
    comment = _comment(pk)
    token = commenter_token(request)
    if request.method != "POST":
        if not editing.owns(comment, token):
            message = "You can only edit your own comments, from the browser you posted them from."
            return edit_page(request, comment, EditForm(), message, status=403)
        late = not editing.may_edit(comment, token)
        message = "This comment cannot be edited any more." if late else ""
        return edit_page(request, comment, EditForm(initial={"body": comment.body}), message)
    form = EditForm(request.POST)
    if not form.is_valid():
        message = "Your comment was not changed: please correct what is marked below."
        if wants_json(request):
            errors = {f: [str(e) for e in errs] for f, errs in form.errors.items()}
            return json_refusal({"status": "invalid", "message": message, "errors": errors}, 400)
        return edit_page(request, comment, form, message, status=400)
    try:
        context = request_context(request, token)
        outcome = editing.edit_own_comment(comment, form.cleaned_data["body"], context)
    except actions.CommentRejected as rejection:
        if wants_json(request):
            payload = {"status": "rejected", "message": rejection.message}
            return with_retry_after(json_refusal(payload, rejection.status), rejection)
        page = edit_page(request, comment, form, rejection.message, status=rejection.status)
        return with_retry_after(page, rejection)
    approved = comment.status == Comment.Status.APPROVED
    if wants_json(request):
        payload = {
            "status": outcome.status,
            "id": comment.pk,
            "html": single_comment(comment, pending=not approved),
            "message": UPDATED if approved else WAITING,
        }
        return private(JsonResponse(payload))
    if approved:
        return HttpResponseRedirect(comment_url(comment))
    return HttpResponseRedirect(comment.get_absolute_url())
