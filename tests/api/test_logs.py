"""Logs: one JSON line per request, and no record value in any line at any level.

The service's own logging configuration (``service.logs.log_config``, as ``throughline serve``
uses it) is applied at DEBUG with its handler writing to a buffer. The test then sends records
holding values that appear nowhere else — valid ones, invalid ones, lookups, errors, erasures,
a crash — and scans every line logged. The test's own HTTP client (``httpx``) logs the URLs it
calls; it is not the service and its lines are left out.
"""

from __future__ import annotations

import io
import json
import logging
import logging.config
import random
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.logs import JsonFormatter, log_config
from service.main import create_app
from service.settings import Settings
from tests.api.helpers import person, profile_id_of, put

CLIENT_LOGGERS = ("httpx", "httpcore", "httpx2")


class _NotClient(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.name.startswith(CLIENT_LOGGERS)


@pytest.fixture
def service_log() -> Iterator[io.StringIO]:
    """Configure logging as the server does, at DEBUG, into a buffer; restore the previous logging afterwards."""
    config = log_config("DEBUG")
    buffer = io.StringIO()
    config["handlers"]["default"] = {"class": "logging.StreamHandler", "formatter": "json", "stream": buffer,
                                     "filters": ["not_client"]}
    config["filters"] = {"not_client": {"()": _NotClient}}
    names = ["", *config["loggers"]]
    saved = {name: (logging.getLogger(name).level, list(logging.getLogger(name).handlers),
                    logging.getLogger(name).propagate) for name in names}
    logging.config.dictConfig(config)
    yield buffer
    for name, (level, handlers, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.handlers[:] = handlers
        logger.propagate = propagate


def _unique() -> dict[str, str]:
    token = uuid.uuid4().hex[:10]
    digits = "".join(random.choice("23456789") for _ in range(7))
    return {"first": f"Zelda{token}", "last": f"Quark{token}", "local": f"zq{token}", "company": f"Acme{token}",
            "slug": f"zelda-{token}", "record": f"rec{token}", "digits": digits, "note": f"note{token}"}


def _scan(log: str, values: dict[str, str]) -> list[str]:
    return [f"{name}={value} in: {line}" for line in log.splitlines() for name, value in values.items()
            if value.lower() in line.lower()]


def _exercise(client: TestClient, v: dict[str, str]) -> int:
    """Send every kind of request with the unique values; return how many requests were sent."""
    email, phone = f"{v['local']}@example.org", f"+1 415 {v['digits'][:3]} {v['digits'][3:]}"
    linkedin = f"https://www.linkedin.com/in/{v['slug']}/"
    body = person(v["first"], v["last"], email=email, phone=phone, company=v["company"], linkedin_url=linkedin,
                  attributes={"note": v["note"]})
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("PUT", f"/v1/records/crm/{v['record']}", {"json": body}),
        ("PUT", f"/v1/records/crm/{v['record']}", {"json": body}),  # unchanged
        ("POST", "/v1/records/batch", {"json": {"records": [
            {"source": "web", "source_record_id": f"w{v['record']}", "email": email},
            {"source": "web", "source_record_id": f"x{v['record']}", "emails": [email, 5], "bogus": v["note"]}]}}),
        ("GET", f"/v1/records/crm/{v['record']}", {}),
        ("GET", f"/v1/records/crm/missing{v['record']}", {}),
        ("GET", "/v1/profiles", {"params": {"email": email}}),
        ("GET", "/v1/profiles", {"params": {"phone": phone}}),
        ("GET", "/v1/profiles", {"params": {"linkedin": linkedin}}),
        ("GET", "/v1/profiles", {"params": {"name": f"{v['first']} {v['last']}", "company": v["company"]}}),
        ("PUT", f"/v1/records/crm/bad{v['record']}", {"json": {"email": [email], "first_name": {"x": v["first"]}}}),
        ("PUT", f"/v1/records/crm/bad{v['record']}", {"content": f'{{"email": "{email}", "first_name": }}',
                                                       "headers": {"content-type": "application/json"}}),
        ("PUT", f"/v1/records/crm/dup{v['record']}", {"content": f'{{"email": "{email}", "email": "{email}"}}',
                                                       "headers": {"content-type": "application/json"}}),
        ("POST", "/v1/normalize", {"json": {"source": "crm", "source_record_id": v["record"], "email": email,
                                             "phone": f"000{v['digits']}"}}),
        ("GET", f"/v1/no/such/{v['record']}", {}),
        ("GET", f"/v1/boom/{v['record']}", {}),
        ("DELETE", f"/v1/records/web/w{v['record']}", {}),
    ]
    for method, path, options in requests:
        assert client.request(method, path, **options).status_code < 500 or "/boom/" in path
    erased = client.delete(f"/v1/profiles/{profile_id_of(client, 'crm/' + v['record'])}")
    assert erased.status_code == 200
    unauthorized = client.get(f"/v1/records/crm/{v['record']}", headers={"Authorization": f"Bearer {v['local']}"})
    assert unauthorized.status_code == 401
    return len(requests) + 3


def test_no_record_value_appears_in_any_log_line(
    service_log: io.StringIO, make_settings: Callable[..., Settings], start_client: Callable[..., TestClient],
) -> None:
    app = create_app(make_settings())

    @app.get("/v1/boom/{anything}")
    def boom(anything: str) -> None:
        raise RuntimeError(f"could not handle {anything}")

    client = start_client(app, raise_server_exceptions=False)
    values = _unique()

    sent = _exercise(client, values)

    log = service_log.getvalue()
    lines = [json.loads(line) for line in log.splitlines()]
    requests = [line for line in lines if line["logger"] == "service.requests"]
    assert _scan(log, values) == []
    assert len(requests) == sent
    assert any(line.get("exception", {}).get("type") == "builtins.RuntimeError" for line in lines)


def test_each_request_logs_one_json_line_with_id_route_status_latency_and_key(
    service_log: io.StringIO, client: TestClient,
) -> None:
    put(client, "crm/1", person())

    response = client.get("/v1/records/crm/1")

    entries = [json.loads(line) for line in service_log.getvalue().splitlines()]
    mine = [e for e in entries if e.get("request_id") == response.headers["x-request-id"]]
    assert len(mine) == 1
    entry = mine[0]
    assert entry["logger"] == "service.requests"
    assert entry["method"] == "GET"
    assert entry["route"] == "/v1/records/{source}/{source_record_id}"
    assert entry["status"] == 200
    assert entry["latency_ms"] >= 0
    assert entry["key_id"] == client.headers["Authorization"].split("_")[1]


def test_request_ids_are_made_by_the_server_not_taken_from_the_client(client: TestClient) -> None:
    response = client.get("/health", headers={"X-Request-ID": "giulia.bianchi@example.com"})

    assert response.headers["x-request-id"] != "giulia.bianchi@example.com"
    assert len(response.headers["x-request-id"]) == 32


def test_an_exception_is_logged_by_type_and_frames_without_its_message() -> None:
    try:
        raise ValueError("the value giulia@example.com is bad")
    except ValueError:
        record = logging.LogRecord("service", logging.ERROR, __file__, 1, "failed", None, exc_info=__import__(
            "sys").exc_info())

    line = json.loads(JsonFormatter().format(record))

    assert line["exception"]["type"] == "builtins.ValueError"
    assert line["exception"]["frames"]
    assert "giulia" not in json.dumps(line)


def test_the_server_log_config_turns_uvicorns_access_log_off_and_writes_json() -> None:
    config = log_config("INFO")

    assert config["loggers"]["uvicorn.access"]["handlers"] == []
    assert config["formatters"]["json"]["()"] == "service.logs.JsonFormatter"
    assert config["loggers"]["sqlalchemy"]["level"] == "WARNING"
