from django.apps import AppConfig


class DiscussionConfig(AppConfig):
    name = "byline.discussion"
    label = "discussion"
    verbose_name = "Discussion"
    default_auto_field = "django.db.models.BigAutoField"
