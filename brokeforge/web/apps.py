from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "brokeforge.web"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from brokeforge.web.sessions import on_sign_in

        # Connected here, not by the middleware: sign-ins outside a request (tests' force_login)
        # must start the idle clock too.
        user_logged_in.connect(on_sign_in, dispatch_uid="brokeforge.web.sessions.on_sign_in")
