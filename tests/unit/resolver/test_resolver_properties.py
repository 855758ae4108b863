"""Properties of resolution that must hold for any record set (ARCHITECTURE.md, properties 2, 4 and 5).

Records are drawn from small pools of names, mailboxes, phones, dates of birth and LinkedIn
profiles, so that shared values, families, namesakes and conflicts occur often.
"""

from __future__ import annotations

from functools import cache
from itertools import combinations

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resolvers import NormalizedRecord, RecordIn, normalize_record
from resolvers.blocking import components
from resolvers.clustering import Clusters, dates_conflict
from resolvers.config import ResolverConfig
from resolvers.engine import resolve, resolve_matched
from resolvers.features import match_record
from resolvers.incremental import affected_keys, resolve_change
from resolvers.records import RecordKey

from .factories import History, replay_regions

PROPERTY = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

_NAMES = [None, ("Marco", "Rossi"), ("Giulia", "Rossi"), ("Beppe", "Verdi"), ("Giuseppe", "Verdi"),
          ("Anna", "Nowak"), ("John", "Smith"), ("Goffredo", "Lanciotti"), ("Rossi", "Marco")]
_EMAILS = [None, "a.one@gmail.com", "aone@googlemail.com", "info@acme.io", "b.two@yahoo.com",
           "goffredo.lanciotti@gmail.com"]
_PHONES = [None, "+39 347 123 4567", "347 123 4567", "+39 02 1234 5678", "+1 415 555 0132", "06 12 34 56 78"]
_DATES = [None, "1980-01-02", "1980-02-01", "1990-05-05"]
_LINKEDIN = [None, "linkedin.com/in/aa-bb", "https://it.linkedin.com/in/AA-BB/", "linkedin.com/in/cc-dd"]
_SOURCES = ["crm", "store", "sms"]


@cache
def _normalized(source: str, record_id: str, name: int, email: int, phone: int, dob: int,
                linkedin: int) -> NormalizedRecord:
    fields: dict[str, object] = {"source": source, "source_record_id": record_id,
                                 "observed_at": "2024-01-01T00:00:00Z"}
    if _NAMES[name]:
        fields["first_name"], fields["last_name"] = _NAMES[name]
    for field, pool, index in (("email", _EMAILS, email), ("phone", _PHONES, phone),
                               ("date_of_birth", _DATES, dob), ("linkedin_url", _LINKEDIN, linkedin)):
        if pool[index]:
            fields[field] = pool[index]
    if phone == 2:
        fields["country"] = "IT"
    return normalize_record(RecordIn.model_validate(fields), default_region="US")


def _content() -> st.SearchStrategy[tuple[int, int, int, int, int]]:
    return st.tuples(*(st.integers(0, len(pool) - 1) for pool in (_NAMES, _EMAILS, _PHONES, _DATES, _LINKEDIN)))


@st.composite
def record_sets(draw: st.DrawFn, max_size: int = 12) -> list[NormalizedRecord]:
    contents = draw(st.lists(_content(), min_size=1, max_size=max_size))
    return [_normalized(_SOURCES[i % 3], f"id{i}", *content) for i, content in enumerate(contents)]


def _partition(records: list[NormalizedRecord], **kwargs: object) -> set[frozenset[tuple[str, str]]]:
    return {frozenset(c) for c in resolve(records, **kwargs).clusters}  # type: ignore[arg-type]


@PROPERTY
@given(records=record_sets(), data=st.data())
def test_any_permutation_of_a_record_set_gives_the_same_partition(records: list[NormalizedRecord],
                                                                    data: st.DataObject) -> None:
    permuted = data.draw(st.permutations(records))

    assert _partition(permuted) == _partition(records)


@PROPERTY
@given(records=record_sets())
def test_resolving_each_component_alone_gives_the_clusters_of_resolving_everything(
    records: list[NormalizedRecord],
) -> None:
    config = ResolverConfig()
    ordered = sorted(records, key=lambda r: r.key)
    matched = [match_record(r, index=i) for i, r in enumerate(ordered)]

    split = components(matched, config)
    by_component: set[frozenset[tuple[str, str]]] = set()
    for members in split.parts:
        subset = [match_record(ordered[i], index=j) for j, i in enumerate(members)]
        by_component |= {frozenset(c) for c in resolve_matched(subset, config=config, crowded=split.crowded).clusters}

    assert by_component == _partition(records)


@st.composite
def change_sequences(draw: st.DrawFn) -> list[tuple[list[NormalizedRecord], list[int]]]:
    """Batches of (upserts, indices of live records to delete); upserts may re-send existing ids."""
    batches = []
    for _ in range(draw(st.integers(1, 5))):
        contents = draw(st.lists(st.tuples(st.integers(0, 9), _content()), max_size=5))
        upserts = [_normalized(_SOURCES[i % 3], f"id{i}", *content) for i, content in contents]
        deletions = draw(st.lists(st.integers(0, 9), max_size=3))
        batches.append((upserts, deletions))
    return batches


@PROPERTY
@given(batches=change_sequences())
def test_applying_changes_batch_by_batch_to_affected_components_equals_resolving_from_scratch(
    batches: list[tuple[list[NormalizedRecord], list[int]]],
) -> None:
    live: dict[tuple[str, str], NormalizedRecord] = {}
    clusters: set[frozenset[tuple[str, str]]] = set()
    for upserts, deletions in batches:
        deleted = {key for key in live if int(key[1][2:]) in deletions} - {r.key for r in upserts}
        after = {k: r for k, r in live.items() if k not in deleted} | {r.key: r for r in upserts}
        changed = deleted | {r.key for r in upserts}
        affected = affected_keys(list(live.values()), list(after.values()), changed)
        previous = [c for c in clusters if c & (affected | changed)]
        resolution, _ = resolve_change([live[k] for k in affected | changed if k in live], previous=previous,
                                       upserts=upserts, deletes=deleted)
        clusters = {c for c in clusters if not c & (affected | changed)} | {frozenset(c) for c in resolution.clusters}
        live = after

        assert clusters == (_partition(list(live.values())) if live else set())


@PROPERTY
@given(records=record_sets(), forbidden=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=4))
def test_constraints_always_hold_in_the_output(records: list[NormalizedRecord],
                                               forbidden: list[tuple[int, int]]) -> None:
    cannot = [(records[a % len(records)].key, records[b % len(records)].key) for a, b in forbidden]
    by_key = {r.key: r for r in records}

    resolution = resolve(records, cannot_link=cannot, config=ResolverConfig(max_cluster_records=6))

    for cluster in resolution.clusters:
        members = [by_key[k] for k in cluster]
        assert len(members) <= 6
        assert not any((a, b) in cannot or (b, a) in cannot for a, b in combinations(cluster, 2))
        vanity = {p.value for r in members for p in r.linkedin}
        assert len(vanity) <= 1
        dates = [r.date_of_birth for r in members if r.date_of_birth]
        assert not any(dates_conflict(x, y) for x, y in combinations(dates, 2))


@PROPERTY
@given(size=st.integers(1, 25), data=st.data())
def test_unconstrained_unions_equal_the_connected_components_of_networkx(size: int, data: st.DataObject) -> None:
    bare = [match_record(_normalized("sms", f"n{i}", 0, 0, 0, 0, 0), index=i) for i in range(size)]
    edges = data.draw(st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)), max_size=40))
    clusters = Clusters(bare, cannot_link={}, max_records=size, max_distinct=size)
    for a, b in edges:
        assert clusters.conflict(a, b) is None
        clusters.union(a, b)
    graph = nx.Graph()
    graph.add_nodes_from(range(size))
    graph.add_edges_from(edges)

    ours = {frozenset(clusters.members(root)) for root in clusters.roots()}

    assert ours == {frozenset(c) for c in nx.connected_components(graph)}


# --- the region of a change -------------------------------------------------------------------------

# People seen by several channels, each record showing some of their fields: namesakes (two John
# Smiths), a family on one landline, a nickname (Beppe for Giuseppe), colleagues on one info@.
_PEOPLE = [
    {"first_name": "Marco", "last_name": "Rossi", "email": "marco.rossi@gmail.com", "phone": "+39 347 123 4567",
     "date_of_birth": "1980-01-02", "city": "Milano", "company": "Acme S.p.A."},
    {"first_name": "Giulia", "last_name": "Rossi", "email": "giulia.r@yahoo.it", "phone": "+39 348 765 4321",
     "date_of_birth": "1982-03-04", "city": "Milano", "company": "Initech GmbH"},
    {"first_name": "Giuseppe", "last_name": "Verdi", "email": "gverdi@libero.it", "phone": "+39 333 111 2222",
     "date_of_birth": "1975-05-06", "city": "Roma", "company": "Acme S.p.A.",
     "linkedin_url": "linkedin.com/in/giuseppe-verdi"},
    {"first_name": "Beppe", "last_name": "Verdi", "email": "beppe.verdi@gmail.com", "phone": "+39 333 111 2222",
     "city": "Roma", "company": "ACME"},
    {"first_name": "John", "last_name": "Smith", "email": "john.smith@gmail.com", "phone": "+1 415 555 0132",
     "date_of_birth": "1990-05-05", "city": "Boston", "company": "Initech GmbH"},
    {"first_name": "John", "last_name": "Smith", "email": "jsmith@outlook.com", "phone": "+1 212 555 0199",
     "date_of_birth": "1970-07-07", "city": "Denver", "linkedin_url": "linkedin.com/in/john-smith-denver"},
    {"first_name": "Anna", "last_name": "Nowak", "email": "anna.nowak@wp.pl", "phone": "+48 601 234 567",
     "city": "Kraków", "company": "Acme S.p.A."},
    {"first_name": "Goffredo", "last_name": "Lanciotti", "email": "goffredo.lanciotti@gmail.com",
     "phone": "+39 340 999 8888", "city": "Roma"},
]
# What channels typically hold of a person: a name alone (a store receipt), a name with one
# identifier or one attribute, a bare email or phone, or everything (a web order).
_SHAPES = [("first_name",), ("first_name", "email"), ("first_name", "phone"), ("email",), ("phone",),
           ("first_name", "city"), ("first_name", "company"), ("first_name", "date_of_birth"),
           ("first_name", "linkedin_url"), ("first_name", "email", "phone", "date_of_birth", "city", "company")]
_FAMILY_LANDLINE = "+39 02 1234 5678"
_ROLE_MAILBOX = "info@acme.io"


@cache
def _seen(record_id: str, person: int, shape: int, noise: int) -> NormalizedRecord:
    """Return a record of one of ``_PEOPLE`` with the fields of one of ``_SHAPES``, with some ``noise``."""
    who = _PEOPLE[person]
    fields: dict[str, object] = {"source": _SOURCES[int(record_id[2:]) % 3], "source_record_id": record_id,
                                 "observed_at": "2024-01-01T00:00:00Z"}
    for name in _SHAPES[shape]:
        if name == "first_name":
            fields["first_name"], fields["last_name"] = who["first_name"], who["last_name"]
        elif name == "city":
            fields["address"] = {"city": who["city"]}
        elif name in who:
            fields[name] = who[name]
    if noise == 1:
        fields["phone"] = _FAMILY_LANDLINE  # the Rossi family's landline, or a switchboard
    elif noise == 2:
        fields["email"] = _ROLE_MAILBOX
    return normalize_record(RecordIn.model_validate(fields), default_region="US")


def _key(i: int) -> RecordKey:
    return (_SOURCES[i % 3], f"id{i}")


@st.composite
def histories(draw: st.DrawFn) -> History:
    """Batches of (upserts, records to delete, links to set or drop); record ids are ``id0`` … ``id23``."""
    batches = []
    seen = st.tuples(st.integers(0, 23), st.integers(0, len(_PEOPLE) - 1), st.integers(0, len(_SHAPES) - 1),
                     st.integers(0, 5))
    for batch in range(draw(st.integers(2, 8))):
        # A first load of many records, then small changes to it.
        drawn = draw(st.lists(seen, min_size=12, max_size=24) if batch == 0 else st.lists(seen, max_size=3))
        upserts = [_seen(f"id{i}", person, shape, noise) for i, person, shape, noise in drawn]
        deletions = [_key(i) for i in draw(st.lists(st.integers(0, 23), max_size=2))]
        links = [(kind, _key(a), _key(b)) for kind, a, b in draw(st.lists(st.tuples(
            st.sampled_from(["must", "cannot", "drop"]), st.integers(0, 23), st.integers(0, 23)), max_size=2))]
        batches.append((upserts, deletions, links))
    return batches


@settings(PROPERTY, max_examples=400)
@given(batches=histories(), bounds=st.sampled_from([(500, 40), (3, 3), (2, 1)]))
def test_re_deciding_only_the_region_of_each_change_equals_resolving_everything(
    batches: History, bounds: tuple[int, int],
) -> None:
    replay_regions(batches, ResolverConfig(max_identifier_group=bounds[0], max_name_block=bounds[1]))
