"""Shared fixtures. The real-server test bed's fixtures live in tests/conftest_testbed.py."""

from __future__ import annotations

from typing import Any

import pytest

pytest_plugins = ["tests.conftest_testbed"]


@pytest.fixture
def owner(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("owner", password="correct horse battery staple")
