"""Prometheus metrics: requests by route template and status, per app; records, merges, erasures, profile sizes."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from service.main import create_app
from service.metrics import MAX_SOURCES, make_metrics, observe_import
from service.settings import Settings
from tests.api.helpers import person, put


def _samples(client: TestClient, name: str) -> dict[tuple[str, str, str], float]:
    """Return the metric's samples by (method, route, status)."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
        if s.name == name
    }


def test_requests_are_counted_by_route_template_and_status(
    make_settings: Callable[..., Settings], start_client: Callable[..., TestClient],
) -> None:
    app = create_app(make_settings())

    @app.get("/v1/things/{thing_id}")
    def thing(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    client = start_client(app)
    client.get("/v1/things/1")
    client.get("/v1/things/2")
    client.get("/v1/things/not-a-number")
    client.get("/no/such/path")

    counts = _samples(client, "throughline_http_requests_total")

    assert counts[("GET", "/v1/things/{thing_id}", "200")] == 2
    assert counts[("GET", "/v1/things/{thing_id}", "422")] == 1
    assert counts[("GET", "unmatched", "404")] == 1
    assert not any(route == "/v1/things/1" for _, route, _ in counts)


def test_request_durations_are_observed_per_route(client: TestClient) -> None:
    client.get("/health")

    counts = _samples(client, "throughline_http_request_duration_seconds_count")

    assert counts[("GET", "/health", "200")] == 1


def test_each_app_has_its_own_registry(make_client: Callable[..., TestClient]) -> None:
    first, second = make_client(), make_client()
    first.get("/health")

    counts = _samples(second, "throughline_http_requests_total")

    assert ("GET", "/health", "200") not in counts


def test_metrics_answer_404_when_disabled(make_client: Callable[..., TestClient]) -> None:
    client = make_client(metrics_enabled=False)

    response = client.get("/metrics")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def _values(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Return every sample of the scrape by (name, sorted labels)."""
    response = client.get("/metrics")
    assert response.status_code == 200
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def test_domain_metrics_count_ingest_rejections_merges_erasures_and_profile_sizes(client: TestClient) -> None:
    put(client, "crm/1", person(email="giulia.bianchi@gmail.com", phone="0000000000"))
    put(client, "web/2", person(email="giulia.bianchi@gmail.com"))
    put(client, "web/3", person("Marco", "Verdi", email="marco.verdi@gmail.com"))
    client.post("/v1/records/batch", json={"records": [{"source": "sms", "source_record_id": "4",
                                                        "phone": "+393471234567"}]})
    assert client.delete("/v1/records/web/3").status_code == 200

    values = _values(client)

    assert values[("throughline_records_ingested_total", (("source", "web"),))] == 2
    assert values[("throughline_records_ingested_total", (("source", "crm"),))] == 1
    assert values[("throughline_records_ingested_total", (("source", "sms"),))] == 1
    assert values[("throughline_records_erased_total", (("source", "web"),))] == 1
    rejected = {labels: v for (name, labels), v in values.items() if name == "throughline_identifier_rejections_total"}
    assert sum(v for labels, v in rejected.items() if ("kind", "phone") in labels) == 1
    assert values[("throughline_profile_events_total", (("type", "erased"),))] == 1
    assert values[("throughline_resolve_seconds_count", (("operation", "upsert"),))] == 3
    assert values[("throughline_resolve_seconds_count", (("operation", "batch"),))] == 1
    # One after another, each single upsert went in a group of its own.
    assert values[("throughline_upsert_group_records_count", ())] == 3
    assert values[("throughline_upsert_group_records_bucket", (("le", "1.0"),))] == 3
    assert values[("throughline_profiles", ())] == 2
    assert values[("throughline_largest_profile_records", ())] == 2
    assert values[("throughline_profile_records_count", ())] == 2
    assert values[("throughline_profile_records_bucket", (("le", "1.0"),))] == 1
    assert values[("throughline_profile_records_sum", ())] == 3


def test_a_merge_and_a_split_are_counted(client: TestClient) -> None:
    put(client, "crm/1", person(email="giulia.bianchi@gmail.com"))
    put(client, "web/2", person(phone="+393471234567"))
    put(client, "shop/3", person(email="giulia.bianchi@gmail.com", phone="+393471234567"))  # joins both
    client.delete("/v1/records/shop/3")  # the bridge goes: they split again

    values = _values(client)

    assert values[("throughline_profile_events_total", (("type", "merged"),))] >= 1
    assert values[("throughline_profile_events_total", (("type", "split"),))] >= 1


def test_import_throughput_is_counted_as_records_and_seconds() -> None:
    metrics = make_metrics()

    observe_import(metrics, records=1500, seconds=3.0)
    observe_import(None, records=10, seconds=1.0)  # metrics off: nothing to do

    assert metrics.registry.get_sample_value("throughline_import_records_total") == 1500
    assert metrics.registry.get_sample_value("throughline_import_seconds_total") == 3.0


def test_source_labels_are_bounded() -> None:
    metrics = make_metrics()
    label = metrics.source_label

    names = [label(f"source-{i}") for i in range(MAX_SOURCES + 5)]

    assert names[:MAX_SOURCES] == [f"source-{i}" for i in range(MAX_SOURCES)]
    assert set(names[MAX_SOURCES:]) == {"other"}
    assert label("source-0") == "source-0"


def test_an_upsert_reads_its_region_and_not_the_whole_chain_of_namesakes(client: TestClient) -> None:
    # Thirty Annas whose double surnames overlap pairwise: one chain of shared name keys, thirty people.
    surnames = [stem + end for stem in ("Kal", "Mor", "Ten", "Vis", "Dor", "Pel")
                for end in ("ski", "ova", "ani", "etti", "sen", "berg")]
    chain = [{"source": "crm", "source_record_id": f"c{i:02d}",
              **person("Anna", f"{surnames[i]} {surnames[i + 1]}", email=f"anna{i}@posteo.de")} for i in range(30)]
    assert client.post("/v1/records/batch", json={"records": chain}).status_code == 200

    answer = put(client, "store/s1", person("Anna", f"{surnames[15]} {surnames[16]}", email="anna15@posteo.de"))

    values = _values(client)
    assert values[("throughline_change_records_read_count", (("operation", "upsert"),))] == 1
    assert values[("throughline_change_records_read_sum", (("operation", "upsert"),))] <= 6
    assert values[("throughline_change_records_read_sum", (("operation", "batch"),))] == 30
    assert answer["profile_id"] == put(client, "crm/c15", chain[15])["profile_id"]
