from django.apps import AppConfig


class AntispamConfig(AppConfig):
    name = "byline.antispam"
    label = "antispam"
    verbose_name = "Spam filter"
    default_auto_field = "django.db.models.BigAutoField"
