"""API keys: every /v1 endpoint needs one with the right scope; keys are random, prefixed, stored as hashes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from service import keys
from service.auth import KeyCache, scope_requirements
from service.main import create_app
from service.rate_limit import RateLimiter
from service.settings import Settings
from tests.api.helpers import cells_containing, person
from tests.conftest import issue_key

MakeClient = Callable[..., TestClient]

EXPECTED_SCOPES = {
    ("POST", "/v1/normalize"): "read",
    ("PUT", "/v1/records/{source}/{source_record_id}"): "write",
    ("POST", "/v1/records/batch"): "write",
    ("GET", "/v1/records/{source}/{source_record_id}"): "read",
    ("DELETE", "/v1/records/{source}/{source_record_id}"): "admin",
    ("GET", "/v1/profiles"): "read",
    ("GET", "/v1/profiles/{profile_id}"): "read",
    ("GET", "/v1/profiles/{profile_id}/explain"): "read",
    ("DELETE", "/v1/profiles/{profile_id}"): "admin",
    ("POST", "/v1/links"): "admin",
    ("GET", "/v1/links"): "admin",
    ("DELETE", "/v1/links/{link_id}"): "admin",
    ("GET", "/v1/changes"): "read",
    ("POST", "/v1/keys"): "admin",
    ("GET", "/v1/keys"): "admin",
    ("DELETE", "/v1/keys/{key_id}"): "admin",
    ("GET", "/v1/audit"): "admin",
    ("POST", "/v1/imports"): "write",
    ("GET", "/v1/imports"): "read",
    ("GET", "/v1/imports/{import_id}"): "read",
}


def _v1_routes() -> list[tuple[str, frozenset[str], frozenset[str]]]:
    return [entry for entry in scope_requirements(create_app(Settings()).routes) if entry[0].startswith("/v1")]


def test_every_v1_route_requires_a_scope() -> None:
    unguarded = [(sorted(methods), path) for path, methods, scopes in _v1_routes() if not scopes]

    assert unguarded == [], "add a require_scope(...) dependency to these routes or their routers"


def test_each_route_requires_the_scope_of_its_kind_of_work() -> None:
    required = {(method, path): scopes for path, methods, scopes in _v1_routes() for method in methods}

    for (method, path), scope in EXPECTED_SCOPES.items():
        if (method, path) in required:
            assert required[(method, path)] == {scope}, (method, path)
    exports = [scopes for (method, path), scopes in required.items() if path.startswith("/v1/exports")]
    assert all(scopes == {"read"} for scopes in exports)


@pytest.mark.parametrize("header", [
    None,
    "Basic dXNlcjpwYXNz",
    "Bearer",
    "Bearer not-a-key",
    "Bearer tl_0123456789ab_" + "A" * 43,  # shaped like a key, but no such key
    "tl_0123456789ab_" + "A" * 43,
], ids=["missing", "basic", "empty bearer", "malformed", "unknown", "no scheme"])
def test_a_missing_malformed_or_unknown_key_answers_401(make_client: MakeClient, header: str | None) -> None:
    client = make_client(authorized=False)
    headers = {"Authorization": header} if header is not None else {}

    response = client.get("/v1/changes", headers=headers)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "A" * 43 not in response.text


def test_a_revoked_key_answers_401_from_the_next_request_on(client: TestClient) -> None:
    created = client.post("/v1/keys", json={"scopes": ["read"], "name": "dashboard"}).json()
    reader = {"Authorization": f"Bearer {created['key']}"}
    assert client.get("/v1/changes", headers=reader).status_code == 200

    revoked = client.delete(f"/v1/keys/{created['details']['id']}")

    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert client.get("/v1/changes", headers=reader).status_code == 401


def test_a_key_revoked_by_another_process_answers_401_once_the_key_cache_lets_go(make_client: MakeClient) -> None:
    client = make_client(key_cache_seconds=0)
    reader_key = issue_key(client.app, "read")  # type: ignore[arg-type]
    reader = {"Authorization": f"Bearer {reader_key}"}
    assert client.get("/v1/changes", headers=reader).status_code == 200

    # As `throughline keys revoke` does: in the database, behind the server's back.
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        keys.revoke_key(session, key_id=keys.key_id_of(reader_key) or "", actor="cli", request_id=None)
        session.commit()

    assert client.get("/v1/changes", headers=reader).status_code == 401


def test_the_key_cache_remembers_a_good_key_for_its_seconds_and_never_holds_the_key() -> None:
    now = [100.0]
    cache = KeyCache(seconds=1.0, clock=lambda: now[0])
    key = "tl_0123456789ab_" + "A" * 43
    assert cache.get(key) is None

    cache.put(key, key_id="0123456789ab", scopes=frozenset({"read"}))
    now[0] += 0.9
    assert cache.get(key) == ("0123456789ab", frozenset({"read"}))
    assert cache.get(key[:-1] + "B") is None
    assert key not in repr(vars(cache))
    now[0] += 0.1
    assert cache.get(key) is None

    cache.put(key, key_id="0123456789ab", scopes=frozenset({"read"}))
    cache.clear()
    assert cache.get(key) is None
    KeyCache(seconds=0, clock=lambda: now[0]).put(key, key_id="0123456789ab", scopes=frozenset({"read"}))


def test_a_key_without_the_scope_answers_403(make_client: MakeClient) -> None:
    admin = make_client()
    read_key = issue_key(admin.app, "read")
    write_key = issue_key(admin.app, "write")
    as_reader = {"Authorization": f"Bearer {read_key}"}
    as_writer = {"Authorization": f"Bearer {write_key}"}

    upsert_by_reader = admin.put("/v1/records/crm/1", json=person(), headers=as_reader)
    upsert_by_writer = admin.put("/v1/records/crm/1", json=person(), headers=as_writer)
    read_by_writer = admin.get("/v1/records/crm/1", headers=as_writer)
    erase_by_reader = admin.delete("/v1/records/crm/1", headers=as_reader)
    keys_by_writer = admin.get("/v1/keys", headers=as_writer)

    assert upsert_by_reader.status_code == 403
    assert upsert_by_reader.json()["error"]["code"] == "forbidden"
    assert "write" in upsert_by_reader.json()["error"]["message"]
    assert upsert_by_writer.status_code == 200
    assert read_by_writer.status_code == 403
    assert erase_by_reader.status_code == 403
    assert keys_by_writer.status_code == 403
    assert admin.get("/v1/records/crm/1", headers=as_reader).status_code == 200


def test_health_and_ready_need_no_key(make_client: MakeClient) -> None:
    client = make_client(authorized=False)

    assert client.get("/health").status_code == 200
    assert client.get("/ready").status_code == 200
    assert client.get("/metrics").status_code == 200


def test_closed_metrics_need_a_key_with_the_metrics_scope(make_client: MakeClient) -> None:
    client = make_client(authorized=False, metrics_public=False)
    metrics_key = issue_key(client.app, "metrics")
    read_key = issue_key(client.app, "read", "write", "admin")

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {read_key}"}).status_code == 403
    scraped = client.get("/metrics", headers={"Authorization": f"Bearer {metrics_key}"})
    assert scraped.status_code == 200
    assert "throughline_http_requests_total" in scraped.text
    assert client.get("/v1/changes", headers={"Authorization": f"Bearer {metrics_key}"}).status_code == 403


def test_an_unknown_v1_path_answers_401_without_a_key_rather_than_revealing_routes(make_client: MakeClient) -> None:
    client = make_client(authorized=False)

    assert client.get("/v1/no/such/thing").status_code == 401


def test_a_route_added_without_a_scope_still_needs_a_valid_key(
    make_settings: Callable[..., Settings], start_client: Callable[..., TestClient],
) -> None:
    app = create_app(make_settings())

    @app.get("/v1/forgotten")
    def forgotten() -> dict[str, str]:
        return {"secret": "data"}

    client = start_client(app, authorized=False)

    assert client.get("/v1/forgotten").status_code == 401


def test_a_new_key_is_random_prefixed_shown_once_and_stored_only_as_a_hash(client: TestClient,
                                                                           database_url: str) -> None:
    first = client.post("/v1/keys", json={"scopes": ["write", "read"], "name": "crm sync"})
    second = client.post("/v1/keys", json={"scopes": ["read"]})

    assert first.status_code == 201
    key = first.json()["key"]
    assert key.startswith("tl_")
    secret = key.split("_", 2)[2]
    assert len(secret) * 6 >= 128  # base64url: 6 bits a character
    assert key != second.json()["key"]
    assert first.json()["details"]["scopes"] == ["read", "write"]
    listed = client.get("/v1/keys")
    assert listed.status_code == 200
    assert key not in listed.text
    assert cells_containing(database_url, [key]) == []
    assert cells_containing(database_url, [hashlib.sha256(key.encode()).hexdigest()]) != []


@pytest.mark.parametrize("body", [{"scopes": []}, {"scopes": ["superuser"]}, {"scopes": ["read"], "extra": 1},
                                  {"scopes": ["read"], "name": "line\nbreak"},
                                  {"scopes": ["read"], "name": "next\u0085line"}])  # a C1 control character
def test_a_key_request_with_no_or_unknown_scopes_answers_422(client: TestClient, body: dict[str, object]) -> None:
    response = client.post("/v1/keys", json=body)

    assert response.status_code == 422


def test_revoking_an_unknown_key_answers_404(client: TestClient) -> None:
    assert client.delete("/v1/keys/0123456789ab").status_code == 404


def test_a_key_over_its_rate_answers_429_with_retry_after_and_other_keys_are_unaffected(
    make_client: MakeClient,
) -> None:
    client = make_client(rate_limit_per_minute=3)
    other = {"Authorization": f"Bearer {issue_key(client.app, 'read')}"}

    statuses = [client.get("/v1/changes").status_code for _ in range(4)]
    refused = client.get("/v1/changes")

    assert statuses == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) >= 1
    assert client.get("/v1/changes", headers=other).status_code == 200


def test_the_rate_limiter_refills_with_time() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, clock=lambda: now[0])

    allowed = [limiter.acquire("k") for _ in range(60)]
    wait = limiter.acquire("k")
    now[0] += 1.0
    after_a_second = limiter.acquire("k")

    assert allowed == [0] * 60
    assert wait == 1
    assert after_a_second == 0
    assert limiter.acquire("other") == 0


def test_unauthenticated_requests_never_reach_the_database_of_records(make_client: MakeClient,
                                                                      database_url: str) -> None:
    client = make_client(authorized=False)

    response = client.put("/v1/records/crm/unauthorized-1", json=person(email="nobody.here@example.org"))

    assert response.status_code == 401
    assert cells_containing(database_url, ["nobody.here@example.org"]) == []
