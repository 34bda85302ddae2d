"""Forms of the panel. Values are checked by the same validators the API and the CLI use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import QuerySet

from brokeforge.actions import ActionError
from brokeforge.actions import servers as server_actions
from brokeforge.actions import sites as site_actions
from brokeforge.jobs.models import JobStatus
from brokeforge.lib import validators
from brokeforge.lib.enums import PhpVersion, SiteRedirect, SiteType
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
        php_field = self.fields["php_version"]
        assert isinstance(php_field, forms.ChoiceField)
        php_field.choices = [
            ("", "—"),
            *((v, f"PHP {v}") for v in site_actions.installed_php_versions(server)),
        ]
        php_field.initial = server.php_version

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
