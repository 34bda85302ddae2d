"""Requests flow one way: web / API / CLI -> actions -> jobs -> packages -> ssh, with the models (one
Django app per area) and lib below packages. An import against that flow fails this test."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "brokeforge"
# Higher imports lower, never the reverse. Anything not listed is a models app (servers, sites, ...).
RANKS = {"web": 5, "api": 5, "cli": 5, "actions": 4, "jobs": 3, "packages": 2, "ssh": 0, "lib": 0, "home": 0}
MODELS = 1
# Django's entry points see everything on purpose.
ENTRY_POINTS = {"urls", "asgi", "wsgi", "settings", "__init__", "__main__"}


def rank(layer: str) -> int:
    return RANKS.get(layer, MODELS)


def runtime_imports(tree: ast.Module) -> list[tuple[int, str]]:
    """Imports of brokeforge modules, leaving out those only a type checker reads."""
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in ast.walk(block)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return [(line, name) for line, name in found if name.startswith("brokeforge.")]


def is_upward(layer: str, target: str) -> bool:
    # Models sit above lib/ssh but below packages, jobs and actions.
    model_reaching_up = rank(layer) == MODELS and target in RANKS and rank(target) > MODELS
    return rank(target) > rank(layer) or model_reaching_up


def violations() -> list[str]:
    bad = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        layer = relative.parts[0].removesuffix(".py")
        if "migrations" in relative.parts or layer in ENTRY_POINTS:
            continue
        for line, name in runtime_imports(ast.parse(path.read_text())):
            target = name.split(".")[1]
            if target != layer and is_upward(layer, target):
                bad.append(f"brokeforge/{relative}:{line} imports {name}")
    return bad


def test_no_layer_imports_a_higher_one() -> None:
    assert violations() == []


@pytest.mark.parametrize(
    ("source", "layer", "expected"),
    [
        ("from brokeforge.jobs import queue", "packages", True),
        ("import brokeforge.web.views", "actions", True),
        ("from brokeforge.packages.base import Command", "servers", True),
        ("from brokeforge.lib.enums import CredentialType", "servers", False),
        ("from brokeforge.servers.models import Server", "packages", False),
        ("if TYPE_CHECKING:\n    from brokeforge.jobs.models import Job", "packages", False),
    ],
)
def test_the_check_itself_catches_an_upward_import(source: str, layer: str, expected: bool) -> None:
    targets = [name.split(".")[1] for _line, name in runtime_imports(ast.parse(source))]
    assert any(is_upward(layer, target) for target in targets) is expected
