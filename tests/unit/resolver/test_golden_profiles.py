"""Survivorship: what the golden profile of one cluster shows (resolvers.profiles)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from resolvers.config import ResolverConfig
from resolvers.profiles import Seen, TimelineEntry, golden_profile

from .factories import record


def day(n: int) -> str:
    """Return the ISO timestamp of noon UTC on day ``n`` of March 2024."""
    return f"2024-03-{n:02d}T12:00:00Z"


def moment(n: int) -> datetime:
    """Return noon UTC on day ``n`` of March 2024."""
    return datetime(2024, 3, n, 12, tzinfo=UTC)


# Each record is (observed day, name fields); the expected display name survives.
DISPLAY_NAMES: dict[str, tuple[list[tuple[int, dict[str, str]]], str | None]] = {
    "the most frequent complete name beats a more recent one": (
        [(1, {"first_name": "Marco", "last_name": "Rossi"}),
         (2, {"full_name": "Marco Rossi"}),
         (9, {"first_name": "Marco", "last_name": "Rossi Bianchi"})],
        "Marco Rossi",
    ),
    "a tie in frequency goes to the most recent name": (
        [(1, {"first_name": "Marco", "last_name": "Rossi"}),
         (9, {"first_name": "Marco", "last_name": "Rossi Bianchi"}),
         (5, {"first_name": "Marco", "last_name": "Rossi"}),
         (7, {"first_name": "Marco", "last_name": "Rossi Bianchi"})],
        "Marco Rossi Bianchi",
    ),
    "a complete name beats a more frequent given name alone": (
        [(1, {"first_name": "Marco"}), (2, {"first_name": "Marco"}),
         (3, {"first_name": "Marco", "last_name": "Rossi"})],
        "Marco Rossi",
    ),
    "a complete name beats a more frequent initial": (
        [(1, {"first_name": "J.", "last_name": "Smith"}), (8, {"first_name": "J.", "last_name": "Smith"}),
         (3, {"first_name": "John", "last_name": "Smith"})],
        "John Smith",
    ),
    "a complete name beats a more frequent lone word": (
        [(1, {"full_name": "Budig"}), (8, {"full_name": "Budig"}), (3, {"full_name": "Mandy Budig"})],
        "Mandy Budig",
    ),
    "an incomplete name is shown when it is all there is": (
        [(1, {"email": "someone@example.org"}), (2, {"last_name": "Rossi"})],
        "Rossi",
    ),
    "no name at all": (
        [(1, {"email": "someone@example.org"}), (2, {"phone": "+39 347 123 4567"})],
        None,
    ),
    "names typed in capitals are shown capitalised": (
        [(1, {"full_name": "ROSSI, MARCO"})],
        "Marco Rossi",
    ),
}


@pytest.mark.parametrize(("observations", "expected"), DISPLAY_NAMES.values(), ids=DISPLAY_NAMES.keys())
def test_the_display_name_is_the_most_frequent_complete_name_then_the_most_recent(
        observations: list[tuple[int, dict[str, str]]], expected: str | None) -> None:
    records = [record("crm", observed_at=day(n), **fields) for n, fields in observations]

    assert golden_profile(records).display_name == expected


def test_each_email_is_listed_once_with_its_count_and_first_and_last_sighting() -> None:
    records = [
        record("newsletter", email="Marco.Rossi+news@GMAIL.com", observed_at=day(3)),
        record("store", email="marcorossi@googlemail.com", emails=["m.rossi@novora.it"], observed_at=day(1)),
        record("crm", email="marcorossi@gmail.com", observed_at=day(7)),
    ]

    assert golden_profile(records).emails == (
        Seen("marcorossi@gmail.com", count=3, first_seen=moment(1), last_seen=moment(7)),
        Seen("m.rossi@novora.it", count=1, first_seen=moment(1), last_seen=moment(1)),
    )


def test_a_value_repeated_within_one_record_counts_once() -> None:
    records = [record("crm", email="anna.nowak@example.org", emails=["Anna.Nowak@example.org"], observed_at=day(2))]

    assert golden_profile(records).emails == (
        Seen("anna.nowak@example.org", count=1, first_seen=moment(2), last_seen=moment(2)),
    )


def test_values_seen_equally_often_are_listed_most_recent_first() -> None:
    records = [
        record("crm", email="old@example.org", observed_at=day(1)),
        record("crm", email="new@example.org", observed_at=day(9)),
        record("crm", email="middle@example.org", observed_at=day(5)),
    ]

    assert [seen.value for seen in golden_profile(records).emails] == [
        "new@example.org", "middle@example.org", "old@example.org"]


def test_phones_are_shown_in_e164_and_a_number_of_unknown_country_by_its_national_digits() -> None:
    records = [
        record("store", phone="347 123 4567", country="IT", observed_at=day(2)),
        record("sms", phone="+39 347 123 4567", observed_at=day(4)),
        # A French national number, read with the default region US: its country is unknown.
        record("crm", phone="06.37.50.57.63", observed_at=day(6)),
    ]

    assert golden_profile(records).phones == (
        Seen("+393471234567", count=2, first_seen=moment(2), last_seen=moment(4)),
        Seen("national:637505763", count=1, first_seen=moment(6), last_seen=moment(6)),
    )


IDENTIFIERS: dict[str, tuple[dict[str, Any], str, str]] = {
    "linkedin profile by its canonical url": (
        {"linkedin_url": "https://it.linkedin.com/in/Marco-Rossi-88/"}, "linkedin", "linkedin.com/in/marco-rossi-88"),
    "instagram handle by platform": ({"instagram_handle": "@Marco.Rossi"}, "handles", "instagram:marco.rossi"),
    "other handle by platform": ({"handles": {"tiktok": "@marco_rossi_88"}}, "handles", "tiktok:marco_rossi_88"),
    "external id by namespace": ({"external_ids": {"loyalty": "L-0042"}}, "external_ids", "loyalty:L-0042"),
}


@pytest.mark.parametrize(("fields", "attribute", "value"), IDENTIFIERS.values(), ids=IDENTIFIERS.keys())
def test_every_identifier_kind_is_counted_with_its_sightings(fields: dict[str, Any], attribute: str,
                                                             value: str) -> None:
    records = [record("crm", observed_at=day(8), **fields), record("store", observed_at=day(3), **fields),
               record("sms", observed_at=day(5))]

    assert getattr(golden_profile(records), attribute) == (
        Seen(value, count=2, first_seen=moment(3), last_seen=moment(8)),)


# Each record is (source, observed day, value); the expected value survives.
TRUSTED: dict[str, tuple[tuple[str, ...] | None, list[tuple[str, int, str | None]], str | None]] = {
    "the most trusted source beats a more recent one": (
        None, [("web_order", 9, "Acme"), ("crm", 1, "Novora"), ("linkedin", 5, "Globex")], "Novora"),
    "within one source the most recent record wins": (
        None, [("crm", 1, "Novora"), ("crm", 6, "Acme"), ("crm", 3, "Globex")], "Acme"),
    "a trusted source without a value gives way": (
        None, [("crm", 9, None), ("linkedin", 2, "Globex"), ("account", 8, "Acme")], "Globex"),
    "unknown sources come after every ranked source": (
        None, [("pos_terminal", 9, "Acme"), ("web_order", 1, "Novora")], "Novora"),
    "unknown sources alone: the most recent": (
        None, [("kiosk", 2, "Acme"), ("pos_terminal", 7, "Novora")], "Novora"),
    "the configured ranking replaces the default": (
        ("store", "crm"), [("crm", 9, "Acme"), ("store", 1, "Novora")], "Novora"),
    "no record has one": (None, [("crm", 1, None), ("store", 2, None)], None),
}


@pytest.mark.parametrize(("trust", "observations", "expected"), TRUSTED.values(), ids=TRUSTED.keys())
def test_company_comes_from_the_most_trusted_source_then_the_most_recent_record(
        trust: tuple[str, ...] | None, observations: list[tuple[str, int, str | None]], expected: str | None) -> None:
    records = [record(source, company=value, observed_at=day(n)) for source, n, value in observations]
    config = ResolverConfig(source_trust=trust) if trust else None

    assert golden_profile(records, config=config).company == expected


@pytest.mark.parametrize(("trust", "observations", "expected"), TRUSTED.values(), ids=TRUSTED.keys())
def test_job_title_comes_from_the_most_trusted_source_then_the_most_recent_record(
        trust: tuple[str, ...] | None, observations: list[tuple[str, int, str | None]], expected: str | None) -> None:
    records = [record(source, job_title=value, observed_at=day(n)) for source, n, value in observations]
    config = ResolverConfig(source_trust=trust) if trust else None

    assert golden_profile(records, config=config).job_title == expected


def test_channels_are_counted_per_source_with_first_and_last_sighting() -> None:
    records = [
        record("store", observed_at=day(4)),
        record("sms", observed_at=day(9)),
        record("store", observed_at=day(2)),
        record("crm", observed_at=day(1)),
        record("store", observed_at=day(6)),
    ]

    assert golden_profile(records).channels == (
        Seen("store", count=3, first_seen=moment(2), last_seen=moment(6)),
        Seen("sms", count=1, first_seen=moment(9), last_seen=moment(9)),
        Seen("crm", count=1, first_seen=moment(1), last_seen=moment(1)),
    )


def test_the_timeline_follows_the_journey_in_time_order_whatever_the_input_order() -> None:
    records = [
        record("store", "s-1", observed_at=day(5)),
        record("crm", "c-1", observed_at="2024-03-01T13:00:00+02:00"),
        record("web_order", "w-1", observed_at=day(3)),
        record("sms", "m-1", observed_at=day(1)),
    ]

    assert golden_profile(records).timeline == (
        TimelineEntry(datetime(2024, 3, 1, 11, tzinfo=UTC), "crm", "c-1"),
        TimelineEntry(moment(1), "sms", "m-1"),
        TimelineEntry(moment(3), "web_order", "w-1"),
        TimelineEntry(moment(5), "store", "s-1"),
    )


def test_records_without_a_time_open_the_timeline_and_do_not_move_first_or_last_seen() -> None:
    records = [record("store", "s-1", observed_at=day(5)), record("crm", "c-1", observed_at=None),
               record("sms", "m-1", observed_at=day(2))]

    profile = golden_profile(records)

    assert [entry.source_record_id for entry in profile.timeline] == ["c-1", "m-1", "s-1"]
    assert (profile.first_seen, profile.last_seen) == (moment(2), moment(5))


def test_a_profile_without_any_time_has_no_first_or_last_seen() -> None:
    profile = golden_profile([record("crm", observed_at=None), record("store", observed_at=None)])

    assert (profile.first_seen, profile.last_seen) == (None, None)


def test_first_and_last_seen_span_all_the_records() -> None:
    records = [record("store", observed_at=day(14)), record("crm", observed_at=day(3)),
               record("sms", observed_at=day(27))]

    profile = golden_profile(records)

    assert (profile.first_seen, profile.last_seen) == (moment(3), moment(27))


def test_the_profile_lists_its_records_by_key() -> None:
    records = [record("store", "s-2"), record("crm", "c-9"), record("store", "s-10")]

    assert golden_profile(records).records == (("crm", "c-9"), ("store", "s-10"), ("store", "s-2"))


def test_the_profile_does_not_depend_on_the_order_of_its_records() -> None:
    records = [
        record("crm", first_name="Marco", last_name="Rossi", email="m.rossi@novora.it", company="Novora",
               observed_at=day(2)),
        record("store", full_name="Marco Rossi Bianchi", phone="+39 347 123 4567", observed_at=day(2)),
        record("sms", phone="+39 347 123 4567", job_title="Buyer", observed_at=day(2)),
    ]

    assert golden_profile(records) == golden_profile(list(reversed(records)))
