"""The mini EarSense site's content, as plain immutable data read from ``catalogue.yaml``.

Dataset card
------------
Fourteen chamber works by real, long-dead composers. Apart from the composers' names, life dates and
places, every text — articles, quotations and their (invented) sources, biographies, publisher lines,
glossary entries, performers, channels and most movement titles — was written for this project as a
test fixture. It is *not* a musicological reference and is not copied from earsense.org or anywhere
else. The catalogue exists so the crawler, the audio acquisition, the aligner and the features stages
can be run offline against pages shaped like the real site's and audio whose ground truth is known.

The texts and facts live in ``catalogue.yaml`` next to this module (its header explains the format);
this module holds the record classes, the rules (``validate_catalogue``) and the loader
(``parse_catalogue`` for any text, ``load_catalogue``/``BLOG_POSTS``/``SPECIAL_CASES`` for the shipped
file, read once). Slugs, video ids, article slugs and blog links to work pages are derived here, never
written there.

The page a work gets (``render.work_page``), top to bottom: composer with life dates, title,
instrumentation ("(for ...)"), header facts (``WorkSpec.facts``: nationality, born, died with age,
approximate duration, composed with age, optionally published/dedication/note), the article, the
recordings block ("N recordings, M videos"; per recording its performers and either its movement list
"M:SS <numbered title>" or a bare duration line) and a glossary block.

Ground truth the tests can rely on:
- ``MovementSpec``: each movement's intended tempo class and exact duration. Movements of a whole-work
  video are separated by ``GAP_S`` seconds of near-silence and every duration is a whole number of
  seconds, so timestamps are exact. A recording's movement list shows exactly these durations
  (``WorkSpec.listed_movements``), its titles can differ (``RecordingSpec.titles``).
- ``WorkSpec.article_sentences()``: per paragraph, per sentence, its ``role`` (quote, attribution,
  bio, work, movement, publisher) and ``about`` (the movement numbers it describes; empty = about the
  work or nothing musical), with the plain text exactly as the page shows it once markup is removed.
  ``paragraph_movements`` is the per-paragraph union of ``about`` (kept for older callers).

Special cases in the default catalogue (``SPECIAL_CASES`` names them; each role is on one work):
- ``whole_with_timestamps``: ONE whole-work video whose description carries movement timestamps; its
  page block shows only the total duration (no movement list);
- ``whole_without_timestamps``: ONE whole-work video without timestamps whose page block lists the
  movements with durations (cumulative durations are then the only timing the page gives);
- ``no_recording``: no video at all, but one videoless recording that lists the movements;
- ``no_article``: a page without an article (and without glossary);
- ``second_recording``: two recordings with videos (``?ri=1``); ``recordings_disagree``: two recordings
  that list slightly different titles; ``videoless_recording``: a video recording plus a videoless one;
- ``article_out_of_order``, ``article_skips_movement``, ``article_names_differ`` (the article calls a
  movement by another name than the recordings list);
- ``pkey_link_only`` / ``pkey_unresolvable``: the database view (``/chamberbase/works/detail/?pkey=N``)
  carries only a link to the work page / neither a canonical link nor a work link;
- two works are left out of the sitemap (reachable only by links).

Article markup: sentences are plain text with four marks, so the data stays readable and a test can
pass plain text safely (``&``, ``<`` and quotes are escaped when rendered):
``*word*`` → ``<em>``, ``[[Term|shown text]]`` or ``[[Term]]`` → a glossary link to ``#gl-<term-slug>``,
``^1`` → a footnote mark ``<sup class="fn">1</sup>`` (not part of the plain text), and a newline → ``<br>``.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import difflib
import functools
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, NamedTuple, TypedDict, get_args

import yaml

from earsense_m2t.folding import slugify

TempoClass = Literal["slow", "medium", "fast", "super_fast"]
TEMPO_CLASSES: tuple[str, ...] = ("slow", "medium", "fast", "super_fast")
Timbre = Literal["strings", "piano", "winds"]
# "tracks": one video per movement; "whole": one video for the work; "none": listed, but no video
Layout = Literal["tracks", "whole", "none"]
SentenceRole = Literal["quote", "attribution", "bio", "work", "movement", "publisher"]
SENTENCE_ROLES: tuple[str, ...] = get_args(SentenceRole)
# What the database view (/chamberbase/works/detail/?pkey=N) carries to identify its work.
PkeyView = Literal["canonical", "link", "bare"]

# Silence between movements inside a whole-work video. Whole seconds keep timestamps exact.
GAP_S = 2
MIN_MOVEMENT_S = 35
MAX_MOVEMENT_S = 75
LEVEL_RANGE_LUFS = (-30.0, -14.0)

# How a whole-work video description lists movement starts (all seen in real uploads).
TIMESTAMP_STYLES: tuple[str, ...] = ("time_first", "time_last", "bracketed", "hms_dash")

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


@dataclass(frozen=True)
class MovementSpec:
    """One movement: its title as the tracks would name it, and the ground truth the synth obeys."""

    number: int  # 1-based
    title: str  # without the numeral: "Largo. Cantabile e mesto"
    tempo_class: TempoClass | None  # class of the main (last) tempo section; None = no tempo word
    duration_s: int  # exact length of the synthesized movement


@dataclass(frozen=True)
class RecordingSpec:
    """One recording of a work as the page lists it; ``layout`` says how it is cut into videos."""

    performers: str
    layout: Layout  # "tracks": a video per movement; "whole": one video; "none": no video, only the list
    level_lufs: float = -20.0  # integrated loudness the synth aims each movement at (before slow/fast offset)
    uploader: str = ""  # the channel name the video page shows
    timestamp_style: str | None = None  # whole-work only: one of TIMESTAMP_STYLES, None = no timestamps
    numbering: Literal["roman", "arabic"] = "roman"  # how listed and track titles number the movements
    recorded: str | None = None  # free text for the description ("live, 2019")
    titles: tuple[str, ...] | None = None  # this recording's own movement titles (None = the catalogue's)
    durations_s: tuple[int, ...] | None = None  # videoless only: listed durations (None = the catalogue's)
    listed: bool = True  # the page lists the movements; False (whole only) = a bare total duration line
    upload: int = 0  # another upload of the recording in this place (e.g. a new performance): other video ids


@dataclass(frozen=True)
class LifeEvent:
    """A birth or death as the header shows it: "March 31, 1732, Rohrau" (or "1770, Bonn")."""

    date: str  # ISO date; the real one even when only the year is shown (ages are computed from it)
    place: str
    year_only: bool = False

    @property
    def year(self) -> int:
        return int(self.date[:4])

    @property
    def text(self) -> str:
        d = datetime.date.fromisoformat(self.date)
        when = str(d.year) if self.year_only else f"{MONTHS[d.month - 1]} {d.day}, {d.year}"
        return f"{when}, {self.place}"


class GlossaryEntry(NamedTuple):
    """One glossary entry: "string quartet, Streichquartett [G], quatuor à cordes [F]—a work for ..."."""

    term: str
    names: str  # other-language names with their language mark, "" when none
    definition: str

    @property
    def heading(self) -> str:
        return f"{self.term}, {self.names}" if self.names else self.term


class ArticleSentence(NamedTuple):
    """One sentence of an article with its ground truth."""

    role: str  # one of SENTENCE_ROLES
    about: tuple[int, ...]  # movement numbers it describes; () for every role but "movement"
    text: str  # plain text as the page shows it (marks removed, footnote marks dropped)
    markup: str  # the same sentence in the catalogue's light markup


@dataclass(frozen=True)
class WorkSpec:
    """One work page. Ids, URLs and video ids all derive from ``slug``."""

    slug: str
    composer: str
    composer_born: int
    composer_died: int
    title: str  # as the page's h1 shows it
    genre: str
    key: str  # "A", "E-flat", "F-sharp": drives the synth even when the title names no key
    mode: Literal["major", "minor"]
    timbre: tuple[Timbre, Timbre]  # (melody, accompaniment)
    movements: tuple[MovementSpec, ...]
    article: tuple[str, ...] | None  # paragraphs in the light markup above; None = page has no article
    recordings: tuple[RecordingSpec, ...]
    # per paragraph: the movement numbers its sentences discuss (derived from sentence_truth when left empty)
    paragraph_movements: tuple[tuple[int, ...], ...] = ()
    # per paragraph, per sentence: the ground truth (derived from paragraph_movements when left None)
    sentence_truth: tuple[tuple[ArticleSentence, ...], ...] | None = None
    glossary: tuple[GlossaryEntry, ...] = ()
    year: int | None = None  # the composed year ("Composed: 1797 (age 64-65)")
    in_sitemap: bool = True
    updated: str = "2024-03-01"  # ISO date; the page's Last-Modified
    nationality: str | None = None
    birth: LifeEvent | None = None
    death: LifeEvent | None = None
    instrumentation: str | None = None  # "2 violins, viola and cello" (the page adds "(for ...)")
    published: str | None = None
    dedication: str | None = None
    note: str | None = None
    pkey_view: PkeyView = "canonical"
    pkey_number: int | None = None  # None = derived from the slug

    def __post_init__(self) -> None:
        if self.article is None:
            return
        if self.sentence_truth is None and len(self.paragraph_movements) == len(self.article):
            object.__setattr__(self, "sentence_truth", tuple(
                _derived_truth(p, about) for p, about in zip(self.article, self.paragraph_movements, strict=True)))
        elif self.sentence_truth is not None and not self.paragraph_movements:
            object.__setattr__(self, "paragraph_movements", tuple(_union_about(p) for p in self.sentence_truth))

    # ------------------------------------------------------------------ identity and URLs

    @property
    def composer_slug(self) -> str:
        return slugify(self.composer).lower()

    @property
    def url_path(self) -> str:
        return f"/chamber-music/{self.slug}/"

    def ri_path(self, ri: int) -> str:
        """The page with recording ``ri`` selected (canonical link: ``url_path``)."""
        return f"{self.url_path}?ri={ri}"

    @property
    def article_slug(self) -> str:
        """"Haydn-String-Quartet-Op76-No5": surname, title without its key, catalogue numbers joined."""
        return article_slug(self.composer, self.title)

    @property
    def article_path(self) -> str | None:
        """The article view of the work, or None when the work has no article."""
        return None if self.article is None else f"/article/{self.article_slug}/"

    @property
    def pkey(self) -> int:
        if self.pkey_number is not None:
            return self.pkey_number
        return 10_000 + int(hashlib.sha256(self.slug.encode()).hexdigest()[:8], 16) % 90_000

    @property
    def pkey_path(self) -> str:
        return f"/chamberbase/works/detail/?pkey={self.pkey}"

    # ------------------------------------------------------------------ movements and recordings

    def movement(self, number: int) -> MovementSpec:
        for m in self.movements:
            if m.number == number:
                return m
        raise KeyError(f"{self.slug}: no movement {number} (has 1..{len(self.movements)})")

    def recording_titles(self, ri: int) -> tuple[str, ...]:
        """Recording ``ri``'s movement titles, without numerals (its own when it has them)."""
        return self.recordings[ri].titles or tuple(m.title for m in self.movements)

    def recording_durations(self, ri: int) -> tuple[int, ...]:
        return self.recordings[ri].durations_s or tuple(m.duration_s for m in self.movements)

    def listed_movements(self, ri: int) -> tuple[tuple[str, int], ...]:
        """What recording ``ri``'s block lists: (numbered title, duration in seconds); () = a bare total."""
        rec = self.recordings[ri]
        if not rec.listed:
            return ()
        return tuple(
            (f"{numeral(n, rec.numbering)}. {title}", d)
            for n, (title, d) in enumerate(zip(self.recording_titles(ri), self.recording_durations(ri), strict=True), 1)
        )

    def recording_total_s(self, ri: int) -> int:
        """The recording's length: its video(s) when it has any, else the sum of its listed durations."""
        rec = self.recordings[ri]
        if rec.layout == "whole":
            return sum(m.duration_s for m in self.movements) + GAP_S * (len(self.movements) - 1)
        return sum(self.recording_durations(ri))

    def page_titles(self) -> tuple[int, tuple[str, ...]] | None:
        """(ri, numbered titles) of the first recording whose block lists movements; None if none does."""
        for ri in range(len(self.recordings)):
            listed = self.listed_movements(ri)
            if listed:
                return ri, tuple(t for t, _ in listed)
        return None

    @property
    def n_video_recordings(self) -> int:
        return sum(1 for r in self.recordings if r.layout != "none")

    @property
    def has_video(self) -> bool:
        return self.n_video_recordings > 0

    def recordings_header(self) -> str:
        """"3 recordings, 2 videos": every recording, then those with a video (left out when none)."""
        n, v = len(self.recordings), self.n_video_recordings
        text = f"{n} recording" + ("s" if n != 1 else "")
        if v:
            text += f", {v} video" + ("s" if v != 1 else "")
        return text

    # ------------------------------------------------------------------ header facts

    @property
    def composer_dates(self) -> str:
        return f"({self.composer_born}-{self.composer_died})"

    @property
    def approx_minutes(self) -> int:
        return max(1, round(sum(m.duration_s for m in self.movements) / 60))

    def death_age(self) -> int | None:
        if self.birth is None or self.death is None:
            return None
        b, d = (datetime.date.fromisoformat(e.date) for e in (self.birth, self.death))
        return d.year - b.year - ((d.month, d.day) < (b.month, b.day))

    def facts(self) -> tuple[tuple[str, str], ...]:
        """The header's "Label: value" lines in page order, as (label, value)."""
        out: list[tuple[str, str]] = []
        if self.nationality:
            out.append(("Nationality", self.nationality))
        if self.birth:
            out.append(("Born", self.birth.text))
        if self.death:
            age = self.death_age()
            out.append(("Died", self.death.text + (f" (age {age})" if age is not None else "")))
        out.append(("Duration", f"{self.approx_minutes} minutes (approximately)"))
        if self.year is not None:
            born = self.birth.year if self.birth else self.composer_born
            out.append(("Composed", f"{self.year} (age {self.year - born - 1}-{self.year - born})"))
        for label, value in (("Published", self.published), ("Dedication", self.dedication), ("Note", self.note)):
            if value:
                out.append((label, value))
        return tuple(out)

    # ------------------------------------------------------------------ article ground truth

    def article_plain(self) -> tuple[str, ...] | None:
        """The article as a crawler should read it: marks removed, footnote marks dropped."""
        if self.article is None:
            return None
        return tuple(plain_text(p) for p in self.article)

    def article_sentences(self) -> tuple[tuple[ArticleSentence, ...], ...] | None:
        """Per paragraph, per sentence: (role, about, plain text, markup); None when there is no article."""
        return None if self.article is None else self.sentence_truth

    def sentences(self) -> tuple[ArticleSentence, ...]:
        """All sentences of the article in page order (empty without article)."""
        return tuple(s for p in self.article_sentences() or () for s in p)

    def movement_passage(self, number: int) -> tuple[str, ...]:
        """The plain sentences that describe movement ``number`` (what an aligner should return)."""
        return tuple(s.text for s in self.sentences() if number in s.about)

    def work_sentences(self) -> tuple[str, ...]:
        """The plain sentences about no movement (quotation, attribution, biography, history, publisher)."""
        return tuple(s.text for s in self.sentences() if not s.about)

    @property
    def biography(self) -> str:
        """The article's biography sentences, as plain text ("" when the page has none)."""
        return " ".join(s.text for s in self.sentences() if s.role == "bio")


class _RecordingFields(TypedDict):
    """The ``VideoSpec`` fields every video of one recording shares."""

    work_slug: str
    recording_index: int
    uploader: str
    key: str
    mode: str
    timbre: tuple[str, str]
    level_lufs: float
    gap_s: int


@dataclass(frozen=True)
class VideoSpec:
    """One video the site serves, derived from a work's recording; carries everything the synth needs."""

    video_id: str
    work_slug: str
    recording_index: int
    index: int  # position within the recording (0 for a whole-work video)
    title: str
    description: str
    uploader: str
    movements: tuple[MovementSpec, ...]  # the movements this video contains, in order
    movement_starts_s: tuple[int, ...]  # where each of them starts inside the video
    duration_s: int
    has_timestamps: bool
    key: str
    mode: str
    timbre: tuple[str, str]
    level_lufs: float
    gap_s: int


@dataclass(frozen=True)
class BlogPost:
    """A blog article (not part of the dataset).

    ``[text](work:slug?ri=1)`` links to a work page, ``[text](article:slug)`` to its article view and
    ``[text](pkey:slug)`` to its database view.
    """

    slug: str
    title: str
    date: str
    author: str
    paragraphs: tuple[str, ...]


# ----------------------------------------------------------------------------------------------
# helpers


def work_slug(composer: str, title: str) -> str:
    return slugify(f"{composer} {title}")


def article_slug(composer: str, title: str) -> str:
    """The slug of a work's ``/article/`` view: the composer's surname and the title without its key."""
    title = re.sub(r"\s+in\s+[A-G](?:-(?:flat|sharp))?\s+(?:major|minor)\b", "", title)
    title = re.sub(r"\b(Op|No|K|BWV|D)\.\s*(\d+)", r"\1\2", title)
    return slugify(f"{composer.split()[-1]} {title}")


def video_id(slug: str, recording_index: int, index: int, upload: int = 0) -> str:
    """An 11-character YouTube-like id, stable for (slug, recording, position, upload)."""
    suffix = f"|{upload}" if upload else ""  # upload 0: the ids the catalogue always had
    digest = hashlib.sha256(f"{slug}|{recording_index}|{index}{suffix}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:11]


def roman(n: int) -> str:
    numerals = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = []
    for value, sym in numerals:
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)


def numeral(n: int, numbering: str = "roman") -> str:
    return roman(n) if numbering == "roman" else str(n)


def clock(seconds: int, *, pad: bool = False, hours: bool = False) -> str:
    """Seconds as a video timestamp: 8:41, 08:41 (pad), 0:08:41 (hours)."""
    h, rest = divmod(int(seconds), 3600)
    m, s = divmod(rest, 60)
    if hours or h:
        return f"{h}:{m:02d}:{s:02d}"
    return f"{m:02d}:{s:02d}" if pad else f"{m}:{s:02d}"


def numbered_title(movement: MovementSpec, numbering: str = "roman") -> str:
    return f"{numeral(movement.number, numbering)}. {movement.title}"


def timestamp_line(start_s: int, title: str, style: str) -> str:
    """One description line in one of the real-world formats the pipeline must parse."""
    if style == "time_first":
        return f"{clock(start_s, pad=True)} {title}"
    if style == "time_last":
        return f"{title} - {clock(start_s)}"
    if style == "bracketed":
        return f"({clock(start_s)}) {title}"
    if style == "hms_dash":
        return f"{clock(start_s, hours=True)} - {title}"
    raise ValueError(f"unknown timestamp style {style!r}; expected one of {TIMESTAMP_STYLES}")


MARK_RE = re.compile(r"\[\[([^\]|]+)(?:\|([^\]]+))?\]\]|\*([^*]+)\*|\^(\d+)")


def plain_text(paragraph: str) -> str:
    def repl(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            return m.group(2) or m.group(1)
        if m.group(3) is not None:
            return m.group(3)
        return ""

    return MARK_RE.sub(repl, paragraph).replace("\n", " ")


def glossary_id(term: str) -> str:
    return "gl-" + slugify(term).lower()


# Words after which a period does not end a sentence (the catalogue's texts avoid the rest).
ABBREVIATIONS = frozenset({"op", "no", "nos", "k", "st", "mr", "mrs", "dr", "ca", "c", "cf", "vol", "e.g", "i.e"})
_SENTENCE_END_RE = re.compile(r"[.!?][”’\"')]*(?:\^\d+)?(\s+)")
_SENTENCE_OPENERS = "“‘\"([*—"


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph (light markup kept), split where a reader would split.

    A sentence ends at ``.``, ``!`` or ``?`` (with any closing quote and footnote mark) followed by
    white space and a capital letter or an opening quote, bracket, dash or mark; not after an
    abbreviation from ``ABBREVIATIONS`` or a single capital (an initial).
    """
    out: list[str] = []
    start = 0
    for m in _SENTENCE_END_RE.finditer(paragraph):
        nxt = paragraph[m.end() : m.end() + 1]
        if not nxt or not (nxt.isupper() or nxt in _SENTENCE_OPENERS):
            continue
        if paragraph[m.start()] == ".":
            word = re.search(r"([\w.]+)$", paragraph[start : m.start()])
            if word and (word.group(1).lower() in ABBREVIATIONS or (len(word.group(1)) == 1 and word.group(1).isupper())):
                continue
        out.append(paragraph[start : m.start(1)].strip())
        start = m.end()
    tail = paragraph[start:].strip()
    if tail:
        out.append(tail)
    return out


def _derived_truth(paragraph: str, about: Sequence[int]) -> tuple[ArticleSentence, ...]:
    """Ground truth for a paragraph given only its movements: every sentence is about all of them."""
    role = "movement" if about else "work"
    return tuple(ArticleSentence(role, tuple(about), plain_text(s), s) for s in split_sentences(paragraph))


def _union_about(paragraph: Sequence[ArticleSentence]) -> tuple[int, ...]:
    return tuple(sorted({n for s in paragraph for n in s.about}))


# ----------------------------------------------------------------------------------------------
# videos derived from works


def _short_title(work: WorkSpec) -> str:
    surname = work.composer.split()[-1]
    return f"{surname} – {work.title}"


def videos_of(work: WorkSpec) -> tuple[VideoSpec, ...]:
    """The videos a work's recordings consist of, in page order (videoless recordings have none)."""
    out: list[VideoSpec] = []
    for ri, rec in enumerate(work.recordings):
        if rec.layout == "none":
            continue
        common = _RecordingFields(
            work_slug=work.slug,
            recording_index=ri,
            uploader=rec.uploader,
            key=work.key,
            mode=work.mode,
            timbre=work.timbre,
            level_lufs=rec.level_lufs,
            gap_s=GAP_S,
        )
        recorded = f"Recorded {rec.recorded}." if rec.recorded else ""
        titles = [f"{numeral(m.number, rec.numbering)}. {t}" for m, t in zip(work.movements, work.recording_titles(ri),
                                                                               strict=True)]
        if rec.layout == "tracks":
            for i, (m, track) in enumerate(zip(work.movements, titles, strict=True)):
                desc = "\n".join(
                    line
                    for line in (
                        f"{work.composer}: {work.title}",
                        track,
                        rec.performers,
                        recorded,
                        "",
                        "Subscribe for more chamber music.",
                    )
                )
                out.append(
                    VideoSpec(
                        video_id=video_id(work.slug, ri, i, rec.upload),
                        index=i,
                        title=f"{_short_title(work)}: {track}",
                        description=desc,
                        movements=(m,),
                        movement_starts_s=(0,),
                        duration_s=m.duration_s,
                        has_timestamps=False,
                        **common,
                    )
                )
        else:
            starts: list[int] = []
            t = 0
            for m in work.movements:
                starts.append(t)
                t += m.duration_s + GAP_S
            duration = t - GAP_S
            lines = [f"{work.composer}: {work.title}", rec.performers]
            if recorded:
                lines.append(recorded)
            lines.append("")
            if rec.timestamp_style:
                lines += [timestamp_line(s, title, rec.timestamp_style) for s, title in zip(starts, titles, strict=True)]
            else:
                lines.append("Complete performance, in one take.")
            lines += ["", f"#chambermusic #{slugify(work.composer.split()[-1]).lower()}"]
            out.append(
                VideoSpec(
                    video_id=video_id(work.slug, ri, 0, rec.upload),
                    index=0,
                    title=f"{_short_title(work)} (complete)",
                    description="\n".join(lines),
                    movements=work.movements,
                    movement_starts_s=tuple(starts),
                    duration_s=duration,
                    has_timestamps=rec.timestamp_style is not None,
                    **common,
                )
            )
    return tuple(out)


def all_videos(catalogue: Iterable[WorkSpec]) -> tuple[VideoSpec, ...]:
    return tuple(v for w in catalogue for v in videos_of(w))


def find_work(catalogue: Iterable[WorkSpec], slug: str) -> WorkSpec:
    for w in catalogue:
        if w.slug == slug:
            return w
    raise KeyError(f"no work with slug {slug!r} in the catalogue")


def find_video(catalogue: Iterable[WorkSpec], vid: str) -> VideoSpec:
    for v in all_videos(catalogue):
        if v.video_id == vid:
            return v
    raise KeyError(f"no video {vid!r} in the catalogue")


def with_article(
    catalogue: Sequence[WorkSpec],
    slug: str,
    paragraphs: Sequence[str] | None,
    paragraph_movements: Sequence[tuple[int, ...]] | None = None,
) -> tuple[WorkSpec, ...]:
    """A copy of the catalogue with one work's article replaced (None removes it).

    The sentence ground truth of a paragraph left unchanged (same text at the same position) is kept;
    every other paragraph's sentences get role "movement" (about the paragraph's movements) or "work".
    """
    old = find_work(catalogue, slug)
    new_paras = None if paragraphs is None else tuple(paragraphs)
    if paragraph_movements is None:
        paragraph_movements = tuple(() for _ in new_paras or ())
    truth = None
    if new_paras is not None and len(paragraph_movements) == len(new_paras):
        old_truth = old.article_sentences() or ()
        old_paras = old.article or ()
        truth = tuple(
            old_truth[i] if i < len(old_paras) and old_paras[i] == p and _union_about(old_truth[i]) == tuple(about)
            else _derived_truth(p, about)
            for i, (p, about) in enumerate(zip(new_paras, paragraph_movements, strict=True))
        )
    return tuple(
        dataclasses.replace(w, article=new_paras, paragraph_movements=tuple(paragraph_movements), sentence_truth=truth)
        if w.slug == slug
        else w
        for w in catalogue
    )


def replace_work(catalogue: Sequence[WorkSpec], slug: str, **changes: object) -> tuple[WorkSpec, ...]:
    """A copy of the catalogue with ``dataclasses.replace(work, **changes)`` applied to one work.

    Changing ``article`` or ``paragraph_movements`` without ``sentence_truth`` re-derives the truth.
    """
    find_work(catalogue, slug)
    if ({"article", "paragraph_movements"} & changes.keys()) and "sentence_truth" not in changes:
        changes["sentence_truth"] = None
    return tuple(dataclasses.replace(w, **changes) if w.slug == slug else w for w in catalogue)  # type: ignore[arg-type]


def validate_catalogue(catalogue: Sequence[WorkSpec]) -> None:
    """Raise ValueError naming the work and the value when the data breaks a rule the site relies on."""
    seen: set[str] = set()
    vids: set[str] = set()
    pkeys: dict[int, str] = {}
    article_slugs: dict[str, str] = {}
    for w in catalogue:
        if w.slug in seen:
            raise ValueError(f"duplicate slug {w.slug!r}")
        seen.add(w.slug)
        if not re.fullmatch(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*", w.slug):
            raise ValueError(f"{w.slug!r}: slug must be ASCII words joined by '-'")
        if w.pkey in pkeys:
            raise ValueError(f"{w.slug}: pkey {w.pkey} is already the pkey of {pkeys[w.pkey]}")
        pkeys[w.pkey] = w.slug
        if w.article is not None:
            if w.article_slug in article_slugs:
                raise ValueError(f"{w.slug}: article slug {w.article_slug!r} is already used by {article_slugs[w.article_slug]}")
            article_slugs[w.article_slug] = w.slug
        if [m.number for m in w.movements] != list(range(1, len(w.movements) + 1)):
            raise ValueError(f"{w.slug}: movements must be numbered 1..n")
        for m in w.movements:
            if not MIN_MOVEMENT_S <= m.duration_s <= MAX_MOVEMENT_S:
                raise ValueError(f"{w.slug}#{m.number}: duration {m.duration_s}s outside 35..75 s")
            if m.tempo_class is not None and m.tempo_class not in TEMPO_CLASSES:
                raise ValueError(f"{w.slug}#{m.number}: tempo class {m.tempo_class!r}")
        for label, event, year in (("birth", w.birth, w.composer_born), ("death", w.death, w.composer_died)):
            if event is not None and event.year != year:
                raise ValueError(f"{w.slug}: {label} date {event.date} does not match the life dates {w.composer_dates}")
        if w.year is not None and not w.composer_born < w.year <= w.composer_died:
            raise ValueError(f"{w.slug}: composed in {w.year}, outside the composer's life {w.composer_dates}")
        _validate_article(w)
        for ri, rec in enumerate(w.recordings):
            where = f"{w.slug}: recording {ri}"
            lo, hi = LEVEL_RANGE_LUFS
            if not lo <= rec.level_lufs <= hi:
                raise ValueError(f"{where}: level {rec.level_lufs} LUFS outside {LEVEL_RANGE_LUFS}")
            if rec.timestamp_style is not None and (
                rec.layout != "whole" or rec.timestamp_style not in TIMESTAMP_STYLES
            ):
                raise ValueError(f"{where}: timestamp style {rec.timestamp_style!r} on a {rec.layout} recording")
            if rec.titles is not None and len(rec.titles) != len(w.movements):
                raise ValueError(f"{where}: {len(rec.titles)} titles for {len(w.movements)} movements")
            if rec.durations_s is not None and (rec.layout != "none" or len(rec.durations_s) != len(w.movements)):
                raise ValueError(f"{where}: listed durations are for videoless recordings, one per movement")
            if not rec.listed and rec.layout != "whole":
                raise ValueError(f"{where}: only a whole-work video can be shown without its movement list")
        for v in videos_of(w):
            if v.video_id in vids:
                raise ValueError(f"{w.slug}: video id collision {v.video_id}")
            vids.add(v.video_id)


def _validate_article(w: WorkSpec) -> None:
    if w.article is None:
        return
    if len(w.paragraph_movements) != len(w.article):
        raise ValueError(f"{w.slug}: {len(w.article)} paragraphs but {len(w.paragraph_movements)} paragraph_movements")
    truth = w.sentence_truth
    if truth is None or len(truth) != len(w.article):
        raise ValueError(f"{w.slug}: the sentence ground truth does not cover the {len(w.article)} paragraphs")
    n = len(w.movements)
    for i, (paragraph, sentences) in enumerate(zip(w.article, truth, strict=True), 1):
        where = f"{w.slug}: article paragraph {i}"
        if split_sentences(paragraph) != [s.markup for s in sentences]:
            raise ValueError(f"{where}: its sentences {[s.markup for s in sentences]!r} are not how the text splits "
                             f"({split_sentences(paragraph)!r})")
        if _union_about(sentences) != tuple(sorted(set(w.paragraph_movements[i - 1]))):
            raise ValueError(f"{where}: paragraph_movements {w.paragraph_movements[i - 1]} do not match its sentences")
        for s in sentences:
            if s.role not in SENTENCE_ROLES:
                raise ValueError(f"{where}: sentence role {s.role!r}; expected one of {', '.join(SENTENCE_ROLES)}")
            # a quoted sentence may describe movements (a critic's movement-by-movement description)
            described = s.role in ("movement", "quote") if s.about else s.role != "movement"
            if not described or not all(1 <= a <= n for a in s.about):
                raise ValueError(f"{where}: a {s.role} sentence cannot be about movements {list(s.about)} "
                                 f"(movement sentences name 1..{n}, quotations some or none, others none): "
                                 f"{s.text!r}")
            if s.text != plain_text(s.markup):
                raise ValueError(f"{where}: plain text {s.text!r} is not the sentence's markup without marks")
    terms = {e.term.lower() for e in w.glossary}
    for p in w.article:
        for mark in MARK_RE.finditer(p):
            if mark.group(1) is not None and mark.group(1).lower() not in terms:
                raise ValueError(f"{w.slug}: glossary link {mark.group(1)!r} has no glossary entry")


# ----------------------------------------------------------------------------------------------
# the default catalogue, read from catalogue.yaml

CATALOGUE_PACKAGE = "earsense_m2t.offline.minisite"
CATALOGUE_FILE = "catalogue.yaml"

# The roles ``SPECIAL_CASES`` names; the data file marks which work plays each (``special_cases:``).
SPECIAL_CASE_NAMES: tuple[str, ...] = (
    "whole_with_timestamps",
    "whole_without_timestamps",
    "no_recording",
    "no_article",
    "second_recording",
    "article_out_of_order",
    "article_skips_movement",
    "recordings_disagree",
    "videoless_recording",
    "article_names_differ",
    "pkey_link_only",
    "pkey_unresolvable",
)
# Roles that set a field of the work they are on.
_ROLE_PKEY_VIEW: dict[str, PkeyView] = {"pkey_link_only": "link", "pkey_unresolvable": "bare"}


class CatalogueData(NamedTuple):
    """What a catalogue file holds once read: the works, the blog, and which work plays which role."""

    works: tuple[WorkSpec, ...]
    blog_posts: tuple[BlogPost, ...]
    special_cases: dict[str, str]  # role → slug, in SPECIAL_CASE_NAMES order (only the roles marked)


_ANY = object()  # "no default": the field is required
_KINDS: dict[type, str] = {
    dict: "a mapping", list: "a list", str: "text", int: "a whole number", float: "a number",
    bool: "true/false", datetime.date: "a date", type(None): "null",
}


def _kind(value: object) -> str:
    return _KINDS.get(type(value), type(value).__name__)


class _Fields:
    """One mapping of the file being read; every error names the file and the place in it."""

    def __init__(self, data: object, source: str, where: str, required: Sequence[str], optional: Sequence[str] = ()):
        self.source, self.where = source, where
        if not isinstance(data, dict):
            raise self.error(f"expected a mapping of fields, got {_kind(data)}")
        known = (*required, *optional)
        for name in data:
            if name not in known:
                close = difflib.get_close_matches(str(name), known, n=1)
                raise self.error(f"unknown field {name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        for name in required:
            if name not in data:
                raise self.error(f"missing field {name!r}")
        self.data: dict[object, object] = data

    def error(self, message: str) -> ValueError:
        return ValueError(f"{self.source}: {self.where}: {message}")

    def get(self, name: str, kind: type | tuple[type, ...], default: object = _ANY, *, nullable: bool = False) -> Any:
        """The field's value, checked to be of ``kind`` (``bool`` is never taken for a number)."""
        if name not in self.data:
            return default
        value = self.data[name]
        if value is None and nullable:
            return None
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            wanted = " or ".join(_KINDS.get(k, k.__name__) for k in kinds) + (" or null" if nullable else "")
            raise self.error(f"field {name!r} must be {wanted}, got {_kind(value)}")
        return value

    def choice(self, name: str, options: Sequence[str], default: object = _ANY, *, nullable: bool = False) -> Any:
        value = self.get(name, str, default, nullable=nullable)
        if name in self.data and value is not None and value not in options:
            raise self.error(f"field {name!r} is {value!r}; expected one of {', '.join(options)}")
        return value

    def number(self, name: str) -> float:
        return float(self.get(name, (int, float)))

    def date(self, name: str, default: object = _ANY) -> Any:
        """An ISO date, written plainly (YAML reads it as a date) or quoted; kept as the ISO string."""
        value = self.get(name, (datetime.date, str), default)
        if isinstance(value, datetime.date):
            return value.isoformat()
        if name in self.data:
            try:
                datetime.date.fromisoformat(value)
            except ValueError:
                raise self.error(f"field {name!r} is {value!r}; expected a date like 2024-03-01") from None
        return value

    def items(self, name: str, default: object = _ANY) -> list[Any]:
        return self.get(name, list, default)


def _movement(data: object, source: str, where: str) -> MovementSpec:
    f = _Fields(data, source, where, ("number", "title", "tempo_class", "duration_s"))
    return MovementSpec(
        number=f.get("number", int),
        title=f.get("title", str),
        tempo_class=f.choice("tempo_class", TEMPO_CLASSES, nullable=True),
        duration_s=f.get("duration_s", int),
    )


def _text_list(f: _Fields, name: str) -> tuple[str, ...] | None:
    items = f.get(name, list, None, nullable=True)
    if items is not None and not all(isinstance(t, str) for t in items):
        raise f.error(f"field {name!r} must be a list of text")
    return None if items is None else tuple(items)


def _recording(data: object, source: str, where: str) -> RecordingSpec:
    optional = ("level_lufs", "uploader", "timestamp_style", "numbering", "recorded", "titles", "durations_s", "listed")
    f = _Fields(data, source, where, ("performers", "layout"), optional)
    layout = f.choice("layout", get_args(Layout))
    if layout != "none":
        for name in ("level_lufs", "uploader"):
            if name not in f.data:
                raise f.error(f"missing field {name!r} (needed by a recording with video)")
    recorded = f.get("recorded", (str, int), None, nullable=True)  # "recorded: 2019" means the text "2019"
    durations = f.get("durations_s", list, None, nullable=True)
    if durations is not None and not all(isinstance(d, int) and not isinstance(d, bool) for d in durations):
        raise f.error("field 'durations_s' must be a list of whole numbers of seconds")
    return RecordingSpec(
        performers=f.get("performers", str),
        layout=layout,
        level_lufs=float(f.get("level_lufs", (int, float), -20.0)),
        uploader=f.get("uploader", str, ""),
        timestamp_style=f.choice("timestamp_style", TIMESTAMP_STYLES, None, nullable=True),
        numbering=f.choice("numbering", ("roman", "arabic"), "roman"),
        recorded=None if recorded is None else str(recorded),
        titles=_text_list(f, "titles"),
        durations_s=None if durations is None else tuple(durations),
        listed=f.get("listed", bool, True),
    )


def _life(data: object, source: str, where: str) -> LifeEvent:
    f = _Fields(data, source, where, ("date", "place"), ("year_only",))
    return LifeEvent(date=f.date("date"), place=f.get("place", str), year_only=f.get("year_only", bool, False))


def _about(f: _Fields, default: tuple[int, ...], n_movements: int) -> tuple[int, ...]:
    numbers = f.get("about", list, list(default))
    if not all(isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= n_movements for n in numbers):
        raise f.error(f"field 'about' must list movement numbers (1..{n_movements}), got {numbers!r}")
    return tuple(numbers)


def _role(f: _Fields, about: tuple[int, ...], default: str | None) -> str:
    role = f.choice("role", SENTENCE_ROLES, default, nullable=True)
    return role or ("movement" if about else "work")


def _paragraph(data: object, source: str, where: str, n_movements: int) -> tuple[ArticleSentence, ...]:
    """One article paragraph: ``text`` (split into sentences that share role and about) or ``sentences``."""
    p = _Fields(data, source, where, (), ("role", "about", "text", "sentences"))
    if ("text" in p.data) == ("sentences" in p.data):
        raise p.error("give either 'text' (one paragraph) or 'sentences' (a list), not both or neither")
    about = _about(p, (), n_movements)
    role_default = p.choice("role", SENTENCE_ROLES, None, nullable=True)
    if "text" in p.data:
        role = _role(p, about, role_default)
        return tuple(ArticleSentence(role, about, plain_text(s), s) for s in split_sentences(p.get("text", str)))
    out = []
    for j, item in enumerate(p.items("sentences"), 1):
        if isinstance(item, str):
            out.append(ArticleSentence(_role(p, about, role_default), about, plain_text(item), item))
            continue
        s = _Fields(item, source, f"{where}: sentence {j}", ("text",), ("role", "about"))
        s_about = _about(s, about, n_movements)
        text = s.get("text", str)
        out.append(ArticleSentence(_role(s, s_about, role_default), s_about, plain_text(text), text))
    return tuple(out)


_WORK_REQUIRED = (
    "composer", "title", "born", "died", "genre", "key", "mode", "timbre", "movements", "article", "recordings",
)  # fmt: skip
_WORK_OPTIONAL = (
    "year", "in_sitemap", "updated", "special_cases", "glossary", "nationality", "instrumentation", "published",
    "dedication", "note",
)  # fmt: skip


def _work_label(data: object, index: int) -> str:
    """How errors name a work: its slug when composer and title are readable, else its position."""
    if isinstance(data, dict):
        composer, title = data.get("composer"), data.get("title")
        if isinstance(composer, str) and isinstance(title, str):
            return f"work {work_slug(composer, title)!r}"
        if isinstance(title, str):
            return f"work {index} ({title!r})"
    return f"work {index}"


def _work(data: object, source: str, where: str, glossary: dict[str, GlossaryEntry]) -> tuple[WorkSpec, tuple[str, ...]]:
    """One work and the special-case roles it is marked with."""
    f = _Fields(data, source, where, _WORK_REQUIRED, _WORK_OPTIONAL)
    timbre = f.items("timbre")
    if len(timbre) != 2 or any(t not in get_args(Timbre) for t in timbre):
        timbres = ", ".join(get_args(Timbre))
        raise f.error(f"field 'timbre' must be [melody, accompaniment], each one of {timbres}; got {timbre!r}")
    movements = tuple(_movement(m, source, f"{where}: movement {i}") for i, m in enumerate(f.items("movements"), 1))
    paragraphs = f.get("article", list, nullable=True)
    truth = tuple(
        _paragraph(item, source, f"{where}: article paragraph {i}", len(movements)) for i, item in enumerate(paragraphs or (), 1)
    )
    entries = []
    for term in f.items("glossary", []):
        if not isinstance(term, str) or term.lower() not in glossary:
            known = difflib.get_close_matches(str(term).lower(), list(glossary), n=1)
            raise f.error(f"glossary term {term!r} is not in the file's glossary"
                          + (f" (did you mean {known[0]!r}?)" if known else ""))
        entries.append(glossary[term.lower()])
    roles = f.items("special_cases", [])
    for role in roles:
        if role not in SPECIAL_CASE_NAMES:
            raise f.error(f"unknown special case {role!r}; expected one of {', '.join(SPECIAL_CASE_NAMES)}")
    pkey_view: PkeyView = next((_ROLE_PKEY_VIEW[r] for r in roles if r in _ROLE_PKEY_VIEW), "canonical")
    composer, title = f.get("composer", str), f.get("title", str)
    birth = _life(f.get("born", dict), source, f"{where}: born")
    death = _life(f.get("died", dict), source, f"{where}: died")
    work = WorkSpec(
        slug=work_slug(composer, title),
        composer=composer,
        composer_born=birth.year,
        composer_died=death.year,
        title=title,
        genre=f.get("genre", str),
        key=f.get("key", str),
        mode=f.choice("mode", ("major", "minor")),
        timbre=(timbre[0], timbre[1]),
        movements=movements,
        article=None if paragraphs is None else tuple(" ".join(s.markup for s in p) for p in truth),
        sentence_truth=None if paragraphs is None else truth,
        glossary=tuple(entries),
        recordings=tuple(
            _recording(r, source, f"{where}: recording {i}") for i, r in enumerate(f.items("recordings"), 1)
        ),
        year=f.get("year", int, None, nullable=True),
        in_sitemap=f.get("in_sitemap", bool, True),
        updated=f.date("updated", WorkSpec.updated),
        nationality=f.get("nationality", str, None, nullable=True),
        birth=birth,
        death=death,
        instrumentation=f.get("instrumentation", str, None, nullable=True),
        published=f.get("published", (str, int), None, nullable=True),
        dedication=f.get("dedication", str, None, nullable=True),
        note=f.get("note", str, None, nullable=True),
        pkey_view=pkey_view,
    )
    if work.published is not None:
        work = dataclasses.replace(work, published=str(work.published))
    return work, tuple(roles)


def _glossary(data: object, source: str) -> dict[str, GlossaryEntry]:
    top = _Fields({"glossary": data}, source, "glossary", ("glossary",))
    entries: dict[str, GlossaryEntry] = {}
    for term, value in top.get("glossary", dict).items():
        if not isinstance(term, str):
            raise top.error(f"term {term!r} must be text, got {_kind(term)} (quote it)")
        e = _Fields(value, source, f"glossary entry {term!r}", ("definition",), ("names",))
        entries[term.lower()] = GlossaryEntry(term, e.get("names", str, ""), e.get("definition", str))
    return entries


_BLOG_WORK_LINK_RE = re.compile(r"\]\((work|article|pkey):([^)?]*)(\?[^)]*)?\)")


def _blog_post(data: object, source: str, where: str, resolve: dict[str, str]) -> BlogPost:
    """One post; its ``work:@role`` / ``work:Composer|Title`` links become ``work:<slug>`` (also article:, pkey:)."""
    f = _Fields(data, source, where, ("slug", "title", "date", "author", "paragraphs"))
    paragraphs = []
    for i, text in enumerate(f.items("paragraphs"), 1):
        if not isinstance(text, str):
            raise f.error(f"paragraph {i} must be text, got {_kind(text)}")

        def link(m: re.Match[str], i: int = i) -> str:
            ref = m.group(2).strip()
            key = ref if ref.startswith("@") else "|".join(part.strip() for part in ref.split("|"))
            if key not in resolve:
                raise f.error(
                    f"paragraph {i}: link to unknown work {ref!r} "
                    "(write work:@<special case> or work:<composer>|<title> of a work in the file)"
                )
            return f"]({m.group(1)}:{resolve[key]}{m.group(3) or ''})"

        paragraphs.append(_BLOG_WORK_LINK_RE.sub(link, text))
    return BlogPost(
        slug=f.get("slug", str),
        title=f.get("title", str),
        date=f.date("date"),
        author=f.get("author", str),
        paragraphs=tuple(paragraphs),
    )


def parse_catalogue(text: str, source: str) -> CatalogueData:
    """Read a catalogue file's text (``source`` names it in errors) into validated specs.

    Raises ValueError ``"<source>: <work or post>: <what is wrong>"`` for malformed data: invalid
    YAML, unknown or missing fields, wrong types or values, and anything ``validate_catalogue`` rejects.
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ValueError(f"{source}: not valid YAML{where}: {getattr(e, 'problem', None) or e}") from None
    top = _Fields(data, source, "top level", ("works",), ("blog_posts", "glossary"))
    glossary = _glossary(top.get("glossary", dict, {}), source)
    works: list[WorkSpec] = []
    roles: dict[str, str] = {}
    for i, item in enumerate(top.items("works"), 1):
        where = _work_label(item, i)
        work, marked = _work(item, source, where, glossary)
        for role in marked:
            if role in roles:
                raise ValueError(f"{source}: {where}: special case {role!r} is already on work {roles[role]!r}")
            roles[role] = work.slug
        works.append(work)
    try:
        validate_catalogue(works)
    except ValueError as e:
        raise ValueError(f"{source}: {e}") from None
    special_cases = {name: roles[name] for name in SPECIAL_CASE_NAMES if name in roles}
    resolve = {f"@{name}": slug for name, slug in special_cases.items()}
    resolve |= {f"{w.composer}|{w.title}": w.slug for w in works}
    posts = tuple(
        _blog_post(p, source, f"blog post {p.get('slug', i)!r}" if isinstance(p, dict) else f"blog post {i}", resolve)
        for i, p in enumerate(top.items("blog_posts", []), 1)
    )
    return CatalogueData(tuple(works), posts, special_cases)


@functools.cache
def _shipped() -> CatalogueData:
    """The catalogue file shipped with the package, read once."""
    text = resources.files(CATALOGUE_PACKAGE).joinpath(CATALOGUE_FILE).read_text(encoding="utf-8")
    data = parse_catalogue(text, CATALOGUE_FILE)
    unassigned = [name for name in SPECIAL_CASE_NAMES if name not in data.special_cases]
    if unassigned:
        raise ValueError(f"{CATALOGUE_FILE}: no work is marked with special case(s) {', '.join(unassigned)}")
    return data


def load_catalogue() -> tuple[WorkSpec, ...]:
    """The default catalogue (validated when the file is read)."""
    return _shipped().works


# Module constants, read from the file on import. ``_WORKS`` is what ``load_catalogue()`` returns; it
# stays a module-level tuple because tests/movements/test_align.py finds the works by scanning vars().
_WORKS, BLOG_POSTS, SPECIAL_CASES = _shipped()

M = MovementSpec  # short alias from when the works were Python literals; kept for callers
