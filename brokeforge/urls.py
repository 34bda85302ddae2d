from django.urls import include, path

urlpatterns = [path("", include("brokeforge.web.urls"))]
