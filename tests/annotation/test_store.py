"""The judgments store: WAL mode, idempotent on (triplet, a, b, question, annotator), pseudonyms only."""

from __future__ import annotations

import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from earsense_m2t.annotation.tool.store import (
    ANNOTATOR_ID_MAX,
    BadAnnotatorId,
    JudgmentStore,
    StoreError,
    load_salt,
    open_store,
    pseudonymize,
)
from earsense_m2t.schemas.annotation import Judgment

SALT = bytes(range(32))


def judgment(question: str = "arousal", answer: str = "a", annotator: str = "p1", a: str = "w#1", b: str = "w#2",
             triplet_id: str = "t1") -> Judgment:
    return Judgment(triplet_id=triplet_id, a=a, b=b, question=question, answer=answer, annotator=annotator,
                    submitted_at="2025-01-01T00:00:00Z")


@pytest.fixture
def store(tmp_path: Path) -> JudgmentStore:
    return JudgmentStore(tmp_path / "annotation" / "judgments.sqlite")


def test_the_file_is_in_wal_mode(store: JudgmentStore):
    assert store.journal_mode() == "wal"
    conn = sqlite3.connect(store.path)  # WAL is a property of the file: any connection sees it
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_a_judgment_is_stored_once_and_never_overwritten(store: JudgmentStore):
    first = [judgment("arousal", "a"), judgment("valence", "ab"), judgment("arousal", "b", annotator="p2")]
    assert store.add(first) == 3
    assert store.add(first) == 0
    assert store.add([judgment("arousal", "b")]) == 0  # same key, another answer: the first one holds
    assert store.count() == 3
    assert [(j.question, j.answer, j.annotator) for j in store.all()] == [
        ("arousal", "a", "p1"), ("valence", "ab", "p1"), ("arousal", "b", "p2")]
    assert store.all()[0] == first[0]  # every field round-trips


def test_submit_says_what_became_of_each_judgment(store: JudgmentStore):
    store.add([judgment("arousal", "a")])
    results = store.submit([judgment("arousal", "a"), judgment("valence", "b"), judgment("arousal", "b", annotator="p1",
                                                                                          a="w#1", b="w#3")])
    assert [r.status for r in results] == ["already stored", "stored", "stored"]
    conflict = store.submit([judgment("arousal", "b")])[0]
    assert (conflict.status, conflict.stored_answer) == ("conflict", "a")


def test_all_or_nothing_stores_nothing_of_a_batch_with_a_conflict(store: JudgmentStore):
    store.add([judgment("arousal", "a")])
    results = store.submit([judgment("valence", "b"), judgment("arousal", "ab")], all_or_nothing=True)
    assert [r.status for r in results] == ["not stored", "conflict"]
    assert store.count() == 1


def test_an_invalid_judgment_is_refused_and_nothing_of_its_batch_is_stored(store: JudgmentStore):
    with pytest.raises(ValueError, match=r"t1/w#1-w#2/arousal/p1: answer 'c', expected one of a, b, ab, not_selected"):
        store.add([judgment("valence", "a"), judgment("arousal", "c")])
    with pytest.raises(ValueError, match="question 'tempo'"):
        store.add([judgment("tempo", "a")])
    assert store.count() == 0


def test_many_threads_adding_overlapping_judgments_store_each_once(store: JudgmentStore):
    keys = [(q, f"w#{i}") for i in range(25) for q in ("arousal", "valence")]
    new_counts: list[int] = []

    def writer(annotator: str) -> None:
        for question, b in keys:
            new_counts.append(store.add([judgment(question, "a", annotator=annotator, b=b)]))

    threads = [threading.Thread(target=writer, args=(f"p{n % 4}",)) for n in range(8)]  # two writers per annotator
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.count() == 4 * len(keys)
    assert sum(new_counts) == 4 * len(keys)


def test_a_file_that_is_not_a_judgments_store_is_refused(tmp_path: Path):
    path = tmp_path / "judgments.sqlite"
    path.write_bytes(b"not a database, " * 100)
    with pytest.raises(StoreError, match=str(path)):
        JudgmentStore(path)


def test_pseudonyms_are_stable_salted_and_hide_the_id():
    one = pseudonymize("Ana Lima", SALT)
    assert one == pseudonymize("  ana lima ", SALT)  # trimmed and case-folded: one person, one pseudonym
    assert one != pseudonymize("Ana Lima", bytes(reversed(SALT)))
    assert one != pseudonymize("Ana Lim", SALT)
    assert one.startswith("p") and len(one) == 17 and "ana" not in one.lower()[1:]


@pytest.mark.parametrize("raw, needle", [
    ("<script>alert(1)</script>", "'/' '<' '>' are not allowed (no HTML or script)"),
    ("ana<b>", "'<' '>'"),
    ('x" onmouseover="y', "'\"' '='"),
    ("a&amp;b", "'&' ';'"),
    ("", "empty"),
    ("   ", "empty"),
    ("x" * (ANNOTATOR_ID_MAX + 1), f"{ANNOTATOR_ID_MAX + 1} characters, at most {ANNOTATOR_ID_MAX}"),
])
def test_annotator_ids_with_markup_or_too_long_are_refused_without_repeating_them(raw: str, needle: str):
    with pytest.raises(BadAnnotatorId) as info:
        pseudonymize(raw, SALT)
    assert needle in str(info.value)
    assert "script>" not in str(info.value) and "onmouseover" not in str(info.value)


def test_plain_ids_in_any_script_are_accepted():
    for raw in ("ana.lima@uni-x.org", "Ann-Kathrin_2", "Zoë Müller", "佐藤", "rater+7"):
        assert pseudonymize(raw, SALT).startswith("p")


def test_the_salt_is_created_once_private_and_shared_by_concurrent_first_users(tmp_path: Path):
    folder = tmp_path / "annotation"
    salts: list[bytes] = []
    threads = [threading.Thread(target=lambda: salts.append(load_salt(folder))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(salts)) == 1 and len(salts[0]) == 32
    assert stat.S_IMODE((folder / "salt").stat().st_mode) == 0o600
    assert sorted(p.name for p in folder.iterdir()) == ["salt"]  # no temporary file left behind
    (folder / "salt").chmod(0o644)
    assert load_salt(folder) == salts[0]
    assert stat.S_IMODE((folder / "salt").stat().st_mode) == 0o600


def test_the_raw_id_is_nowhere_in_the_store(tmp_path: Path):
    store, salt = open_store(tmp_path / "annotation")
    raw = "Rosalind Quartermaine"
    store.add([judgment(annotator=pseudonymize(raw, salt))])
    files = [p for p in (tmp_path / "annotation").iterdir() if p.name.startswith("judgments.sqlite")]
    assert files
    for path in files:  # the database and its WAL
        data = path.read_bytes().lower()
        assert raw.lower().encode() not in data and b"quartermaine" not in data
    assert store.all()[0].annotator == pseudonymize(raw, salt)


def test_whether_each_excerpt_was_played_round_trips_and_unknown_stays_none(store: JudgmentStore):
    played = Judgment(triplet_id="t1", a="w#1", b="w#2", question="arousal", answer="a", annotator="p1",
                      submitted_at="2025-01-01T00:00:00Z", played_a=True, played_b=False)
    store.add([played, judgment(question="valence")])
    by_question = {j.question: j for j in store.all()}
    assert (by_question["arousal"].played_a, by_question["arousal"].played_b) == (True, False)
    assert (by_question["valence"].played_a, by_question["valence"].played_b) == (None, None)


def test_a_store_of_the_first_layout_opens_keeps_its_judgments_and_takes_listening_flags(tmp_path: Path):
    path = tmp_path / "annotation" / "judgments.sqlite"
    path.parent.mkdir()
    conn = sqlite3.connect(path)
    conn.executescript("""
        PRAGMA journal_mode=WAL;
        CREATE TABLE judgments (triplet_id TEXT NOT NULL, a TEXT NOT NULL, b TEXT NOT NULL, question TEXT NOT NULL,
            answer TEXT NOT NULL, annotator TEXT NOT NULL, source TEXT NOT NULL, submitted_at TEXT NOT NULL,
            PRIMARY KEY (triplet_id, a, b, question, annotator));
        CREATE INDEX judgments_by_annotator ON judgments (annotator);
        INSERT INTO judgments VALUES ('t1', 'w#1', 'w#2', 'arousal', 'b', 'p1', 'human', '2025-01-01T00:00:00Z');
        PRAGMA user_version = 1;
    """)
    conn.close()
    with JudgmentStore(path) as store:
        (old,) = store.all()
        assert (old.answer, old.played_a, old.played_b) == ("b", None, None)
        assert store.add([judgment(question="arousal", answer="b")]) == 0  # still the same key: already stored
        store.add([Judgment(triplet_id="t1", a="w#1", b="w#2", question="valence", answer="a", annotator="p1",
                            submitted_at="2025-01-02T00:00:00Z", played_a=True, played_b=True)])
    with JudgmentStore(path) as reopened:  # the migrated file opens again
        assert [(j.question, j.played_a, j.played_b) for j in reopened.all()] == [("arousal", None, None),
                                                                                   ("valence", True, True)]
