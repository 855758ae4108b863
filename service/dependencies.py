"""FastAPI dependencies as ``Annotated`` aliases: what a route handler may ask for.

Each reads the app's own state (set up by ``main.create_app`` and its lifespan), never a
module-level global, so several apps with different settings can live in one process. They are
``async`` because none of them blocks: FastAPI runs a plain ``def`` dependency in its thread pool,
and those hops (one per dependency, per request) cost more than a whole lookup's queries.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import quote, unquote_to_bytes

from fastapi import Depends, Request
from sqlalchemy import Engine

from resolvers.config import ResolverConfig
from service.auth import Principal, require_scope
from service.errors import InvalidRequestError, is_json_media_type
from service.metrics import Metrics
from service.schemas import ErrorDetail
from service.settings import Settings
from service.upsert_groups import UpsertGroups

__all__ = [
    "AdminKey",
    "ConfigDep",
    "EngineDep",
    "MetricsDep",
    "ReadKey",
    "SettingsDep",
    "UpsertsDep",
    "WriteKey",
    "refuse_duplicate_keys",
    "refuse_unreadable_text",
]

NUL = "\x00"


async def refuse_unreadable_text(request: Request) -> None:
    """Refuse a path or query value no database text can hold as sent (422); one dependency, checked on every request.

    A ``%``-escape that is not UTF-8 (``_refuse_undecodable_escapes``), or a NUL character: ``%00``
    is a valid URL escape, and without this a NUL would reach PostgreSQL and fail there.
    """
    _refuse_undecodable_escapes(request)
    values = [(f"path.{name}", value) for name, value in request.path_params.items()]
    values += [(f"query.{name}", value) for name, value in request.query_params.multi_items()]
    details = [ErrorDetail(field=field, value=str(value), reason="a NUL character is not allowed")
               for field, value in values if NUL in str(value)]
    if details:
        raise InvalidRequestError("the request holds a NUL character", details)


def _utf8(escaped: bytes) -> bool:
    """Whether percent-escaped URL text decodes to UTF-8."""
    try:
        unquote_to_bytes(escaped).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _undecodable(request: Request) -> list[tuple[str, bytes]]:
    """Return ``(field, text as sent)`` for each path parameter or query name or value whose escapes are not UTF-8."""
    raw_path: bytes = request.scope.get("raw_path") or b""  # optional in ASGI: a server may leave it out
    query: bytes = request.scope.get("query_string") or b""
    if b"%" not in raw_path and b"%" not in query and raw_path.isascii() and query.isascii():
        return []  # nearly every request: nothing to decode
    found = []
    template = getattr(request.scope.get("route"), "path", "")
    # Aligned from the end: the raw path also holds any prefix the app is mounted under.
    for name, segment in zip(reversed(template.split("/")), reversed(raw_path.split(b"/")), strict=False):
        if not _utf8(segment):
            found.append((f"path.{name.strip('{}')}" if name.startswith("{") else "path", segment))
    for pair in query.split(b"&"):
        name, _, value = pair.replace(b"+", b" ").partition(b"=")
        if not _utf8(name):
            found.append(("query", name))
        elif not _utf8(value):
            found.append((f"query.{unquote_to_bytes(name).decode()}", value))
    return found


def _refuse_undecodable_escapes(request: Request) -> None:
    """Refuse a path or query value whose ``%``-escapes are not UTF-8 (422), such as Latin-1's ``Jos%E9``.

    Starlette decodes them with a replacement character, so ``crm/Jos%E9`` and ``crm/Jos%E8`` would
    both name the record ``crm/Jos\ufffd``, and each would overwrite or erase the other.
    """
    details = [ErrorDetail(field=field, value=quote(unquote_to_bytes(sent), safe="/:@!$'()*,;= "),
                           reason="a %-escape that is not UTF-8; encode the text as UTF-8 before escaping it")
               for field, sent in _undecodable(request)]
    if details:
        raise InvalidRequestError("the request holds %-escapes that are not UTF-8", details)


class _DuplicateKeys(dict[str, Any]):
    """A JSON object in which some names appeared more than once (``duplicates``)."""

    duplicates: list[str]


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    duplicates = []
    for name, value in pairs:
        if name in result:
            duplicates.append(name)
        result[name] = value
    if not duplicates:
        return result
    marked = _DuplicateKeys(result)
    marked.duplicates = duplicates
    return marked


def _duplicate_paths(document: Any) -> Iterator[str]:
    """Yield the dotted path of every repeated name; iterative, since JSON may nest deeper than Python recurses."""
    pending: list[tuple[tuple[str, ...], Any]] = [((), document)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, _DuplicateKeys):
            yield from (".".join((*path, name)) for name in dict.fromkeys(value.duplicates))
        if isinstance(value, dict):
            pending.extend(((*path, name), item) for name, item in value.items())
        elif isinstance(value, list):
            pending.extend(((*path, str(index)), item) for index, item in enumerate(value))


async def refuse_duplicate_keys(request: Request) -> None:
    """Refuse a JSON body in which an object names a member twice (422), rather than keep the last silently.

    RFC 8259 (section 4) leaves such objects' meaning to the parser; a record whose ``email``
    appears twice is ambiguous, so it is refused. Only a body FastAPI has already read and parsed
    is checked (a route with a body parameter): a streamed body is never read here.
    """
    route = request.scope.get("route")
    if getattr(route, "body_field", None) is None or not is_json_media_type(request.headers.get("content-type")):
        return
    try:
        document = json.loads(await request.body(), object_pairs_hook=_object)
    except (ValueError, RecursionError):
        return  # FastAPI's own parse reports what is wrong with the JSON
    paths = sorted(set(_duplicate_paths(document)))
    if paths:
        raise InvalidRequestError("the body names a member twice in one object", [
            ErrorDetail(field=path, value=None, reason="a name may appear only once in an object") for path in paths])


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def _metrics(request: Request) -> Metrics | None:
    metrics: Metrics | None = request.app.state.metrics
    return metrics


async def _upserts(request: Request) -> UpsertGroups:
    upserts: UpsertGroups = request.app.state.upserts
    return upserts


async def _config(request: Request) -> ResolverConfig:
    config: ResolverConfig = request.app.state.resolver_config
    return config


SettingsDep = Annotated[Settings, Depends(_settings)]
ConfigDep = Annotated[ResolverConfig, Depends(_config)]
EngineDep = Annotated[Engine, Depends(_engine)]
MetricsDep = Annotated[Metrics | None, Depends(_metrics)]
UpsertsDep = Annotated[UpsertGroups, Depends(_upserts)]
# The caller, when its API key holds the scope (else 403; a missing or revoked key never gets this far: 401).
ReadKey = Annotated[Principal, Depends(require_scope("read"))]
WriteKey = Annotated[Principal, Depends(require_scope("write"))]
AdminKey = Annotated[Principal, Depends(require_scope("admin"))]
