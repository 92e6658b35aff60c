"""The human judgments, in one SQLite file under the output root (``<out>/annotation/judgments.sqlite``).

Why SQLite in WAL mode: the annotation page is one server process whose request threads write
concurrently, a build may read the file while people annotate, and WAL lets readers go on while one
writer commits. Every write is one short ``BEGIN IMMEDIATE`` transaction (the write lock is taken at
the start, so two writers never deadlock upgrading a read lock) and every connection waits for the
lock (``busy_timeout``) instead of failing.

A judgment is keyed by (triplet, a, b, question, annotator): a second submission of the same key is
never stored twice and never overwrites the first answer (the primary key and ``INSERT OR IGNORE``
make that hold whatever the number of writers). Annotators are stored only as pseudonyms: an
HMAC-SHA256 of the id they typed, keyed by a per-output-root salt that stays in ``<out>/annotation/salt``
(mode 0600) and is never published, so the published labels cannot be linked back to a name and the
same person keeps one pseudonym across sessions.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import secrets
import sqlite3
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from earsense_m2t.annotation.paths import AnnotationPaths
from earsense_m2t.schemas.annotation import ANSWERS, JUDGMENT_SOURCES, QUESTIONS, Judgment

#: how long a writer waits for the lock before giving up (ms): far above any transaction's length here
BUSY_TIMEOUT_MS = 30_000
#: bumped when the table changes; a newer file is refused instead of misread, an older one is migrated
#: (2: the ``played_a``/``played_b`` columns, NULL for the judgments stored before them)
STORE_VERSION = 2
#: an annotator id is a short name or code, nothing else: letters, digits, spaces and ``. _ - @ +``
ANNOTATOR_ID_MAX = 64
_ANNOTATOR_ID = re.compile(r"[\w .@+-]+")
#: the pseudonym's length in hex digits (64 bits: no collision among any realistic number of annotators)
PSEUDONYM_HEX = 16

_SCHEMA = """
CREATE TABLE IF NOT EXISTS judgments (
    triplet_id   TEXT NOT NULL,
    a            TEXT NOT NULL,
    b            TEXT NOT NULL,
    question     TEXT NOT NULL,
    answer       TEXT NOT NULL,
    annotator    TEXT NOT NULL,
    source       TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    played_a     INTEGER,
    played_b     INTEGER,
    PRIMARY KEY (triplet_id, a, b, question, annotator)
);
CREATE INDEX IF NOT EXISTS judgments_by_annotator ON judgments (annotator);
"""
_COLUMNS = "triplet_id, a, b, question, answer, annotator, source, submitted_at, played_a, played_b"
#: what each older layout lacks, added in place when such a file is opened (its rows keep NULL: not known)
_MIGRATIONS = {1: "ALTER TABLE judgments ADD COLUMN played_a INTEGER; ALTER TABLE judgments ADD COLUMN played_b INTEGER;"}

#: ``not stored``: new, but its batch was rolled back because of a conflict (``all_or_nothing``)
Status = Literal["stored", "already stored", "conflict", "not stored"]


class BadAnnotatorId(ValueError):
    """An annotator id the page refuses (empty, too long, or with characters such as HTML or script)."""


class StoreError(RuntimeError):
    """The judgments file cannot be used (another program's file, a newer layout, unreadable)."""


@dataclass(frozen=True)
class Submitted:
    """What became of one submitted judgment; ``stored_answer`` is the answer kept for its key."""

    judgment: Judgment
    status: Status
    stored_answer: str


def check_annotator_id(raw_id: str) -> str:
    """The id as it is hashed (NFC, trimmed, case-folded: "Ana " and "ana" are one person), or BadAnnotatorId.

    The message never repeats the refused id: it may be markup, and messages end up in logs and pages.
    """
    if not isinstance(raw_id, str):
        raise BadAnnotatorId(f"annotator id: expected a string, got {type(raw_id).__name__}")
    text = unicodedata.normalize("NFC", raw_id).strip()
    if not text:
        raise BadAnnotatorId("annotator id: empty; type a name or code")
    if len(text) > ANNOTATOR_ID_MAX:
        raise BadAnnotatorId(f"annotator id: {len(text)} characters, at most {ANNOTATOR_ID_MAX} allowed")
    if not _ANNOTATOR_ID.fullmatch(text):
        bad = sorted({c for c in text if not _ANNOTATOR_ID.fullmatch(c)})
        shown = " ".join(repr(c) for c in bad[:5])
        raise BadAnnotatorId(f"annotator id: characters {shown} are not allowed (no HTML or script); "
                             "use letters, digits, spaces and . _ - @ +")
    return text.casefold()


def pseudonymize(raw_annotator_id: str, salt: bytes) -> str:
    """The stored name of an annotator: ``"p"`` + HMAC-SHA256(salt, id) in hex, never the id itself."""
    if len(salt) < 16:
        raise ValueError(f"pseudonymize: the salt has {len(salt)} bytes, at least 16 expected")
    digest = hmac.new(salt, check_annotator_id(raw_annotator_id).encode("utf-8"), hashlib.sha256).hexdigest()
    return "p" + digest[:PSEUDONYM_HEX]


def load_salt(annotation_dir: Path) -> bytes:
    """The output root's pseudonymization salt, created (32 random bytes, mode 0600) on first use.

    Creation is atomic: the salt is written to a private temporary file and linked into place, so two
    processes starting at once agree on one salt and none reads a half-written file.
    """
    path = AnnotationPaths.at(annotation_dir).salt
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32) + "\n")
            with contextlib.suppress(FileExistsError):  # another process won the race: its salt holds
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)  # a salt others can read would let them test guessed names against pseudonyms
    text = path.read_text(encoding="ascii").strip()
    try:
        salt = bytes.fromhex(text)
    except ValueError:
        raise StoreError(f"{path}: not a hex salt; restore it from a backup (a new salt gives every annotator "
                         "a new pseudonym)") from None
    if len(salt) < 16:
        raise StoreError(f"{path}: {len(salt)} bytes of salt, at least 16 expected")
    return salt


def check_judgment(judgment: Judgment) -> None:
    """A judgment the store accepts, or ValueError naming the judgment and the field."""
    for field, allowed in (("question", QUESTIONS), ("answer", ANSWERS), ("source", JUDGMENT_SOURCES)):
        value = getattr(judgment, field)
        if value not in allowed:
            raise ValueError(f"judgment {judgment.id}: {field} {value!r}, expected one of {', '.join(allowed)}")
    for field in ("triplet_id", "a", "b", "annotator"):
        if not getattr(judgment, field):
            raise ValueError(f"judgment {judgment.id}: empty {field}")


class JudgmentStore:
    """Judgments in SQLite; any thread may use one store (each thread gets its own connection, kept open).

    Connections are kept rather than opened per call: closing the last connection to a WAL database
    checkpoints and removes the WAL, which cost more than the insert itself (3 ms a submission, against
    well under 1 ms with kept connections, measured on the page's concurrency test).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[sqlite3.Connection] = []
        try:
            self._set_up()
        except BaseException:
            self.close()
            raise

    def _set_up(self) -> None:
        with self._connect() as conn:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode != "wal":
                raise StoreError(f"{self.path}: SQLite would not switch to WAL mode (it stays in {mode!r})")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > STORE_VERSION or (version and version not in _MIGRATIONS and version != STORE_VERSION):
                raise StoreError(f"{self.path}: judgments file of layout {version}, this code reads {STORE_VERSION}")
            conn.execute("BEGIN IMMEDIATE")
            try:
                # read again under the write lock: another process may have migrated the file meanwhile
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                for step in range(version or STORE_VERSION, STORE_VERSION):
                    for statement in _MIGRATIONS[step].split(";"):
                        if statement.strip():
                            conn.execute(statement)
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {STORE_VERSION}")
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # check_same_thread off only so that close() may close it; one thread uses each connection
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                   check_same_thread=False)
            try:
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: a commit survives a crash of the process
            except sqlite3.Error:
                conn.close()
                raise
            self._local.conn = conn
            with self._lock:
                self._open.append(conn)
        return conn

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            yield self._connection()
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {exc}") from exc

    def close(self) -> None:
        """Close every thread's connection (the last one to close checkpoints the WAL into the database)."""
        with self._lock:
            for conn in self._open:
                conn.close()
            self._open.clear()
            self._local = threading.local()

    def __enter__(self) -> JudgmentStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def journal_mode(self) -> str:
        with self._connect() as conn:
            return str(conn.execute("PRAGMA journal_mode").fetchone()[0])

    def submit(self, judgments: Sequence[Judgment], *, all_or_nothing: bool = False) -> list[Submitted]:
        """Store the judgments not stored yet, in one transaction; never overwrite one that is.

        Each result says ``stored``, ``already stored`` (same answer as the one kept) or ``conflict`` (a
        different answer is kept). With ``all_or_nothing``, one conflict stores nothing of the batch.
        """
        for judgment in judgments:
            check_judgment(judgment)
        results: list[Submitted] = []
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for j in judgments:
                    cursor = conn.execute(f"INSERT OR IGNORE INTO judgments ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                                          (j.triplet_id, j.a, j.b, j.question, j.answer, j.annotator, j.source,
                                           j.submitted_at, _flag(j.played_a), _flag(j.played_b)))
                    if cursor.rowcount == 1:
                        results.append(Submitted(j, "stored", j.answer))
                        continue
                    kept = conn.execute("SELECT answer FROM judgments WHERE triplet_id=? AND a=? AND b=? AND "
                                        "question=? AND annotator=?",
                                        (j.triplet_id, j.a, j.b, j.question, j.annotator)).fetchone()[0]
                    results.append(Submitted(j, "already stored" if kept == j.answer else "conflict", kept))
                if all_or_nothing and any(r.status == "conflict" for r in results):
                    conn.execute("ROLLBACK")
                    return [Submitted(r.judgment, "not stored", r.stored_answer) if r.status == "stored" else r
                            for r in results]
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return results

    def add(self, judgments: Sequence[Judgment]) -> int:
        """Store the judgments not stored yet; returns how many were new (idempotent on their key)."""
        return sum(r.status == "stored" for r in self.submit(judgments))

    def all(self) -> list[Judgment]:
        """Every judgment, in the order they were stored."""
        with self._connect() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM judgments ORDER BY rowid").fetchall()
        return [_judgment(row) for row in rows]

    def count(self) -> int:
        with self._connect() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM judgments").fetchone()[0])

    def of_annotator(self, annotator: str) -> list[Judgment]:
        """One pseudonym's judgments (the page's "what is left for this person")."""
        with self._connect() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM judgments WHERE annotator = ? ORDER BY rowid",
                                (annotator,)).fetchall()
        return [_judgment(row) for row in rows]

    def answers_of(self, annotator: str) -> dict[tuple[str, str, str], dict[str, str]]:
        """One pseudonym's answers by pair (triplet id, a, b) and question: what the page asks per request,
        read without building records (it runs on every submission)."""
        out: dict[tuple[str, str, str], dict[str, str]] = {}
        with self._connect() as conn:
            for triplet_id, a, b, question, answer in conn.execute(
                    "SELECT triplet_id, a, b, question, answer FROM judgments WHERE annotator = ?", (annotator,)):
                out.setdefault((triplet_id, a, b), {})[question] = answer
        return out


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _judgment(row: tuple[object, ...]) -> Judgment:
    triplet_id, a, b, question, answer, annotator, source, submitted_at, played_a, played_b = row
    return Judgment(triplet_id=str(triplet_id), a=str(a), b=str(b), question=str(question), answer=str(answer),
                    annotator=str(annotator), source=str(source), submitted_at=str(submitted_at),
                    played_a=None if played_a is None else bool(played_a),
                    played_b=None if played_b is None else bool(played_b))


def open_store(annotation_dir: Path) -> tuple[JudgmentStore, bytes]:
    """The store and the salt of one output root's annotation folder."""
    return JudgmentStore(AnnotationPaths.at(annotation_dir).judgments), load_salt(annotation_dir)
