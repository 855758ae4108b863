"""The FastAPI application factory.

``create_app(settings)`` builds an app and touches nothing outside it: the database engine is
made by the lifespan when the server starts, which refuses to start unless the database is at
the migration head. Importing this module has no side effects; serve it with
``uvicorn --factory service.main:create_app`` (``service.main:app`` also works: it is built on
first access, PEP 562).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import Engine

from resolvers.config import ResolverConfig
from resolvers.gc_tuning import tune_garbage_collector
from resolvers.normalize.record import preload
from resolvers.records import MAX_RECORD_BYTES
from service.auth import AuthMiddleware, KeyCache
from service.body_limit import BodyLimitMiddleware
from service.db import make_engine, require_migrated
from service.dependencies import refuse_duplicate_keys, refuse_unreadable_text
from service.errors import install_error_handlers
from service.imports import ImportRunner, JobSettings
from service.logs import RequestLogMiddleware
from service.metrics import Metrics, MetricsMiddleware, make_metrics, observe_import
from service.rate_limit import RateLimiter
from service.routes import api_keys, audit_log, changes, exports, imports, links, normalize, ops, profiles, records
from service.settings import Settings, get_settings
from service.upsert_groups import UpsertGroups

__all__ = ["create_app", "openapi_json"]

DESCRIPTION = (
    "Throughline resolves partial customer records from every channel (CRM, newsletter, SMS, store, "
    "web, LinkedIn) into one golden profile per real person. Every error has the body "
    '`{"error": {"code", "message", "details": [{"field", "value", "reason"}]}}`.'
)


def _version() -> str:
    try:
        return version("throughline")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = make_engine(settings.database_url, write_wait_seconds=settings.write_wait_seconds)
    try:
        require_migrated(engine)
        preload()  # reference data now, so that the first requests do not wait for it
        tune_garbage_collector()
        app.state.engine = engine
        app.state.upserts = UpsertGroups(engine=engine, config=app.state.resolver_config, metrics=app.state.metrics,
                                         max_group=settings.upsert_group_max,
                                         wait_seconds=settings.write_wait_seconds)
        runner = _import_runner(app, engine)
        runner.start()
        app.state.import_runner = runner
        try:
            yield
        finally:
            runner.stop()
    finally:
        engine.dispose()


def _import_runner(app: FastAPI, engine: Engine) -> ImportRunner:
    """Return the thread that runs this process's share of the import jobs."""
    settings: Settings = app.state.settings
    jobs = JobSettings(spool_dir=settings.import_dir, chunk_lines=settings.import_chunk_lines,
                       workers=settings.import_workers, lease_seconds=settings.import_lease_seconds,
                       apply_cache_mib=settings.import_cache_mib,
                       # A line is one record: at most what PUT /v1/records takes.
                       max_line_bytes=min(settings.max_body_bytes, MAX_RECORD_BYTES))
    metrics: Metrics | None = app.state.metrics
    return ImportRunner(engine=engine, config=app.state.resolver_config, settings=jobs,
                        on_chunk=lambda records, seconds: observe_import(metrics, records=records, seconds=seconds))


def _operation_id(route: APIRoute) -> str:
    # Handler names are unique and read well in generated clients ("normalize", not "normalize_v1_normalize_post").
    return route.name


def _build_routes(app: FastAPI) -> None:
    """Build every route's request handling now rather than on the first request that reaches its router.

    FastAPI builds it lazily inside ``warnings.catch_warnings()``, which swaps the process-wide warning filters
    and is not thread-safe: apps of one process taking their first requests at once in threads lost each other's
    filters. Building here also spares each router's first request the work (38 ms for all routes).
    """
    for _ in iter_route_contexts(app.routes):
        pass


def create_app(settings: Settings | None = None) -> FastAPI:
    """Return a new Throughline app configured by ``settings`` (from the environment when omitted)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Throughline",
        version=_version(),
        description=DESCRIPTION,
        lifespan=_lifespan,
        generate_unique_id_function=_operation_id,
        dependencies=[Depends(refuse_unreadable_text), Depends(refuse_duplicate_keys)],
    )
    app.state.settings = settings
    app.state.resolver_config = ResolverConfig(default_region=settings.default_region)
    app.state.metrics = (make_metrics(engine=lambda: getattr(app.state, "engine", None))
                         if settings.metrics_enabled else None)
    install_error_handlers(app)
    app.include_router(ops.router)
    app.include_router(normalize.router)
    for router in (records.router, profiles.router, links.router, changes.router, imports.router, exports.router):
        app.include_router(router)
    app.include_router(api_keys.router)
    app.include_router(audit_log.router)
    _build_routes(app)
    # The last middleware added is the outermost: metrics also see the 401s of auth and the 413s of the
    # body limit, and the request log sees everything, with the key id auth found.
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes,
                       overrides={"/v1/imports": settings.max_import_bytes})
    limiter = RateLimiter(per_minute=settings.rate_limit_per_minute) if settings.rate_limit_per_minute else None
    app.state.key_cache = KeyCache(seconds=settings.key_cache_seconds)
    app.add_middleware(AuthMiddleware, engine=lambda: app.state.engine, metrics_public=settings.metrics_public,
                       limiter=limiter, key_cache=app.state.key_cache)
    if app.state.metrics is not None:
        app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(RequestLogMiddleware)
    return app


def openapi_json(app: FastAPI) -> str:
    """Return the app's OpenAPI document as stable JSON: sorted keys, indent 2, trailing newline."""
    return json.dumps(app.openapi(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def __getattr__(name: str) -> FastAPI:
    """Build ``service.main:app`` on first access rather than at import time."""
    if name == "app":
        return create_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
