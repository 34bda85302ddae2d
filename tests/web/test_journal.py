"""The journal of the latest job on the server page: each step's command, exit code, duration;
the running step's output live; a failed job's failing command, output and a Retry button."""

from django.test import Client
from django.urls import reverse

from brokeforge.servers.models import Server


def _live(client: Client, server: Server) -> str:
    return client.get(reverse("server_live", args=[server.pk])).content.decode()


def test_steps_with_command_exit_code_and_duration(
    user_client: Client, server: Server, make_job, make_step
) -> None:
    job = make_job(server, status="running")
    make_step(job, description="apt-get update", exit_code=0, duration_ms=2345)
    running = make_step(job, status="running", description="apt-get install -y nginx", output="Reading…\n")
    page = _live(user_client, server)
    assert 'id="journal"' in page
    assert page.count('class="job-step"') == 2
    assert 'data-status="succeeded"' in page
    assert "apt-get update" in page
    assert "exit 0" in page
    assert "2.3 s" in page
    stream = reverse("job_step_stream", args=[job.pk, running.pk])
    assert f'id="live-output" data-stream-url="{stream}">Reading…' in page


def test_only_the_latest_job_is_shown(user_client: Client, server: Server, make_job, make_step) -> None:
    make_step(make_job(server, status="failed"), description="old command")
    make_step(make_job(server, status="succeeded"), description="new command")
    page = _live(user_client, server)
    assert "new command" in page
    assert "old command" not in page


def test_failed_job_shows_failing_command_output_and_retry(
    user_client: Client, server: Server, make_job, make_step
) -> None:
    job = make_job(server, status="failed", error="Command failed with exit code 100")
    make_step(job)
    make_step(
        job,
        status="failed",
        description="apt-get install -y nginx",
        exit_code=100,
        output="E: Unable to locate package\n",
    )
    page = _live(user_client, server)
    assert "This job failed at step 2" in page
    assert "Command failed with exit code 100" in page
    assert 'id="failed-command">apt-get install -y nginx' in page
    assert 'id="failed-output">E: Unable to locate package' in page
    assert "exit code 100" in page
    assert 'id="retry-button"' in page
    assert 'id="live-output"' not in page
    assert "hx-trigger" not in page
