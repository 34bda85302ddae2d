"""A server's databases: its engines (MariaDB, PostgreSQL) installed, imported again or removed;
the databases in them created and dropped; their users created with a password and grants, given
another password, granted and revoked, deleted.

Each change queues a job on the server and shows it live on the job's page; while one runs, the
page's status part polls. Bad input is refused in the form and queues nothing. A password the panel
generates is shown once, in the response to the request that generated it, and never again: it is
not put in a URL, a message or a log, and typed ones are never rendered back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brokeforge.actions import ActionError
from brokeforge.actions import databases as database_actions
from brokeforge.databases.models import DatabaseUser
from brokeforge.jobs import queue
from brokeforge.jobs.models import Job
from brokeforge.lib.enums import DatabaseAccess, DatabaseEngine, PackageName, PackageStatus
from brokeforge.packages import registry
from brokeforge.servers.models import Server, ServerPackage
from brokeforge.web.forms import (
    ConfirmNameForm,
    CreateDatabaseForm,
    CreateDatabaseUserForm,
    DatabasePasswordForm,
)
from brokeforge.web.views.scope import user_server

TEMPLATE = "web/databases/page.html"
# How far back the page looks for each engine's last install, removal or import.
ENGINE_JOB_HISTORY = 50


@dataclass(frozen=True)
class EngineState:
    """One engine on the server, with what the page says about it."""

    engine: DatabaseEngine
    row: ServerPackage | None  # the inventory row; None: not installed
    held: int  # the databases the panel lists in it
    job: Job | None  # its install, removal or import under way, else the last one

    @property
    def installed(self) -> bool:
        return self.row is not None and self.row.status == PackageStatus.INSTALLED

    @property
    def busy(self) -> bool:
        working = (PackageStatus.INSTALLING, PackageStatus.REMOVING)
        return (self.job is not None and self.job.is_active) or (
            self.row is not None and self.row.status in working
        )

    @property
    def installable(self) -> bool:
        return not self.busy and (self.row is None or self.row.status == PackageStatus.FAILED)


def _engine_job_kinds() -> list[str]:
    engine, sync = registry.service(PackageName.DATABASE_ENGINE), registry.service(PackageName.DATABASE_SYNC)
    classes = [engine.installer_job, engine.remover_job, sync.installer_job]
    return [queue.job_path(job_class) for job_class in classes if job_class is not None]


def engine_states(server: Server) -> list[EngineState]:
    recent = list(server.jobs.filter(kind__in=_engine_job_kinds()).order_by("-id")[:ENGINE_JOB_HISTORY])
    states = []
    for engine, row in database_actions.engines(server).items():
        jobs = [job for job in recent if job.arguments[:1] == [engine.value]]
        job = next((job for job in jobs if job.is_active), jobs[0] if jobs else None)
        held = database_actions.databases(server).filter(engine=engine).count()
        states.append(EngineState(engine, row, held, job))
    return states


def _status_context(server: Server) -> dict[str, Any]:
    """What changes while a job runs: the part of the page that polls."""
    engines = engine_states(server)
    databases = list(database_actions.databases(server))
    users = list(database_actions.users(server))
    busy = any(record.is_busy for record in [*databases, *users])
    return {
        "server": server,
        "engines": engines,
        "databases": databases,
        "users": users,
        "under_way": busy or any(state.busy for state in engines),
    }


def _page(
    request: HttpRequest,
    server: Server,
    database_form: CreateDatabaseForm | None = None,
    user_form: CreateDatabaseUserForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = _status_context(server)
    # A form per installed engine (each offers what its engine reported); a form sent back with
    # an error takes the place of its engine's.
    forms = []
    for state in context["engines"]:
        if not state.installed:
            continue
        engine = state.engine
        sent_database = database_form if database_form and database_form.engine == engine else None
        sent_user = user_form if user_form and user_form.engine == engine else None
        forms.append(
            (
                engine,
                sent_database or CreateDatabaseForm(None, server, engine),
                sent_user or CreateDatabaseUserForm(None, server, engine),
            )
        )
    # What was refused in a form the page does not show (its engine is not installed) shows alone.
    shown = {engine for engine, _database_form, _user_form in forms}
    refused = [
        error
        for form in (database_form, user_form)
        if form is not None and form.engine not in shown
        for error in form.non_field_errors()
    ]
    return render(request, TEMPLATE, {**context, "forms": forms, "refused": refused}, status=status)


def _engine(engine: str) -> DatabaseEngine:
    try:
        return DatabaseEngine.parse(engine)
    except ValueError:
        raise Http404("No such database engine.") from None


# -- the page -----------------------------------------------------------------------------------


@require_GET
def server_databases(request: HttpRequest, server_id: int) -> HttpResponse:
    return _page(request, user_server(request, server_id))


@require_GET
def server_databases_live(request: HttpRequest, server_id: int) -> HttpResponse:
    return render(request, "web/databases/status.html", _status_context(user_server(request, server_id)))


# -- engines ------------------------------------------------------------------------------------


@require_POST
def server_database_engine_install(request: HttpRequest, server_id: int, engine: str) -> HttpResponse:
    server, chosen = user_server(request, server_id), _engine(engine)
    return _job(
        request,
        server,
        lambda: database_actions.install_engine(server, chosen.value, request.user),
        f"Installing {chosen.label} on {server.name}",
    )


@require_POST
def server_database_engine_sync(request: HttpRequest, server_id: int, engine: str) -> HttpResponse:
    server, chosen = user_server(request, server_id), _engine(engine)
    return _job(
        request,
        server,
        lambda: database_actions.sync(server, chosen.value, request.user),
        f"Importing {chosen.label}'s databases and users from {server.name}",
    )


@require_http_methods(["GET", "POST"])
def server_database_engine_remove(request: HttpRequest, server_id: int, engine: str) -> HttpResponse:
    server, chosen = user_server(request, server_id), _engine(engine)
    state = next(state for state in engine_states(server) if state.engine == chosen)
    if state.row is None:
        messages.error(request, f"{chosen.label} is not installed on {server.name}.")
        return redirect("server_databases", server.pk)
    form = ConfirmNameForm(
        request.POST if request.method == "POST" else None, "Type the server's name to confirm"
    )
    if request.method == "POST":
        try:
            job = database_actions.remove_engine(server, chosen.value, form.typed() or None, request.user)
        except ActionError as exc:
            form.add_error(None, str(exc))
        else:
            return _queued(request, job.pk, f"Removing {chosen.label} from {server.name}")
    context = {"server": server, "state": state, "form": form}
    status = 400 if form.errors else 200
    return render(request, "web/databases/confirm_remove_engine.html", context, status=status)


# -- databases ----------------------------------------------------------------------------------


@require_POST
def server_database_create(request: HttpRequest, server_id: int, engine: str) -> HttpResponse:
    server = user_server(request, server_id)
    form = CreateDatabaseForm(request.POST, server, _engine(engine))
    if form.is_valid() and (database := form.save(request.user)):
        return _queued(request, database.job_id, f"Creating the {form.engine.label} database {database.name}")
    return _page(request, server, database_form=form, status=400)


@require_http_methods(["GET", "POST"])
def server_database_drop(request: HttpRequest, server_id: int, pk: int) -> HttpResponse:
    server = user_server(request, server_id)
    database = get_object_or_404(database_actions.databases(server), pk=pk)
    form = ConfirmNameForm(
        request.POST if request.method == "POST" else None, "Type the database's name to confirm"
    )
    if request.method == "POST":
        if form.typed() != database.name:
            form.add_error("confirm", "Type the database's name exactly as shown to drop it.")
        else:
            try:
                job = database_actions.drop_database(database, request.user)
            except ActionError as exc:
                form.add_error(None, str(exc))
            else:
                return _queued(
                    request, job.pk, f"Dropping the {database.get_engine_display()} database {database.name}"
                )
    context = {"server": server, "database": database, "form": form}
    status = 400 if form.errors else 200
    return render(request, "web/databases/confirm_drop.html", context, status=status)


# -- users --------------------------------------------------------------------------------------


@sensitive_post_parameters("password")
@require_POST
def server_database_user_create(request: HttpRequest, server_id: int, engine: str) -> HttpResponse:
    server = user_server(request, server_id)
    form = CreateDatabaseUserForm(request.POST, server, _engine(engine))
    if form.is_valid() and (created := form.save(request.user)):
        account, generated = created
        what = f"Creating the {form.engine.label} user {account.account}"
        if generated:
            return _password_once(request, account, generated, what)
        return _queued(request, account.job_id, what)
    return _page(request, server, user_form=form, status=400)


def _user(request: HttpRequest, server_id: int, pk: int) -> DatabaseUser:
    server = user_server(request, server_id)
    return get_object_or_404(database_actions.users(server).select_related("server"), pk=pk)


def _user_page(
    request: HttpRequest,
    account: DatabaseUser,
    password_form: DatabasePasswordForm | None = None,
    grant_error: str = "",
    status: int = 200,
) -> HttpResponse:
    held = {grant.database_id: grant for grant in account.grants.all()}
    rows = [
        (database, held.get(database.pk))
        for database in database_actions.databases(account.server).filter(engine=account.engine)
    ]
    context = {
        "server": account.server,
        "account": account,
        "rows": rows,
        "password_form": password_form or DatabasePasswordForm(None),
        "grant_error": grant_error,
        "access_choices": DatabaseAccess.choices,
    }
    return render(request, "web/databases/user.html", context, status=status)


@require_GET
def server_database_user(request: HttpRequest, server_id: int, pk: int) -> HttpResponse:
    return _user_page(request, _user(request, server_id, pk))


@sensitive_post_parameters("password")
@require_POST
def server_database_user_password(request: HttpRequest, server_id: int, pk: int) -> HttpResponse:
    account = _user(request, server_id, pk)
    form = DatabasePasswordForm(request.POST)
    if form.is_valid():
        password, generated = form.chosen_password()
        try:
            job = database_actions.change_password(account, password, request.user)
        except ActionError as exc:
            form.add_error(None, str(exc))
        else:
            what = f"Setting a new password for {account.account}"
            if generated:
                return _password_once(request, account, password, what, job.pk)
            return _queued(request, job.pk, what)
    return _user_page(request, account, password_form=form, status=400)


@require_POST
def server_database_user_grant(request: HttpRequest, server_id: int, pk: int) -> HttpResponse:
    account = _user(request, server_id, pk)
    name, access = request.POST.get("database", ""), request.POST.get("access", "")
    return _user_job(
        request,
        account,
        lambda: database_actions.grant(account, name, access, request.user),
        f"Granting {access} on {name} to {account.account}",
    )


@require_POST
def server_database_user_revoke(request: HttpRequest, server_id: int, pk: int) -> HttpResponse:
    account = _user(request, server_id, pk)
    name = request.POST.get("database", "")
    return _user_job(
        request,
        account,
        lambda: database_actions.revoke(account, name, request.user),
        f"Revoking {account.account}'s access to {name}",
    )


@require_http_methods(["GET", "POST"])
def server_database_user_delete(request: HttpRequest, server_id: int, pk: int) -> HttpResponse:
    account = _user(request, server_id, pk)
    error = ""
    if request.method == "POST":
        try:
            job = database_actions.delete_user(account, request.user)
        except ActionError as exc:
            error = str(exc)
        else:
            return _queued(
                request, job.pk, f"Deleting the {account.get_engine_display()} user {account.account}"
            )
    context = {"server": account.server, "account": account, "error": error}
    return render(request, "web/databases/confirm_delete_user.html", context, status=400 if error else 200)


# -- shared -------------------------------------------------------------------------------------


def _job(request: HttpRequest, server: Server, action: Callable[[], Job], what: str) -> HttpResponse:
    try:
        job = action()
    except ActionError as exc:
        messages.error(request, str(exc))
        return redirect("server_databases", server.pk)
    return _queued(request, job.pk, what)


def _user_job(
    request: HttpRequest, account: DatabaseUser, action: Callable[[], Job], what: str
) -> HttpResponse:
    try:
        job = action()
    except ActionError as exc:
        return _user_page(request, account, grant_error=str(exc), status=400)
    return _queued(request, job.pk, what)


def _queued(request: HttpRequest, job_id: int | None, what: str) -> HttpResponse:
    assert job_id is not None
    messages.success(request, f"{what} (job #{job_id}).")
    return redirect("job_detail", job_id)


def _password_once(
    request: HttpRequest, account: DatabaseUser, password: str, what: str, job_id: int | None = None
) -> HttpResponse:
    """The page that shows a generated password, the only time it is shown: rendered in this
    response (not a redirect, not a message), and kept by no cache."""
    context = {
        "server": account.server,
        "account": account,
        "password": password,
        "job_id": job_id or account.job_id,
        "what": what,
    }
    response = render(request, "web/databases/password.html", context)
    add_never_cache_headers(response)
    return response
