"""Prometheus metrics: requests counted and timed by route template and status, per app."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from service.main import create_app
from service.settings import Settings


def _samples(client: TestClient, name: str) -> dict[tuple[str, str, str], float]:
    """Return the metric's samples by (method, route, status)."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
        if s.name == name
    }


def test_requests_are_counted_by_route_template_and_status(
    make_settings: Callable[..., Settings], start_client: Callable[..., TestClient],
) -> None:
    app = create_app(make_settings())

    @app.get("/v1/things/{thing_id}")
    def thing(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    client = start_client(app)
    client.get("/v1/things/1")
    client.get("/v1/things/2")
    client.get("/v1/things/not-a-number")
    client.get("/no/such/path")

    counts = _samples(client, "throughline_http_requests_total")

    assert counts[("GET", "/v1/things/{thing_id}", "200")] == 2
    assert counts[("GET", "/v1/things/{thing_id}", "422")] == 1
    assert counts[("GET", "unmatched", "404")] == 1
    assert not any(route == "/v1/things/1" for _, route, _ in counts)


def test_request_durations_are_observed_per_route(client: TestClient) -> None:
    client.get("/health")

    counts = _samples(client, "throughline_http_request_duration_seconds_count")

    assert counts[("GET", "/health", "200")] == 1


def test_each_app_has_its_own_registry(make_client: Callable[..., TestClient]) -> None:
    first, second = make_client(), make_client()
    first.get("/health")

    counts = _samples(second, "throughline_http_requests_total")

    assert ("GET", "/health", "200") not in counts


def test_metrics_answer_404_when_disabled(make_client: Callable[..., TestClient]) -> None:
    client = make_client(metrics_enabled=False)

    response = client.get("/metrics")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
