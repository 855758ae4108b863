"""The committed OpenAPI spec is the one the app serves."""

from __future__ import annotations

from pathlib import Path

from service.main import create_app, openapi_json
from service.settings import Settings

SPEC = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


def test_committed_openapi_spec_matches_the_app() -> None:
    expected = openapi_json(create_app(Settings()))

    committed = SPEC.read_text(encoding="utf-8") if SPEC.exists() else ""

    assert committed == expected, f"{SPEC} is out of date with the app: run `make openapi` and commit it"


def test_every_operation_documents_the_error_shape_for_its_errors() -> None:
    spec = create_app(Settings()).openapi()

    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (method, path, status)
