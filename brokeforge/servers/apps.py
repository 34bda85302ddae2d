from django.apps import AppConfig


class ServersConfig(AppConfig):
    name = "brokeforge.servers"
    default_auto_field = "django.db.models.BigAutoField"
