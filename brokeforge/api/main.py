"""The API's root: every endpoint needs a signed-in user (the panel's session for now) and sees
only that user's records (actions/scope.py)."""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.security import django_auth

from brokeforge.api import jobs

api = NinjaAPI(title="BrokeForge", version="1", auth=django_auth, urls_namespace="api")
api.add_router("/jobs/", jobs.router)
