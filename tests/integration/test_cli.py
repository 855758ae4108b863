"""The ``throughline`` command: migrate, keys and openapi (serve is exercised by `make serve`)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from service import keys
from service.cli import app
from service.db import head_revision, make_engine
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


def _key_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("tl_")]


def test_the_first_migrate_prints_one_admin_key_once(runner: CliRunner, unmigrated_sqlite_url: str) -> None:
    first = runner.invoke(app, ["migrate"])
    second = runner.invoke(app, ["migrate"])

    (key,) = _key_lines(first.output)
    assert "store it now" in first.output
    assert _key_lines(second.output) == []
    engine = make_engine(unmigrated_sqlite_url)
    try:
        with Session(engine) as session:
            row = keys.verify_key(session, key=key)
            assert row is not None
            assert keys.scopes_of(row) == {"read", "write", "admin"}
    finally:
        engine.dispose()


def test_keys_create_prints_the_key_alone_then_list_and_revoke(runner: CliRunner, unmigrated_sqlite_url: str) -> None:
    runner.invoke(app, ["migrate"])

    created = runner.invoke(app, ["keys", "create", "--scope", "read", "--scope", "write", "--name", "crm sync"])
    key = created.stdout.strip()
    key_id = keys.key_id_of(key)
    listed = runner.invoke(app, ["keys", "list"])
    revoked = runner.invoke(app, ["keys", "revoke", str(key_id)])
    after = runner.invoke(app, ["keys", "list"])

    assert created.exit_code == 0, created.output
    assert created.stdout.splitlines() == [key]
    assert key_id is not None
    assert f"{key_id}  read,write" in listed.output
    assert key not in listed.output
    assert revoked.exit_code == 0, revoked.output
    assert "revoked" in next(line for line in after.output.splitlines() if line.startswith(key_id))
    engine = make_engine(unmigrated_sqlite_url)
    try:
        with Session(engine) as session:
            assert keys.verify_key(session, key=key) is None
    finally:
        engine.dispose()


def test_keys_create_refuses_an_unknown_scope_and_revoke_an_unknown_key(runner: CliRunner) -> None:
    runner.invoke(app, ["migrate"])

    bad_scope = runner.invoke(app, ["keys", "create", "--scope", "root"])
    unknown = runner.invoke(app, ["keys", "revoke", "0123456789ab"])

    assert bad_scope.exit_code != 0
    assert "unknown scope root" in bad_scope.output
    assert unknown.exit_code != 0
    assert "no key 0123456789ab" in unknown.output


def test_keys_create_refuses_a_name_the_api_would_refuse(runner: CliRunner) -> None:
    runner.invoke(app, ["migrate"])

    too_long = runner.invoke(app, ["keys", "create", "--scope", "read", "--name", "n" * 101])
    control = runner.invoke(app, ["keys", "create", "--scope", "read", "--name", "crm\nsync"])

    for result in (too_long, control):
        assert result.exit_code == 2, result.output
        assert "--name" in result.output
    assert "at most 100 characters" in too_long.output


def test_keys_revoke_takes_a_whole_leaked_key_and_never_prints_its_secret(runner: CliRunner) -> None:
    runner.invoke(app, ["migrate"])
    key = runner.invoke(app, ["keys", "create", "--scope", "read"]).stdout.strip()
    secret = key.rsplit("_", 1)[1]

    revoked = runner.invoke(app, ["keys", "revoke", key])
    mangled = runner.invoke(app, ["keys", "revoke", key[:-1]])

    assert revoked.exit_code == 0, revoked.output
    assert revoked.output.strip() == f"revoked key {keys.key_id_of(key)}"
    assert mangled.exit_code == 2
    assert secret[:-1] not in mangled.output


def test_keys_commands_say_to_migrate_an_unmigrated_database(runner: CliRunner) -> None:
    result = runner.invoke(app, ["keys", "list"])

    assert result.exit_code == 1
    assert "throughline migrate" in result.output
