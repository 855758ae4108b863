"""Who may call what: API keys on every ``/v1`` endpoint, checked before a request reaches its route.

Two layers (OWASP API2:2023 broken authentication, API5:2023 broken function level authorization):

* ``AuthMiddleware`` authenticates every request to a protected path — all of ``/v1``, and
  ``/metrics`` when ``THROUGHLINE_METRICS_PUBLIC`` is off — before routing, so a router added
  later cannot be reached without a valid key, and no body is read for a caller without one.
  It answers 401 for a missing, malformed, unknown or revoked key, then 429 when the key passed
  its rate (``THROUGHLINE_RATE_LIMIT_PER_MINUTE``).
* ``require_scope("read" | "write" | "admin" | "metrics")`` is a dependency each route (or its
  router) declares; it answers 403 when the key lacks the scope. ``route_scopes`` reads the
  scopes a route requires, so a test can check that every ``/v1`` route requires one.

Keys are sent as ``Authorization: Bearer <key>`` (RFC 6750); see ``service.keys`` for their form.
A key found good is remembered for ``THROUGHLINE_KEY_CACHE_SECONDS`` (``KeyCache``, 1 s by default),
so that a client sending hundreds of requests a second has its key read once a second, not once a
request. A revocation through the API empties the cache of the process that made it at once; the
other processes (a second worker; the CLI's ``keys revoke``) see it within that time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Annotated

from fastapi import Depends, Request
from fastapi.routing import iter_route_contexts
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from service import keys
from service.errors import ForbiddenError, RateLimitedError, ThroughlineError, UnauthorizedError, service_error_response
from service.rate_limit import RateLimiter
from service.tables import ApiKeyRow

__all__ = ["AuthMiddleware", "KeyCache", "Principal", "ScopeGuard", "authorize", "is_protected",
           "require_scope", "route_scopes", "scope_requirements"]

_BEARER = HTTPBearer(auto_error=False, scheme_name="ApiKey",
                     description="An API key (`tl_...`) as `Authorization: Bearer <key>`.")


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of one request: the public id of its key, the key's scopes and the request id."""

    key_id: str
    scopes: frozenset[str]
    request_id: str | None


_KEY_CACHE_ENTRIES = 4096


class KeyCache:
    """Keys verified within the last ``seconds``: their id and scopes, by the key's hash (never the key)."""

    def __init__(self, *, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._seconds = seconds
        self._clock = clock
        self._entries: dict[str, tuple[float, str, frozenset[str]]] = {}

    def get(self, key: str) -> tuple[str, frozenset[str]] | None:
        """Return the key id and scopes of ``key`` when it was found good within the last ``seconds``."""
        entry = self._entries.get(keys.key_hash(key)) if self._entries else None
        if entry is None or entry[0] <= self._clock():
            return None
        return entry[1], entry[2]

    def put(self, key: str, *, key_id: str, scopes: frozenset[str]) -> None:
        """Remember ``key`` as good, with its id and scopes (not at all when ``seconds`` is 0)."""
        if self._seconds <= 0:
            return
        if len(self._entries) >= _KEY_CACHE_ENTRIES:
            self._entries = {}
        self._entries[keys.key_hash(key)] = (self._clock() + self._seconds, key_id, scopes)

    def clear(self) -> None:
        """Forget every key (after a revocation)."""
        self._entries = {}


def is_protected(path: str, *, metrics_public: bool) -> bool:
    """Return whether a request path needs an API key."""
    return path == "/v1" or path.startswith("/v1/") or (path == "/metrics" and not metrics_public)


def _bearer_key(headers: Headers) -> str:
    """Return the key of an ``Authorization: Bearer <key>`` header, or raise ``UnauthorizedError``."""
    header = headers.get("authorization")
    if header is None:
        raise UnauthorizedError("send an API key as `Authorization: Bearer <key>`")
    scheme, _, key = header.strip().partition(" ")
    key = key.strip()
    # The key itself is never echoed: a near-miss may still be most of a real secret.
    if scheme.lower() != "bearer" or keys.key_id_of(key) is None:
        raise UnauthorizedError("the Authorization header is not `Bearer tl_<id>_<secret>`")
    return key


def _lookup(engine: Engine, key: str) -> ApiKeyRow | None:
    with Session(engine) as session:
        return keys.verify_key(session, key=key)


class AuthMiddleware:
    """Authenticate requests to protected paths, rate-limit them per key, and put the ``Principal`` in the state."""

    def __init__(self, app: ASGIApp, *, engine: Callable[[], Engine], metrics_public: bool,
                 limiter: RateLimiter | None, key_cache: KeyCache) -> None:
        self.app = app
        self.engine = engine
        self.metrics_public = metrics_public
        self.limiter = limiter
        self.key_cache = key_cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_protected(scope["path"], metrics_public=self.metrics_public):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        try:
            state["principal"] = await self._authenticate(scope, request_id=state.get("request_id"))
        except ThroughlineError as error:
            await service_error_response(error)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _authenticate(self, scope: Scope, *, request_id: str | None) -> Principal:
        key = _bearer_key(Headers(scope=scope))
        known = self.key_cache.get(key)
        if known is None:
            # The lookup is a blocking database read: keep it off the event loop.
            row = await run_in_threadpool(_lookup, self.engine(), key)
            if row is None:
                raise UnauthorizedError("the API key is unknown or revoked")
            known = row.id, keys.scopes_of(row)
            self.key_cache.put(key, key_id=known[0], scopes=known[1])
        key_id, scopes = known
        if self.limiter is not None and (wait := self.limiter.acquire(key_id)):
            raise RateLimitedError(f"this key passed its rate limit; retry in {wait} s", retry_after=wait)
        return Principal(key_id=key_id, scopes=scopes, request_id=request_id)


def authorize(request: Request, scope: str) -> Principal:
    """Return the request's principal when its key holds ``scope``; else raise 401 or 403."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        # Only reached by a route outside the paths the middleware protects.
        raise UnauthorizedError("send an API key as `Authorization: Bearer <key>`")
    if scope not in principal.scopes:
        raise ForbiddenError(f"this key lacks the `{scope}` scope this endpoint needs")
    return principal


class ScopeGuard:
    """A dependency that requires the request's API key to hold one scope."""

    def __init__(self, scope: keys.Scope) -> None:
        self.scope = scope

    async def __call__(self, request: Request,
                       credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]) -> Principal:
        # ``credentials`` only declares the bearer scheme in the OpenAPI document; the middleware checked the key.
        return authorize(request, self.scope)

    def __repr__(self) -> str:
        return f"require_scope({self.scope!r})"


@cache
def require_scope(scope: keys.Scope) -> ScopeGuard:
    """Return the dependency requiring ``scope``: ``Depends(require_scope("read"))``, on a route or a router."""
    return ScopeGuard(scope)


def route_scopes(route: object) -> frozenset[str]:
    """Return the scopes a route's dependencies require (empty for a route that requires none)."""
    root = getattr(route, "dependant", None)
    if root is None:
        return frozenset()
    found: set[str] = set()
    pending = list(root.dependencies)
    while pending:
        dependant = pending.pop()
        if isinstance(dependant.call, ScopeGuard):
            found.add(dependant.call.scope)
        pending.extend(dependant.dependencies)
    return frozenset(found)


def scope_requirements(routes: Sequence[BaseRoute]) -> list[tuple[str, frozenset[str], frozenset[str]]]:
    """Return ``(path, methods, scopes)`` for every route of an app, with included routers flattened."""
    return [(context.path or "", frozenset(context.methods or ()), route_scopes(context))
            for context in iter_route_contexts(routes)]
