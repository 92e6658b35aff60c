"""Triplets: disjoint, grouped by stratum, deterministic, append-only rounds with stable ids."""

import random

import pytest

from earsense_m2t.annotation.triplets import (
    TripletParams,
    append_triplets,
    draw_triplets,
    read_triplets,
    triplet_id,
)
from earsense_m2t.schemas import RecordError, Triplet

IDS = [f"W{w}#{n}" for w in range(6) for n in range(1, 5)]  # 24 movements
STRATA = {m: ("quartet" if m < "W3" else "trio") for m in IDS}


def movements_of(triplets):
    return [m for t in triplets for m in t.movement_ids]


def test_draw_is_disjoint_grouped_and_deterministic():
    drawn = draw_triplets([], IDS, STRATA, seed=7)
    ids = movements_of(drawn)
    assert len(ids) == len(set(ids)) == 24 and len(drawn) == 8
    groups = [t for t in drawn if t.triplet_type.startswith("group:")]
    assert {t.triplet_type for t in groups} == {"group:ensemble=quartet", "group:ensemble=trio"}
    for t in groups:
        assert len({STRATA[m] for m in t.movement_ids}) == 1
    assert sum(t.triplet_type == "global" for t in drawn) == 4  # half of each stratum goes global
    shuffled = IDS[:]
    random.Random(1).shuffle(shuffled)
    assert draw_triplets([], shuffled, STRATA, seed=7) == drawn
    assert draw_triplets([], IDS, STRATA, seed=8) != drawn
    for t in drawn:
        assert t.id == triplet_id(t.movement_ids, 7) and t.id.startswith("t") and len(t.id) == 13
        assert t.pairs() == ((t.movement_ids[0], t.movement_ids[1]), (t.movement_ids[0], t.movement_ids[2]),
                             (t.movement_ids[1], t.movement_ids[2]))


def test_rounds_hold_round_size_triplets():
    drawn = draw_triplets([], IDS, STRATA, seed=0, params=TripletParams(round_size=3))
    assert [t.round for t in drawn] == [1, 1, 1, 2, 2, 2, 3, 3]


def test_stratum_is_configurable_and_checked():
    tempo = {m: ("slow" if m.endswith("#2") else "fast") for m in IDS}
    drawn = draw_triplets([], IDS, tempo, seed=0, params=TripletParams(stratum="tempo_tag", group_fraction=1.0))
    assert {t.triplet_type for t in drawn} >= {"group:tempo_tag=fast", "group:tempo_tag=slow"}
    with pytest.raises(ValueError, match="stratum must be one of"):
        TripletParams(stratum="genre")


def test_new_movements_go_into_new_rounds_and_old_triplets_stay(tmp_path):
    path = tmp_path / "triplets.jsonl"
    first = draw_triplets([], IDS[:12], STRATA, seed=0, version="1.0.0")
    assert append_triplets(path, first) == 4
    before = path.read_bytes()
    # next release: W0#1 left the dataset, 12 new movements came
    pool = IDS[1:]
    second = draw_triplets(read_triplets(path), pool, STRATA, seed=0, version="1.1.0")
    assert set(movements_of(second)) == set(IDS[12:]) and {t.round for t in second} == {2}
    assert all(t.created_version == "1.1.0" for t in second)
    append_triplets(path, second)
    assert path.read_bytes().startswith(before)  # earlier rounds byte for byte
    assert read_triplets(path) == [*first, *second]
    assert draw_triplets(read_triplets(path), pool, STRATA, seed=0) == []  # a rerun draws nothing new


def test_a_movement_in_two_triplets_is_refused(tmp_path):
    path = tmp_path / "triplets.jsonl"
    append_triplets(path, [Triplet(id=triplet_id(["a", "b", "c"], 0), round=1, triplet_type="global",
                                   movement_ids=("a", "b", "c"))])
    clash = Triplet(id=triplet_id(["a", "d", "e"], 0), round=2, triplet_type="global", movement_ids=("a", "d", "e"))
    with pytest.raises(RecordError, match="movement 'a' is already in triplet"):
        append_triplets(path, [clash])
    assert len(read_triplets(path)) == 1


def test_a_malformed_file_names_file_and_line(tmp_path):
    path = tmp_path / "triplets.jsonl"
    path.write_text('{"id": "t000000000000", "round": 1}\n')
    with pytest.raises(ValueError, match=r"triplets.jsonl:1: not a valid Triplet"):
        read_triplets(path)
