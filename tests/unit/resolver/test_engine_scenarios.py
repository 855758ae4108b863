"""How the resolver decides on the situations the product must get right (ARCHITECTURE.md, properties 2-4)."""

from __future__ import annotations

import random

from resolvers.config import ResolverConfig
from resolvers.engine import resolve

from .factories import cluster_of, partition, record, together


def test_records_sharing_a_personal_mailbox_are_one_person() -> None:
    newsletter = record("newsletter", email="John.Smith+news@GMAIL.com")
    order = record("web_order", first_name="John", last_name="Smith", email="johnsmith@googlemail.com")

    assert together(resolve([newsletter, order]), newsletter, order)


def test_a_mobile_number_written_two_ways_links_records() -> None:
    store = record("store", first_name="Marco", last_name="Ferri", phone="347-1234567", country="IT")
    sms = record("sms", phone="+39 347 123 4567")

    assert together(resolve([store, sms]), store, sms)


def test_a_national_number_without_country_meets_its_international_form() -> None:
    store = record("store", first_name="Cathy", last_name="Allard", phone="06.37.50.57.63")
    account = record("account", first_name="Cathy", last_name="Allard", phone="+33 6 37 50 57 63")

    assert together(resolve([store, account]), store, account)


def test_a_family_landline_never_merges_family_members() -> None:
    marco = record("store", first_name="Marco", last_name="Rossi", phone="02 1234 5678", country="IT")
    giulia = record("store", first_name="Giulia", last_name="Rossi", phone="02 1234 5678", country="IT")
    unnamed = record("call_center", phone="+39 02 1234 5678")

    resolution = resolve([marco, giulia, unnamed])

    assert len(resolution.clusters) == 3


def test_a_mobile_seen_with_two_people_links_only_the_records_whose_names_agree() -> None:
    marco_1 = record("store", first_name="Marco", last_name="Rossi", phone="+39 347 765 4321")
    marco_2 = record("web_order", first_name="Marco", last_name="Rossi", phone="347 765 4321", country="IT")
    giulia = record("store", first_name="Giulia", last_name="Rossi", phone="+39 347 765 4321")
    sms = record("sms", phone="+393477654321")

    resolution = resolve([marco_1, marco_2, giulia, sms])

    assert together(resolution, marco_1, marco_2)
    assert not together(resolution, marco_1, giulia)
    assert cluster_of(resolution, sms) == {sms.key}


def test_a_role_mailbox_does_not_merge_colleagues() -> None:
    john = record("crm", first_name="John", last_name="Carter", email="info@acme-tools.io")
    mary = record("crm", first_name="Mary", last_name="Jones", email="info@acme-tools.io")

    assert not together(resolve([john, mary]), john, mary)


def test_a_role_mailbox_links_records_of_one_named_person() -> None:
    first = record("crm", first_name="Goffredo", last_name="Lanciotti", email="sales@novora.it")
    second = record("demo_form", first_name="Goffredo", last_name="Lanciotti", email="sales@novora.it",
                    phone="+39 02 9876 5432")

    assert together(resolve([first, second]), first, second)


def test_junk_values_typed_by_different_people_never_link_them() -> None:
    people = [
        record("website", first_name=first, last_name=last, email="test@test.com", phone="0000000000")
        for first, last in (("Anna", "Nowak"), ("Peter", "Brown"), ("Lucia", "Ferri"))
    ]

    assert len(resolve(people).clusters) == 3


def test_two_linkedin_profiles_are_never_one_person() -> None:
    first = record("linkedin", first_name="Ann", last_name="Lee", linkedin_url="linkedin.com/in/ann-lee-1",
                   email="ann.lee@corp-x.com")
    second = record("linkedin", first_name="Ann", last_name="Lee", linkedin_url="linkedin.com/in/ann-lee-2",
                    email="ann.lee@corp-x.com")

    resolution = resolve([first, second])

    assert not together(resolution, first, second)
    assert {r.reason for r in resolution.refused} == {"linkedin_conflict"}


def test_different_dates_of_birth_forbid_a_merge_but_a_day_month_swap_does_not() -> None:
    eva = {"first_name": "Eva", "last_name": "Kral", "email": "eva.kral@seznam.cz"}
    base = record("account", **eva, date_of_birth="1980-03-04")
    other = record("account", **eva, date_of_birth="1981-07-09")
    swapped = record("store", **eva, date_of_birth="1980-04-03")

    resolution = resolve([base, other, swapped])

    assert together(resolution, base, swapped)
    assert not together(resolution, base, other)


def test_a_rare_name_alone_links_two_profiles() -> None:
    follower = record("instagram", full_name="Goffredo Lanciotti ✨", instagram_handle="@goff.lanc")
    customer = record("store", first_name="Goffredo", last_name="Lanciotti", phone="+39 348 111 2233")

    assert together(resolve([follower, customer]), follower, customer)


def test_a_common_name_alone_does_not_link_two_profiles() -> None:
    follower = record("instagram", full_name="John Smith", instagram_handle="johnsmith.official")
    customer = record("store", first_name="John", last_name="Smith", phone="+1 415 555 0142")

    assert not together(resolve([follower, customer]), follower, customer)


def test_a_common_name_with_the_same_postal_code_links_two_profiles() -> None:
    address = {"street": "12 Baker Street", "city": "London", "postal_code": "NW1 6XE", "country": "UK"}
    order = record("web_order", first_name="John", last_name="Smith", email="jsmith1970@gmail.com", address=address)
    parcel = record("marketplace", full_name="SMITH John", phone="+44 7700 900123", address=address)

    assert together(resolve([order, parcel]), order, parcel)


def test_a_name_spelled_out_in_a_mailbox_links_a_nameless_sign_up() -> None:
    signup = record("newsletter", email="goffredo.lanciotti85@gmail.com")
    customer = record("store", first_name="Goffredo", last_name="Lanciotti", phone="+39 348 111 2233")

    assert together(resolve([signup, customer]), signup, customer)


def test_a_cannot_link_override_keeps_records_apart_and_a_must_link_joins_them() -> None:
    first = record("crm", first_name="Ola", last_name="Berg", email="ola.berg@x-mail.no")
    second = record("crm", first_name="Ola", last_name="Berg", email="ola.berg@x-mail.no")
    stranger = record("store", first_name="Kim", last_name="Dahl", phone="+47 412 34 567")

    apart = resolve([first, second], cannot_link=[(first.key, second.key)])
    joined = resolve([first, stranger], must_link=[(first.key, stranger.key)])

    assert not together(apart, first, second)
    assert {r.reason for r in apart.refused} == {"cannot_link"}
    assert together(joined, first, stranger)


def test_no_profile_grows_beyond_the_size_guard() -> None:
    records = [record("sms", phone="+44 7911 123456") for _ in range(7)]

    resolution = resolve(records, config=ResolverConfig(max_cluster_records=3))

    assert max(len(c) for c in resolution.clusters) <= 3
    assert any(r.reason == "size_guard" for r in resolution.refused)


def test_a_chain_of_mailboxes_cannot_gather_more_distinct_mailboxes_than_the_breadth_guard() -> None:
    chain = [record("crm", emails=[f"link{i}@chain-mail.net", f"link{i + 1}@chain-mail.net"]) for i in range(10)]

    resolution = resolve(chain, config=ResolverConfig(max_distinct_strong_per_kind=4))

    assert max(len(c) for c in resolution.clusters) < len(chain)
    assert any(r.reason == "breadth_guard" for r in resolution.refused)


def test_the_partition_does_not_depend_on_the_order_records_arrive_in() -> None:
    records = [
        record("store", first_name="Marco", last_name="Rossi", phone="02 1234 5678", country="IT"),
        record("store", first_name="Giulia", last_name="Rossi", phone="02 1234 5678", country="IT"),
        record("web_order", first_name="Marco", last_name="Rossi", email="marco.rossi@libero.it",
               phone="+39 02 1234 5678"),
        record("newsletter", email="marcorossi@libero.it"),
        record("sms", phone="+39 347 000 1122"),
        record("account", first_name="Marco", last_name="Rossi", phone="347 000 1122", country="IT"),
    ]
    expected = partition(resolve(records))

    for seed in range(5):
        shuffled = records[:]
        random.Random(seed).shuffle(shuffled)
        assert partition(resolve(shuffled)) == expected


def test_every_merge_is_explained_by_an_edge_with_evidence() -> None:
    newsletter = record("newsletter", email="ada.byron@gmail.com")
    order = record("web_order", first_name="Ada", last_name="Byron", email="adabyron@gmail.com")

    resolution = resolve([newsletter, order])

    (edge,) = resolution.edges
    assert {edge.a, edge.b} == {newsletter.key, order.key}
    assert "shared:email:adabyron@gmail.com" in edge.evidence
    assert edge.score is not None
    assert edge.score > 0
