from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0005_protection_pages_hierarchy"),
    ]

    operations = [
        migrations.AlterField(
            model_name="article",
            name="featured",
            field=models.BooleanField(
                db_index=True,
                default=False,
                help_text="Featured on the front page (the latest featured article leads it; a "
                "WordPress sticky post imports as featured).",
            ),
        ),
        migrations.AddField(
            model_name="author",
            name="photo",
            field=models.ImageField(
                blank=True,
                help_text="A square head shot, shown small beside the author's bio.",
                max_length=300,
                upload_to="authors/",
            ),
        ),
    ]
