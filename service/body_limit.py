"""Reject request bodies larger than the configured limit with 413, before they are parsed.

A pure ASGI middleware: a declared ``Content-Length`` over the limit is refused before the app
runs; a body without one (``Transfer-Encoding: chunked``) is counted as it is received, and the
request fails with 413 as soon as the count passes the limit, so an oversized body is never
buffered whole.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import error_response

__all__ = ["BodyLimitMiddleware", "BodyTooLargeError"]


class BodyTooLargeError(HTTPException):
    """The request body passed the limit while it was being received."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=_message(limit))


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

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send)
            return
        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
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
        except BodyTooLargeError:
            # Reached only when the body was read outside FastAPI's request handling.
            if response_started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(status_code=413, code="payload_too_large", message=_message(self.max_body_bytes),
                                  headers={"Connection": "close"})
        await response(scope, receive, send)
