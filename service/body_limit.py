"""Reject request bodies larger than their endpoint's limit with 413, before they are parsed.

A pure ASGI middleware. Each endpoint has a limit: ``THROUGHLINE_MAX_BODY_BYTES`` by default, or
less where the route declares a smaller cap as the OpenAPI extension ``x-max-body-bytes``
(``body_limit_extra``; one record needs far less than a batch), or what ``overrides`` give a
route template (for an endpoint that must take more than the default, such as a bulk import).

A declared ``Content-Length`` over every limit is refused before the app runs; otherwise the
route's limit is applied when the route first reads its body (routing has happened by then): a
declared length over it is refused before a byte is read, and a body without one
(``Transfer-Encoding: chunked``) is counted as it is received and fails with 413 as soon as the
count passes the limit, so an oversized body is never buffered whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import error_response

__all__ = ["BODY_LIMIT_EXTENSION", "BodyLimitMiddleware", "BodyTooLargeError", "body_limit_extra", "route_body_limit"]

BODY_LIMIT_EXTENSION = "x-max-body-bytes"


def body_limit_extra(limit: int) -> dict[str, Any]:
    """Return the ``openapi_extra`` that caps a route's body at ``limit`` bytes (and documents it)."""
    return {BODY_LIMIT_EXTENSION: limit}


def route_body_limit(route: object, *, default: int, overrides: Mapping[str, int]) -> int:
    """Return the body limit of a matched route: its override, else its declared cap within ``default``."""
    path = getattr(route, "path", None)
    if isinstance(path, str) and path in overrides:
        return overrides[path]
    cap = (getattr(route, "openapi_extra", None) or {}).get(BODY_LIMIT_EXTENSION)
    return min(cap, default) if isinstance(cap, int) else default


class BodyTooLargeError(HTTPException):
    """The request body passed the limit while it was being received."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=_message(limit))
        self.limit = limit


def _message(limit: int) -> str:
    return f"the request body is larger than the limit of {limit} bytes"


def _declared_length(scope: Scope) -> int | None:
    """Return the request's Content-Length, or None when absent or not a number."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimitMiddleware:
    """Answer 413 ``payload_too_large`` to requests whose body exceeds ``max_body_bytes``."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, overrides: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.overrides = dict(overrides or {})
        self.largest = max([max_body_bytes, *self.overrides.values()])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.largest:
            await self._refuse(scope, receive, send, limit=self.largest)
            return
        limit: int | None = None
        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received, limit
            if limit is None:
                limit = route_body_limit(scope.get("route"), default=self.max_body_bytes, overrides=self.overrides)
                if declared is not None and declared > limit:
                    raise BodyTooLargeError(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI re-raises HTTPExceptions from body reading, so the app's handler answers 413.
                    raise BodyTooLargeError(limit)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLargeError as error:
            # Reached only when the body was read outside FastAPI's request handling.
            if response_started:
                raise
            await self._refuse(scope, receive, send, limit=error.limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, *, limit: int) -> None:
        response = error_response(status_code=413, code="payload_too_large", message=_message(limit),
                                  headers={"Connection": "close"})
        await response(scope, receive, send)
