"""A site's repository through the CLI, against a real git host: the deploy key refused until it is
added there, then access granted; git on the server as the site user reaches the repository and
its submodule with the pinned host key only; a git host whose key changed is refused with both
fingerprints until its new key is accepted; the private key is never in the journal, and is the
site user's alone on the server."""

from __future__ import annotations

import json
import shlex
import subprocess
from typing import Any

import pytest

from brokeforge.packages.services.sites.git.access import deploy_key_path, environment_prefix
from tests.e2e.conftest import Panel, ProvisionedServer
from tests.testbed import BootedServer
from tests.testbed.git_server import GitServer

pytestmark = pytest.mark.servers

DOMAIN = "git.test"
USER = "git_test"
HOME = f"/home/{USER}"
NOT_FETCHABLE = 3  # `sites repo --wait`: the job ran, the site cannot fetch yet


def repo(panel: Panel, site_id: int, *args: str, exit_code: int = 0) -> dict[str, Any]:
    result = panel.cli("sites", "repo", str(site_id), *args, "--wait", "--json", check=False)
    assert result.returncode == exit_code, f"{result.stdout}\n{result.stderr}"
    shown: dict[str, Any] = json.loads(result.stdout)
    return shown


def as_site_user(srv: BootedServer, script: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """SCRIPT as the site user, with the environment every git command of the site has."""
    line = f"cd {HOME} && export {environment_prefix(HOME)} && {script}"
    return srv.run(f"sudo -u {USER} -H bash -c {shlex.quote(line)}", check=check)


def test_a_sites_repository_on_a_real_git_host(
    panel: Panel, provisioned_server: ProvisionedServer, git_server: GitServer
) -> None:
    srv = provisioned_server.srv
    git_server.create_repository("lib.git")
    git_server.commit("lib.git", {"README": "the library\n"}, "The library")
    git_server.create_repository("shop.git")
    git_server.commit_php_app("shop.git", "release-1")
    head = git_server.add_submodule("shop.git", "lib.git", "vendor/lib")
    site = panel.json("sites", "add", str(provisioned_server.server_id), "--domain", DOMAIN, "--wait")
    assert site["status"] == "active", site["job"]
    url = git_server.url("shop.git")

    # First check: the git host's key is pinned at first contact, the deploy key is refused.
    refused = repo(panel, site["id"], "--url", url, exit_code=NOT_FETCHABLE)
    assert refused["access"] == "refused" and "Add the deploy key" in refused["message"]
    host_key = git_server.host_key_fingerprint()
    assert (refused["host_key_fingerprint"], refused["host_key_status"]) == (host_key, "pinned")
    assert refused["job"]["result"]["host_key"]["status"] == "pinned_now"
    deploy_key = refused["deploy_key_public"]
    assert deploy_key.startswith("ssh-ed25519 ") and deploy_key.endswith(f"brokeforge-deploy@{DOMAIN}")

    # The deploy key added on the git host: access granted, the branch's head reported.
    git_server.authorize(deploy_key)
    granted = repo(panel, site["id"])
    assert (granted["access"], granted["job"]["result"]["commit"]) == ("granted", head)
    missing = repo(panel, site["id"], "--branch", "no-such-branch", exit_code=NOT_FETCHABLE)
    assert missing["access"] == "branch_missing" and "Its branches: main" in missing["message"]
    repo(panel, site["id"], "--branch", "main")

    # git as the site user: only the pinned host key, only the deploy key; submodules included.
    ls_remote = f"git ls-remote -- {shlex.quote(url)}"
    assert f"{head}\trefs/heads/main" in as_site_user(srv, ls_remote).stdout
    clone = as_site_user(
        srv,
        f"rm -rf .tmp/clone && git clone -q --recurse-submodules -- {shlex.quote(url)} .tmp/clone && "
        "cat .tmp/clone/vendor/lib/README .tmp/clone/public/index.php",
    ).stdout
    assert "the library" in clone and "release-1" in clone
    key_file = deploy_key_path(HOME)
    assert srv.run(f"stat -c '%U %a' {key_file} {HOME}/.ssh").stdout.split() == [USER, "600", USER, "700"]
    private_key = srv.run(f"cat {key_file}").stdout
    assert "OPENSSH PRIVATE KEY" in private_key

    # The git host's key changes: refused with both fingerprints, nothing fetched; accepted
    # explicitly by its fingerprint, it works again.
    with git_server.new_host_keys():
        new_key = git_server.host_key_fingerprint()
        changed = repo(panel, site["id"], exit_code=1)
        assert changed["access"] == "host_key_changed"
        for text in (changed["message"], changed["job"]["error"]):
            assert host_key in text and new_key in text
        assert changed["host_key_fingerprint"] == host_key  # still the pinned one
        denied = as_site_user(srv, ls_remote, check=False)
        assert denied.returncode != 0 and "Host key verification failed" in denied.stderr

        accepted = repo(panel, site["id"], "--accept-host-key", new_key)
        assert (accepted["access"], accepted["host_key_fingerprint"]) == ("granted", new_key)
        assert accepted["job"]["result"]["host_key"]["status"] == "accepted"
        assert f"{head}\trefs/heads/main" in as_site_user(srv, ls_remote).stdout
        job_ids = [refused["job_id"], granted["job_id"], changed["job_id"], accepted["job_id"]]

    # The private key never reached the journal: not in a command, an output, a result, an error.
    key_lines = [line for line in private_key.splitlines() if line and "PRIVATE KEY" not in line]
    for job_id in job_ids:
        journal = panel.cli("jobs", "show", str(job_id), "--output", "--json").stdout
        assert "PRIVATE KEY" not in journal
        assert not [line for line in key_lines if line in journal]
