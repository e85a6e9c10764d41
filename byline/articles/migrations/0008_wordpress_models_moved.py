"""ImportedPost and LegacyURL moved to the wordpress app: only Django's state changes.

The tables stay where they are (``articles_importedpost``, ``articles_legacyurl``);
byline/wordpress/migrations/0001_initial.py takes them over in the state.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0007_scale_indexes"),
        ("wordpress", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="legacyurl", name="article"),
                migrations.DeleteModel(name="ImportedPost"),
                migrations.DeleteModel(name="LegacyURL"),
            ],
            database_operations=[],
        )
    ]
