"""Find a recording by searching when a work's page lists none.

A search returns many things that are not the work: lessons, covers, karaoke tracks, excerpts, one
movement, a neighbouring opus. Each candidate is scored on what its title and duration say
(rules in :mod:`earsense_m2t.acquire.discovery_rules`) and only a candidate above the threshold is taken; every
scored candidate is returned with its reasons so the build summary can show why one was chosen or why
none was.

The search runs through yt-dlp's Python API with ``extract_flat`` so no video page is fetched. The
query is a URL template: ``ytsearch{n}:{query}`` on the real YouTube, or any URL yt-dlp's generic
extractor reads as a playlist. Offline, ``earsense_m2t.offline.devservers.search_feed`` answers such a URL with an RSS
feed: the generic extractor turns ``<item>``s into entries with ``title``, ``url`` (the enclosure or
``<link>``), ``duration`` (from ``<itunes:duration>``) and the ``<guid>`` smuggled into the URL as
``force_videoid``. RSS carries no uploader, so feed entries have ``uploader=None``; scoring treats a
missing uploader as no signal.

A candidate's source id is its source's identity (``earsense_m2t.media.identity.source_identity``), the id the crawler
gives a page's embed: ``youtube:<id>`` for a YouTube result, the full normalized URL for a feed entry
(the generic extractor's ids are file names or feed guids, which do not identify a source).

The search runs under the acquire stage's egress policy: a ``ytsearchN:`` query is not a URL (its
requests go to YouTube and are checked one by one), a query URL is checked before it is requested, and
every result's URL is checked before it can be chosen (a refused one is rejected, with the reason).

A recording found by search is marked ``recording_index = SEARCH_RECORDING_INDEX`` (-1): a page's
own recordings are numbered from 0, so the mark cannot collide with one and tells provenance that no
page listed this source.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote_plus

from yt_dlp.utils import YoutubeDLError, unsmuggle_url

from earsense_m2t.acquire import discovery_rules as rules
from earsense_m2t.acquire.download import Guard, GuardedYoutubeDL, source_identity, ydl_base_options
from earsense_m2t.acquire.limits import Limits
from earsense_m2t.config import YOUTUBE_SEARCH_TEMPLATE
from earsense_m2t.egress import EgressPolicy, EgressRefused
from earsense_m2t.folding import fold_words
from earsense_m2t.schemas import Failure, Recording, Work, recording_id
from earsense_m2t.schemas.stages import Stage

SEARCH_RECORDING_INDEX = -1

_REJECTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(rf"(?<![a-z0-9])(?:{'|'.join(pats)})(?![a-z0-9])"))
    for reason, pats in rules.REJECT_PATTERNS.items()
)
_COMPLETE = re.compile(rf"(?<![a-z0-9])(?:{'|'.join(rules.COMPLETE_MARKERS)})(?![a-z0-9])")
_SINGLE_MOVEMENT = tuple(re.compile(p) for p in rules.SINGLE_MOVEMENT_PATTERNS)
_CATALOGUE = re.compile(
    rf"(?<![a-z0-9])({'|'.join(sorted(rules.CATALOGUE_KINDS, key=len, reverse=True))})"
    r"\s*((?:[ivxl]+\s+)?\d+[a-z]?)(?![a-z0-9])"
)
_NUMBER = re.compile(r"(?<![a-z0-9])(?:no|nr|nro|num|number)\s*(\d+)(?![0-9])")
_KEY = re.compile(r"(?<![a-z0-9])in ([a-g])(?: (sharp|flat))? (major|minor)(?![a-z0-9])")
_PARTICLES = frozenset("van von de di da del der den le la du ten ter".split())


class DiscoveryError(RuntimeError):
    """The search itself failed (not "found nothing"); names the work and the query URL.

    ``code``: ``search_failed``, or ``refused`` / a limit's code when the egress policy or a limit stopped it.
    """

    def __init__(self, work_id: str, url: str, reason: str, code: str = "search_failed") -> None:
        super().__init__(f"{work_id}: recording search {url} failed: {reason}")
        self.work_id, self.url, self.reason, self.code = work_id, url, reason, code

    def failure(self) -> Failure:
        """The build records a failed search and goes on; this is the record it keeps."""
        return Failure(stage=Stage.ACQUIRE, item_id=self.work_id, url=self.url, code=self.code,
                       reason=f"search failed: {self.reason}")


@dataclass(frozen=True)
class Candidate:
    """One scored search result; ``reasons`` explains the score (``reject:<why>`` when refused)."""

    url: str
    source_id: str
    title: str
    duration_s: float | None
    uploader: str | None
    score: float
    reasons: tuple[str, ...]

    @property
    def rejected(self) -> bool:
        return any(r.startswith("reject:") for r in self.reasons)


# ---- text folding -------------------------------------------------------------------------------

def tokens(text: str) -> list[str]:
    """Identity-bearing tokens: stopwords and lone letters (key names are compared apart) dropped."""
    out = []
    for tok in fold_words(text).split():
        tok = rules.TOKEN_ALIASES.get(tok, tok)
        if tok in rules.STOPWORDS or (len(tok) == 1 and not tok.isdigit()):
            continue
        out.append(tok)
    return out


def catalogue_ids(text: str | None) -> set[tuple[str, str]]:
    """``{("op", "44")}`` from "Op. 44"; the kind is kept so Op. 44 never matches K. 44."""
    if not text:
        return set()
    return {(rules.CATALOGUE_KINDS[k], " ".join(n.split())) for k, n in _CATALOGUE.findall(fold_words(text))}


def work_numbers(text: str | None) -> set[str]:
    """The numbers after "No." ("String Quartet No. 8", "Op. 76 No. 5")."""
    return set(_NUMBER.findall(fold_words(text))) if text else set()


def key_of(text: str | None) -> tuple[str, str, str] | None:
    """(letter, accidental, mode) from "in E-flat major"; None when the text names no key."""
    m = _KEY.search(fold_words(text)) if text else None
    return (m.group(1), m.group(2) or "", m.group(3)) if m else None


def work_key(work: Work) -> tuple[str, str, str] | None:
    if work.key and work.mode:
        return key_of(f"in {work.key} {work.mode}")
    return key_of(work.title)


def composer_surname(composer: str) -> str:
    """The name a search or a track title uses: the last word ("Ludwig van Beethoven" -> Beethoven)."""
    words = composer.split()
    return words[-1] if words else composer


def composer_tokens(composer: str) -> set[str]:
    """Folded name parts a title may carry (given names only when the name has one word)."""
    parts = [p for p in fold_words(composer).split() if p not in _PARTICLES]
    return set(parts[1:] if len(parts) > 1 else parts)


def work_catalogue(work: Work) -> set[tuple[str, str]]:
    return catalogue_ids(work.catalogue) or catalogue_ids(work.title)


def work_number_set(work: Work) -> set[str]:
    return work_numbers(work.number) | work_numbers(work.title) | work_numbers(work.catalogue)


def title_similarity(work_title: str, candidate: str) -> float:
    """Share of the work title's tokens present in the candidate (0..1)."""
    want = set(tokens(work_title))
    if not want:
        return 0.0
    return len(want & set(tokens(candidate))) / len(want)


# ---- query ----------------------------------------------------------------------------------------

def build_query(work: Work, movement_title: str | None = None) -> str:
    """Composer surname + work title (+ movement). The catalogue number stays: it is the strongest
    signal a search engine has; it is appended when the page's title does not carry it."""
    parts = [composer_surname(work.composer), work.title]
    if work.catalogue and not catalogue_ids(work.catalogue) <= catalogue_ids(work.title):
        parts.append(work.catalogue)
    if movement_title:
        parts.append(movement_title)
    text = " ".join(parts)
    text = re.sub(r"[“”\"«»]", "", text)  # quotes make search engines demand exact phrases
    return " ".join(text.split())


def search_template_for(search: str, local: bool) -> str | None:
    """The ``--search`` option as a template: ``auto`` searches YouTube, except offline on a local site."""
    if search == "auto":
        return None if local else YOUTUBE_SEARCH_TEMPLATE
    return None if search in ("off", "none", "") else search


def query_url(template: str, query: str, n: int) -> str:
    """The URL yt-dlp is given: a URL template gets the query URL-encoded, ``ytsearch`` gets it raw."""
    q = quote_plus(query) if "://" in template else query
    return template.format(n=n, query=q)


# ---- scoring --------------------------------------------------------------------------------------

def duration_bounds(n_movements: int | None, movement_title: str | None = None) -> tuple[float, float]:
    """Seconds a plausible recording lasts: per movement when one is searched, else n × the range."""
    if movement_title:
        return rules.SINGLE_MOVEMENT_BOUNDS_S
    if n_movements and n_movements > 0:
        return n_movements * rules.PER_MOVEMENT_MIN_S, n_movements * rules.PER_MOVEMENT_MAX_S
    return rules.WHOLE_WORK_BOUNDS_S


def entry_url(entry: dict[str, Any]) -> str:
    """The URL to hand yt-dlp later, without the data the generic extractor smuggles into it."""
    raw = entry.get("webpage_url") or entry.get("url") or ""
    return unsmuggle_url(raw)[0] if raw else ""


def entry_source_id(entry: dict[str, Any]) -> str:
    """The source's identity, the same id the crawler gives a page's embed (``earsense_m2t.media.identity.source_identity``):
    ``<extractor>:<id>`` when the entry names a dedicated extractor and its id (a YouTube search result),
    else the identity of its URL. Empty when the entry has no URL (it can never be chosen)."""
    ie_key = str(entry.get("ie_key") or "").lower()
    if ie_key and ie_key != "generic" and entry.get("id"):
        return f"{ie_key}:{entry['id']}"
    url = entry_url(entry)
    return source_identity(url) if url else ""


def _as_float(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def score_candidate(entry: dict[str, Any], work: Work, n_movements: int | None,
                    movement_title: str | None = None) -> Candidate:
    """Score one flat search entry against a work: 0..1, and 0 with ``reject:`` reasons when the title
    or duration says it is not a full performance."""
    title = str(entry.get("title") or "")
    uploader = entry.get("uploader") or entry.get("channel")
    duration = _as_float(entry.get("duration"))
    folded = fold_words(title)
    reasons: list[str] = []

    for reason, pattern in _REJECTS:
        if pattern.search(folded):
            reasons.append(f"reject:{reason}")
    lo, hi = duration_bounds(n_movements, movement_title)
    if duration is not None and not lo <= duration <= hi:
        reasons.append(f"reject:duration {duration:.0f}s outside {lo:.0f}-{hi:.0f}s")

    earned = applicable = 0.0
    target = f"{work.title} {movement_title}" if movement_title else work.title
    sim = title_similarity(target, title)
    earned += rules.WEIGHTS["title_similarity"] * sim
    applicable += rules.WEIGHTS["title_similarity"]
    reasons.append(f"title {sim:.2f}")

    have = set(tokens(title)) | (set(fold_words(str(uploader)).split()) if uploader else set())
    applicable += rules.WEIGHTS["composer"]
    if composer_tokens(work.composer) & have:
        earned += rules.WEIGHTS["composer"]
        reasons.append("composer")
    else:
        reasons.append("composer_missing")

    penalty = 0.0
    want_cat = work_catalogue(work)
    if want_cat:
        applicable += rules.WEIGHTS["catalogue"]
        got_cat = catalogue_ids(title)
        if want_cat & got_cat:
            earned += rules.WEIGHTS["catalogue"]
            reasons.append("catalogue " + ",".join(f"{k} {n}" for k, n in sorted(want_cat & got_cat)))
        elif {k for k, _ in want_cat} & {k for k, _ in got_cat}:
            penalty += rules.PENALTIES["catalogue_mismatch"]
            reasons.append("catalogue_mismatch " + ",".join(f"{k} {n}" for k, n in sorted(got_cat)))
        else:
            reasons.append("catalogue_missing")

    want_no, got_no = work_number_set(work), work_numbers(title)
    if want_no and got_no and not want_no & got_no:
        penalty += rules.PENALTIES["number_mismatch"]
        reasons.append(f"number_mismatch no {','.join(sorted(got_no))}")

    want_key, got_key = work_key(work), key_of(title)
    if want_key and got_key and want_key != got_key:
        penalty += rules.PENALTIES["key_mismatch"]
        reasons.append(f"key_mismatch {' '.join(p for p in got_key if p)}")

    if movement_title is None and any(p.search(folded) for p in _SINGLE_MOVEMENT):
        penalty += rules.PENALTIES["single_movement"]
        reasons.append("single_movement")

    applicable += rules.WEIGHTS["duration"]
    if duration is None:
        earned += rules.WEIGHTS["duration"] * rules.UNKNOWN_DURATION_CREDIT
        reasons.append("duration_unknown")
    elif lo <= duration <= hi:
        earned += rules.WEIGHTS["duration"]
        reasons.append(f"duration {duration:.0f}s")

    bonus = rules.BONUSES["complete_marker"] if _COMPLETE.search(folded) else 0.0
    if bonus:
        reasons.append("complete_marker")

    rejected = any(r.startswith("reject:") for r in reasons)
    score = 0.0 if rejected else max(0.0, min(1.0, earned / applicable - penalty + bonus))
    return Candidate(url=entry_url(entry), source_id=entry_source_id(entry), title=title,
                     duration_s=duration, uploader=str(uploader) if uploader else None,
                     score=round(score, 4), reasons=tuple(reasons))


def rank(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Best first; equal scores keep the search engine's order (its ranking is a signal too)."""
    return sorted(candidates, key=lambda c: -c.score)


# ---- search ----------------------------------------------------------------------------------------

def _ydl_options(limits: Limits, guard: Guard) -> dict[str, Any]:
    return {
        **ydl_base_options(limits, guard),
        "match_filter": None,  # results are scored (durations included), not filtered away unseen
        "extract_flat": "in_playlist",  # entries only: no video page is fetched per result
        "skip_download": True,
        "extractor_retries": 2,
    }


def refuse_by_egress(candidate: Candidate, policy: EgressPolicy) -> Candidate:
    """The candidate, rejected with the reason when the policy refuses its URL (checked before any request)."""
    if not candidate.url:
        return candidate
    try:
        policy.check(candidate.url)
    except EgressRefused as exc:
        return replace(candidate, score=0.0, reasons=(*candidate.reasons, f"reject:refused ({exc.reason})"))
    return candidate


def search_recordings(work: Work, n_movements: int | None, *,
                      search_template: str = YOUTUBE_SEARCH_TEMPLATE, n: int = 8,
                      threshold: float = rules.THRESHOLD, egress: EgressPolicy | None = None,
                      limits: Limits = Limits()) -> tuple[list[Recording], list[Candidate]]:
    """Search for the work, score the first ``n`` results, and return the best one above the threshold
    as a whole-work ``Recording`` (``[]`` when none passes) with every scored candidate, best first.

    ``egress`` is where the search and its results may go (None: ``EgressPolicy()``, a public site's).
    Raises :class:`DiscoveryError` when the search itself fails (network, extractor, a refused query
    URL); the caller keeps ``exc.failure()`` and the build goes on.
    """
    policy = egress if egress is not None else EgressPolicy()
    url = query_url(search_template, build_query(work), n)
    if "://" in url:  # a query URL; `ytsearchN:` is not one, and its requests are checked as they are made
        try:
            policy.check(url)
        except EgressRefused as exc:
            raise DiscoveryError(work.id, url, str(exc), code="refused") from exc
    guard = Guard(url, policy, limits)
    try:
        with GuardedYoutubeDL(_ydl_options(limits, guard), guard) as ydl:
            info = ydl.extract_info(url, download=False)
    except YoutubeDLError as exc:
        if guard.breach is not None:
            raise DiscoveryError(work.id, url, guard.breach.reason, code=guard.breach.code) from exc
        raise DiscoveryError(work.id, url, str(exc).removeprefix("ERROR: ")) from exc
    if not info:
        return [], []
    entries = info.get("entries")
    entries = [info] if entries is None else [e for e in entries if e][:n]
    candidates = rank(refuse_by_egress(score_candidate(e, work, n_movements), policy) for e in entries)
    best = next((c for c in candidates if not c.rejected and c.score >= threshold and c.url), None)
    if best is None:
        return [], candidates
    rec = Recording(id=recording_id(work.id, best.source_id), work_id=work.id, source_url=best.url,
                    source_id=best.source_id, recording_index=SEARCH_RECORDING_INDEX,
                    duration_s=best.duration_s, track_title=best.title)
    return [rec], candidates


__all__ = [
    "SEARCH_RECORDING_INDEX",
    "Candidate",
    "DiscoveryError",
    "build_query",
    "catalogue_ids",
    "composer_surname",
    "query_url",
    "score_candidate",
    "search_recordings",
    "title_similarity",
    "tokens",
]
