from django.apps import AppConfig


class DatabasesConfig(AppConfig):
    name = "brokeforge.databases"
    default_auto_field = "django.db.models.BigAutoField"
