"""Many annotators at once over HTTP: every judgment stored exactly once, resubmissions never add a row.

The page runs as `earsense-m2t annotate` in its own process, as a person runs it; every simulated
annotator is a thread with its own keep-alive connection.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from earsense_m2t.annotation.paths import AnnotationPaths
from earsense_m2t.annotation.tool.store import JudgmentStore, load_salt, pseudonymize
from earsense_m2t.schemas.annotation import Triplet
from tests.annotation._webfixtures import build_folder, page_process

ANNOTATORS = 20
JUDGMENTS_EACH = 100  # 50 pairs x 2 questions, one judgment per request


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, list[Triplet]]]:
    out = tmp_path_factory.mktemp("out")
    _, triplets = build_folder(out / "annotation", n_triplets=17, seconds=0.1)  # 51 pairs
    with page_process(out) as url:
        yield url, out / "annotation", triplets


def plan(triplets: list[Triplet], annotator: str, seed: int) -> list[dict[str, Any]]:
    """One annotator's 100 submissions of one judgment each, with answers and an order of their own."""
    pairs = [(t.id, a, b) for t in triplets for a, b in t.pairs()][:JUDGMENTS_EACH // 2]
    rng = random.Random(seed)
    bodies = [{"annotator": annotator, "triplet_id": tid, "a": a, "b": b,
               "answers": {question: rng.choice(("a", "b", "ab"))}}
              for tid, a, b in pairs for question in ("arousal", "valence")]
    rng.shuffle(bodies)
    return bodies


def post_all(url: str, bodies: list[dict[str, Any]]) -> list[int]:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    codes = []
    try:
        for body in bodies:
            conn.request("POST", "/api/judgments", body=json.dumps(body).encode(),
                         headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            codes.append(response.status)
    finally:
        conn.close()
    return codes


def test_twenty_annotators_submitting_a_hundred_judgments_each_store_each_exactly_once(page):
    url, folder, triplets = page
    plans = {f"Annotator {n}": plan(triplets, f"Annotator {n}", seed=n) for n in range(ANNOTATORS)}
    with ThreadPoolExecutor(ANNOTATORS) as pool:
        statuses = list(pool.map(lambda bodies: post_all(url, bodies), plans.values()))
    assert Counter(code for codes in statuses for code in codes) == {201: ANNOTATORS * JUDGMENTS_EACH}

    store = JudgmentStore(AnnotationPaths.at(folder).judgments)
    salt = load_salt(folder)
    stored = store.all()
    assert len(stored) == ANNOTATORS * JUDGMENTS_EACH
    assert len({j.id for j in stored}) == len(stored)
    expected = {(pseudonymize(name, salt), body["triplet_id"], body["a"], body["b"], question, answer)
                for name, bodies in plans.items() for body in bodies for question, answer in body["answers"].items()}
    assert {(j.annotator, j.triplet_id, j.a, j.b, j.question, j.answer) for j in stored} == expected

    # everyone resends a quarter of it at once (a flaky network's retries), a few with the other answer:
    # "already stored" or a conflict, nothing new, nothing changed
    rng = random.Random(7)
    resent = [rng.sample(bodies, JUDGMENTS_EACH // 4) for bodies in plans.values()]
    flipped = [[{**b, "answers": {q: "ab" if a != "ab" else "a" for q, a in b["answers"].items()}} for b in batch[:3]]
               for batch in resent]
    with ThreadPoolExecutor(ANNOTATORS) as pool:
        again = list(pool.map(lambda batch: post_all(url, batch), [r + f for r, f in zip(resent, flipped, strict=True)]))
    assert Counter(code for codes in again for code in codes) == {200: ANNOTATORS * JUDGMENTS_EACH // 4,
                                                                   409: ANNOTATORS * 3}
    assert store.all() == stored


def test_the_same_new_judgments_sent_by_many_threads_at_once_are_stored_once(page):
    url, folder, triplets = page
    bodies = plan(triplets, "Racer", seed=99)[:30]
    start = threading.Barrier(10)

    def race(_: int) -> list[int]:
        start.wait()
        return post_all(url, bodies)

    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(race, range(10)))
    for i in range(len(bodies)):  # exactly one thread stored each judgment; the other nine were told "already stored"
        assert sorted(codes[i] for codes in results) == [200] * 9 + [201]
    store = JudgmentStore(AnnotationPaths.at(folder).judgments)
    racer = pseudonymize("Racer", load_salt(folder))
    assert len(store.of_annotator(racer)) == len(bodies)
