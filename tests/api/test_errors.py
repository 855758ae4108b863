"""Every error answers in one JSON shape: unknown routes, wrong methods, crashes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from service.main import create_app
from service.settings import Settings


def test_unknown_path_answers_404_in_the_error_shape(client: TestClient) -> None:
    response = client.get("/no/such/thing")

    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "no endpoint at /no/such/thing", "details": []},
    }


@pytest.mark.parametrize(("method", "path", "parameter"), [
    ("GET", "/v1/profiles/" + "p" * 41, "profile_id"),
    ("DELETE", "/v1/links/0", "link_id"),
    ("DELETE", f"/v1/links/{2**31}", "link_id"),
])
def test_an_id_nothing_could_have_answers_422_naming_the_path_parameter(client: TestClient, method: str, path: str,
                                                                       parameter: str) -> None:
    response = client.request(method, path)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert [d["field"] for d in response.json()["error"]["details"]] == [f"path.{parameter}"]


def test_wrong_method_answers_405_in_the_error_shape_with_allow(client: TestClient) -> None:
    response = client.delete("/health")

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert response.json()["error"] == {
        "code": "method_not_allowed", "message": "DELETE is not allowed on /health", "details": [],
    }


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("PATCH", "/v1/records/crm/1", "DELETE, GET, PUT"),
    ("OPTIONS", "/v1/keys", "GET, POST"),
    ("PUT", "/v1/links", "GET, POST"),
    ("DELETE", "/v1/imports", "GET, POST"),
    ("POST", "/v1/profiles/p_1", "DELETE, GET"),
])
def test_a_405_allows_every_method_of_the_path_not_only_the_first_route_s(client: TestClient, method: str,
                                                                         path: str, allowed: str) -> None:
    response = client.request(method, path)  # each method of a path is a route of its own

    assert response.status_code == 405
    assert response.headers["allow"] == allowed


def test_a_405_allows_every_method_of_the_path_below_a_proxy_s_prefix(make_settings: Callable[..., Settings],
                                                                     start_client: Callable[..., TestClient]) -> None:
    client = start_client(create_app(make_settings()), root_path="/api")

    response = client.request("PATCH", "/api/v1/records/crm/1")

    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, PUT"


def test_unhandled_exception_answers_500_without_internals(
    make_settings: Callable[..., Settings], start_client: Callable[..., TestClient],
) -> None:
    app = create_app(make_settings())

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret connection string postgres://admin:hunter2@db")

    client = start_client(app, raise_server_exceptions=False)

    response = client.get("/boom")

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
