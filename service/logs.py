"""Logs as JSON lines, one per request, with no personal value in any of them.

``JsonFormatter`` writes each log record as one JSON object: time (UTC), level, logger, message
and the record's structured ``fields``. An exception is written as its type and stack frames
(file, line, function), never its message: messages of database and validation errors can quote
the values that caused them. ``RequestLogMiddleware`` gives every request an id (answered in
``X-Request-ID``; generated here, never taken from the client, whose header could carry anything)
and logs one line when it ends: request id, method, route *template*, status, latency and key id.
The raw path is never logged, because path values such as ``source_record_id`` may be email
addresses; uvicorn's access log, which logs the raw path, is turned off (``log_config``).
"""

from __future__ import annotations

import json
import logging
import time
import traceback
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.metrics import method_label, route_template

__all__ = ["REQUEST_LOGGER", "JsonFormatter", "RequestLogMiddleware", "log_config"]

REQUEST_LOGGER = "service.requests"
REQUEST_ID_HEADER = b"x-request-id"

logger = logging.getLogger(REQUEST_LOGGER)


def _exception(exc_info: Any) -> dict[str, Any]:
    """Return an exception's type and frames; its message is left out (it may quote a value)."""
    exc_type, _, tb = exc_info
    frames = [f"{frame.filename}:{frame.lineno} in {frame.name}" for frame in traceback.extract_tb(tb)]
    return {"type": f"{exc_type.__module__}.{exc_type.__qualname__}", "frames": frames}


class JsonFormatter(logging.Formatter):
    """Format a log record as one line of JSON; structured values go in ``extra={"fields": {...}}``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = _exception(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def log_config(level: str) -> dict[str, Any]:
    """Return a ``logging.config.dictConfig`` for the server: JSON on stderr, no access log."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "service.logs.JsonFormatter"}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": "WARNING"},
        "loggers": {
            "service": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            # Its lines hold the raw path; RequestLogMiddleware logs the route template instead.
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            # At INFO SQLAlchemy logs every statement with its parameters, which are record values.
            "sqlalchemy": {"level": "WARNING"},
        },
    }


class RequestLogMiddleware:
    """Give each request an id (``X-Request-ID``) and log one JSON line for it when it ends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        status = 500  # an exception escaping the app becomes a 500 outside this middleware

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            principal = state.get("principal")
            logger.info("request", extra={"fields": {
                "request_id": request_id,
                "method": method_label(scope),
                "route": route_template(scope),
                "status": status,
                "latency_ms": round((time.perf_counter() - started) * 1000, 3),
                "key_id": getattr(principal, "key_id", None),
            }})
