"""A site as its deployments see it: paths, name, repository and PHP, validated once, and the
variables its deploy script is given (documented on the site's deploy page)."""

from __future__ import annotations

from dataclasses import dataclass

from brokeforge.packages.services.sites.git.access import git_environment
from brokeforge.packages.services.sites.git.repository import branch_name, repository_url
from brokeforge.packages.services.sites.site.spec import SiteSpec
from brokeforge.sites.models import Site

# What each variable a deploy script reads holds; shown to users beside their script.
VARIABLES = {
    "BROKEFORGE_SITE_PATH": "The site's directory (releases/, shared/, current).",
    "BROKEFORGE_RELEASE_PATH": "The new release's directory; the script runs there.",
    "BROKEFORGE_RELEASE": "The new release's name.",
    "BROKEFORGE_SHARED_PATH": "The directory the releases share (.env, storage).",
    "BROKEFORGE_PREVIOUS_RELEASE_PATH": "The release live when the deployment started.",
    "BROKEFORGE_DOMAIN": "The site's domain.",
    "BROKEFORGE_REPOSITORY": "The repository's URL.",
    "BROKEFORGE_BRANCH": "The branch deployed.",
    "BROKEFORGE_COMMIT": "The full SHA of the commit deployed.",
    "BROKEFORGE_DEPLOYMENT_ID": "The deployment's number in the panel.",
    "BROKEFORGE_TRIGGER": "What started it: manual, webhook or rollback.",
    "BROKEFORGE_PHP": "The site's PHP binary (PHP and Laravel sites), e.g. /usr/bin/php8.2.",
    "BROKEFORGE_PHP_VERSION": "The site's PHP version, e.g. 8.2 (empty for other sites).",
}


@dataclass(frozen=True)
class DeploySite:
    domain: str
    user: str
    path: str
    # The name the health check asks for: the one the site answers without redirecting.
    host: str
    # Plain HTTP only redirects: the health check asks over HTTPS.
    https: bool
    tmp_dir: str
    repository: str
    branch: str
    php_version: str
    git_environment: dict[str, str]

    @classmethod
    def of(cls, site: Site) -> DeploySite:
        spec = SiteSpec.of(site)
        if not site.repository_url:
            raise ValueError(f"{site.domain} has no repository yet: set one before deploying.")
        return cls(
            domain=spec.domain,
            user=spec.user,
            path=spec.path,
            host=spec.canonical,
            https=spec.force_https,
            tmp_dir=spec.tmp_dir,
            repository=repository_url(site.repository_url),
            branch=branch_name(site.branch),
            php_version=spec.php_version.value if spec.php_version else "",
            git_environment=git_environment(spec.home),
        )

    def variables(
        self, *, release: str, deployment_id: str, trigger: str, commit: str, previous_release: str
    ) -> dict[str, str]:
        """The values of VARIABLES for one deployment, in that order."""
        values = {
            "BROKEFORGE_SITE_PATH": self.path,
            "BROKEFORGE_RELEASE_PATH": f"{self.path}/releases/{release}",
            "BROKEFORGE_RELEASE": release,
            "BROKEFORGE_SHARED_PATH": f"{self.path}/shared",
            "BROKEFORGE_PREVIOUS_RELEASE_PATH": f"{self.path}/{previous_release}" if previous_release else "",
            "BROKEFORGE_DOMAIN": self.domain,
            "BROKEFORGE_REPOSITORY": self.repository,
            "BROKEFORGE_BRANCH": self.branch,
            "BROKEFORGE_COMMIT": commit,
            "BROKEFORGE_DEPLOYMENT_ID": deployment_id,
            "BROKEFORGE_TRIGGER": trigger,
            "BROKEFORGE_PHP": f"/usr/bin/php{self.php_version}" if self.php_version else "",
            "BROKEFORGE_PHP_VERSION": self.php_version,
        }
        assert values.keys() == VARIABLES.keys()
        return values
