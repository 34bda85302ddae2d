from django.urls import path

from brokeforge.web import stream, views

urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("account/password/", views.password_change, name="password_change"),
    path("", views.servers, name="servers"),
    path("servers/add/", views.server_add, name="server_add"),
    path("servers/<int:server_id>/", views.server_detail, name="server_detail"),
    path("servers/<int:server_id>/live/", views.server_live, name="server_live"),
    path("servers/<int:server_id>/verify/", views.server_verify, name="server_verify"),
    path(
        "servers/<int:server_id>/accept-host-key/",
        views.server_accept_host_key,
        name="server_accept_host_key",
    ),
    path("servers/<int:server_id>/delete/", views.server_delete, name="server_delete"),
    path("jobs/", views.jobs, name="jobs"),
    path("jobs/<int:job_id>/", views.job_detail, name="job_detail"),
    path("jobs/<int:job_id>/journal/", views.job_journal, name="job_journal"),
    path("jobs/<int:job_id>/retry/", views.job_retry, name="job_retry"),
    path(
        "jobs/<int:job_id>/steps/<int:step_id>/stream/",
        stream.job_step_stream,
        name="job_step_stream",
    ),
]
