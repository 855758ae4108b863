"""Prometheus metrics of one app, in a registry of its own: HTTP requests and the identity domain.

Each app gets its own ``CollectorRegistry`` (not the process-global default), so several apps in
one process, as in the tests, never share or clash over metrics. Requests are labelled by the
matched route *template* (``/v1/records/{source}/{source_record_id}``), never by the raw path,
which keeps the label set bounded; requests that match no route are labelled ``unmatched``.
Every label takes values from a bounded set: methods, route templates, statuses, normalizer
issue codes, event types, and at most ``MAX_SOURCES`` source names (later ones count as ``other``).

Domain metrics are counted by the code that changes records: route handlers call
``observe_change`` (records ingested by source, profile events, records erased, resolver time)
and ``observe_issues`` (identifier rejections by kind and reason); the import runner calls
``observe_import``. Profile totals and sizes are read from the database at scrape time
(``ProfileCollector``), so they are right whatever process made the change.

    throughline_http_requests_total{method,route,status}
    throughline_http_request_duration_seconds{method,route,status}      histogram
    throughline_records_ingested_total{source}                          created or updated records
    throughline_records_erased_total{source}
    throughline_identifier_rejections_total{kind,reason}                values kept with an issue
    throughline_profile_events_total{type}                              created, updated, merged, split, erased
    throughline_resolve_seconds{operation}                              histogram: one change, resolved and written
    throughline_change_records_read{operation}                          histogram: records one change read to decide
    throughline_upsert_group_records                                    histogram: single upserts applied together
    throughline_import_records_total, throughline_import_seconds_total  throughput = ratio of their rates
    throughline_profiles                                                live profiles
    throughline_profile_records                                         histogram: records per live profile
    throughline_largest_profile_records
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from resolvers import Issue
from service.tables import ProfileRow

if TYPE_CHECKING:
    from service.ingest import ChangeOutcome

__all__ = [
    "MAX_SOURCES",
    "UNMATCHED_ROUTE",
    "Metrics",
    "MetricsMiddleware",
    "ProfileCollector",
    "make_metrics",
    "method_label",
    "observe_change",
    "observe_import",
    "observe_issues",
    "render_metrics",
    "route_template",
]

logger = logging.getLogger(__name__)

UNMATCHED_ROUTE = "unmatched"
MAX_SOURCES = 100
_LABELS = ("method", "route", "status")
# Any other method a client invents is counted as "other", so clients cannot grow the label set.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_PROFILE_SIZE_BUCKETS = (1, 2, 3, 5, 10, 20, 50, 100, 200, 500)
# Records a change reads: its region and the records that decide it (``resolvers.region``).
_READ_BUCKETS = (1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000)
# Single upserts applied in one transaction (``upsert_groups``): at most THROUGHLINE_UPSERT_GROUP_MAX.
_GROUP_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000)
# The normalizer names an issue's field by its path (``emails.1``, ``external_ids.crm``): keep the kind only.
_ISSUE_KINDS = {"email": "email", "emails": "email", "phone": "phone", "phones": "phone", "linkedin_url": "linkedin",
                "instagram_handle": "handle", "handles": "handle", "external_ids": "external_id",
                "first_name": "name", "last_name": "name", "full_name": "name", "company": "company",
                "job_title": "job_title", "country": "country", "address": "address", "date_of_birth": "date_of_birth"}


@dataclass(slots=True)
class _BoundedLabel:
    """Let at most ``limit`` distinct values through as label values; the rest become ``other``."""

    limit: int
    seen: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, value: str) -> str:
        with self.lock:
            if value in self.seen or len(self.seen) < self.limit:
                self.seen.add(value)
                return value
        return "other"


@dataclass(frozen=True, slots=True)
class Metrics:
    """The metrics of one app and the registry that holds them."""

    registry: CollectorRegistry
    requests: Counter
    duration: Histogram
    records_ingested: Counter
    records_erased: Counter
    identifier_rejections: Counter
    profile_events: Counter
    resolve_seconds: Histogram
    records_read: Histogram
    upsert_group_records: Histogram
    import_records: Counter
    import_seconds: Counter
    source_label: _BoundedLabel


class ProfileCollector(Collector):
    """Read live profile totals and sizes from the database when metrics are scraped."""

    def __init__(self, engine: Callable[[], Engine | None]) -> None:
        self.engine = engine

    def describe(self) -> Iterator[Metric]:
        """Name the metrics without reading the database (the registry asks at registration)."""
        yield from self._families()

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, HistogramMetricFamily]:
        return (GaugeMetricFamily("throughline_profiles", "Live profiles."),
                GaugeMetricFamily("throughline_largest_profile_records", "Records in the largest live profile."),
                HistogramMetricFamily("throughline_profile_records", "Records per live profile."))

    def collect(self) -> Iterator[Metric]:
        """Return the profile metrics, or none when the database is not open or does not answer."""
        engine = self.engine()
        if engine is None:
            return
        try:
            with Session(engine) as session:
                query = (select(ProfileRow.record_count, func.count()).where(ProfileRow.status == "active")
                         .group_by(ProfileRow.record_count))  # type: ignore[arg-type]
                sizes = {int(size): int(count) for size, count in session.exec(query)}
        except SQLAlchemyError as error:
            logger.warning("profile metrics unavailable: %s", type(error).__name__)
            return
        total, largest, histogram = (
            GaugeMetricFamily("throughline_profiles", "Live profiles.", value=sum(sizes.values())),
            GaugeMetricFamily("throughline_largest_profile_records", "Records in the largest live profile.",
                              value=max(sizes, default=0)),
            HistogramMetricFamily("throughline_profile_records", "Records per live profile."),
        )
        buckets = [(str(float(bound)), float(sum(n for size, n in sizes.items() if size <= bound)))
                   for bound in _PROFILE_SIZE_BUCKETS]
        histogram.add_metric([], [*buckets, ("+Inf", float(sum(sizes.values())))],
                             sum_value=float(sum(size * n for size, n in sizes.items())))
        yield from (total, largest, histogram)


def make_metrics(*, engine: Callable[[], Engine | None] = lambda: None) -> Metrics:
    """Return fresh metrics in a registry of their own; profile metrics read the database ``engine()`` returns."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(ProfileCollector(engine))
    return Metrics(
        registry=registry,
        requests=Counter("throughline_http_requests_total", "HTTP requests answered.", _LABELS, registry=registry),
        duration=Histogram("throughline_http_request_duration_seconds", "Time to answer an HTTP request.",
                           _LABELS, registry=registry),
        records_ingested=Counter("throughline_records_ingested_total", "Records created or updated.", ["source"],
                                 registry=registry),
        records_erased=Counter("throughline_records_erased_total", "Records erased.", ["source"], registry=registry),
        identifier_rejections=Counter("throughline_identifier_rejections_total",
                                      "Values kept with an issue and left out of matching.", ["kind", "reason"],
                                      registry=registry),
        profile_events=Counter("throughline_profile_events_total", "Profile changes: created, updated, merged, "
                               "split, erased.", ["type"], registry=registry),
        resolve_seconds=Histogram("throughline_resolve_seconds", "Time to resolve and write one change.",
                                  ["operation"], registry=registry),
        records_read=Histogram("throughline_change_records_read", "Stored and new records one change read to "
                               "decide its region.", ["operation"], buckets=_READ_BUCKETS, registry=registry),
        upsert_group_records=Histogram("throughline_upsert_group_records", "Single upserts applied in one "
                                       "transaction (group commit).", buckets=_GROUP_BUCKETS, registry=registry),
        import_records=Counter("throughline_import_records_total", "Records read by bulk imports.",
                               registry=registry),
        import_seconds=Counter("throughline_import_seconds_total", "Seconds spent running bulk imports.",
                               registry=registry),
        source_label=_BoundedLabel(MAX_SOURCES),
    )


def observe_change(metrics: Metrics | None, *, outcome: ChangeOutcome, seconds: float, operation: str) -> None:
    """Count what one change did (records by source, profile events) and how long it took to resolve."""
    if metrics is None:
        return
    metrics.resolve_seconds.labels(operation=operation).observe(seconds)
    if outcome.read:
        metrics.records_read.labels(operation=operation).observe(outcome.read)
    for record in outcome.records:
        source = metrics.source_label(record.key[0])
        if record.status in ("created", "updated"):
            metrics.records_ingested.labels(source=source).inc()
        elif record.status == "deleted":
            metrics.records_erased.labels(source=source).inc()
    for event in outcome.events:
        metrics.profile_events.labels(type=event.type.removeprefix("profile.")).inc()


def observe_issues(metrics: Metrics | None, *, issues: Iterable[Issue]) -> None:
    """Count the values normalization rejected, by kind of field and issue code."""
    if metrics is None:
        return
    for issue in issues:
        kind = _ISSUE_KINDS.get(issue.field.split(".", 1)[0], "other")
        metrics.identifier_rejections.labels(kind=kind, reason=issue.code).inc()


def observe_import(metrics: Metrics | None, *, records: int, seconds: float) -> None:
    """Count records an import read and the seconds it took; throughput is the ratio of their rates."""
    if metrics is None:
        return
    metrics.import_records.inc(records)
    metrics.import_seconds.inc(seconds)


def render_metrics(metrics: Metrics) -> bytes:
    """Return the metrics in the Prometheus text exposition format."""
    return generate_latest(metrics.registry)


def route_template(scope: Scope) -> str:
    """Return the path template of the route the router matched, or ``unmatched``."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


def method_label(scope: Scope) -> str:
    """Return the request method, or ``other`` for one outside the standard set."""
    method: str = scope["method"]
    return method if method in _METHODS else "other"


class MetricsMiddleware:
    """Count and time every HTTP request by method, route template and response status."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
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
            labels = {"method": method_label(scope), "route": route_template(scope), "status": str(status)}
            self.metrics.requests.labels(**labels).inc()
            self.metrics.duration.labels(**labels).observe(time.perf_counter() - started)
