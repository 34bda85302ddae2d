"""The live output of a running step over Server-Sent Events: a snapshot, then only new text,
then an end event when the step finishes."""

import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.contrib.auth.models import User
from django.http import StreamingHttpResponse
from django.test import AsyncClient, Client
from django.urls import reverse

from brokeforge.jobs.models import JobStep
from brokeforge.web import stream


def _parse(chunk: bytes) -> tuple[str, str]:
    event, data = chunk.decode().strip().split("\n")
    return event.removeprefix("event: "), json.loads(data.removeprefix("data: "))


def _body(response: StreamingHttpResponse) -> bytes:
    """All of a stream; the sync test client hands an async view's stream over as is."""

    async def read() -> bytes:
        return b"".join([chunk async for chunk in response.streaming_content])

    return async_to_sync(read)()


@pytest.fixture(autouse=True)
def _fast_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream, "POLL_SECONDS", 0.01)


def test_streams_new_output_until_the_step_finishes(user: User, server, make_job, make_step) -> None:
    job = make_job(server, status="running")
    step = make_step(job, status="running", output="line 1\n")

    def _write(**fields: object) -> None:
        JobStep.objects.filter(pk=step.pk).update(**fields)

    async def scenario() -> list[tuple[str, str]]:
        client = AsyncClient()
        await sync_to_async(client.force_login)(user)
        response = await client.get(reverse("job_step_stream", args=[job.pk, step.pk]))
        assert response["Content-Type"] == "text/event-stream"
        events = aiter(response.streaming_content)
        received = [_parse(await anext(events))]
        await sync_to_async(_write)(output="line 1\nline 2\n")
        received.append(_parse(await anext(events)))
        await sync_to_async(_write)(output="line 1\nline 2\nline 3", status="succeeded", exit_code=0)
        received += [_parse(chunk) async for chunk in events]
        return received

    assert async_to_sync(scenario)() == [
        ("snapshot", "line 1\n"),
        ("output", "line 2\n"),
        ("output", "line 3"),
        ("end", ""),
    ]


def test_finished_step_sends_its_output_and_ends(user_client: Client, server, make_job, make_step) -> None:
    job = make_job(server, status="failed")
    step = make_step(job, status="failed", output="boom\n")
    response = user_client.get(reverse("job_step_stream", args=[job.pk, step.pk]))
    assert response.status_code == 200
    body = _body(response).decode()
    assert body == 'event: snapshot\ndata: "boom\\n"\n\nevent: end\ndata: ""\n\n'


def test_stream_ends_when_the_job_stops_without_finishing_the_step(
    user_client: Client, server, make_job, make_step
) -> None:
    job = make_job(server, status="stalled")
    step = make_step(job, status="running", output="half")
    body = _body(user_client.get(reverse("job_step_stream", args=[job.pk, step.pk])))
    assert body.endswith(b'event: end\ndata: ""\n\n')


def test_step_of_another_job_is_404(user_client: Client, server, make_job, make_step) -> None:
    step = make_step(make_job(server))
    other_job = make_job(server)
    assert user_client.get(reverse("job_step_stream", args=[other_job.pk, step.pk])).status_code == 404
