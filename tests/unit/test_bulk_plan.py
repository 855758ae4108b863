"""How an import's apply finds crowded keys and splits its records into independent parts (``service.bulk``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resolvers.blocking import key_bound
from resolvers.config import ResolverConfig
from service.bulk import _crowded, _Node, _parts

CONFIG = ResolverConfig(max_identifier_group=5, max_name_block=3)


@pytest.mark.parametrize(("delta", "stored", "crowded"), [
    ({"email:a@x.org": 5}, {}, set()),  # at the bound: still links
    ({"email:a@x.org": 6}, {}, {"email:a@x.org"}),
    ({"n:rossi|anna": 4}, {}, {"n:rossi|anna"}),  # a profile key's bound is the name block's
    ({"n:rossi|anna": 2}, {"n:rossi|anna": 2}, {"n:rossi|anna"}),  # stored holders count too
    ({"email:a@x.org": -2}, {"email:a@x.org": 7}, set()),  # the change takes holders away
    ({}, {"phone:+39347": 9}, {"phone:+39347"}),  # a key only the stored records hold
    ({"phone:+39347": 0}, {"phone:+39347": 4}, set()),
])
def test_a_key_is_crowded_when_its_holders_after_the_change_pass_its_bound(
        delta: dict[str, int], stored: dict[str, int], crowded: set[str]) -> None:
    assert _crowded(delta=delta, stored=stored, config=CONFIG) == crowded


KEYS = st.sampled_from(["email:a@x.org", "phone:+39347", "n:rossi|anna", "e:anna@x", "li:anna-r"])


@given(delta=st.dictionaries(KEYS, st.integers(-10, 10)), stored=st.dictionaries(KEYS, st.integers(0, 10)))
def test_crowded_keys_are_those_whose_total_passes_their_bound(delta: dict[str, int], stored: dict[str, int]) -> None:
    expected = {key for key in delta.keys() | stored.keys()
                if delta.get(key, 0) + stored.get(key, 0) > key_bound(key, CONFIG)}

    assert _crowded(delta=delta, stored=stored, config=CONFIG) == expected


def _node(name: str, *keys: str, profile: str | None = None) -> _Node:
    return _Node(key=("shop", name), keys=list(keys), profile=profile)


def test_records_join_through_shared_keys_unless_crowded_and_through_a_stored_profile() -> None:
    nodes = [_node("a", "email:a@x.org", "n:rossi|anna"), _node("b", "email:a@x.org"),
             _node("c", "n:rossi|anna"), _node("d", "phone:+39347", profile="P1"), _node("e", profile="P1"),
             _node("f", "phone:+39999")]

    parts = _parts(nodes, crowded={"n:rossi|anna"}, must=[])

    assert parts == [[0, 1], [3, 4], [2], [5]]  # largest first, then by first record
    assert _parts(nodes, crowded=set(), must=[(("shop", "f"), ("shop", "b"))]) == [[0, 1, 2, 5], [3, 4]]
