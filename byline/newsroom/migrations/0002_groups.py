"""The newsroom's groups, Writer, Editor and Administrator, with their permissions.

The permission rows are created here (Django makes them only after all
migrations, on post_migrate), so a fresh database has the groups ready.
Running it again changes nothing: the groups are given exactly the listed permissions.
"""

from django.db import migrations

GROUPS = {
    "Writer": [
        "articles.add_article",
        "articles.change_article",
        "articles.view_article",
        "articles.view_author",
        "articles.view_section",
        "articles.view_tag",
        "articles.add_tag",
        "newsroom.view_revision",
        "newsroom.view_articlenote",
    ],
    "Editor": [
        "articles.add_article",
        "articles.change_article",
        "articles.delete_article",
        "articles.view_article",
        "articles.publish_article",
        "articles.edit_any_article",
        "articles.restore_revision",
        "articles.add_author",
        "articles.change_author",
        "articles.view_author",
        "articles.add_section",
        "articles.change_section",
        "articles.view_section",
        "articles.add_tag",
        "articles.change_tag",
        "articles.view_tag",
        "articles.add_staticpage",
        "articles.change_staticpage",
        "articles.view_staticpage",
        "discussion.view_comment",
        "discussion.change_comment",
        "discussion.delete_comment",
        "newsroom.view_revision",
        "newsroom.view_auditentry",
        "newsroom.add_articlenote",
        "newsroom.change_articlenote",
        "newsroom.delete_articlenote",
        "newsroom.view_articlenote",
    ],
    "Administrator": None,  # every permission
}


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for config in apps.get_app_configs():
        config.models_module = True
        create_permissions(config, verbosity=0, apps=apps)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        if codes is None:
            group.permissions.set(Permission.objects.all())
            continue
        wanted = []
        for code in codes:
            app_label, codename = code.split(".")
            wanted.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(GROUPS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("newsroom", "0001_initial"),
        ("articles", "0008_newsroom_roles_comments"),
        ("discussion", "0004_tokens"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
