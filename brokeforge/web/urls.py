from django.urls import path

from brokeforge.web import stream
from brokeforge.web.views import auth, firewall, jobs, servers, sites

urlpatterns = [
    path("login/", auth.login, name="login"),
    path("logout/", auth.logout, name="logout"),
    path("account/password/", auth.password_change, name="password_change"),
    path("", servers.servers, name="servers"),
    path("servers/add/", servers.server_add, name="server_add"),
    path("servers/<int:server_id>/", servers.server_detail, name="server_detail"),
    path("servers/<int:server_id>/live/", servers.server_live, name="server_live"),
    path("servers/<int:server_id>/verify/", servers.server_verify, name="server_verify"),
    path(
        "servers/<int:server_id>/accept-host-key/",
        servers.server_accept_host_key,
        name="server_accept_host_key",
    ),
    path("servers/<int:server_id>/delete/", servers.server_delete, name="server_delete"),
    path(
        "servers/<int:server_id>/firewall/<int:rule_id>/delete/",
        firewall.firewall_rule_delete,
        name="firewall_rule_delete",
    ),
    path("servers/<int:server_id>/sites/add/", sites.site_add, name="site_add"),
    path("sites/<int:site_id>/", sites.site_detail, name="site_detail"),
    path("sites/<int:site_id>/live/", sites.site_live, name="site_live"),
    path("sites/<int:site_id>/delete/", sites.site_delete, name="site_delete"),
    path("sites/<int:site_id>/run/", sites.site_run_command, name="site_run_command"),
    path("jobs/", jobs.jobs, name="jobs"),
    path("jobs/<int:job_id>/", jobs.job_detail, name="job_detail"),
    path("jobs/<int:job_id>/journal/", jobs.job_journal, name="job_journal"),
    path("jobs/<int:job_id>/retry/", jobs.job_retry, name="job_retry"),
    path(
        "jobs/<int:job_id>/steps/<int:step_id>/stream/",
        stream.job_step_stream,
        name="job_step_stream",
    ),
]
