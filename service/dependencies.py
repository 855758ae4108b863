"""FastAPI dependencies as ``Annotated`` aliases: what a route handler may ask for.

Each reads the app's own state (set up by ``main.create_app`` and its lifespan), never a
module-level global, so several apps with different settings can live in one process.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from resolvers.config import ResolverConfig
from service.errors import InvalidRequestError
from service.metrics import HttpMetrics
from service.schemas import ErrorDetail
from service.settings import Settings

__all__ = ["ConfigDep", "EngineDep", "MetricsDep", "SettingsDep", "refuse_nul_characters"]

NUL = "\x00"


def refuse_nul_characters(request: Request) -> None:
    """Refuse a path or query value holding a NUL character (422): no database text can hold one.

    ``%00`` is a valid URL escape; without this a NUL would reach PostgreSQL and fail there.
    """
    values = [(f"path.{name}", value) for name, value in request.path_params.items()]
    values += [(f"query.{name}", value) for name, value in request.query_params.multi_items()]
    details = [ErrorDetail(field=field, value=str(value), reason="a NUL character is not allowed")
               for field, value in values if NUL in str(value)]
    if details:
        raise InvalidRequestError("the request holds a NUL character", details)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _metrics(request: Request) -> HttpMetrics | None:
    metrics: HttpMetrics | None = request.app.state.metrics
    return metrics


def _config(request: Request) -> ResolverConfig:
    config: ResolverConfig = request.app.state.resolver_config
    return config


SettingsDep = Annotated[Settings, Depends(_settings)]
ConfigDep = Annotated[ResolverConfig, Depends(_config)]
EngineDep = Annotated[Engine, Depends(_engine)]
MetricsDep = Annotated[HttpMetrics | None, Depends(_metrics)]
