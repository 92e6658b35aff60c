"""Score the article aligner on the real-article table (tests/movements/real_articles.yaml).

    .venv/bin/python scripts/align_accuracy.py [TABLE] [--cases] [--mode titles|count|none]

Prints three figures, then (with ``--cases``) every case that is not exactly right:
- per-movement accuracy: the share of movements whose passage is exactly the expected sentences
  (a movement the article does not describe is right when it gets no passage);
- sentence accuracy: the share of sentences that end up exactly where the table puts them (the set of
  movements they go to; the work text; or nowhere, for publisher text);
- cases fully right: every movement, the work text and the excluded text exact.
Must-pass cases (``must_pass: true``), the held-out batch (``holdout: true``: written after the
aligner's rules, so the honest estimate of how they generalise) and each named batch (``batch: NAME``:
cases written for one change before its rules, scored before and after it) are reported apart. Exit
code 0 always (2 for a bad --mode): this measures.

Sentences are compared without the quotation marks at their edges: a quoted sentence that describes a
movement goes to its passage with the marks removed (the passage is the movement's text, not a
citation), while the work text keeps them.

A case's movements are 1..N where N is the number of titles, else ``count``, else ``movements`` (the
true count, for scoring only: the aligner gets neither titles nor count and must infer it).

``--mode`` says what the aligner is given, as ``earsense-m2t align-text`` can be called: ``titles``
(default: each case as written), ``count`` (only the number of movements, never the titles) or
``none`` (neither: the count is inferred from the article). The truth is the same in every mode.
"""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from earsense_m2t.movements.align import Alignment, align_article, split_sentences

TABLE = Path(__file__).resolve().parents[1] / "tests" / "movements" / "real_articles.yaml"
WORK = "W"
EXCLUDED = "X"


@dataclass(frozen=True)
class Case:
    id: str
    titles: tuple[str, ...]
    count: int | None  # given to the aligner when there are no titles
    movements: int | None  # true count, for scoring only
    must_pass: bool
    holdout: bool
    batch: str | None
    paragraphs: tuple[tuple[tuple[str | tuple[int, ...], str], ...], ...]

    @property
    def article(self) -> str:
        return "\n\n".join(" ".join(s for _, s in p) for p in self.paragraphs)

    @property
    def n_movements(self) -> int:
        expected = [n for p in self.paragraphs for o, _ in p if isinstance(o, tuple) for n in o]
        return len(self.titles) or self.count or self.movements or max(expected, default=0)


def _owner(raw: object, case_id: str) -> str | tuple[int, ...]:
    if raw in (WORK, EXCLUDED):
        return str(raw)
    if isinstance(raw, int) and not isinstance(raw, bool):
        return (raw,)
    if isinstance(raw, list) and raw and all(isinstance(n, int) and not isinstance(n, bool) for n in raw):
        return tuple(raw)
    raise ValueError(f"{case_id}: owner {raw!r} is not W, X, a movement number or a list of them")


def load_cases(path: Path = TABLE) -> list[Case]:
    """The table as Case records; a malformed entry is a ValueError naming the case and the field."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, list):
        raise ValueError(f"{path}: expected a list of cases")
    cases = []
    for entry in raw:
        case_id = entry.get("id", "?")
        paragraphs = entry.get("paragraphs")
        if not isinstance(paragraphs, list) or not paragraphs:
            raise ValueError(f"{path}: case {case_id}: 'paragraphs' must be a non-empty list")
        cases.append(Case(
            id=case_id,
            titles=tuple(entry.get("titles") or ()),
            count=entry.get("count"),
            movements=entry.get("movements"),
            must_pass=bool(entry.get("must_pass", False)),
            holdout=bool(entry.get("holdout", False)),
            batch=entry.get("batch"),
            paragraphs=tuple(tuple((_owner(o, case_id), s) for o, s in p) for p in paragraphs),
        ))
    return cases


def _accepts_count() -> bool:
    return "count" in inspect.signature(align_article).parameters


MODES = ("titles", "count", "none")


def align_case(case: Case, mode: str = "titles") -> Alignment:
    """The aligner's answer given what ``mode`` allows; the count is passed only when the aligner takes one."""
    if mode not in MODES:
        raise ValueError(f"mode {mode!r}: expected one of {', '.join(MODES)}")
    titles = case.titles if mode == "titles" else ()
    count = None if mode == "none" else (len(case.titles) or case.count)
    if mode == "titles" and case.titles:
        count = None
    if _accepts_count():
        return align_article(case.article, titles, count=count)
    return align_article(case.article, titles)


_OPENING_QUOTES = "“\"‘'«„"
_CLOSING_QUOTES = "”\"’'»“"


def bare(sentence: str) -> str:
    """A sentence without the quotation marks that open or close it (what scoring compares)."""
    return sentence.strip().lstrip(_OPENING_QUOTES).rstrip(_CLOSING_QUOTES).strip()


def _sentences(text: str) -> list[str]:
    return [bare(s) for part in text.split("\n\n") for s in split_sentences(part)] if text else []


@dataclass(frozen=True)
class CaseScore:
    id: str
    must_pass: bool
    holdout: bool
    batch: str | None
    movements_right: int
    movements: int
    sentences_right: int
    sentences: int
    wrong: tuple[str, ...]  # "sentence → got, expected"

    @property
    def fully_right(self) -> bool:
        return self.movements_right == self.movements and self.sentences_right == self.sentences


def _where(result: Alignment) -> dict[str, set[str | int]]:
    where: dict[str, set[str | int]] = {}
    for passage in getattr(result, "passages", ()):
        for s in _sentences(passage.text):
            where.setdefault(s, set()).add(passage.number)
    for s in _sentences(getattr(result, "work_text", "")):
        where.setdefault(s, set()).add(WORK)
    for s in getattr(result, "excluded", ()):
        where.setdefault(bare(s), set()).add(EXCLUDED)
    return where


def score_case(case: Case, mode: str = "titles") -> CaseScore:
    result = align_case(case, mode)
    got_passages = {p.number: _sentences(p.text) for p in result.passages}
    expected_passages: dict[int, list[str]] = {}
    for p in case.paragraphs:
        for owner, sentence in p:
            if isinstance(owner, tuple):
                for n in owner:
                    expected_passages.setdefault(n, []).append(bare(sentence))
    numbers = set(range(1, case.n_movements + 1)) | set(got_passages) | set(expected_passages)
    movements_right = sum(got_passages.get(n, []) == expected_passages.get(n, []) for n in numbers)

    where = _where(result)
    wrong = []
    total = right = 0
    for p in case.paragraphs:
        for owner, sentence in p:
            expected = set(owner) if isinstance(owner, tuple) else {owner}
            got = where.get(bare(sentence), set())
            total += 1
            if got == expected:
                right += 1
            else:
                wrong.append(f"{sentence[:70]!r}: got {sorted(map(str, got))}, expected {sorted(map(str, expected))}")
    return CaseScore(case.id, case.must_pass, case.holdout, case.batch, movements_right, len(numbers), right, total, tuple(wrong))


@dataclass(frozen=True)
class Report:
    scores: tuple[CaseScore, ...]

    @property
    def movement_accuracy(self) -> float:
        return sum(s.movements_right for s in self.scores) / sum(s.movements for s in self.scores)

    @property
    def sentence_accuracy(self) -> float:
        return sum(s.sentences_right for s in self.scores) / sum(s.sentences for s in self.scores)

    @property
    def cases_right(self) -> int:
        return sum(s.fully_right for s in self.scores)

    def part(self, holdout: bool) -> Report:
        return Report(tuple(s for s in self.scores if s.holdout == holdout and s.batch is None))

    def batch(self, name: str) -> Report:
        return Report(tuple(s for s in self.scores if s.batch == name))

    def summary(self) -> list[str]:
        if not self.scores:
            return ["cases: 0"]
        return [
            f"cases: {len(self.scores)}",
            f"per-movement accuracy: {self.movement_accuracy:.3f} "
            f"({sum(s.movements_right for s in self.scores)}/{sum(s.movements for s in self.scores)} movements)",
            f"sentence accuracy: {self.sentence_accuracy:.3f} "
            f"({sum(s.sentences_right for s in self.scores)}/{sum(s.sentences for s in self.scores)} sentences)",
            f"cases fully right: {self.cases_right}/{len(self.scores)}",
        ]

    def render(self, details: bool = False) -> str:
        must = [s for s in self.scores if s.must_pass]
        lines = [*self.summary(), f"must-pass cases right: {sum(s.fully_right for s in must)}/{len(must)}"]
        if any(s.holdout or s.batch for s in self.scores):
            lines += ["", "written before the aligner changes:", *("  " + x for x in self.part(False).summary()),
                      "held-out batch:", *("  " + x for x in self.part(True).summary())]
        for name in sorted({s.batch for s in self.scores if s.batch}):
            lines += [f"batch {name}:", *("  " + x for x in self.batch(name).summary())]
        if details:
            for s in self.scores:
                if not s.fully_right:
                    lines.append(f"\n{s.id}{' (must pass)' if s.must_pass else ''}{' (held out)' if s.holdout else ''}"
                                 f"{f' (batch {s.batch})' if s.batch else ''}: "
                                 f"{s.movements_right}/{s.movements} movements")
                    lines += [f"  {w}" for w in s.wrong]
        return "\n".join(lines)


def score(cases: list[Case], mode: str = "titles") -> Report:
    return Report(tuple(score_case(c, mode) for c in cases))


def main(argv: list[str]) -> int:
    mode = "titles"
    args: list[str] = []
    rest = iter(argv)
    for a in rest:
        if a == "--mode":
            mode = next(rest, "")
        elif a.startswith("--mode="):
            mode = a.split("=", 1)[1]
        elif not a.startswith("--"):
            args.append(a)
    if mode not in MODES:
        print(f"align_accuracy: --mode {mode!r}: expected one of {', '.join(MODES)}", file=sys.stderr)
        return 2
    path = Path(args[0]) if args else TABLE
    print(f"mode: {mode}")
    print(score(load_cases(path), mode).render(details="--cases" in argv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
