"""SSRF: URLs in records (LinkedIn, websites) are only ever parsed, never fetched; emails get no DNS lookup.

Every way Python opens a connection or resolves a name is replaced, for the length of the test,
by a function that records the attempt and fails. The service then ingests, looks up and
normalizes records full of URLs that would be dangerous to fetch. SQLite only: PostgreSQL itself
is reached over the network.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.main import create_app
from service.settings import Settings

URLS = [
    "https://www.linkedin.com/in/giulia-bianchi/",
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://localhost:5432/in/admin",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_FLUSHALL",
    "https://linkedin.com.evil.example/in/giulia",
    "//internal.example/in/x",
]


@pytest.fixture
def attempts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record and refuse every network connection or name lookup made from now on."""
    seen: list[str] = []

    def refuse(name: str) -> Callable[..., Any]:
        def refused(*args: Any, **kwargs: Any) -> Any:
            seen.append(f"{name}{args[1:] if name.startswith('socket.') else args}")
            raise OSError(f"network access in a test: {name}")
        return refused

    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("socket.connect_ex"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(socket, "gethostbyname", refuse("gethostbyname"))
    monkeypatch.setattr(socket, "gethostbyname_ex", refuse("gethostbyname_ex"))
    return seen


def test_urls_are_parsed_never_fetched_and_emails_never_resolved(
    sqlite_url: str, start_client: Callable[..., TestClient], attempts: list[str],
) -> None:
    client = start_client(create_app(Settings(database_url=sqlite_url)))
    statuses = []

    for index, url in enumerate(URLS):
        record = {"first_name": "Giulia", "last_name": "Bianchi", "linkedin_url": url,
                  "email": f"giulia{index}@gmail.com", "attributes": {"website": url, "avatar": url}}
        statuses.append(client.put(f"/v1/records/crm/{index}", json=record).status_code)
        statuses.append(client.get("/v1/profiles", params={"linkedin": url}).status_code)
        statuses.append(client.post("/v1/normalize", json={"source": "crm", "source_record_id": "n",
                                                           "linkedin_url": url}).status_code)
    statuses.append(client.post("/v1/records/batch", json={"records": [
        {"source": "web", "source_record_id": str(i), "linkedin_url": url} for i, url in enumerate(URLS)]}).status_code)
    profile = client.get("/v1/records/crm/0").json()["profile_id"]
    statuses.append(client.get(f"/v1/profiles/{profile}/explain").status_code)

    assert attempts == []
    assert set(statuses) <= {200, 422}  # a lookup by a URL that is no LinkedIn profile is refused as unusable
    assert statuses[:3 * len(URLS):3] == [200] * len(URLS)  # every record was stored, its URLs kept as text


def test_the_guard_would_see_a_fetch(attempts: list[str]) -> None:
    with pytest.raises(OSError, match="network access"):
        socket.create_connection(("169.254.169.254", 80))

    assert attempts == ["create_connection(('169.254.169.254', 80),)"]
