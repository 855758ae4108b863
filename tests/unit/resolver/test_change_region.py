"""The region of a change: what it must re-decide, what it must read, and what it can leave alone.

Each scenario replays a history through ``change_region`` (``factories.replay_regions``), which
checks after every change that re-deciding the region alone gives the partition of resolving
everything; the assertions here say what the scenario is about.
"""

from __future__ import annotations

from resolvers.blocking import components
from resolvers.config import ResolverConfig
from resolvers.features import match_record

from .factories import record, replay_regions

RARE = {"first_name": "Goffredo", "last_name": "Lanciotti"}


def test_a_key_crowded_past_the_rare_name_limit_splits_a_profile_the_change_does_not_touch() -> None:
    # Three Goffredo Lanciottis with nothing else in common are one person by their rare name;
    # a fourth makes the name too crowded to tell, and the three stored ones part.
    stored = [record("crm", "a", **RARE, email="g.lanciotti@gmail.com"),
              record("store", "b", **RARE, phone="+39 340 999 8888"),
              record("sms", "c", **RARE, email="goffredo@yahoo.it")]
    fourth = record("web", "d", **RARE, email="gl@libero.it")

    regions = replay_regions([(stored, [], []), ([fourth], [], [])])

    assert len(regions[0].clusters) == 1
    assert {k for k, in regions[1].clusters} == {("crm", "a"), ("store", "b"), ("sms", "c"), ("web", "d")}


def test_a_profile_freed_of_a_conflicting_partner_merges_with_a_record_that_shares_no_key_with_the_change() -> None:
    # h joins w by their rare name (with the same city) before x by employer and postal code, and
    # w's date of birth forbids x. Two more namesakes make the name crowded: h and w part, and h
    # now joins x, which carries none of the namesakes' keys; the region reads it as h's context.
    h = record("crm", "h", **RARE, company="Acme", address={"postal_code": "00100", "city": "Roma"})
    w = record("store", "w", **RARE, date_of_birth="1980-05-05", email="glw@gmail.com", address={"city": "Roma"})
    x = record("sms", "x", first_name="Goffredo", company="Acme", date_of_birth="1990-09-09",
               address={"postal_code": "00100"})
    namesakes = [record("web", "d", **RARE, email="g4@libero.it"), record("web", "e", **RARE, email="g5@libero.it")]

    regions = replay_regions([([h, w, x], [], []), (namesakes, [], [])])

    assert (("crm", "h"), ("store", "w")) in regions[0].clusters
    assert (("crm", "h"), ("sms", "x")) in regions[1].clusters


def test_a_change_reads_its_neighbourhood_and_not_its_whole_candidate_component() -> None:
    # Thirty Annas whose double surnames overlap pairwise: one candidate component, thirty people.
    surnames = [stem + end for stem in ("Kal", "Mor", "Ten", "Vis", "Dor", "Pel")
                for end in ("ski", "ova", "ani", "etti", "sen", "berg")]
    chain = [record("crm", f"c{i:02d}", first_name="Anna", last_name=f"{surnames[i]} {surnames[i + 1]}",
                    email=f"anna{i}@posteo.de") for i in range(30)]
    matched = [match_record(r, index=i) for i, r in enumerate(sorted(chain, key=lambda r: r.key))]
    again = record("store", "s1", first_name="Anna", last_name=f"{surnames[15]} {surnames[16]}",
                   email="anna15@posteo.de")

    regions = replay_regions([(chain, [], []), ([again], [], [])])

    assert [len(part) for part in components(matched, ResolverConfig()).parts] == [30]
    assert (("crm", "c15"), ("store", "s1")) in regions[1].clusters
    assert regions[1].read <= 6


def test_erasing_the_record_that_bridged_two_profiles_splits_them() -> None:
    left = record("crm", "l", first_name="Anna", last_name="Nowak", email="anna.nowak@wp.pl")
    right = record("sms", "r", first_name="Anna", last_name="Nowak", phone="+48 601 234 567")
    bridge = record("web", "b", first_name="Anna", last_name="Nowak", email="anna.nowak@wp.pl",
                    phone="+48 601 234 567")
    namesakes = [record("store", f"n{i}", first_name="Anna", last_name="Nowak", email=f"an{i}@onet.pl")
                 for i in range(4)]

    regions = replay_regions([([left, right, bridge, *namesakes], [], []), ([], [("web", "b")], [])])

    assert (("crm", "l"), ("sms", "r"), ("web", "b")) in regions[0].clusters
    assert {(("crm", "l"),), (("sms", "r"),)} <= set(regions[1].clusters)


def test_a_must_link_carries_the_region_to_the_far_record() -> None:
    near = record("crm", "near", first_name="Marco", last_name="Rossi", email="marco.rossi@gmail.com")
    far = record("store", "far", first_name="Marco", last_name="Rossi", phone="+39 347 123 4567")
    update = record("crm", "near", first_name="Marco", last_name="Rossi", email="m.rossi@libero.it")

    regions = replay_regions([([near, far], [], []),
                              ([], [], [("must", ("crm", "near"), ("store", "far"))]),
                              ([update], [], [])])

    assert {("crm", "near"), ("store", "far")} <= regions[2].decided
    assert (("crm", "near"), ("store", "far")) in regions[2].clusters
