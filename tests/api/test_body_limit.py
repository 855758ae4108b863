"""Request bodies over THROUGHLINE_MAX_BODY_BYTES answer 413, whether declared or streamed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator

from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from service.body_limit import BodyLimitMiddleware

LIMIT = 1024


def _record_of_size(size: int) -> bytes:
    """Return a valid record whose JSON is exactly ``size`` bytes long."""
    body = {"source": "crm", "source_record_id": "1", "attributes": {"padding": ""}}
    padding = size - len(json.dumps(body).encode())
    body["attributes"] = {"padding": "x" * padding}
    encoded = json.dumps(body).encode()
    assert len(encoded) == size
    return encoded


def _chunks(body: bytes, size: int = 100) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start:start + size]


def test_a_body_at_the_limit_is_accepted(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_body_bytes=LIMIT)

    response = client.post("/v1/normalize", content=_record_of_size(LIMIT),
                           headers={"content-type": "application/json"})

    assert response.status_code == 200


def test_a_declared_length_over_the_limit_answers_413(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_body_bytes=LIMIT)

    response = client.post("/v1/normalize", content=_record_of_size(LIMIT + 1),
                           headers={"content-type": "application/json"})

    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "payload_too_large"
    assert str(LIMIT) in error["message"]


def test_a_chunked_body_over_the_limit_answers_413(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_body_bytes=LIMIT)

    response = client.post("/v1/normalize", content=_chunks(_record_of_size(LIMIT + 1)),
                           headers={"content-type": "application/json"})

    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_a_chunked_body_under_the_limit_is_accepted(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_body_bytes=LIMIT)

    response = client.post("/v1/normalize", content=_chunks(_record_of_size(LIMIT)),
                           headers={"content-type": "application/json"})

    assert response.status_code == 200


def test_the_middleware_stops_reading_a_stream_as_soon_as_it_passes_the_limit() -> None:
    received: list[int] = []

    async def reader(scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            received.append(len(message["body"]))
            if not message.get("more_body"):
                return

    async def run() -> list[Message]:
        messages = iter([{"type": "http.request", "body": b"x" * 400, "more_body": True}] * 10)
        sent: list[Message] = []

        async def receive() -> Message:
            return next(messages)

        async def send(message: Message) -> None:
            sent.append(message)

        scope: Scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
        await BodyLimitMiddleware(reader, max_body_bytes=LIMIT)(scope, receive, send)
        return sent

    sent = asyncio.run(run())

    assert received == [400, 400]  # the third chunk passes the limit and is never handed to the app
    assert sent[0]["status"] == 413


def test_each_endpoint_has_its_own_limit_within_the_global_one(make_client: Callable[..., TestClient]) -> None:
    client = make_client()  # the global limit: 1 MiB
    record = json.dumps({"source": "crm", "source_record_id": "1", "attributes": {"pad": "x" * 300_000}})

    one = client.put("/v1/records/crm/1", content=record, headers={"content-type": "application/json"})
    batch = client.post("/v1/records/batch", content='{"records": [' + record + "]}",
                        headers={"content-type": "application/json"})

    assert one.status_code == 413
    assert "262144" in one.json()["error"]["message"]
    assert batch.status_code == 200  # accepted as a body; the record itself is then rejected for its attributes
    assert batch.json()["results"][0]["status"] == "rejected"


def test_the_openapi_document_states_each_endpoint_cap(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()

    assert spec["paths"]["/v1/records/{source}/{source_record_id}"]["put"]["x-max-body-bytes"] == 262_144
    assert "x-max-body-bytes" not in spec["paths"]["/v1/records/batch"]["post"]


def test_an_override_lets_one_route_take_more_than_the_default() -> None:
    async def route(scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = type("Route", (), {"path": scope["path"]})()  # as the router does before the body is read
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def run(path: str) -> int:
        messages = iter([{"type": "http.request", "body": b"x" * 400, "more_body": True}] * 5
                        + [{"type": "http.request", "body": b"", "more_body": False}])
        sent: list[Message] = []

        async def receive() -> Message:
            return next(messages)

        async def send(message: Message) -> None:
            sent.append(message)

        scope: Scope = {"type": "http", "method": "POST", "path": path, "headers": []}
        middleware = BodyLimitMiddleware(route, max_body_bytes=LIMIT, overrides={"/v1/imports": 10 * LIMIT})
        await middleware(scope, receive, send)
        return int(sent[0]["status"])

    assert asyncio.run(run("/v1/imports")) == 202
    assert asyncio.run(run("/v1/records/batch")) == 413
