"""The ``throughline`` command: migrate and openapi (serve is exercised by `make serve`)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from service.cli import app
from service.db import head_revision
from service.main import create_app, openapi_json
from service.settings import Settings, get_settings


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, unmigrated_sqlite_url: str) -> Iterator[CliRunner]:
    """Return a runner whose THROUGHLINE_DATABASE_URL is an empty SQLite file."""
    monkeypatch.setenv("THROUGHLINE_DATABASE_URL", unmigrated_sqlite_url)
    # The commands read settings through the process-wide cache: start and leave it empty.
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_migrate_says_what_it_did_then_that_there_is_nothing_to_do(runner: CliRunner) -> None:
    first = runner.invoke(app, ["migrate"])
    second = runner.invoke(app, ["migrate"])

    assert first.exit_code == 0, first.output
    assert f"from revision none (empty) to {head_revision()}" in first.output
    assert second.exit_code == 0, second.output
    assert "nothing to do" in second.output


def test_openapi_prints_the_spec_as_sorted_json(runner: CliRunner) -> None:
    result = runner.invoke(app, ["openapi"])

    assert result.exit_code == 0, result.output
    assert result.output == openapi_json(create_app(Settings()))
    assert json.loads(result.output)["info"]["title"] == "Throughline"
