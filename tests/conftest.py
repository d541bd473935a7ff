"""Shared test options: `pytest --update-golden` rewrites the golden site (review the diff)."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/output (and docs/screenshot-home.png) from the current build",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True only when the run was started with --update-golden."""
    return bool(request.config.getoption("--update-golden"))
