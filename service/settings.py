"""Service settings, read from ``THROUGHLINE_*`` environment variables (pydantic-settings).

Nothing is read at import time: ``get_settings()`` builds them on first use, and tests pass a
``Settings`` of their own to ``create_app``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

import phonenumbers
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class Settings(BaseSettings):
    """How one Throughline process is configured."""

    model_config = SettingsConfigDict(env_prefix="THROUGHLINE_", extra="ignore", frozen=True)

    database_url: str = Field(
        "sqlite:///./throughline.db",
        description="SQLAlchemy URL: a SQLite file, or PostgreSQL as postgresql+psycopg://user@host:5432/db.",
    )
    default_region: str = Field(
        "US", pattern=r"^[A-Z]{2}$",
        description="ISO 3166-1 alpha-2 region for phone numbers that carry no country hint.",
    )
    max_body_bytes: int = Field(1_048_576, gt=0, description="Largest request body accepted, in bytes.")
    metrics_enabled: bool = Field(True, description="Whether /metrics serves Prometheus metrics.")
    metrics_public: bool = Field(True, description="Whether /metrics answers without an API key; when off it needs "
                                                   "a key with the `metrics` scope.")
    rate_limit_per_minute: int = Field(0, ge=0, description="Requests a minute each API key may send (bursts up to "
                                                            "as many); over it, 429 with Retry-After. 0 turns it off.")
    log_level: LogLevel = Field("INFO", description="Level of the service's own log messages.")
    import_dir: Path = Field(Path("./throughline-imports"), description="Where import bodies are spooled until "
                                                                        "their job finishes.")
    max_import_bytes: int = Field(10 * 1024**3, gt=0, description="Largest import body accepted (as sent, so "
                                                                  "compressed if gzip), in bytes.")
    key_cache_seconds: float = Field(1.0, ge=0, le=60, description=(
        "How long a server process trusts an API key it has checked before reading it again; a key revoked "
        "by another process is refused within this time. 0 reads the key on every request."))
    write_wait_seconds: float = Field(30.0, gt=0, le=3600, description=(
        "How long a write waits for the write lock (held by one write at a time; a bulk import holds it while "
        "it is applied) before answering 503 busy."))
    upsert_group_max: int = Field(64, ge=1, le=1000, description=(
        "Most single upserts (PUT /v1/records/...) one server process applies in one transaction when they "
        "queue for the write lock together (group commit); 1 applies each alone."))
    import_chunk_lines: int = Field(5000, gt=0, le=100_000, description="Lines an import applies per transaction "
                                                                        "(its resume granularity).")
    import_workers: int = Field(default_factory=lambda: os.cpu_count() or 1, gt=0,
                                description="Processes that validate and normalize import lines.")
    import_cache_mib: int = Field(64, ge=0, le=4096, description=(
        "SQLite page cache, in MiB, of the one transaction that applies an import (its indexes are written "
        "there); 0 keeps SQLite's default of 2 MiB. PostgreSQL ignores it."))
    import_lease_seconds: float = Field(120.0, gt=0, description="How long a running import stays claimed by a "
                                                                 "server process of another host that stops "
                                                                 "reporting progress.")

    @field_validator("default_region", "log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        # Region codes and level names are case-insensitive to people; store one spelling.
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("default_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        # XX would pass the pattern, and then every national phone number would be rejected.
        if value not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{value} is not a region code phone numbers know (ISO 3166-1 alpha-2, such as IT)")
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process's settings, read from the environment once."""
    return Settings()
