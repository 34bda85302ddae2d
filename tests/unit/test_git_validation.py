"""Repository URLs and branches reach a shell and git's argument list: only the plain forms pass,
every hostile value is refused with a message saying why."""

from __future__ import annotations

import pytest

from brokeforge.packages.services.sites.git.repository import (
    Repository,
    Transport,
    branch_name,
    repository_url,
)


@pytest.mark.parametrize(
    ("url", "transport", "host", "port", "known_hosts_name"),
    [
        ("git@github.com:owner/repo.git", Transport.SSH, "github.com", 22, "github.com"),
        ("git@GitLab.com:group/sub/repo", Transport.SSH, "gitlab.com", 22, "gitlab.com"),
        ("git@10.0.0.5:app.git", Transport.SSH, "10.0.0.5", 22, "10.0.0.5"),
        ("git@git.example.net:/srv/git/app.git", Transport.SSH, "git.example.net", 22, "git.example.net"),
        ("ssh://git@git.example.net:2222/srv/app.git", Transport.SSH, "git.example.net", 2222,
         "[git.example.net]:2222"),
        ("ssh://git@host/~alice/site.git", Transport.SSH, "host", 22, "host"),
        ("ssh://git@[2001:db8::1]:2222/x.git", Transport.SSH, "2001:db8::1", 2222, "[2001:db8::1]:2222"),
        ("https://github.com/owner/.github", Transport.HTTPS, "github.com", 443, "[github.com]:443"),
        ("  git@github.com:owner/repo.git\n", Transport.SSH, "github.com", 22, "github.com"),
    ],
)  # fmt: skip
def test_the_forms_people_copy_from_their_git_host(
    url: str, transport: Transport, host: str, port: int, known_hosts_name: str
) -> None:
    repository = Repository.validated(url, "main")
    assert (repository.url, repository.transport, repository.host, repository.port) == (
        url.strip(),
        transport,
        host,
        port,
    )
    assert repository.known_hosts_name == known_hosts_name


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("", "Give the repository's URL"),
        ("git@github.com:owner/repo.git\nrm -rf /", "no spaces, line breaks"),
        ("git@github.com:owner/my repo.git", "no spaces, line breaks"),
        ("git@github.com:owner/repo.git\x00", "control characters"),
        ("--upload-pack=id", "starts with a dash"),
        ("-oProxyCommand=id", "starts with a dash"),
        ("git@github.com:--upload-pack=id", "not a repository URL"),
        ("git@-oProxyCommand=id:x.git", "not a repository URL"),
        ("ssh://-oProxyCommand=id@host/x.git", "not a repository URL"),
        ("git@github.com:$(id)/repo.git", "not a repository URL"),
        ("git@github.com:`id`/repo.git", "not a repository URL"),
        ("git@github.com:owner/repo.git;id", "not a repository URL"),
        ("git@github.com:'owner'/repo.git", "not a repository URL"),
        ("ext::sh -c touch% /tmp/pwned", "no spaces"),
        ("ext::sh", "not a repository URL"),
        ("file:///etc/passwd", "not a repository URL"),
        ("/srv/git/app.git", "not a repository URL"),
        ("git://github.com/owner/repo.git", "not a repository URL"),
        ("http://github.com/owner/repo.git", "not a repository URL"),
        ("https://user:secret@github.com/owner/repo.git", "Credentials do not belong"),
        ("https://token@github.com/owner/repo.git", "Credentials do not belong"),
        ("https://github.com/owner/repo.git?ref=x", "not a repository URL"),
        ("github.com:owner/repo.git", "not a repository URL"),
        ("git@github.com:../../etc/passwd", "'.' or '..'"),
        ("ssh://git@host/srv/../etc", "'.' or '..'"),
        ("ssh://git@host//abs.git", "not a repository URL"),
        ("ssh://git@host:0/x.git", "between 1 and 65535"),
        ("ssh://git@host:70000/x.git", "between 1 and 65535"),
        ("git@999.1.1.1:x.git", "not an IPv4 address"),
        ("ssh://git@[zz::1]/x.git", "not a repository URL"),
        ("ssh://git@[::g]/x.git", "not a repository URL"),
        ("git@" + "a" * 600 + ".com:x.git", "at most 500 characters"),
    ],
)
def test_hostile_and_malformed_urls_are_refused(url: str, error: str) -> None:
    with pytest.raises(ValueError, match=error.replace("(", r"\(").replace("$", r"\$")):
        repository_url(url)


@pytest.mark.parametrize("branch", ["main", "release/v2.1", "feature/JIRA-12_x", "_wip", "1.x"])
def test_branches_git_accepts(branch: str) -> None:
    assert branch_name(branch) == branch


@pytest.mark.parametrize(
    "branch",
    [
        "",
        "main\nrm -rf /",
        "-f",
        "--upload-pack=id",
        "$(id)",
        "`id`",
        "my branch",
        "main;id",
        "a..b",
        "a//b",
        "/main",
        "main/",
        ".hidden",
        "feature/.x",
        "main.",
        "main.lock",
        "x.lock/y",
        "HEAD",
        "a@{1}",
        "mäin",
        "x" * 256,
    ],
)
def test_hostile_and_invalid_branches_are_refused(branch: str) -> None:
    with pytest.raises(ValueError, match=r"[Bb]ranch"):
        branch_name(branch)
