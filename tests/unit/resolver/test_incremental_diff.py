"""Incremental resolution: partition diffs, changes applied to profiles, and cluster explanations."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from resolvers.engine import Resolution, resolve
from resolvers.explain import explain_cluster
from resolvers.incremental import ClusterChange, assign_profile_ids, diff_partitions, resolve_change
from resolvers.records import NormalizedRecord, RecordKey

from .factories import record

Cluster = tuple[RecordKey, ...]


def key(letter: str) -> RecordKey:
    """Return the record key named by one letter."""
    return ("crm", letter)


def clusters(*spellings: str) -> list[list[RecordKey]]:
    """Return a hand-made partition: ``clusters("ab", "c")`` is {a, b} and {c}."""
    return [[key(letter) for letter in spelling] for spelling in spellings]


def change(kind: str, before: tuple[str, ...], after: tuple[str, ...]) -> ClusterChange:
    """Return the expected change with its clusters (and their members) sorted."""
    def side(spellings: tuple[str, ...]) -> tuple[Cluster, ...]:
        return tuple(sorted(tuple(sorted(key(letter) for letter in s)) for s in spellings))
    return ClusterChange(kind=kind, before=side(before), after=side(after))


# (before, after, expected changes in order of each group's smallest key)
DIFFS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[ClusterChange, ...]]] = {
    "a new cluster is created": ((), ("a",), (change("created", (), ("a",)),)),
    "a cluster is removed": (("ab",), (), (change("removed", ("ab",), ()),)),
    "the same members in another order are unchanged": (("ab",), ("ba",), (change("unchanged", ("ab",), ("ab",)),)),
    "a record joins a cluster": (("ab",), ("abc",), (change("changed", ("ab",), ("abc",)),)),
    "a record leaves a cluster": (("abc",), ("ac",), (change("changed", ("abc",), ("ac",)),)),
    "two clusters merge": (("a", "bc"), ("abc",), (change("merged", ("a", "bc"), ("abc",)),)),
    "a new record bridges two clusters": (("a", "b"), ("abc",), (change("merged", ("a", "b"), ("abc",)),)),
    "a cluster splits": (("abc",), ("a", "bc"), (change("split", ("abc",), ("a", "bc")),)),
    "a cluster splits as its bridge leaves": (("abc",), ("a", "c"), (change("split", ("abc",), ("a", "c")),)),
    "members swap between two clusters": (
        ("ab", "cd"), ("ac", "bd"), (change("rearranged", ("ab", "cd"), ("ac", "bd")),)),
    "a record moves to another cluster": (("ab", "c"), ("a", "bc"), (change("rearranged", ("ab", "c"), ("a", "bc")),)),
    "a replaced record": (
        ("a", "b"), ("a", "c"),
        (change("unchanged", ("a",), ("a",)), change("removed", ("b",), ()), change("created", (), ("c",)))),
    "every kind at once, ordered by smallest key": (
        ("ab", "c", "d", "ef", "hi", "jk", "lm"), ("ab", "cd", "e", "f", "g", "hij", "kl", "m"),
        (change("unchanged", ("ab",), ("ab",)),
         change("merged", ("c", "d"), ("cd",)),
         change("split", ("ef",), ("e", "f")),
         change("created", (), ("g",)),
         change("rearranged", ("hi", "jk", "lm"), ("hij", "kl", "m")))),
    "nothing before or after": ((), (), ()),
}


@pytest.mark.parametrize(("before", "after", "expected"), DIFFS.values(), ids=DIFFS.keys())
def test_diff_partitions_names_the_change_of_each_group_of_overlapping_clusters(
        before: tuple[str, ...], after: tuple[str, ...], expected: tuple[ClusterChange, ...]) -> None:
    assert diff_partitions(clusters(*before), clusters(*after)) == expected


@pytest.mark.parametrize(("before", "after"), [(b, a) for b, a, _ in DIFFS.values()], ids=DIFFS.keys())
def test_diff_partitions_accounts_for_every_cluster_of_both_partitions_exactly_once(
        before: tuple[str, ...], after: tuple[str, ...]) -> None:
    changes = diff_partitions(clusters(*before), clusters(*after))

    olds = [cluster for c in changes for cluster in c.before]
    news = [cluster for c in changes for cluster in c.after]

    assert sorted(olds) == sorted(tuple(sorted(c)) for c in clusters(*before))
    assert sorted(news) == sorted(tuple(sorted(c)) for c in clusters(*after))


def test_diff_partitions_does_not_depend_on_the_order_of_clusters_or_members() -> None:
    before = clusters("ba", "dc", "e")
    after = clusters("e", "cab", "d")

    assert diff_partitions(before, after) == diff_partitions(reversed(before), [list(reversed(c)) for c in after])


def _mailbox_holder() -> NormalizedRecord:
    return record("crm", "a", first_name="Goffredo", last_name="Lanciotti", email="goffredo.l@gmail.com",
                  observed_at="2024-03-01T09:00:00Z")


def _phone_holder() -> NormalizedRecord:
    return record("sms", "b", phone="+39 347 123 4567", observed_at="2024-03-02T09:00:00Z")


def _bridge() -> NormalizedRecord:
    return record("web_order", "c", first_name="Goffredo", last_name="Lanciotti", email="goffredo.l@gmail.com",
                  phone="+39 347 123 4567", observed_at="2024-03-03T09:00:00Z")


def _assert_diff_matches(changes: tuple[ClusterChange, ...], *, previous: Iterable[Iterable[RecordKey]],
                         now: Iterable[Iterable[RecordKey]]) -> None:
    """Assert that the diff's before side is ``previous`` and its after side is ``now``."""
    assert {c for item in changes for c in item.before} == {tuple(sorted(c)) for c in previous}
    assert {c for item in changes for c in item.after} == {tuple(sorted(c)) for c in now}


def test_an_upsert_that_bridges_two_profiles_merges_them() -> None:
    mailbox, phone = _mailbox_holder(), _phone_holder()
    previous = resolve([mailbox, phone]).clusters
    assert len(previous) == 2

    resolution, changes = resolve_change([mailbox, phone], previous=previous, upserts=[_bridge()])

    assert resolution.clusters == ((mailbox.key, phone.key, ("web_order", "c")),)
    assert [c.kind for c in changes] == ["merged"]
    _assert_diff_matches(changes, previous=previous, now=resolution.clusters)


def test_deleting_the_bridging_record_splits_the_profile() -> None:
    mailbox, phone, bridge = _mailbox_holder(), _phone_holder(), _bridge()
    previous = resolve([mailbox, phone, bridge]).clusters
    assert len(previous) == 1

    resolution, changes = resolve_change([mailbox, phone, bridge], previous=previous, deletes=[bridge.key])

    assert resolution.clusters == ((mailbox.key,), (phone.key,))
    assert [c.kind for c in changes] == ["split"]
    _assert_diff_matches(changes, previous=previous, now=resolution.clusters)


def test_re_sending_a_record_with_identical_content_changes_nothing() -> None:
    mailbox, phone, bridge = _mailbox_holder(), _phone_holder(), _bridge()
    previous = resolve([mailbox, phone, bridge]).clusters

    resolution, changes = resolve_change([mailbox, phone, bridge], previous=previous, upserts=[_bridge()])

    assert resolution.clusters == previous
    assert [c.kind for c in changes] == ["unchanged"]
    _assert_diff_matches(changes, previous=previous, now=resolution.clusters)


def test_an_upsert_replaces_the_stored_version_of_the_record() -> None:
    mailbox, phone, bridge = _mailbox_holder(), _phone_holder(), _bridge()
    previous = resolve([mailbox, phone, bridge]).clusters
    without_phone = record("web_order", "c", first_name="Goffredo", last_name="Lanciotti",
                           email="goffredo.l@gmail.com", observed_at="2024-03-04T09:00:00Z")

    resolution, changes = resolve_change([mailbox, phone, bridge], previous=previous, upserts=[without_phone])

    assert resolution.clusters == ((mailbox.key, without_phone.key), (phone.key,))
    assert [c.kind for c in changes] == ["split"]
    _assert_diff_matches(changes, previous=previous, now=resolution.clusters)


def _explained_resolution() -> tuple[dict[str, NormalizedRecord], Resolution]:
    """Return Anna's three records, a number refused to her by a steward, and Peter's two records."""
    people = {
        "anna_crm": record("crm", "x", first_name="Anna", last_name="Nowak", email="anna.nowak@gmail.com"),
        "anna_store": record("store", "y", first_name="Anna", last_name="Nowak", email="anna.nowak@gmail.com",
                             phone="+48 601 234 567"),
        "anna_web": record("web_order", "w", first_name="Anna", last_name="Nowak", phone="+48 601 234 567"),
        "sms": record("sms", "z", phone="+48 601 234 567"),
        "peter_crm": record("crm", "p", first_name="Peter", last_name="Brown", email="peter.brown@yahoo.com"),
        "peter_store": record("store", "q", first_name="Peter", last_name="Brown", email="peter.brown@yahoo.com"),
    }
    resolution = resolve(people.values(), cannot_link=[(people["anna_store"].key, people["sms"].key)])
    return people, resolution


EXPLANATIONS: dict[str, tuple[tuple[str, ...], set[tuple[str, str]], set[tuple[str, str]]]] = {
    "a profile held by two edges, with refusals touching it": (
        ("anna_web", "anna_crm", "anna_store"),
        {("anna_crm", "anna_store"), ("anna_store", "anna_web")},
        {("sms", "anna_store"), ("sms", "anna_web")},
    ),
    "a profile untouched by refusals": (("peter_store", "peter_crm"), {("peter_crm", "peter_store")}, set()),
    "a lone record that every merge was refused": (("sms",), set(), {("sms", "anna_store"), ("sms", "anna_web")}),
}


@pytest.mark.parametrize(("members", "edges", "refused"), EXPLANATIONS.values(), ids=EXPLANATIONS.keys())
def test_explain_cluster_returns_the_edges_inside_the_cluster_and_the_refusals_touching_it(
        members: tuple[str, ...], edges: set[tuple[str, str]], refused: set[tuple[str, str]]) -> None:
    people, resolution = _explained_resolution()
    by_key = {r.key: name for name, r in people.items()}

    explanation = explain_cluster(resolution, [people[m].key for m in members])

    assert explanation.records == tuple(sorted(people[m].key for m in members))
    assert {(by_key[e.a], by_key[e.b]) for e in explanation.edges} == edges
    assert len(explanation.edges) == len(edges)
    assert {(by_key[r.edge.a], by_key[r.edge.b]) for r in explanation.refused} == refused
    assert len(explanation.refused) == len(refused)
    assert {r.reason for r in explanation.refused} <= {"cannot_link"}


def _labelled(labels: list[int | None]) -> list[list[RecordKey]]:
    """Return the partition that puts record ``i`` in cluster ``labels[i]`` (None: not in it)."""
    found: dict[int, list[RecordKey]] = {}
    for i, label in enumerate(labels):
        if label is not None:
            found.setdefault(label, []).append(key("abcdefgh"[i]))
    return list(found.values())


# {a, b, e} and {c, d, f} each keep two records and give one to a new {e, f}: announced once (helper-7).
@example(labels=[(0, 0), (0, 0), (1, 1), (1, 1), (0, 2), (1, 2)], origins=[None] * 8, targets=[0, 0, 0])
# The same, e having been first stored in m0, merged into {a, b, e}: {e, f} takes m0 back, announced once.
@example(labels=[(0, 0), (0, 0), (1, 1), (1, 1), (0, 2), (1, 2)], origins=[*[None] * 4, "m0", None, None, None],
         targets=[0, 0, 0])
# {c, d, e} gives c to {b}: {d, e} keeps its id, though {b, c} sorts first and is as large.
@example(labels=[(None, None), (1, 1), (0, 1), (0, 0), (0, 0)], origins=[None] * 8, targets=[0, 0, 0])
@given(labels=st.lists(st.tuples(st.none() | st.integers(0, 3), st.none() | st.integers(0, 3)), max_size=8),
       origins=st.lists(st.none() | st.sampled_from(["m0", "m1", "m2"]), min_size=8, max_size=8),
       targets=st.lists(st.integers(0, 2), min_size=3, max_size=3))
def test_every_new_id_is_announced_once_and_a_split_names_only_new_ids(
        labels: list[tuple[int | None, int | None]], origins: list[str | None], targets: list[int]) -> None:
    before, after = _labelled([b for b, _ in labels]), _labelled([a for _, a in labels])
    changes = diff_partitions(before, after)
    current = {c: f"p{i}" for i, c in enumerate(sorted(c for change in changes for c in change.before))}
    minted = (f"n{i}" for i in range(100))
    # Records first stored in merged-away profiles m0..m2, each merged into p0..p2 (live here, if so many are).
    first = {key("abcdefgh"[i]): origin for i, origin in enumerate(origins) if origin is not None}
    merged = {f"m{i}": f"p{target}" for i, target in enumerate(targets)}

    assigned = assign_profile_ids(changes, current=current, age={p: i for i, p in enumerate(sorted(current.values()))},
                                  new_id=lambda: next(minted), origins=first, merged=merged)

    assert len(set(assigned.ids.values())) == len(assigned.ids)  # no id names two profiles
    for cluster, profile in assigned.ids.items():
        if profile in assigned.revived:  # taken back by a part of the profile it was merged into
            assert any(current[old] == merged[profile] for c in changes if cluster in c.after for old in c.before
                       if set(old) & set(cluster))
            held = [sum(first.get(k) == profile for k in part) for c in changes if cluster in c.after
                    for part in c.after]
            assert 0 < sum(first.get(k) == profile for k in cluster) == max(held)
    new_ids = set(assigned.ids.values()) - set(current.values())
    # An old id stays with a part holding most of its records: any part holding more keeps another old id.
    records_of = {profile: set(old) for old, profile in current.items()}
    for cluster, profile in assigned.ids.items():
        if profile in records_of:
            assert all(len(records_of[profile] & set(other)) <= len(records_of[profile] & set(cluster))
                       for other, other_id in assigned.ids.items() if other_id in new_ids)
    announced = [e.profile_id for e in assigned.events if e.type == "profile.created"]
    announced += [i for e in assigned.events if e.type == "profile.split" for i in e.related]
    assert sorted(announced) == sorted(new_ids)  # each new id once, as created or as a split's part; no old id
    for event in assigned.events:
        if event.type == "profile.merged":  # live ids retired, or merged-away ones pointed elsewhere
            assert set(event.related) <= set(current.values()) - set(assigned.ids.values()) | set(assigned.repointed)
            assert all((assigned.merged_into | assigned.repointed)[absorbed] == event.profile_id
                       for absorbed in event.related)


def test_records_moving_to_another_profile_are_no_split_of_the_profile_they_left() -> None:
    # X = {a, b, e}, Y = {c, d}; a moves to Y: both keep their ids, no id is new.
    before, after = clusters("abe", "cd"), clusters("acd", "be")
    changes = diff_partitions(before, after)
    current = {tuple(sorted(c)): name for c, name in zip(before, ("X", "Y"), strict=True)}

    assigned = assign_profile_ids(changes, current=current, age={"X": 0, "Y": 1}, new_id=lambda: "new")

    assert sorted(assigned.ids.values()) == ["X", "Y"]
    assert sorted((e.type, e.profile_id, e.related) for e in assigned.events) == [
        ("profile.updated", "X", ()), ("profile.updated", "Y", ())]


# (profile A's records before, its parts after, first profile of each record other than A, where the
# merged-away ids point) -> the id of each part. Ids not taken back are minted: new0, new1, ...
REVIVALS: dict[str, tuple[str, tuple[str, ...], dict[str, str], dict[str, str], dict[str, str]]] = {
    "a part split off takes back the id that was merged into the profile":
        ("abcde", ("abc", "de"), {"d": "B", "e": "B"}, {"B": "A"}, {"abc": "A", "de": "B"}),
    "without its records' first profiles, a part gets a new id":
        ("abcde", ("abc", "de"), {}, {"B": "A"}, {"abc": "A", "de": "new0"}),
    "an id that is not merged away is not taken":
        ("abcde", ("abc", "de"), {"d": "B", "e": "B"}, {}, {"abc": "A", "de": "new0"}),
    "an id merged into another profile than the one split is not taken":
        ("abcde", ("abc", "de"), {"d": "B", "e": "B"}, {"B": "Z"}, {"abc": "A", "de": "new0"}),
    "of two merged-away ids, the part takes the one with most records in it":
        ("abcdef", ("abc", "def"), {"d": "B", "e": "C", "f": "C"}, {"B": "A", "C": "A"}, {"abc": "A", "def": "C"}),
    "ties between merged-away ids go to the smallest id":
        ("abcdef", ("abcd", "ef"), {"e": "C", "f": "B"}, {"B": "A", "C": "A"}, {"abcd": "A", "ef": "B"}),
    "an id whose records mostly stay in the profile is not taken":
        ("abcdef", ("abcd", "ef"), {"c": "B", "d": "B", "e": "B"}, {"B": "A"}, {"abcd": "A", "ef": "new0"}),
    "two parts split off each take back their own id":
        ("abcdefg", ("abc", "de", "fg"), {"d": "B", "e": "B", "f": "C", "g": "C"}, {"B": "A", "C": "A"},
         {"abc": "A", "de": "B", "fg": "C"}),
    "of two parts of one size, the one with more records first stored in the profile keeps its id":
        ("abcd", ("ab", "cd"), {"a": "B", "b": "B"}, {"B": "A"}, {"cd": "A", "ab": "B"}),
    "so it does when the other part's records came from a profile not merged into it":
        ("abcd", ("ab", "cd"), {"a": "Y", "b": "Y"}, {"Y": "Z"}, {"cd": "A", "ab": "new0"}),
    "an id held equally by two parts is taken once, by the part first in order":
        ("abcdefgh", ("abcd", "ef", "gh"), dict.fromkeys("efgh", "B"), {"B": "A"},
         {"abcd": "A", "ef": "B", "gh": "new0"}),
}


# (first profile of the records d, e, f; where the merged-away ids point) -> the ids pointed elsewhere
REPOINTS: dict[str, tuple[dict[str, str], dict[str, str], dict[str, str]]] = {
    "an id whose records went with the part that took an id back points at it":
        ({"d": "B", "e": "B", "f": "C"}, {"B": "A", "C": "A"}, {"C": "B"}),
    "one whose records stayed with the profile keeps pointing at it":
        ({"d": "B", "e": "B", "a": "C", "b": "C"}, {"B": "A", "C": "A"}, {}),
    "one merged into another profile than the one split keeps pointing there":
        ({"f": "C"}, {"C": "Z"}, {}),
}


@pytest.mark.parametrize(("origins", "merged", "expected"), REPOINTS.values(), ids=REPOINTS.keys())
def test_other_merged_away_ids_point_at_the_part_that_took_an_id_back_when_their_records_are_there(
        origins: dict[str, str], merged: dict[str, str], expected: dict[str, str]) -> None:
    changes = diff_partitions(clusters("abcdef"), clusters("abc", "def"))
    first = {key(letter): origins.get(letter, "A") for letter in "abcdef"}

    assigned = assign_profile_ids(changes, current={tuple(sorted(clusters("abcdef")[0])): "A"}, age={"A": 0},
                                  new_id=lambda: "new0", origins=first, merged=merged)

    assert assigned.repointed == expected
    assert assigned.merged_into == {}  # nothing retired: A and the part split off are both live
    # Each is announced as absorbed by the profile it now points at, so that a consumer points it there too.
    assert sorted((e.profile_id, e.related) for e in assigned.events if e.type == "profile.merged") == sorted(
        (target, tuple(sorted(m for m, t in expected.items() if t == target))) for target in set(expected.values()))


def test_records_rearranged_among_several_profiles_break_ties_of_size_by_record_key_not_by_first_profiles() -> None:
    # helper-8: A = {a1, a2, b1..b5} (b* first stored in B, merged into A) and C = {c1, c2} become
    # P = {a1, b1, b2, x1, x2} (x* new), Q = {b3, b4, b5, c1, c2} and {a2}. Counting records still in
    # their first profile would put Q first (c1, c2), give it A's id and retire C; P holds A's own record.
    a = [key(name) for name in ("a1", "a2", "b1", "b2", "b3", "b4", "b5")]
    c = [key("c1"), key("c2")]
    p_part, q_part = [key(n) for n in ("a1", "b1", "b2", "x1", "x2")], [key(n) for n in ("b3", "b4", "b5", "c1", "c2")]
    changes = diff_partitions([a, c], [p_part, q_part, [key("a2")]])
    first = {k: "B" if k[1].startswith("b") else "A" for k in a} | dict.fromkeys(c, "C")

    assigned = assign_profile_ids(changes, current={tuple(sorted(a)): "A", tuple(sorted(c)): "C"},
                                  age={"A": 0, "C": 1}, new_id=lambda: "new0", origins=first, merged={"B": "A"})

    assert [assigned.ids[tuple(sorted(part))] for part in (p_part, q_part, [key("a2")])] == ["A", "C", "new0"]
    assert assigned.merged_into == {}


# (old profiles by id, the parts after, first profiles of records other than their own profile's,
# where merged-away ids point) -> (each part's id, the merged-away ids pointed elsewhere). Records
# x, y, z are new to every profile; ids that no profile keeps are minted: new0, new1, ...
KEEPERS: dict[str, tuple[dict[str, str], tuple[str, ...], dict[str, str], dict[str, str],
                         tuple[dict[str, str], dict[str, str]]]] = {
    "the part holding most of a profile's records keeps its id, though new records make another one larger":
        ({"A": "abc"}, ("ab", "cxyz"), {}, {}, ({"ab": "A", "cxyz": "new0"}, {})),
    "a record moving to another profile leaves each id with its own records, whatever their keys":
        ({"A": "cde", "X": "b"}, ("de", "bc"), {}, {}, ({"de": "A", "bc": "X"}, {})),
    "of two parts holding as many of a profile's records, the one they make up more of keeps its id":
        ({"A": "abcd", "X": "ef"}, ("ab", "cdef"), {}, {}, ({"ab": "A", "cdef": "X"}, {})),
    "a merge keeps the id of the profile with most records":
        ({"A": "abc", "X": "de"}, ("abcde",), {}, {}, ({"abcde": "A"}, {})),
    "an id merged into a profile follows its records to another profile":
        ({"A": "cde", "X": "b"}, ("de", "bc"), {"c": "B"}, {"B": "A"}, ({"de": "A", "bc": "X"}, {"B": "X"})),
    "an id merged into a profile that merges on is pointed on as that profile is":
        ({"A": "c", "X": "bde"}, ("bcde",), {"c": "B"}, {"B": "A"}, ({"bcde": "X"}, {})),
}


@pytest.mark.parametrize(("before", "after", "origins", "merged", "expected"), KEEPERS.values(), ids=KEEPERS.keys())
def test_each_old_id_stays_with_the_part_holding_most_of_its_records(
        before: dict[str, str], after: tuple[str, ...], origins: dict[str, str], merged: dict[str, str],
        expected: tuple[dict[str, str], dict[str, str]]) -> None:
    changes = diff_partitions(clusters(*before.values()), clusters(*after))
    minted = (f"new{i}" for i in range(10))
    first = {key(letter): origins.get(letter, profile) for profile, letters in before.items() for letter in letters}

    assigned = assign_profile_ids(changes, current={tuple(sorted(clusters(letters)[0])): profile
                                                    for profile, letters in before.items()},
                                  age={profile: i for i, profile in enumerate(before)}, new_id=lambda: next(minted),
                                  origins=first, merged=merged)

    ids, repointed = expected
    assert {"".join(letter for _, letter in cluster): profile for cluster, profile in assigned.ids.items()} == ids
    assert assigned.repointed == repointed
    pointed_at = {t: tuple(sorted(m for m, target in repointed.items() if target == t)) for t in repointed.values()}
    assert sorted((e.profile_id, e.related) for e in assigned.events if e.type == "profile.merged") == sorted(
        [*pointed_at.items(), *((survivor, (absorbed,)) for absorbed, survivor in assigned.merged_into.items())])


@pytest.mark.parametrize(("before", "after", "origins", "merged", "expected"), REVIVALS.values(), ids=REVIVALS.keys())
def test_a_part_split_off_takes_back_the_merged_away_id_whose_records_it_holds(
        before: str, after: tuple[str, ...], origins: dict[str, str], merged: dict[str, str],
        expected: dict[str, str]) -> None:
    changes = diff_partitions(clusters(before), clusters(*after))
    minted = (f"new{i}" for i in range(10))
    first = {key(letter): origins.get(letter, "A") for letter in before}

    assigned = assign_profile_ids(changes, current={tuple(sorted(clusters(before)[0])): "A"}, age={"A": 0},
                                  new_id=lambda: next(minted), origins=first, merged=merged)

    assert {"".join(letter for _, letter in cluster): profile for cluster, profile in assigned.ids.items()} == expected
    taken_back = sorted(set(expected.values()) & set(merged))
    assert sorted(assigned.revived) == taken_back
    assert [(e.type, e.profile_id, e.related) for e in assigned.events if e.type != "profile.merged"] == [
        ("profile.split", "A", tuple(sorted(set(expected.values()) - {"A"})))]


@given(parts=st.lists(st.integers(0, 3), min_size=2, max_size=8),
       origins=st.lists(st.sampled_from(["A", "m0", "m1", "z"]), min_size=8, max_size=8))
def test_a_split_part_takes_back_exactly_the_merged_away_ids_whose_records_it_holds_most_of(
        parts: list[int], origins: list[str]) -> None:
    # Profile A's records split into parts; each record was first stored in A, in m0 or m1 (both
    # merged into A), or in z (merged into another profile).
    letters = "abcdefgh"[:len(parts)]
    changes = diff_partitions(clusters(letters), _labelled(parts))
    first = {key(letter): origin for letter, origin in zip(letters, origins, strict=False)}
    merged = {"m0": "A", "m1": "A", "z": "Z"}
    minted = (f"new{i}" for i in range(20))

    assigned = assign_profile_ids(changes, current={tuple(sorted(clusters(letters)[0])): "A"}, age={"A": 0},
                                  new_id=lambda: next(minted), origins=first, merged=merged)

    # Largest first; ties: most records first stored in A, then the smallest key. The first keeps A.
    news = sorted(assigned.ids, key=lambda c: (-len(c), -sum(first[k] == "A" for k in c), c[0]))
    assert assigned.ids[news[0]] == "A"
    assert len(set(assigned.ids.values())) == len(news)

    def held(profile: str, part: Cluster) -> int:
        return sum(first[k] == profile for k in part)

    # The part first in order among those holding most of an id's records is its home.
    homes = {m: max(news, key=lambda part, m=m: held(m, part)) for m in ("m0", "m1") if held(m, tuple(first))}
    expected = []
    for part in news[1:]:  # each part split off takes the id it is home to with most records in it, or a new one
        mine = sorted((-held(m, part), m) for m, home in homes.items() if home == part)
        if mine:
            expected.append(mine[0][1])
        assert assigned.ids[part] == mine[0][1] if mine else assigned.ids[part].startswith("new")
    assert sorted(assigned.revived) == sorted(expected)
    # Any other of them whose home took an id back points at it.
    assert assigned.repointed == {m: assigned.ids[home] for m, home in homes.items()
                                  if assigned.ids[home] in expected and assigned.ids[home] != m}
