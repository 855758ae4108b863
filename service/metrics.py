"""Prometheus metrics of the HTTP layer, in a registry owned by one app.

Each app gets its own ``CollectorRegistry`` (not the process-global default), so several apps in
one process, as in the tests, never share or clash over metrics. Requests are labelled by the
matched route *template* (``/v1/records/{source}/{source_record_id}``), never by the raw path,
which keeps the label set bounded; requests that match no route are labelled ``unmatched``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["UNMATCHED_ROUTE", "HttpMetrics", "MetricsMiddleware", "make_http_metrics", "render_metrics"]

UNMATCHED_ROUTE = "unmatched"
_LABELS = ("method", "route", "status")
# Any other method a client invents is counted as "other", so clients cannot grow the label set.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class HttpMetrics:
    """The HTTP metrics of one app and the registry that holds them."""

    registry: CollectorRegistry
    requests: Counter
    duration: Histogram


def make_http_metrics() -> HttpMetrics:
    """Return fresh HTTP metrics in a registry of their own."""
    registry = CollectorRegistry(auto_describe=True)
    return HttpMetrics(
        registry=registry,
        requests=Counter("throughline_http_requests_total", "HTTP requests answered.", _LABELS, registry=registry),
        duration=Histogram("throughline_http_request_duration_seconds", "Time to answer an HTTP request.",
                           _LABELS, registry=registry),
    )


def render_metrics(metrics: HttpMetrics) -> bytes:
    """Return the metrics in the Prometheus text exposition format."""
    return generate_latest(metrics.registry)


def _route_template(scope: Scope) -> str:
    """Return the path template of the route the router matched, or ``unmatched``."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class MetricsMiddleware:
    """Count and time every HTTP request by method, route template and response status."""

    def __init__(self, app: ASGIApp, *, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        # An exception escaping the app becomes a 500 in the server-error middleware outside this one.
        status = 500

        async def watching_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        finally:
            method = scope["method"] if scope["method"] in _METHODS else "other"
            labels = {"method": method, "route": _route_template(scope), "status": str(status)}
            self.metrics.requests.labels(**labels).inc()
            self.metrics.duration.labels(**labels).observe(time.perf_counter() - started)
