"""GET /v1/profiles/{id} (golden profile, 308 for merged ids, 404, 410), lookups and explanations.

Properties 5 (stable ids: a merged-away id points at the survivor) and 6 (explainable) of
ARCHITECTURE.md, and the lookup contract: query values go through the ingestion normalizers.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from service import queries
from tests.api.helpers import link, person, profile, profile_id_of, put


def bridged_profiles(client: TestClient) -> tuple[str, str, str]:
    """Store two records of a common name that stay apart, then a third that joins them.

    Return (survivor id, absorbed id, key of the bridging record).
    """
    older = put(client, "crm/a", person(email="giulia.bianchi@gmail.com", observed_at="2024-03-01T10:00:00Z"))
    newer = put(client, "sms/b", person(phone="347 123 4567", country="IT", observed_at="2024-01-01T10:00:00Z"))
    assert older["profile_id"] != newer["profile_id"], "precondition: a shared common name alone does not merge"
    bridge = put(client, "web/bridge", person(email="giulia.bianchi@gmail.com", phone="+393471234567",
                                              observed_at="2024-02-01T10:00:00+01:00"))
    assert bridge["profile_id"] == older["profile_id"]
    return older["profile_id"], newer["profile_id"], "web/bridge"


def test_the_golden_profile_gathers_identifiers_channels_and_an_ordered_timeline(client: TestClient) -> None:
    survivor, _, _ = bridged_profiles(client)
    put(client, "store/r-9", person(email="Giulia.Bianchi@googlemail.com", phone="+39 347 123 4567",
                                    company="Novora S.p.A.", observed_at="2023-12-24T18:30:00Z"))

    golden = profile(client, survivor)

    assert golden["profile_id"] == survivor
    assert golden["display_name"] == "Giulia Bianchi"
    assert golden["record_count"] == 4
    assert golden["emails"] == [{"value": "giuliabianchi@gmail.com", "count": 3,
                                 "first_seen": "2023-12-24T18:30:00Z", "last_seen": "2024-03-01T10:00:00Z"}]
    assert golden["phones"] == [{"value": "+393471234567", "count": 3,
                                 "first_seen": "2023-12-24T18:30:00Z", "last_seen": "2024-02-01T09:00:00Z"}]
    assert golden["names"][0]["value"] == "Giulia Bianchi"
    assert golden["names"][0]["count"] == 4
    assert golden["company"] == "Novora S.p.A."
    assert {c["value"]: c["count"] for c in golden["channels"]} == {"crm": 1, "sms": 1, "web": 1, "store": 1}
    assert [(e["source"], e["source_record_id"], e["observed_at"]) for e in golden["timeline"]] == [
        ("store", "r-9", "2023-12-24T18:30:00Z"),
        ("sms", "b", "2024-01-01T10:00:00Z"),
        ("web", "bridge", "2024-02-01T09:00:00Z"),
        ("crm", "a", "2024-03-01T10:00:00Z"),
    ]
    assert (golden["first_seen"], golden["last_seen"]) == ("2023-12-24T18:30:00Z", "2024-03-01T10:00:00Z")


def test_erasing_through_a_merged_away_id_erases_the_live_profile_it_points_at(client: TestClient) -> None:
    survivor, absorbed, _ = bridged_profiles(client)

    response = client.delete(f"/v1/profiles/{absorbed}")

    assert response.status_code == 200
    assert sorted(response.json()["erased"]) == ["crm/a", "sms/b", "web/bridge"]
    assert client.get(f"/v1/profiles/{survivor}").status_code == 410


def test_a_merged_away_id_answers_308_pointing_at_the_live_profile(client: TestClient) -> None:
    survivor, absorbed, _ = bridged_profiles(client)

    response = client.get(f"/v1/profiles/{absorbed}", follow_redirects=False)
    followed = client.get(f"/v1/profiles/{absorbed}")

    assert response.status_code == 308
    assert response.headers["location"] == f"/v1/profiles/{survivor}"
    assert response.headers["cache-control"] == "no-store"  # it may point elsewhere, or answer itself, later
    assert followed.status_code == 200
    assert followed.json()["profile_id"] == survivor


def test_an_id_merged_twice_answers_with_the_latest_survivor(client: TestClient) -> None:
    survivor, absorbed, _ = bridged_profiles(client)
    bigger = [put(client, f"shop/m-{i}", person(email="g.bianchi@novora.it"))["profile_id"] for i in range(4)]
    assert set(bigger) != {survivor}, "precondition: a second, bigger profile of the same name"

    merged = put(client, "web/second-bridge", person(email="g.bianchi@novora.it", phone="+393471234567"))

    live = merged["profile_id"]
    assert live == bigger[0]
    for old in (survivor, absorbed):
        response = client.get(f"/v1/profiles/{old}", follow_redirects=False)
        assert response.status_code == 308
        assert response.headers["location"] == f"/v1/profiles/{live}"


@pytest.mark.parametrize(("method", "suffix"), [("GET", ""), ("GET", "/explain"), ("DELETE", "")])
def test_an_unknown_profile_answers_404(client: TestClient, method: str, suffix: str) -> None:
    response = client.request(method, f"/v1/profiles/p_nobody{suffix}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(("method", "suffix"), [("GET", ""), ("GET", "/explain"), ("DELETE", "")])
def test_an_erased_profile_answers_410(client: TestClient, method: str, suffix: str) -> None:
    erased = put(client, "crm/a", person(email="giulia.bianchi@gmail.com"))["profile_id"]
    assert client.delete(f"/v1/profiles/{erased}").status_code == 200

    response = client.request(method, f"/v1/profiles/{erased}{suffix}")

    assert response.status_code == 410
    assert response.json()["error"]["code"] == "gone"


# --- lookups ---------------------------------------------------------------------------------------

LOOKUPS: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    ("email as stored", {"email": "giulia.bianchi@gmail.com"}, {"email": "giulia.bianchi@gmail.com"}),
    ("email case, dots, tag and googlemail", {"email": "Giulia.Bianchi@gmail.com"},
     {"email": " GiuliaBianchi+promo@GoogleMail.com "}),
    ("international phone finds a national number with its country", {"phone": "347 123 4567", "country": "IT"},
     {"phone": "+39 347 123 4567"}),
    ("national phone with country finds an international number", {"phone": "+393471234567"},
     {"phone": "347-123-4567", "country": "it"}),
    ("phone with 00 prefix", {"phone": "347 123 4567", "country": "IT"}, {"phone": "0039 347 123 4567"}),
    ("linkedin variants", {"linkedin_url": "https://www.linkedin.com/in/giulia-bianchi-42/"},
     {"linkedin": "http://it.linkedin.com/in/Giulia-Bianchi-42?trk=profile"}),
    ("instagram url and handle", {"instagram_handle": "@giulia.b"}, {"instagram": "https://instagram.com/Giulia.B/"}),
    ("external id", {"external_ids": {"crm_id": "C-0042"}}, {"external_id": "crm_id:C-0042"}),
    ("external id with spaces", {"external_ids": {"loyalty card": "LC  0042"}},
     {"external_id": "loyalty card:LC  0042"}),
    ("external id whose namespace holds a colon", {"external_ids": {"crm:eu": "C-0042"}},
     {"external_id": "crm:eu:C-0042"}),  # cut at the first colon only, it looked for C-0042's "eu:" in crm
    ("external id whose value holds a colon", {"external_ids": {"crm": "eu:C-0042"}}, {"external_id": "crm:eu:C-0042"}),
    ("external id in full-width characters", {"external_ids": {"loyalty": "ＬＣ００４２"}},
     {"external_id": "loyalty:ＬＣ００４２"}),
    ("name at a company", {"company": "Novora Industrie S.p.A."},
     {"name": "Giulia Bianchi", "company": "NOVORA INDUSTRIE spa"}),
    ("name alone, accents folded", {}, {"name": "Giúlia Biânchi"}),
]


@pytest.mark.parametrize(("label", "stored", "query"), LOOKUPS, ids=[label for label, _, _ in LOOKUPS])
def test_a_lookup_normalizes_its_value_like_ingestion(client: TestClient, label: str, stored: dict[str, Any],
                                                      query: dict[str, str]) -> None:
    wanted = put(client, "crm/a", person(**stored))["profile_id"]
    put(client, "crm/other", person("Marco", "Verdi", email="marco.verdi@gmail.com", phone="+39 347 765 4321"))

    response = client.get("/v1/profiles", params=query)

    assert response.status_code == 200, response.text
    assert [p["profile_id"] for p in response.json()["profiles"]] == [wanted]


@pytest.mark.parametrize(("first", "last"), [("Mary Ann", "Quistwell"), ("José María", "García López")])
def test_a_name_lookup_finds_a_record_with_several_given_names_by_its_display_name(client: TestClient, first: str,
                                                                                   last: str) -> None:
    # The full name reads as one given name and the rest as surname: each cut between words is read too.
    stored = put(client, "crm/a", person(first, last))
    put(client, "crm/other", person("Marco", "Verdi"))
    display = profile(client, stored["profile_id"])["display_name"]
    assert display == f"{first} {last}", "precondition"

    response = client.get("/v1/profiles", params={"name": display})

    assert [p["profile_id"] for p in response.json()["profiles"]] == [stored["profile_id"]]


@pytest.mark.parametrize("query", ["crm::C-0042", "crm:/:C-0042", "crm : :C-0042"])
def test_an_external_id_is_cut_only_where_a_namespace_piece_remains(client: TestClient, query: str) -> None:
    # Folded, "crm:" is "crm": cut there too, these found the id C-0042 rather than ":C-0042".
    put(client, "crm/a", person(external_ids={"crm": "C-0042"}))

    assert client.get("/v1/profiles", params={"external_id": query}).json()["profiles"] == []


def test_a_lookup_that_matches_nothing_answers_an_empty_list(client: TestClient) -> None:
    put(client, "crm/a", person(email="giulia.bianchi@gmail.com"))

    response = client.get("/v1/profiles", params={"email": "someone.else@gmail.com"})

    assert response.status_code == 200
    assert response.json() == {"profiles": [], "truncated": False}


def test_a_phone_with_its_country_finds_the_same_digits_stored_without_one_but_not_another_countrys(
        client: TestClient) -> None:
    # +33 6 12 34 56 78 and +34 612 345 678 are two numbers with the same national digits.
    unknown = put(client, "sms/a", person(phone="612345678"))
    assert [issue["code"] for issue in unknown["record"]["normalized"]["issues"]] == ["region_unknown"], "precondition"
    put(client, "crm/fr", person("Marco", "Verdi", phone="+33 6 12 34 56 78"))

    found = client.get("/v1/profiles", params={"phone": "+34 612 345 678"}).json()["profiles"]

    assert [p["profile_id"] for p in found] == [unknown["profile_id"]]


def test_a_linkedin_company_page_is_no_lookup_value(client: TestClient) -> None:
    put(client, "crm/a", person(linkedin_url="https://www.linkedin.com/company/novora"))

    response = client.get("/v1/profiles", params={"linkedin": "https://linkedin.com/company/novora"})

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "linkedin"


def test_a_crowded_name_neither_hides_an_identifiers_match_nor_cuts_the_answer_silently(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queries, "MAX_HOLDERS", 4)
    monkeypatch.setattr(queries, "MAX_MATCHES", 3)
    namesakes = {put(client, f"crm/{n}", person(email=f"giulia.bianchi.{n}@gmail.com"))["profile_id"]
                 for n in range(6)}
    wanted = put(client, "shop/z", person(email="giulia.bianchi@novora.it"))["profile_id"]
    assert len(namesakes | {wanted}) == 7, "precondition: a shared common name alone does not merge"

    by_name = client.get("/v1/profiles", params={"name": "Giulia Bianchi"}).json()
    both = client.get("/v1/profiles", params={"email": "giulia.bianchi@novora.it", "name": "Giulia Bianchi"}).json()
    by_email = client.get("/v1/profiles", params={"email": "giulia.bianchi@novora.it"}).json()

    assert len(by_name["profiles"]) == 3
    assert by_name["truncated"] is True
    assert both["profiles"][0]["profile_id"] == wanted
    assert both["truncated"] is True
    assert [p["profile_id"] for p in by_email["profiles"]] == [wanted]
    assert by_email["truncated"] is False


def test_a_lookup_returns_the_live_profile_only(client: TestClient) -> None:
    survivor, absorbed, _ = bridged_profiles(client)

    response = client.get("/v1/profiles", params={"phone": "+39 347 123 4567"})

    assert [p["profile_id"] for p in response.json()["profiles"]] == [survivor]
    assert absorbed != survivor


def test_a_lookup_finds_nothing_of_an_erased_person(client: TestClient) -> None:
    erased = put(client, "crm/a", person(email="giulia.bianchi@gmail.com"))["profile_id"]
    client.delete(f"/v1/profiles/{erased}")

    response = client.get("/v1/profiles", params={"email": "giulia.bianchi@gmail.com"})

    assert response.json() == {"profiles": [], "truncated": False}


UNUSABLE_LOOKUPS: list[tuple[dict[str, str], str]] = [
    ({}, ""),
    ({"country": "IT"}, ""),
    ({"email": "nope"}, "email"),
    ({"email": "test@test.com"}, "email"),
    ({"phone": "0000000000"}, "phone"),
    ({"phone": "12"}, "phone"),
    ({"linkedin": "https://example.com/in/giulia"}, "linkedin"),
    ({"instagram": "n/a"}, "instagram"),
    ({"external_id": "no-colon"}, "external_id"),
    ({"external_id": "crm_id:"}, "external_id"),
    ({"external_id": ":C-0042"}, "external_id"),
    ({"name": "Giulia"}, "name"),
    ({"name": "G. Bianchi"}, "name"),  # an initial: once answered "no lookup parameter"
    ({"name": "G. Bianchi", "email": "giulia.bianchi@gmail.com"}, "name"),  # not dropped beside another key
    ({"name": "Giulia Bianchi", "company": "n/a"}, "company"),
    ({"phone": "+39 347 123 4567", "country": "ITA"}, "country"),
]


@pytest.mark.parametrize(("query", "field"), UNUSABLE_LOOKUPS, ids=[str(q) for q, _ in UNUSABLE_LOOKUPS])
def test_an_unusable_lookup_answers_422_naming_the_parameter(client: TestClient, query: dict[str, str],
                                                             field: str) -> None:
    response = client.get("/v1/profiles", params=query)

    assert response.status_code == 422, response.text
    details = response.json()["error"]["details"]
    assert [d["field"] for d in details] in ([field], [f"query.{field}"])
    assert details[0]["reason"]


# --- explanations ----------------------------------------------------------------------------------

def test_an_explanation_lists_the_records_and_the_evidence_joining_them(client: TestClient) -> None:
    survivor, _, bridge = bridged_profiles(client)

    response = client.get(f"/v1/profiles/{survivor}/explain")

    assert response.status_code == 200
    explanation = response.json()
    assert explanation["profile_id"] == survivor
    assert explanation["records"] == ["crm/a", "sms/b", bridge]
    edges = {(e["a"], e["b"]): e for e in explanation["edges"]}
    assert set(edges) == {("crm/a", bridge), ("sms/b", bridge)}
    assert "shared:email:giuliabianchi@gmail.com" in edges[("crm/a", bridge)]["evidence"]
    assert "shared:phone:+393471234567" in edges[("sms/b", bridge)]["evidence"]
    assert all(e["score"] > 0 and e["stage"] for e in explanation["edges"])
    assert explanation["refused"] == []


def test_an_explanation_shows_a_merge_refused_by_a_cannot_link(client: TestClient) -> None:
    kept = put(client, "crm/a", person(email="giulia.bianchi@gmail.com"))["profile_id"]
    put(client, "web/b", person(email="giulia.bianchi@gmail.com"))
    link(client, "cannot", "crm/a", "web/b", reason="two sisters sharing a mailbox")

    explanation = client.get(f"/v1/profiles/{kept}/explain").json()

    assert explanation["records"] == ["crm/a"]
    assert explanation["edges"] == []
    assert [(r["a"], r["b"], r["reason"]) for r in explanation["refused"]] == [("crm/a", "web/b", "cannot_link")]
    assert "shared:email:giuliabianchi@gmail.com" in explanation["refused"][0]["evidence"]


def test_an_explanation_shows_a_must_link_as_an_override_edge(client: TestClient) -> None:
    put(client, "crm/a", person(email="giulia.bianchi@gmail.com"))
    put(client, "sms/b", person("G.", "Bianchi-Rossi", phone="+393471234567"))
    link(client, "must", "crm/a", "sms/b")

    explanation = client.get(f"/v1/profiles/{profile_id_of(client, 'crm/a')}/explain").json()

    assert [(e["a"], e["b"], e["stage"], e["evidence"]) for e in explanation["edges"]] == [
        ("crm/a", "sms/b", "override", ["must_link"])]
    # A must-link is a steward's decision, not evidence with a score.
    assert explanation["edges"][0]["score"] is None


def test_a_record_moving_to_another_profile_leaves_each_id_with_its_own_person(client: TestClient) -> None:
    # crm/b1 (first stored as b, merged into a by web/m1) is re-sent with only x1's LinkedIn profile:
    # it leaves a for x. Its key sorts before a's records, so the old rule (of two parts of one
    # size, the first by key took the larger profile's id) gave a's id to b1 and x1.
    linkedin = "https://www.linkedin.com/in/giulia-bianchi-vetro"
    a = put(client, "web/a1", person(email="giulia.bianchi@gmail.com"))["profile_id"]
    b = put(client, "crm/b1", person(phone="347 123 4567", country="IT"))["profile_id"]
    x = put(client, "shop/x1", person(linkedin_url=linkedin))["profile_id"]
    assert len({a, b, x}) == 3, "precondition: a shared common name alone does not merge"
    put(client, "web/m1", person(email="giulia.bianchi@gmail.com", phone="+393471234567"))
    assert profile_id_of(client, "crm/b1") == a, "precondition: b merged into a"

    moved = put(client, "crm/b1", person(linkedin_url=linkedin))

    assert [profile_id_of(client, key) for key in ("web/a1", "web/m1", "crm/b1", "shop/x1")] == [a, a, x, x]
    # b's person is in x now: its id points there, and the feed says so.
    response = client.get(f"/v1/profiles/{b}", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (308, f"/v1/profiles/{x}")
    assert sorted(moved["changes"], key=lambda c: c["profile_id"] != a) == [
        {"type": "profile.updated", "profile_id": a}, {"type": "profile.merged", "profile_id": x, "absorbed": [b]}]
