from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "brokeforge.sites"
    default_auto_field = "django.db.models.BigAutoField"
