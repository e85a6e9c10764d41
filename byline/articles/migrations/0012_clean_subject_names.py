"""Authors', sections' and tags' names and text stored before they were cleaned on save
(``Subject.tidy``): control characters, line ends, the byte-order mark and direction
overrides leave the names, and a slug no address can carry is made again (numbered
when taken). Rows already clean are not written."""

import re

from django.db import migrations
from django.utils.text import slugify

from byline.articles.models import name_text
from byline.articles.rendering import typed_text

SLUG = re.compile(r"[-\w]+")  # as articles.models.SLUG
TEXT_FIELDS = {"Author": ("bio",), "Section": ("description",), "Tag": ()}


def _free_slug(wanted: str, taken: set[str], longest: int) -> str:
    slug, n = wanted[:longest], 2
    while slug in taken:
        suffix = f"-{n}"
        slug, n = wanted[: longest - len(suffix)] + suffix, n + 1
    taken.add(slug)
    return slug


def clean_names(apps, schema_editor):
    for model_name, text_fields in TEXT_FIELDS.items():
        model = apps.get_model("articles", model_name)
        longest = model._meta.get_field("slug").max_length
        taken = set(model.objects.values_list("slug", flat=True))
        changed, fields = [], {"name", "slug", *text_fields}
        for row in model.objects.only("pk", *fields).iterator(chunk_size=2000):
            before = [getattr(row, field) for field in sorted(fields)]
            row.name = name_text(row.name or "")
            for field in text_fields:
                setattr(row, field, typed_text(getattr(row, field) or "", multiline=True))
            if not SLUG.fullmatch(row.slug or ""):
                taken.discard(row.slug)
                wanted = slugify(row.slug or "", allow_unicode=True) or slugify(
                    row.name, allow_unicode=True
                )
                row.slug = _free_slug(wanted or model_name.lower(), taken, longest)
            row.name = row.name or row.slug
            if [getattr(row, field) for field in sorted(fields)] != before:
                changed.append(row)
        model.objects.bulk_update(changed, sorted(fields), batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("articles", "0011_article_removed_threads")]

    operations = [migrations.RunPython(clean_names, migrations.RunPython.noop)]
