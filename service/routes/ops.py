"""Operational endpoints: liveness, readiness and Prometheus metrics; open without an API key.

``/metrics`` can be closed with ``THROUGHLINE_METRICS_PUBLIC=false``: it then needs a key with the
``metrics`` scope.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from service.auth import authorize
from service.db import is_migrated
from service.dependencies import EngineDep, MetricsDep, SettingsDep
from service.errors import NotReadyError
from service.metrics import render_metrics
from service.schemas import ErrorResponse, StatusPublic

__all__ = ["router"]

logger = logging.getLogger(__name__)

router = APIRouter(tags=["ops"])


@router.get("/health", response_model=StatusPublic)
def health() -> StatusPublic:
    """Answer that the process is alive; checks nothing else."""
    return StatusPublic(status="ok")


@router.head("/health", response_class=Response, responses={200: {"description": "The process is alive."}})
def health_head() -> Response:
    """Answer `GET /health` without its body, for load balancers that check liveness with `HEAD`."""
    return _as_get(health())


def _as_get(status: StatusPublic) -> Response:
    """Return the response `GET` sends, headers and all: the server sends no body to a `HEAD` (RFC 9110, 9.3.2)."""
    return JSONResponse(status.model_dump(mode="json"))


_NOT_READY: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorResponse, "description": "The database is unreachable or not migrated."}}


@router.head("/ready", response_class=Response, responses={200: {"description": "The service can serve."},
                                                           **_NOT_READY})
def ready_head(engine: EngineDep) -> Response:
    """Answer `GET /ready` without its body (the 503 says why in `GET`'s)."""
    return _as_get(ready(engine))


@router.get("/ready", response_model=StatusPublic, responses=_NOT_READY)
def ready(engine: EngineDep) -> StatusPublic:
    """Answer whether the service can serve: the database answers and is at the migration head."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        migrated = is_migrated(engine)
    except SQLAlchemyError as error:
        logger.warning("readiness check failed: %s", error)
        raise NotReadyError(f"the database is unreachable: {type(error).__name__}") from error
    if not migrated:
        raise NotReadyError("the database is not at the migration head; run `throughline migrate`")
    return StatusPublic(status="ready")


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format."},
                       401: {"model": ErrorResponse, "description": "Metrics are closed and no valid key was sent."},
                       403: {"model": ErrorResponse, "description": "Metrics are closed and the key lacks `metrics`."},
                       404: {"model": ErrorResponse, "description": "Metrics are disabled."}})
def metrics(http_metrics: MetricsDep, settings: SettingsDep, request: Request) -> Response:
    """Return the service's metrics in the Prometheus text format."""
    if not settings.metrics_public:
        authorize(request, "metrics")
    if http_metrics is None:
        raise HTTPException(status_code=404, detail="metrics are disabled (THROUGHLINE_METRICS_ENABLED=false)")
    return Response(render_metrics(http_metrics), media_type=CONTENT_TYPE_LATEST)
