"""The architecture holds: the domain core stays pure, and importing the service does nothing."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RESOLVERS = ROOT / "resolvers"
# The domain core does no I/O and knows nothing of the web, the database or the service shell.
FORBIDDEN_IN_RESOLVERS = (
    "fastapi", "starlette", "sqlmodel", "sqlalchemy", "alembic", "uvicorn", "httpx", "requests", "socket",
    "urllib.request", "service",
)


def _imported_modules(tree: ast.AST) -> Iterator[str]:
    """Yield every absolute module name a module imports, with ``from a import b`` also as ``a.b``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _is_forbidden(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in FORBIDDEN_IN_RESOLVERS)


def _resolver_modules() -> list[Path]:
    return sorted(RESOLVERS.rglob("*.py"))


def test_forbidden_import_check_catches_each_form() -> None:
    tree = ast.parse("import socket\nfrom urllib import request\nfrom service.db import x\nimport sqlalchemy.orm\n")

    assert [m for m in _imported_modules(tree) if _is_forbidden(m)] == [
        "socket", "urllib.request", "service.db", "service.db.x", "sqlalchemy.orm",
    ]


@pytest.mark.parametrize("path", _resolver_modules(), ids=lambda path: str(path.relative_to(ROOT)))
def test_resolvers_import_no_framework_database_network_or_service(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))

    forbidden = sorted({module for module in _imported_modules(tree) if _is_forbidden(module)})

    assert forbidden == [], f"{path.relative_to(ROOT)} imports {forbidden}; resolvers/ must stay pure"


def test_importing_service_main_has_no_side_effects(tmp_path: Path) -> None:
    database = tmp_path / "side-effect.db"
    env = {key: value for key, value in os.environ.items() if not key.startswith("THROUGHLINE_")}
    env["THROUGHLINE_DATABASE_URL"] = f"sqlite:///{database}"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    probe = (
        "import service.main, service.settings\n"
        "assert service.settings.get_settings.cache_info().currsize == 0, 'settings were read at import'\n"
    )

    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                            check=False)

    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == [], "importing service.main created files"
    assert not database.exists()
