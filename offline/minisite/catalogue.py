"""The mini EarSense site's content, as plain immutable data read from ``catalogue.yaml``.

Dataset card
------------
Fourteen chamber works by real, long-dead composers. Everything else — every article, biography,
glossary entry, performer, channel, year and most movement titles — was written for this project as a
test fixture. It is *not* a musicological reference and is not copied from earsense.org or anywhere
else. The catalogue exists so the crawler, the audio acquisition and the features stages can be run
offline against pages that look like the real site and audio whose ground truth is known.

The texts and facts live in ``catalogue.yaml`` next to this module (its header explains the format);
this module holds the record classes, the rules (``validate_catalogue``) and the loader
(``parse_catalogue`` for any text, ``load_catalogue``/``BLOG_POSTS``/``SPECIAL_CASES`` for the shipped
file, read once). Slugs, video ids and blog links to work pages are derived here, never written there.

Ground truth the tests can rely on (see ``WorkSpec``/``MovementSpec``): each movement's intended tempo
class and exact duration, which movements each article paragraph talks about, and for the whole-work
videos the exact second at which each movement starts (movements are separated by ``GAP_S`` seconds of
near-silence, and every duration is a whole number of seconds, so timestamps are exact).

Special cases in the default catalogue (``SPECIAL_CASES`` names them):
- one work recorded as ONE whole-work video whose description carries movement timestamps;
- one work recorded as ONE whole-work video without timestamps (the page lists its movements);
- one work with no recording, one work page without an article;
- one work with a second recording (``?ri=1``); one article discussing movements out of order; one
  article that skips a movement; two works left out of the sitemap (reachable only by links).

Article markup: paragraphs are plain text with four marks, so the data stays readable and a test can
pass plain text safely (``&``, ``<`` and quotes are escaped when rendered):
``*word*`` → ``<em>``, ``[[Term|shown text]]`` or ``[[Term]]`` → a glossary link to ``#gl-<term-slug>``,
``^1`` → a footnote mark ``<sup class="fn">1</sup>``, and a newline → ``<br>``.
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

from earsense_m2t.text import slugify

TempoClass = Literal["slow", "medium", "fast", "super_fast"]
TEMPO_CLASSES: tuple[str, ...] = ("slow", "medium", "fast", "super_fast")
Timbre = Literal["strings", "piano", "winds"]
Layout = Literal["tracks", "whole"]

# Silence between movements inside a whole-work video. Whole seconds keep timestamps exact.
GAP_S = 2
MIN_MOVEMENT_S = 35
MAX_MOVEMENT_S = 75
LEVEL_RANGE_LUFS = (-30.0, -14.0)

# How a whole-work video description lists movement starts (all seen in real uploads).
TIMESTAMP_STYLES: tuple[str, ...] = ("time_first", "time_last", "bracketed", "hms_dash")


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
    layout: Layout  # "tracks": one video per movement; "whole": one video for the whole work
    level_lufs: float  # integrated loudness the synth aims each movement at (before slow/fast offset)
    uploader: str  # the channel name the video page shows
    timestamp_style: str | None = None  # whole-work only: one of TIMESTAMP_STYLES, None = no timestamps
    numbering: Literal["roman", "arabic"] = "roman"  # how track titles number the movements
    recorded: str | None = None  # free text for the description ("live, 2019")


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
    paragraph_movements: tuple[tuple[int, ...], ...]  # per paragraph: movement numbers it discusses
    article_author: str | None
    biography: str
    glossary: tuple[tuple[str, str], ...]  # (term, definition)
    recordings: tuple[RecordingSpec, ...]
    year: int | None = None
    list_movements: bool = False  # the page carries a <section class="movement-list">
    in_sitemap: bool = True
    updated: str = "2024-03-01"  # ISO date; the page's Last-Modified

    @property
    def composer_slug(self) -> str:
        return slugify(self.composer).lower()

    @property
    def url_path(self) -> str:
        return f"/chamber-music/{self.slug}/"

    def movement(self, number: int) -> MovementSpec:
        for m in self.movements:
            if m.number == number:
                return m
        raise KeyError(f"{self.slug}: no movement {number} (has 1..{len(self.movements)})")

    def article_plain(self) -> tuple[str, ...] | None:
        """The article as a crawler should read it: marks removed, footnote marks dropped."""
        if self.article is None:
            return None
        return tuple(plain_text(p) for p in self.article)


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
    """A blog article (not part of the dataset). ``[text](work:slug?ri=1)`` links to a work page."""

    slug: str
    title: str
    date: str
    author: str
    paragraphs: tuple[str, ...]


# ----------------------------------------------------------------------------------------------
# helpers


def work_slug(composer: str, title: str) -> str:
    return slugify(f"{composer} {title}")


def video_id(slug: str, recording_index: int, index: int) -> str:
    """An 11-character YouTube-like id, stable for (slug, recording, position)."""
    digest = hashlib.sha256(f"{slug}|{recording_index}|{index}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:11]


def roman(n: int) -> str:
    numerals = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = []
    for value, sym in numerals:
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)


def clock(seconds: int, *, pad: bool = False, hours: bool = False) -> str:
    """Seconds as a video timestamp: 8:41, 08:41 (pad), 0:08:41 (hours)."""
    h, rest = divmod(int(seconds), 3600)
    m, s = divmod(rest, 60)
    if hours or h:
        return f"{h}:{m:02d}:{s:02d}"
    return f"{m:02d}:{s:02d}" if pad else f"{m}:{s:02d}"


def numbered_title(movement: MovementSpec, numbering: str = "roman") -> str:
    prefix = roman(movement.number) if numbering == "roman" else str(movement.number)
    return f"{prefix}. {movement.title}"


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


# ----------------------------------------------------------------------------------------------
# videos derived from works


def _short_title(work: WorkSpec) -> str:
    surname = work.composer.split()[-1]
    return f"{surname} – {work.title}"


def videos_of(work: WorkSpec) -> tuple[VideoSpec, ...]:
    """The videos a work's recordings consist of, in page order."""
    out: list[VideoSpec] = []
    for ri, rec in enumerate(work.recordings):
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
        if rec.layout == "tracks":
            for i, m in enumerate(work.movements):
                track = numbered_title(m, rec.numbering)
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
                        video_id=video_id(work.slug, ri, i),
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
                lines += [
                    timestamp_line(s, numbered_title(m, rec.numbering), rec.timestamp_style)
                    for s, m in zip(starts, work.movements, strict=False)
                ]
            else:
                lines.append("Complete performance, in one take.")
            lines += ["", f"#chambermusic #{slugify(work.composer.split()[-1]).lower()}"]
            out.append(
                VideoSpec(
                    video_id=video_id(work.slug, ri, 0),
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
    """A copy of the catalogue with one work's article replaced (None removes it)."""
    find_work(catalogue, slug)
    new_paras = None if paragraphs is None else tuple(paragraphs)
    if paragraph_movements is None:
        paragraph_movements = tuple(() for _ in new_paras or ())
    return tuple(
        dataclasses.replace(w, article=new_paras, paragraph_movements=tuple(paragraph_movements))
        if w.slug == slug
        else w
        for w in catalogue
    )


def replace_work(catalogue: Sequence[WorkSpec], slug: str, **changes: object) -> tuple[WorkSpec, ...]:
    """A copy of the catalogue with ``dataclasses.replace(work, **changes)`` applied to one work."""
    find_work(catalogue, slug)
    return tuple(dataclasses.replace(w, **changes) if w.slug == slug else w for w in catalogue)  # type: ignore[arg-type]


def validate_catalogue(catalogue: Sequence[WorkSpec]) -> None:
    """Raise ValueError naming the work and the value when the data breaks a rule the site relies on."""
    seen: set[str] = set()
    vids: set[str] = set()
    for w in catalogue:
        if w.slug in seen:
            raise ValueError(f"duplicate slug {w.slug!r}")
        seen.add(w.slug)
        if not re.fullmatch(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*", w.slug):
            raise ValueError(f"{w.slug!r}: slug must be ASCII words joined by '-'")
        if [m.number for m in w.movements] != list(range(1, len(w.movements) + 1)):
            raise ValueError(f"{w.slug}: movements must be numbered 1..n")
        for m in w.movements:
            if not MIN_MOVEMENT_S <= m.duration_s <= MAX_MOVEMENT_S:
                raise ValueError(f"{w.slug}#{m.number}: duration {m.duration_s}s outside 35..75 s")
            if m.tempo_class is not None and m.tempo_class not in TEMPO_CLASSES:
                raise ValueError(f"{w.slug}#{m.number}: tempo class {m.tempo_class!r}")
        if w.article is not None and len(w.paragraph_movements) != len(w.article):
            raise ValueError(
                f"{w.slug}: {len(w.article)} paragraphs but {len(w.paragraph_movements)} paragraph_movements"
            )
        terms = {t.lower() for t, _ in w.glossary}
        for p in w.article or ():
            for mark in MARK_RE.finditer(p):
                if mark.group(1) is not None and mark.group(1).lower() not in terms:
                    raise ValueError(f"{w.slug}: glossary link {mark.group(1)!r} has no glossary entry")
        for rec in w.recordings:
            lo, hi = LEVEL_RANGE_LUFS
            if not lo <= rec.level_lufs <= hi:
                raise ValueError(f"{w.slug}: level {rec.level_lufs} LUFS outside {LEVEL_RANGE_LUFS}")
            if rec.timestamp_style is not None and (
                rec.layout != "whole" or rec.timestamp_style not in TIMESTAMP_STYLES
            ):
                raise ValueError(f"{w.slug}: timestamp style {rec.timestamp_style!r} on a {rec.layout} recording")
        for v in videos_of(w):
            if v.video_id in vids:
                raise ValueError(f"{w.slug}: video id collision {v.video_id}")
            vids.add(v.video_id)


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
)


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


def _recording(data: object, source: str, where: str) -> RecordingSpec:
    required = ("performers", "layout", "level_lufs", "uploader")
    f = _Fields(data, source, where, required, ("timestamp_style", "numbering", "recorded"))
    recorded = f.get("recorded", (str, int), None, nullable=True)  # "recorded: 2019" means the text "2019"
    return RecordingSpec(
        performers=f.get("performers", str),
        layout=f.choice("layout", get_args(Layout)),
        level_lufs=f.number("level_lufs"),
        uploader=f.get("uploader", str),
        timestamp_style=f.choice("timestamp_style", TIMESTAMP_STYLES, None, nullable=True),
        numbering=f.choice("numbering", ("roman", "arabic"), "roman"),
        recorded=None if recorded is None else str(recorded),
    )


_WORK_REQUIRED = (
    "composer", "title", "composer_born", "composer_died", "genre", "key", "mode", "timbre",
    "movements", "article_author", "article", "biography", "glossary", "recordings",
)  # fmt: skip
_WORK_OPTIONAL = ("year", "list_movements", "in_sitemap", "updated", "special_cases")


def _work_label(data: object, index: int) -> str:
    """How errors name a work: its slug when composer and title are readable, else its position."""
    if isinstance(data, dict):
        composer, title = data.get("composer"), data.get("title")
        if isinstance(composer, str) and isinstance(title, str):
            return f"work {work_slug(composer, title)!r}"
        if isinstance(title, str):
            return f"work {index} ({title!r})"
    return f"work {index}"


def _work(data: object, source: str, where: str) -> tuple[WorkSpec, tuple[str, ...]]:
    """One work and the special-case roles it is marked with."""
    f = _Fields(data, source, where, _WORK_REQUIRED, _WORK_OPTIONAL)
    timbre = f.items("timbre")
    if len(timbre) != 2 or any(t not in get_args(Timbre) for t in timbre):
        timbres = ", ".join(get_args(Timbre))
        raise f.error(f"field 'timbre' must be [melody, accompaniment], each one of {timbres}; got {timbre!r}")
    movements = tuple(_movement(m, source, f"{where}: movement {i}") for i, m in enumerate(f.items("movements"), 1))
    n_movements = len(movements)
    paragraphs = f.get("article", list, nullable=True)
    article: list[str] = []
    about: list[tuple[int, ...]] = []
    for i, item in enumerate(paragraphs or (), 1):
        p = _Fields(item, source, f"{where}: article paragraph {i}", ("about", "text"))
        numbers = p.items("about")
        if not all(isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= n_movements for n in numbers):
            raise p.error(f"field 'about' must list movement numbers (1..{n_movements}), got {numbers!r}")
        article.append(p.get("text", str))
        about.append(tuple(numbers))
    glossary = f.get("glossary", dict)
    for term, definition in glossary.items():
        if not isinstance(term, str):
            raise f.error(f"glossary term {term!r} must be text, got {_kind(term)} (quote it)")
        if not isinstance(definition, str):
            raise f.error(f"glossary entry {term!r}: the definition must be text, got {_kind(definition)}")
    roles = f.items("special_cases", [])
    for role in roles:
        if role not in SPECIAL_CASE_NAMES:
            raise f.error(f"unknown special case {role!r}; expected one of {', '.join(SPECIAL_CASE_NAMES)}")
    composer, title = f.get("composer", str), f.get("title", str)
    work = WorkSpec(
        slug=work_slug(composer, title),
        composer=composer,
        composer_born=f.get("composer_born", int),
        composer_died=f.get("composer_died", int),
        title=title,
        genre=f.get("genre", str),
        key=f.get("key", str),
        mode=f.choice("mode", ("major", "minor")),
        timbre=(timbre[0], timbre[1]),
        movements=movements,
        article=None if paragraphs is None else tuple(article),
        paragraph_movements=tuple(about),
        article_author=f.get("article_author", str, nullable=True),
        biography=f.get("biography", str),
        glossary=tuple(glossary.items()),
        recordings=tuple(
            _recording(r, source, f"{where}: recording {i}") for i, r in enumerate(f.items("recordings"), 1)
        ),
        year=f.get("year", int, None, nullable=True),
        list_movements=f.get("list_movements", bool, False),
        in_sitemap=f.get("in_sitemap", bool, True),
        updated=f.date("updated", WorkSpec.updated),
    )
    return work, tuple(roles)


_BLOG_WORK_LINK_RE = re.compile(r"\]\(work:([^)?]*)(\?[^)]*)?\)")


def _blog_post(data: object, source: str, where: str, resolve: dict[str, str]) -> BlogPost:
    """One post; its ``work:@role`` / ``work:Composer|Title`` links become ``work:<slug>``."""
    f = _Fields(data, source, where, ("slug", "title", "date", "author", "paragraphs"))
    paragraphs = []
    for i, text in enumerate(f.items("paragraphs"), 1):
        if not isinstance(text, str):
            raise f.error(f"paragraph {i} must be text, got {_kind(text)}")

        def link(m: re.Match[str], i: int = i) -> str:
            ref = m.group(1).strip()
            key = ref if ref.startswith("@") else "|".join(part.strip() for part in ref.split("|"))
            if key not in resolve:
                raise f.error(
                    f"paragraph {i}: link to unknown work {ref!r} "
                    "(write work:@<special case> or work:<composer>|<title> of a work in the file)"
                )
            return f"](work:{resolve[key]}{m.group(2) or ''})"

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
    top = _Fields(data, source, "top level", ("works",), ("blog_posts",))
    works: list[WorkSpec] = []
    roles: dict[str, str] = {}
    for i, item in enumerate(top.items("works"), 1):
        where = _work_label(item, i)
        work, marked = _work(item, source, where)
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
