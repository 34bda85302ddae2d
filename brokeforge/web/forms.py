"""Forms of the panel. Values are checked by the same validators the API and the CLI use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import QuerySet

from brokeforge.actions import ActionError
from brokeforge.actions import databases as database_actions
from brokeforge.actions import servers as server_actions
from brokeforge.actions import sites as site_actions
from brokeforge.actions.sites import git as git_actions
from brokeforge.databases.models import Database, DatabaseUser
from brokeforge.jobs.models import Job, JobStatus
from brokeforge.lib import validators
from brokeforge.lib.enums import (
    DatabaseAccess,
    DatabaseEngine,
    DatabaseStatus,
    PhpVersion,
    SiteRedirect,
    SiteType,
)
from brokeforge.packages.services.sites.env import dotenv
from brokeforge.packages.services.sites.git.repository import DEFAULT_BRANCH, branch_name, repository_url
from brokeforge.packages.services.sites.logs.reader import DEFAULT_LINES, MAX_LINES, LogKind
from brokeforge.packages.services.sites.site.spec import HSTS_MAX_AGE_LIMIT
from brokeforge.servers.models import Server
from brokeforge.sites.models import Site
from brokeforge.web import ratelimit


class LoginForm(AuthenticationForm):
    """Django's sign-in form, refusing further attempts after repeated failures."""

    def clean(self) -> dict[str, Any]:
        username = self.data.get("username", "")
        # The client's own address: ProxyHeadersMiddleware has put it here from a trusted proxy's
        # X-Forwarded-For.
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        refusal = ratelimit.refusal(username, address)
        if refusal is not None:
            raise forms.ValidationError(refusal, code="rate_limited")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            ratelimit.record_failure(username, address)
            raise
        ratelimit.reset(username, address)
        return cleaned


def _checked(validator: Callable[[Any], Any], value: Any) -> Any:
    try:
        return validator(value)
    except ValueError as exc:
        raise forms.ValidationError(str(exc)) from None


class AddServerForm(forms.Form):
    name = forms.CharField(max_length=63, help_text="A name you recognise, e.g. web-1.")
    public_ip = forms.CharField(label="Public IP address", max_length=45)
    ssh_port = forms.IntegerField(label="SSH port", initial=22)
    php_version = forms.ChoiceField(label="PHP version", choices=PhpVersion.choices, initial=PhpVersion.PHP82)

    def clean_name(self) -> str:
        return str(_checked(validators.server_name, self.cleaned_data["name"]))

    def clean_public_ip(self) -> str:
        return str(_checked(validators.public_ip, self.cleaned_data["public_ip"]))

    def clean_ssh_port(self) -> int:
        return int(_checked(validators.ssh_port, self.cleaned_data["ssh_port"]))

    def save(self, owner: Any) -> Server | None:
        """Add the server, or record why not as a form error and return None."""
        data = self.cleaned_data
        try:
            return server_actions.add_server(
                owner, data["name"], data["public_ip"], data["ssh_port"], data["php_version"]
            )
        except ActionError as exc:
            # Every field passed its own validator above; what add_server still refuses is the
            # name, already taken by another of this user's servers.
            self.add_error("name", str(exc))
            return None


class JobFilterForm(forms.Form):
    """The jobs page's filters, from GET parameters; a server must be one of the user's."""

    server = forms.ModelChoiceField(queryset=Server.objects.none(), required=False, empty_label="All servers")
    status = forms.ChoiceField(choices=[("", "Any status"), *JobStatus.choices], required=False)

    def __init__(self, data: Any, servers: QuerySet[Server]) -> None:
        super().__init__(data)
        server_field = self.fields["server"]
        assert isinstance(server_field, forms.ModelChoiceField)
        server_field.queryset = servers


class SiteCommandForm(forms.Form):
    command = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), strip=False)
    timeout = forms.IntegerField(label="Timeout (seconds)", initial=120, min_value=1, max_value=3600)


class AddSiteForm(forms.Form):
    """A new site on one server; the action validates it all again (the CLI and API go there too)."""

    domain = forms.CharField(max_length=253, help_text="e.g. shop.example.com")
    site_type = forms.ChoiceField(label="Type", choices=SiteType.choices, initial=SiteType.PHP)
    aliases = forms.CharField(required=False, help_text="More names, comma-separated.")
    web_directory = forms.CharField(
        label="Web directory",
        required=False,
        initial="public",
        help_text="Inside the site; empty: the site itself.",
    )
    php_version = forms.ChoiceField(label="PHP version", required=False)
    proxy_port = forms.CharField(label="Proxy port", required=False, help_text="Proxy sites: the local port.")
    redirect = forms.ChoiceField(choices=SiteRedirect.choices, initial=SiteRedirect.NONE)

    def __init__(self, data: Any, server: Server) -> None:
        super().__init__(data)
        self.server = server
        _offer_php_versions(self, server, empty="—")
        self.fields["php_version"].initial = server.php_version

    def clean_domain(self) -> str:
        return str(_checked(validators.domain, self.cleaned_data["domain"]))

    def clean_web_directory(self) -> str:
        return str(_checked(validators.web_directory, self.cleaned_data["web_directory"]))

    def save(self, user: Any) -> Site | None:
        """Add the site and queue its job, or record why not as a form error and return None."""
        data = self.cleaned_data
        kind = SiteType(data["site_type"])
        # The form shows every field for every type: those a type has no use for are left out.
        try:
            site, _job = site_actions.add_site(
                self.server,
                user,
                data["domain"],
                kind,
                data["aliases"].split(","),
                None if kind == SiteType.PROXY else data["web_directory"],
                (data["php_version"] or None) if kind.runs_php else None,
                data["proxy_port"] or None,
                data["redirect"],
            )
        except ActionError as exc:
            self.add_error(None, str(exc))
            return None
        return site


def _offer_php_versions(form: forms.Form, server: Server, empty: str | None = None) -> None:
    """The PHP versions installed on the server as the form's choices (a site runs on one)."""
    field = form.fields["php_version"]
    assert isinstance(field, forms.ChoiceField)
    versions = [(v, f"PHP {v}") for v in site_actions.installed_php_versions(server)]
    field.choices = [("", empty), *versions] if empty is not None else versions


class EditSiteForm(forms.Form):
    """A site's settings, as far as its type has them; the domain and type stay. The action
    validates it all again and changes only what differs (the CLI goes there too)."""

    aliases = forms.CharField(required=False, help_text="More names, comma-separated.")
    web_directory = forms.CharField(
        label="Web directory", required=False, help_text="Inside the live release; empty: the release itself."
    )
    php_version = forms.ChoiceField(label="PHP version", help_text="One installed on the server.")
    proxy_port = forms.CharField(label="Proxy port", help_text="The local port requests are passed to.")
    redirect = forms.ChoiceField(choices=SiteRedirect.choices)
    force_https = forms.BooleanField(
        label="Force HTTPS",
        required=False,
        help_text="Plain HTTP requests are redirected to HTTPS (ACME challenges still answer on HTTP). "
        "Needs a certificate.",
    )
    hsts_max_age = forms.IntegerField(
        label="HSTS max-age (seconds)",
        required=False,
        min_value=0,
        max_value=HSTS_MAX_AGE_LIMIT,
        help_text="0: off. Browsers that saw it refuse plain HTTP to the site for this long, even once "
        "the certificate is gone: start small (300), then a year (31536000). Needs a certificate.",
    )

    def __init__(self, data: Any, site: Site) -> None:
        fields = ("web_directory", "php_version", "proxy_port", "redirect", "force_https", "hsts_max_age")
        initial = {"aliases": ", ".join(site.aliases), **{name: getattr(site, name) for name in fields}}
        super().__init__(data, initial=initial)
        self.site = site
        kind = SiteType(site.site_type)
        unused = {"php_version"} if not kind.runs_php else set()
        unused |= {"web_directory"} if kind == SiteType.PROXY else {"proxy_port"}
        for name in unused:
            del self.fields[name]
        if kind.runs_php:
            _offer_php_versions(self, site.server)

    def clean_web_directory(self) -> str:
        return str(_checked(validators.web_directory, self.cleaned_data["web_directory"]))

    def save(self, user: Any) -> Job | None:
        """Queue the update, or record why not as a form error and return None."""
        changes = {**self.cleaned_data, "aliases": self.cleaned_data["aliases"].split(",")}
        try:
            return site_actions.update_site(self.site, user, **changes)
        except ActionError as exc:
            self.add_error(None, str(exc))
            return None


class EnvVariableForm(forms.Form):
    """One variable: a value is written quoted so Laravel reads exactly what was typed.

    A value over several lines cannot round-trip through a one-line input (browsers drop its line
    breaks): such a row only offers removal (`multiline`), and the file editor edits it."""

    name = forms.CharField(required=False, max_length=200)
    value = forms.CharField(
        required=False, strip=False, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    remove = forms.BooleanField(required=False)
    # The name the row had, so a renamed variable is removed under its old name.
    original = forms.CharField(required=False, widget=forms.HiddenInput)
    multiline = forms.BooleanField(required=False, widget=forms.HiddenInput)

    @staticmethod
    def initial_of(name: str, value: str) -> dict[str, Any]:
        return {"name": name, "value": value, "original": name, "multiline": bool({"\r", "\n"} & set(value))}

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"]).strip()
        return str(_checked(dotenv.check_key, name)) if name else ""


EnvVariableFormSet = forms.formset_factory(EnvVariableForm, extra=2)


def env_changes(formset: Any) -> dict[str, str | None]:
    """What a valid variables formset asks for: {name: new value, or None to remove it}."""
    changes: dict[str, str | None] = {}
    for row in formset.cleaned_data:
        name, original, remove = row.get("name", ""), row.get("original", ""), row.get("remove")
        if row.get("multiline"):
            changes |= {original: None} if remove else {}
            continue
        if original and (remove or name != original):
            changes[original] = None
        if name and not remove:
            changes[name] = row.get("value", "")
    return changes


class DeployForm(forms.Form):
    commit = forms.CharField(required=False, max_length=40, help_text="A SHA; empty deploys the branch head.")


class DeploySettingsForm(forms.Form):
    """How a site deploys; the action validates it all (the CLI goes there too)."""

    script = forms.CharField(
        label="Deploy script",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        help_text="Runs in the new release as the site user; empty: the default for the site's type.",
    )
    shared = forms.CharField(
        label="Shared paths",
        required=False,
        help_text="Kept in shared/ and linked into every release, comma-separated; directories end with /.",
    )
    keep_releases = forms.IntegerField(label="Releases kept", min_value=1, max_value=50)
    health_path = forms.CharField(label="Health check path", max_length=500)
    health_status = forms.IntegerField(label="Expected status", min_value=100, max_value=599)
    health_timeout = forms.IntegerField(label="Health check timeout (seconds)", min_value=1, max_value=120)


class FileEditForm(forms.Form):
    """A text file's new contents. Browsers send a textarea's lines ending in CRLF whatever the
    file had: each line gets back the ending the file uses (hidden `line_endings`)."""

    content = forms.CharField(
        label="Contents",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 28, "cols": 100, "spellcheck": "false"}),
    )
    line_endings = forms.ChoiceField(choices=[("lf", "LF"), ("crlf", "CRLF")], widget=forms.HiddenInput)

    @staticmethod
    def endings_of(text: str) -> str:
        """How the file ends its lines: "crlf" when every line ends in CRLF, "lf" otherwise."""
        return "crlf" if "\r\n" in text and text.count("\r\n") == text.count("\n") else "lf"

    def contents(self) -> str:
        text = str(self.cleaned_data["content"]).replace("\r\n", "\n")
        return text.replace("\n", "\r\n") if self.cleaned_data["line_endings"] == "crlf" else text


class EnvFileForm(FileEditForm):
    """The whole .env as text; `base` is the SHA-256 of the version it was edited from."""

    content = forms.CharField(
        label=".env",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false", "autocomplete": "off"}),
    )
    base = forms.CharField(widget=forms.HiddenInput, required=False)

    @classmethod
    def of(cls, content: str, base: str) -> EnvFileForm:
        return cls(initial={"content": content, "line_endings": cls.endings_of(content), "base": base})


class SiteLogForm(forms.Form):
    """Which log of a site, how many lines, followed live or not (a GET form)."""

    kind = forms.ChoiceField(label="Log")
    lines = forms.IntegerField(min_value=1, max_value=MAX_LINES, initial=DEFAULT_LINES)
    follow = forms.BooleanField(label="Follow live", required=False)

    def __init__(self, data: Any, kinds: list[LogKind]) -> None:
        super().__init__(data, initial={"kind": kinds[0].value, "lines": DEFAULT_LINES})
        field = self.fields["kind"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(kind.value, kind.label) for kind in kinds]

    def choice(self) -> tuple[str, int, bool]:
        """(kind, lines, follow): the form's values, or its initial ones when it was not sent."""
        if not self.is_bound:
            return self.initial["kind"], DEFAULT_LINES, False
        return self.cleaned_data["kind"], self.cleaned_data["lines"], self.cleaned_data["follow"]


class RepositoryForm(forms.Form):
    """A site's repository; the action validates it all again (the CLI goes there too)."""

    url = forms.CharField(
        label="Repository URL",
        max_length=500,
        help_text="git@github.com:owner/repo.git, ssh://git@host:2222/path/repo.git, or https://… "
        "for a public repository.",
    )
    branch = forms.CharField(max_length=255, initial=DEFAULT_BRANCH)

    def clean_url(self) -> str:
        return str(_checked(repository_url, self.cleaned_data["url"]))

    def clean_branch(self) -> str:
        return str(_checked(branch_name, self.cleaned_data["branch"]))

    def save(self, site: Site, user: Any) -> Job | None:
        """Set the repository and queue its job, or record why not as a form error and return None."""
        try:
            data = self.cleaned_data
            return git_actions.set_repository(site, user, data["url"], data["branch"])
        except ActionError as exc:
            self.add_error(None, str(exc))
            return None


class _SiteNames(forms.MultipleChoiceField):
    """The site's names as checkboxes; any name sent is passed on, for the action to say why it
    cannot be on the certificate (a name of another site, a wildcard) rather than "not a choice"."""

    def valid_value(self, value: str) -> bool:
        return True


class IssueCertificateForm(forms.Form):
    """An ACME certificate for some of the site's names; the action checks them all again."""

    domains = _SiteNames(
        label="Names",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Check at least one name."},
        help_text="Each must reach this server: the ACME server asks for a file over plain HTTP on every "
        "name (HTTP-01).",
    )
    email = forms.CharField(
        label="Email",
        required=False,
        max_length=254,
        help_text="Given to the ACME server for its expiry notices; empty: none.",
    )

    def __init__(self, data: Any, names: list[str], email: str = "") -> None:
        super().__init__(data, initial={"domains": names, "email": email})
        field = self.fields["domains"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(name, name) for name in names]


class _SecretTextarea(forms.Textarea):
    """A textarea that never renders the value it was sent: a form shown again after an error
    does not echo a private key back into the page."""

    def format_value(self, value: Any) -> None:
        return None


class _CertificateTextarea(forms.Textarea):
    """A certificate textarea shown again after an error, unless what was pasted in it holds a
    private key: that is never echoed back into the page."""

    def format_value(self, value: Any) -> str | None:
        text = super().format_value(value)
        return None if text and "PRIVATE KEY" in text else text


# A certificate chain or a key is a few kilobytes; this is far above any real one.
_PEM_MAX = 64 * 1024


class UploadCertificateForm(forms.Form):
    """A certificate obtained elsewhere, its key and its chain, in PEM; the action checks them."""

    certificate = forms.CharField(
        max_length=_PEM_MAX,
        strip=False,
        widget=_CertificateTextarea(attrs={"rows": 8, "spellcheck": "false", "autocomplete": "off"}),
        help_text="PEM: the site's certificate (it may be followed by its chain).",
    )
    private_key = forms.CharField(
        label="Private key",
        max_length=_PEM_MAX,
        strip=False,
        widget=_SecretTextarea(attrs={"rows": 8, "spellcheck": "false", "autocomplete": "off"}),
        help_text="PEM, without a passphrase. Kept encrypted; never shown again, not even after an error.",
    )
    chain = forms.CharField(
        label="Chain",
        required=False,
        max_length=_PEM_MAX,
        strip=False,
        widget=_CertificateTextarea(attrs={"rows": 6, "spellcheck": "false", "autocomplete": "off"}),
        help_text="Optional: the intermediate certificates, each signing the one before it.",
    )


# -- databases ----------------------------------------------------------------------------------


class _Offered(forms.ChoiceField):
    """A select box of what the server reported; any value sent is passed on, for the action to say
    why it cannot be used rather than "not one of the available choices"."""

    def valid_value(self, value: Any) -> bool:
        return True


class CreateDatabaseForm(forms.Form):
    """A new database in one installed engine, with a character set and collation the server
    reported at install (the action checks them all again; the CLI and API go there too)."""

    name = forms.CharField(
        max_length=64, help_text="Letters, digits and underscores, not starting with a digit."
    )
    charset = _Offered(label="Character set", required=False)
    collation = _Offered(required=False, help_text="One of the chosen character set's.")

    def __init__(self, data: Any, server: Server, engine: DatabaseEngine) -> None:
        # One form per engine on the page: ids of their own, the same field names.
        super().__init__(data, auto_id=f"id_{engine.value}_database_%s")
        self.server, self.engine = server, engine
        charsets, collations = database_actions.charsets(server, engine)
        row = database_actions.engine_row(server, engine)
        configuration = row.configuration if row is not None else {}
        charset_of = {str(pair[0]): str(pair[1]) for pair in configuration.get("collations", [])}
        groups: dict[str, list[tuple[str, str]]] = {}
        for collation in collations:
            groups.setdefault(charset_of.get(collation) or "any", []).append((collation, collation))
        charset_field, collation_field = self.fields["charset"], self.fields["collation"]
        assert isinstance(charset_field, forms.ChoiceField) and isinstance(collation_field, forms.ChoiceField)
        charset_field.choices = [("", "Default"), *((charset, charset) for charset in charsets)]
        collation_field.choices = [("", "Default"), *sorted(groups.items())]

    def save(self, user: Any) -> Database | None:
        """Create the database and queue its job, or record why not as a form error and return None."""
        data = self.cleaned_data
        try:
            return database_actions.create_database(
                self.server, self.engine.value, data["name"], data["charset"], data["collation"], user
            )
        except ActionError as exc:
            self.add_error(None, str(exc))
            return None


_GENERATE = "generate"


class DatabasePasswordForm(forms.Form):
    """A database user's password: generated by the panel (then shown once), or typed. A typed one
    is taken exactly as it is and never rendered back into the page."""

    password_source = forms.ChoiceField(
        label="Password",
        choices=[(_GENERATE, "Generate a strong password"), ("type", "Type a password")],
        initial=_GENERATE,
        widget=forms.RadioSelect,
    )
    password = forms.CharField(
        label="Typed password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Any characters; kept encrypted only until the server has it.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("password_source") == _GENERATE and cleaned.get("password"):
            # Never drop what someone typed without a word.
            raise forms.ValidationError(
                "A password was typed, but generating one was chosen: choose “Type a password” to use "
                "it, or clear it."
            )
        return cleaned

    def chosen_password(self) -> tuple[str, bool]:
        """The password to set, and whether the panel generated it (then it is shown once)."""
        if self.cleaned_data["password_source"] == _GENERATE:
            return database_actions.generate_password(), True
        return str(self.cleaned_data["password"]), False


_NO_ACCESS = [("", "No access"), *DatabaseAccess.choices]


class CreateDatabaseUserForm(DatabasePasswordForm):
    """A new user of one installed engine with its password and its access to each ready database
    of the engine; the action checks it all again."""

    name = forms.CharField(
        max_length=64, help_text="Letters, digits and underscores, not starting with a digit."
    )
    host = forms.CharField(
        max_length=100,
        initial="localhost",
        help_text="Where it connects from: localhost, an IP address, a network (10.0.0.0/24), "
        "or % for anywhere.",
    )

    field_order = ["name", "host", "password_source", "password"]

    def __init__(self, data: Any, server: Server, engine: DatabaseEngine) -> None:
        super().__init__(data, auto_id=f"id_{engine.value}_user_%s")
        self.server, self.engine = server, engine
        ready = database_actions.databases(server).filter(engine=engine, status=DatabaseStatus.READY)
        # By id, not by name: a database found on the server may be called anything.
        self.grant_fields = {f"grant_{database.pk}": database.name for database in ready}
        for field_name, database_name in self.grant_fields.items():
            self.fields[field_name] = forms.ChoiceField(
                label=database_name, choices=_NO_ACCESS, required=False
            )

    def grants(self) -> dict[str, str]:
        """{database name: "ro" | "rw"} for each database given some access."""
        chosen = ((name, self.cleaned_data.get(field)) for field, name in self.grant_fields.items())
        return {name: access for name, access in chosen if access}

    def save(self, user: Any) -> tuple[DatabaseUser, str] | None:
        """Create the user and queue its job: (the user, the generated password or ""). Or record why
        not as a form error and return None."""
        password, generated = self.chosen_password()
        data = self.cleaned_data
        try:
            account = database_actions.create_user(
                self.server, self.engine.value, data["name"], password, data["host"], self.grants(), user
            )
        except ActionError as exc:
            self.add_error(None, str(exc))
            return None
        return account, password if generated else ""


class ConfirmNameForm(forms.Form):
    """A name typed to confirm what cannot be undone, compared exactly as typed."""

    confirm = forms.CharField(
        required=False,
        max_length=200,
        strip=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, data: Any, label: str) -> None:
        super().__init__(data)
        self.fields["confirm"].label = label

    def typed(self) -> str:
        return str(self.cleaned_data.get("confirm") or "") if self.is_valid() else ""
