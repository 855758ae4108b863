"""Fuzzing: schemathesis generates requests from the app's own OpenAPI document, sent with a valid key.

Each operation gets a bounded number of generated cases, valid ones (positive) and invalid ones
(negative), against an app on a fresh database (SQLite, and PostgreSQL when configured). Every
answer must be below 500 and conform to the document: a declared status, the declared content type
and body schema; invalid input must be refused. Hypothesis runs derandomized, so a failure
reproduces; raise ``EXAMPLES`` locally to search harder.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import negative_data_rejection, positive_data_acceptance
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.checks import ignored_auth

from service.main import create_app
from service.settings import Settings

EXAMPLES = {GenerationMode.POSITIVE: 15, GenerationMode.NEGATIVE: 10}
SPEC = create_app(Settings()).openapi()
SCHEMA = schemathesis.openapi.from_dict(SPEC)
# An import's body is a raw NDJSON or CSV stream applied by a background job: tests/api/test_imports.py covers it.
NOT_FUZZED = {"POST /v1/imports"}
# Negative cases need an input to break: operations with neither parameters nor a body get positive ones only.
CASES = [(f"{method.upper()} {path}", mode) for path, operations in sorted(SPEC["paths"].items())
         for method, operation in sorted(operations.items()) for mode in EXAMPLES
         if f"{method.upper()} {path}" not in NOT_FUZZED
         and (mode is GenerationMode.POSITIVE or operation.get("parameters") or operation.get("requestBody"))]
# A valid request for an id that does not exist is rightly 404, so "valid data is accepted" does not apply;
# enforcement of keys (which ignored_auth probes by sending requests of its own) is tested in test_auth.py.
EXCLUDED = [positive_data_acceptance, ignored_auth]


# A batch answers 200 with each invalid item "rejected" on its own (README, POST /v1/records/batch), by design.
PER_ITEM = {"POST /v1/records/batch": [negative_data_rejection]}


def _send(client: TestClient, case: Case) -> Any:
    """Send a generated case through the test client (schemathesis speaks requests' keywords; httpx differs)."""
    kwargs = case.as_transport_kwargs(base_url=str(client.base_url))
    kwargs.pop("cookies", None)
    if "data" in kwargs:
        kwargs["content"] = kwargs.pop("data")
    return client.request(kwargs.pop("method"), kwargs.pop("url"), **kwargs)


@pytest.mark.parametrize(("label", "mode"), CASES, ids=[f"{label} {mode.value}" for label, mode in CASES])
def test_generated_requests_never_fail_and_conform_to_the_schema(label: str, mode: GenerationMode,
                                                                 make_client: Callable[..., TestClient]) -> None:
    client = make_client(import_workers=1)
    operation = SCHEMA.find_operation_by_label(label)
    assert operation is not None

    @settings(max_examples=EXAMPLES[mode], deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    # The key is fixed, so negative cases break the request itself rather than leave the key out (that is a 401).
    @given(case=operation.as_strategy(generation_mode=mode, headers={"Authorization": client.headers["Authorization"]}))
    def check(case: Case) -> None:
        response = _send(client, case)
        assert response.status_code < 500, response.text
        case.validate_response(response, excluded_checks=EXCLUDED + PER_ITEM.get(label, []))

    check()
