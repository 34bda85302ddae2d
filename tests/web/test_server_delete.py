"""Deleting a server: a confirmation page, then a POST; refused while a job is active."""

from django.test import Client
from django.urls import reverse

from brokeforge.servers.models import Server


def test_confirmation_page_deletes_nothing(user_client: Client, server: Server) -> None:
    response = user_client.get(reverse("server_delete", args=[server.pk]))
    assert b"Delete web-1?" in response.content
    assert Server.objects.filter(pk=server.pk).exists()


def test_post_deletes_and_keeps_the_journal(user_client: Client, server: Server, make_job) -> None:
    job = make_job(server, status="succeeded")
    response = user_client.post(reverse("server_delete", args=[server.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("servers")
    assert b"web-1 deleted" in response.content
    assert not Server.objects.exists()
    jobs_page = user_client.get(reverse("jobs")).content.decode()
    assert f"#{job.pk} Provision web-1" in jobs_page
    assert "(deleted)" in jobs_page


def test_refused_while_a_job_runs(user_client: Client, server: Server, make_job) -> None:
    make_job(server, status="running")
    response = user_client.post(reverse("server_delete", args=[server.pk]), follow=True)
    assert b"has a job queued or running" in response.content
    assert Server.objects.filter(pk=server.pk).exists()
