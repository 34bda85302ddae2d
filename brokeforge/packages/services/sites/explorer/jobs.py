from brokeforge.lib import crypto
from brokeforge.packages.base import SitePackageJob
from brokeforge.packages.services.sites.explorer.confine import check_content, check_path
from brokeforge.packages.services.sites.explorer.installer import SiteFileExplorer
from brokeforge.sites.models import Site


def sealed(content: str | bytes) -> str:
    """The job's argument for `content`: checked, then encrypted."""
    return crypto.encrypt(check_content(content))


class SiteFileExplorerJob(SitePackageJob):
    """Write one file of a site. The contents are stored encrypted among the job's arguments:
    a file edited here may well hold secrets (.env), and the journal keeps no secret in clear."""

    def __init__(self, site: Site, path: str, encrypted_content: str) -> None:
        super().__init__(site, path, encrypted_content)
        self.path, self.encrypted_content = check_path(path), encrypted_content

    def label(self) -> str:
        assert self.site is not None
        return f"Write {self.path[:120]!r} on {self.site.domain}"

    def run(self) -> None:
        assert self.site is not None
        SiteFileExplorer(self.server, self.site).execute(self.path, crypto.decrypt(self.encrypted_content))
