from django.urls import path

from brokeforge.web import stream
from brokeforge.web.views import auth, databases, firewall, jobs, servers, sites
from brokeforge.web.views.sites import deploy, env, explorer, logs, webhook
from brokeforge.web.views.sites import git as sites_git
from brokeforge.web.views.sites import ssl as sites_ssl

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
    path("servers/<int:server_id>/databases/", databases.server_databases, name="server_databases"),
    path(
        "servers/<int:server_id>/databases/live/",
        databases.server_databases_live,
        name="server_databases_live",
    ),
    path(
        "servers/<int:server_id>/databases/engines/<str:engine>/install/",
        databases.server_database_engine_install,
        name="server_database_engine_install",
    ),
    path(
        "servers/<int:server_id>/databases/engines/<str:engine>/sync/",
        databases.server_database_engine_sync,
        name="server_database_engine_sync",
    ),
    path(
        "servers/<int:server_id>/databases/engines/<str:engine>/remove/",
        databases.server_database_engine_remove,
        name="server_database_engine_remove",
    ),
    path(
        "servers/<int:server_id>/databases/new/<str:engine>/",
        databases.server_database_create,
        name="server_database_create",
    ),
    path(
        "servers/<int:server_id>/databases/<int:pk>/drop/",
        databases.server_database_drop,
        name="server_database_drop",
    ),
    path(
        "servers/<int:server_id>/databases/users/new/<str:engine>/",
        databases.server_database_user_create,
        name="server_database_user_create",
    ),
    path(
        "servers/<int:server_id>/databases/users/<int:pk>/",
        databases.server_database_user,
        name="server_database_user",
    ),
    path(
        "servers/<int:server_id>/databases/users/<int:pk>/password/",
        databases.server_database_user_password,
        name="server_database_user_password",
    ),
    path(
        "servers/<int:server_id>/databases/users/<int:pk>/grant/",
        databases.server_database_user_grant,
        name="server_database_user_grant",
    ),
    path(
        "servers/<int:server_id>/databases/users/<int:pk>/revoke/",
        databases.server_database_user_revoke,
        name="server_database_user_revoke",
    ),
    path(
        "servers/<int:server_id>/databases/users/<int:pk>/delete/",
        databases.server_database_user_delete,
        name="server_database_user_delete",
    ),
    path("servers/<int:server_id>/sites/add/", sites.site_add, name="site_add"),
    path("sites/<int:site_id>/", sites.site_detail, name="site_detail"),
    path("sites/<int:site_id>/live/", sites.site_live, name="site_live"),
    path("sites/<int:site_id>/edit/", sites.site_edit, name="site_edit"),
    path("sites/<int:site_id>/delete/", sites.site_delete, name="site_delete"),
    path("sites/<int:site_id>/env/", env.site_env, name="site_env"),
    path("sites/<int:site_id>/env/save/", env.site_env_save, name="site_env_save"),
    path("sites/<int:site_id>/env/variables/", env.site_env_variables, name="site_env_variables"),
    path("sites/<int:site_id>/env/undo/", env.site_env_undo, name="site_env_undo"),
    path("sites/<int:site_id>/run/", sites.site_run_command, name="site_run_command"),
    path("sites/<int:site_id>/repository/", sites_git.site_repository, name="site_repository"),
    path("sites/<int:site_id>/repository/card/", sites_git.site_repository_card, name="site_repository_card"),
    path("sites/<int:site_id>/repository/live/", sites_git.site_repository_live, name="site_repository_live"),
    path(
        "sites/<int:site_id>/repository/check/", sites_git.site_repository_check, name="site_repository_check"
    ),
    path(
        "sites/<int:site_id>/repository/accept-host-key/",
        sites_git.site_repository_accept_host_key,
        name="site_repository_accept_host_key",
    ),
    path("sites/<int:site_id>/files/", explorer.site_files, name="site_files"),
    path("sites/<int:site_id>/files/file/", explorer.site_file, name="site_file"),
    path("sites/<int:site_id>/logs/", logs.site_logs, name="site_logs"),
    path("sites/<int:site_id>/logs/stream/", logs.site_log_stream, name="site_log_stream"),
    path("sites/<int:site_id>/deployments/", deploy.site_deployments, name="site_deployments"),
    path("sites/<int:site_id>/deployments/live/", deploy.site_deployments_live, name="site_deployments_live"),
    path("sites/<int:site_id>/deploy/", deploy.site_deploy, name="site_deploy"),
    path("sites/<int:site_id>/deploy/preview/<int:job_id>/", deploy.site_deploy_preview, name="site_preview"),
    path("sites/<int:site_id>/deployments/<int:pk>/rollback/", deploy.site_rollback, name="site_rollback"),
    path("sites/<int:site_id>/deploy/cancel/", deploy.site_cancel_deployment, name="site_cancel_deployment"),
    path("sites/<int:site_id>/deploy/settings/", deploy.site_deploy_settings, name="site_deploy_settings"),
    path("sites/<int:site_id>/webhook/", webhook.site_webhook_settings, name="site_webhook_settings"),
    path("sites/<int:site_id>/webhook/rotate/", webhook.site_webhook_rotate, name="site_webhook_rotate"),
    path("sites/<int:site_id>/ssl/", sites_ssl.site_ssl, name="site_ssl"),
    path("sites/<int:site_id>/ssl/live/", sites_ssl.site_ssl_live, name="site_ssl_live"),
    path("sites/<int:site_id>/ssl/issue/", sites_ssl.site_ssl_issue, name="site_ssl_issue"),
    path("sites/<int:site_id>/ssl/upload/", sites_ssl.site_ssl_upload, name="site_ssl_upload"),
    path("sites/<int:site_id>/ssl/renew/", sites_ssl.site_ssl_renew, name="site_ssl_renew"),
    path("sites/<int:site_id>/ssl/refresh/", sites_ssl.site_ssl_refresh, name="site_ssl_refresh"),
    path("sites/<int:site_id>/ssl/remove/", sites_ssl.site_ssl_remove, name="site_ssl_remove"),
    path("sites/<int:site_id>/ssl/<int:pk>/retry/", sites_ssl.site_ssl_retry, name="site_ssl_retry"),
    path("hooks/sites/<int:site_id>/deploy/", webhook.site_webhook, name="site_webhook"),
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
