"""The media library for the newsroom, not only its administrators.

Migration 0002 gave Writers and Editors no permission on library images, so the
*Media library* was missing from their admin and only an administrator could add
the pictures an article's body shows. Writers now add and see images; Editors
also describe (alt text, caption, credit: every article showing it changes) and
delete them. Running it again changes nothing.
"""

from django.db import migrations

MEDIA = {
    "Writer": ["media.add_image", "media.view_image"],
    "Editor": ["media.add_image", "media.change_image", "media.delete_image", "media.view_image"],
}


def _permissions(apps, codes):
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("media")
    config.models_module = True
    create_permissions(config, verbosity=0, apps=apps)
    config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    return [
        Permission.objects.get(content_type__app_label="media", codename=code.split(".")[1])
        for code in codes
    ]


def _apply(apps, grant: bool) -> None:
    Group = apps.get_model("auth", "Group")
    for name, codes in MEDIA.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            change = group.permissions.add if grant else group.permissions.remove
            change(*_permissions(apps, codes))


def grant(apps, schema_editor):
    _apply(apps, grant=True)


def revoke(apps, schema_editor):
    _apply(apps, grant=False)


class Migration(migrations.Migration):
    dependencies = [
        ("newsroom", "0002_groups"),
        ("media", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
