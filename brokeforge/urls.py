from django.urls import include, path

from brokeforge.api.main import api

urlpatterns = [
    path("api/", api.urls),
    path("", include("brokeforge.web.urls")),
]
