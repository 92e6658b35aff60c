"""The mini EarSense site's content, as plain immutable data.

Dataset card
------------
Fourteen chamber works by real, long-dead composers. Everything else — every article, biography,
glossary entry, performer, channel, year and most movement titles — was written for this project as a
test fixture. It is *not* a musicological reference and is not copied from earsense.org or anywhere
else. The catalogue exists so the crawler, the audio acquisition and the features stages can be run
offline against pages that look like the real site and audio whose ground truth is known.

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
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

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


# ----------------------------------------------------------------------------------------------
# helpers


def slugify(text: str) -> str:
    """EarSense-style slug words: ASCII, punctuation dropped, words joined by '-' (case kept)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[A-Za-z0-9]+", ascii_text)
    return "-".join(words)


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
        common = dict(
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
                    for s, m in zip(starts, work.movements)
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
            for m in MARK_RE.finditer(p):
                if m.group(1) is not None and m.group(1).lower() not in terms:
                    raise ValueError(f"{w.slug}: glossary link {m.group(1)!r} has no glossary entry")
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
# the default catalogue

M = MovementSpec


def _work(composer: str, title: str, **kw: object) -> WorkSpec:
    return WorkSpec(slug=work_slug(composer, title), composer=composer, title=title, **kw)  # type: ignore[arg-type]


_WORKS: tuple[WorkSpec, ...] = (
    _work(
        "Joseph Haydn",
        "String Quartet in D major, Op. 76 No. 5",
        composer_born=1732,
        composer_died=1809,
        genre="String Quartet",
        key="D",
        mode="major",
        timbre=("strings", "strings"),
        year=1797,
        movements=(
            M(1, "Allegretto – Allegro", "fast", 50),
            M(2, "Largo. Cantabile e mesto", "slow", 64),
            M(3, "Menuetto. Allegro – Trio", "fast", 42),
            M(4, "Finale. Presto", "super_fast", 46),
        ),
        article=(
            "Haydn wrote the six quartets of his Op. 76 in his mid-sixties, when he had nothing left to "
            "prove & every reason to experiment. The fifth of the set wears its learning lightly: it is a "
            "work of conversation rather than display, and each of the four players gets a fair share of "
            "the talk.",
            "The opening Allegretto is not the sonata argument one expects. It starts as an easy-going "
            "dance tune that is varied a few times, as if Haydn were thinking aloud, and only near the end "
            "does the pace quicken into an Allegro that closes the movement with a brisk [[Coda|coda]].",
            "The second movement, a Largo marked *cantabile e mesto*, is the emotional centre of the "
            "quartet. It sits in a distant key, so its first chord sounds like a door opening onto another "
            "room; the first violin spins one long, slow line over quietly pulsing chords.^1",
            "After this the [[Minuet|minuet]] brings us back into daylight. Its accents land where you do "
            "not expect them, and the trio lets the cello scurry in a low, busy line beneath the others.",
            "The finale, a Presto, is made from almost nothing: two cheeky chords that sound like an "
            "ending are tossed about as if the piece were finishing before it had begun. Players call it "
            "“the joke that keeps on giving”, and it does.",
            "Taken as a whole, the quartet shows Haydn at his most relaxed. Nothing is forced, yet every "
            "movement surprises, and the work ends with a grin rather than a flourish.",
        ),
        paragraph_movements=((), (1,), (2,), (3,), (4,), ()),
        article_author="Marta Lindqvist",
        biography=(
            "Joseph Haydn (1732–1809) spent most of his working life in the service of the Esterházy "
            "princes, with an orchestra, a theatre and long country winters at his disposal. He is often "
            "called the father of the string quartet, less because he invented it than because he showed "
            "what four equal voices could say. Two late journeys to London made him famous across Europe."
        ),
        glossary=(
            ("Coda", "A closing section that rounds a movement off after its main material is done."),
            ("Minuet", "A stately dance in three beats, usually paired with a contrasting trio section."),
            ("Largo", "A very slow, broad tempo."),
        ),
        recordings=(
            RecordingSpec("Aurora String Quartet", "tracks", -22.0, "Aurora String Quartet", recorded="2018"),
            RecordingSpec(
                "Quartetto Lumen", "tracks", -17.0, "Lumen Live", numbering="arabic", recorded="live, 2021"
            ),
        ),
        updated="2024-02-11",
    ),
    _work(
        "Bernhard Molique",
        "String Quartet No. 8 in A major, Op. 44",
        composer_born=1802,
        composer_died=1869,
        genre="String Quartet",
        key="A",
        mode="major",
        timbre=("strings", "strings"),
        year=1850,
        movements=(
            M(1, "Allegro moderato", "fast", 56),
            M(2, "Andante", "medium", 60),
            M(3, "Scherzo. Presto – Trio", "super_fast", 42),
            M(4, "Finale. Allegro vivace", "super_fast", 50),
        ),
        article=(
            "Molique was a violinist first, and this quartet is written by someone who knew exactly how "
            "the instruments feel under the fingers. It is sunny, well built and generous to all four "
            "players, a piece that deserves far more than its rare outings.",
            "The opening Allegro moderato begins with a broad, singing theme in the first violin, answered "
            "warmly by the viola. The development is compact, and the music returns home in a mood of "
            "quiet satisfaction rather than triumph.",
            "The second movement, an Andante, is a song without words: a simple tune in the middle of the "
            "texture, decorated more richly each time it comes back.\nNothing here is hurried.",
            "Next comes a [[Scherzo|scherzo]] that races along in feather-light staccato, with a gentler "
            "trio in the middle that sounds almost like a folk song.",
            "The light-hearted finale, a buoyant [[Rondo|rondo]], keeps bringing back its skipping refrain "
            "between episodes of increasing virtuosity, and ends with a run of bright chords.",
        ),
        paragraph_movements=((), (1,), (2,), (3,), (4,)),
        article_author="Jonas Feldmann",
        biography=(
            "Bernhard Molique (1802–1869) was a German violinist who led a court orchestra for many years "
            "before moving to London, where he taught and played chamber music. His compositions, admired "
            "by fellow players for their craft, fell out of the repertoire after his death."
        ),
        glossary=(
            ("Scherzo", "A quick, playful movement, usually in three beats, that replaced the minuet."),
            ("Rondo", "A form in which a recurring refrain alternates with contrasting episodes."),
        ),
        recordings=(
            RecordingSpec(
                "Halden Quartet",
                "whole",
                -26.0,
                "Halden Quartet",
                timestamp_style="time_first",
                recorded="live at the Kleiner Saal, 2019",
            ),
        ),
        updated="2024-01-20",
    ),
    _work(
        "Claude Debussy",
        "String Quartet in G minor, Op. 10",
        composer_born=1862,
        composer_died=1918,
        genre="String Quartet",
        key="G",
        mode="minor",
        timbre=("strings", "strings"),
        year=1893,
        movements=(
            M(1, "Animé et très décidé", "fast", 52),
            M(2, "Assez vif et bien rythmé", "fast", 40),
            M(3, "Andantino, doucement expressif", "medium", 62),
            M(4, "Modéré – Très vif", "super_fast", 54),
        ),
        article=(
            "Debussy's only string quartet grows almost entirely out of one short motto, heard at the very "
            "start. Every movement bends, stretches or dresses up that same figure, so the work feels like "
            "a single long thought seen in changing light.",
            "It is easiest to begin in the middle. The third movement, Andantino, played with mutes, is "
            "among the most tender music Debussy wrote: a slow, veiled melody that floats over soft "
            "harmonies and never quite settles.",
            "With that sound in the ear, return to the opening movement, marked *animé et très décidé*. "
            "The motto bursts out in full, and its rhythm, sharp & restless, drives the movement forward.",
            "The finale sets out slowly and in fragments, gathering speed until the motto comes back in "
            "a whirlwind of “very lively” playing, a [[Cyclic form|cyclic]] homecoming.",
            "We have left the second movement for last because it is the easiest to love: a "
            "[[Pizzicato|pizzicato]] scherzo in which the motto turns into a rhythmic game passed between "
            "the four players.^1",
        ),
        paragraph_movements=((), (3,), (1,), (4,), (2,)),
        article_author="Élise Marchand",
        biography=(
            "Claude Debussy (1862–1918) was a French composer whose harmonies and sense of colour changed "
            "the sound of twentieth-century music. He distrusted rules and labels, including the word "
            "impressionism that critics pinned on him."
        ),
        glossary=(
            ("Pizzicato", "Plucking the strings with the fingers instead of using the bow."),
            ("Cyclic form", "A design in which themes from one movement return in later movements."),
            ("Mute", "A small clamp on the bridge that softens and veils a string instrument's tone."),
        ),
        recordings=(
            RecordingSpec("Quatuor Sillage", "tracks", -19.0, "Quatuor Sillage", recorded="2016"),
        ),
        updated="2024-03-02",
    ),
    _work(
        "Johannes Brahms",
        "Piano Trio No. 1 in B major, Op. 8",
        composer_born=1833,
        composer_died=1897,
        genre="Piano Trio",
        key="B",
        mode="major",
        timbre=("strings", "piano"),
        year=1854,
        movements=(
            M(1, "Allegro con brio", "fast", 60),
            M(2, "Scherzo. Allegro molto – Trio. Meno allegro", "super_fast", 44),
            M(3, "Adagio", "slow", 66),
            M(4, "Finale. Allegro", "fast", 48),
        ),
        article=(
            "Brahms wrote this trio as a young man and rewrote it thirty-five years later, trimming "
            "whole pages and sharpening the rest. The version played today is therefore both his first and "
            "one of his last chamber works.",
            "The opening Allegro con brio begins with one of his most generous tunes, given first to the "
            "piano and then to the cello. The [[Exposition|exposition]] unfolds at leisure; the movement "
            "earns its long, glowing climax.",
            "The Adagio opens with a hushed [[Chorale|chorale]] in the piano, answered by the two strings "
            "as if from a distance. Its middle section moves a little faster before the chorale returns.",
            "The finale, in a stormy B minor, keeps pulling away from the major key in which the work "
            "began, and the trio ends in shadow rather than light.",
            "Few works show so clearly how an older composer can look back at his younger self with "
            "affection & without sentimentality.",
        ),
        paragraph_movements=((), (1,), (3,), (4,), ()),
        article_author="Hannah Osei",
        biography=(
            "Johannes Brahms (1833–1897) was born in Hamburg and spent most of his adult life in Vienna. "
            "Severely self-critical, he destroyed many works he thought unworthy. His chamber music is "
            "among the richest of the nineteenth century."
        ),
        glossary=(
            ("Exposition", "The first part of a sonata-form movement, where the main themes are presented."),
            ("Chorale", "A slow, hymn-like passage in block chords."),
        ),
        recordings=(
            RecordingSpec("Trio Calder", "tracks", -24.0, "Trio Calder", recorded="2020"),
        ),
        updated="2023-11-30",
    ),
    _work(
        "Louise Farrenc",
        "Piano Trio No. 1 in E-flat major, Op. 33",
        composer_born=1804,
        composer_died=1875,
        genre="Piano Trio",
        key="E-flat",
        mode="major",
        timbre=("strings", "piano"),
        year=None,
        movements=(
            M(1, "Adagio – Allegro vivace", "super_fast", 48),
            M(2, "Adagio sostenuto", "slow", 60),
            M(3, "Minuetto. Allegro", "fast", 40),
            M(4, "Finale. Presto", "super_fast", 44),
        ),
        article=None,
        paragraph_movements=(),
        article_author=None,
        biography=(
            "Louise Farrenc (1804–1875) was a French pianist and composer who taught piano at the Paris "
            "Conservatoire for three decades. She fought for, and won, the same pay as her male colleagues."
        ),
        glossary=(
            ("Sostenuto", "Sustained: notes held to their full length, often a little broader in tempo."),
            ("Minuet", "A stately dance in three beats, usually paired with a contrasting trio section."),
        ),
        recordings=(
            RecordingSpec("Trio Perséphone", "tracks", -28.0, "Trio Perséphone", recorded="2017"),
        ),
        updated="2023-09-14",
    ),
    _work(
        "Gabriel Fauré",
        "Violin Sonata No. 1 in A major, Op. 13",
        composer_born=1845,
        composer_died=1924,
        genre="Violin Sonata",
        key="A",
        mode="major",
        timbre=("strings", "piano"),
        year=1876,
        movements=(
            M(1, "Allegro molto", "super_fast", 54),
            M(2, "Andante", "medium", 58),
            M(3, "Allegro vivo", "fast", 38),
            M(4, "Allegro quasi presto", "fast", 48),
        ),
        article=(
            "Fauré's first violin sonata is the work of a composer in his early thirties who already "
            "knew his own voice: supple melodies, harmonies that slip sideways, and a piano part that is "
            "never mere accompaniment.",
            "The opening Allegro molto surges forward in a long paragraph of rippling piano and soaring "
            "violin; its themes seem to grow out of each other rather than stand apart.",
            "The second movement, an Andante in a gently rocking rhythm close to a "
            "[[Barcarolle|barcarolle]], is followed by a quicksilver [[Scherzo|scherzo]] that flickers "
            "between plucked and bowed notes.",
            "The finale, marked *allegro quasi presto*, is warm rather than brilliant, and the sonata "
            "closes with the same open-hearted lyricism with which it began.",
        ),
        paragraph_movements=((), (1,), (2, 3), (4,)),
        article_author="Claire Dubois",
        biography=(
            "Gabriel Fauré (1845–1924) was a French composer, organist and teacher who directed the Paris "
            "Conservatoire late in life. His songs and chamber music are prized for their refinement; "
            "deafness clouded his last years but not his music."
        ),
        glossary=(
            ("Barcarolle", "A song in a lilting rhythm that suggests the stroke of a boatman's oar."),
            ("Scherzo", "A quick, playful movement, usually in three beats, that replaced the minuet."),
        ),
        recordings=(
            RecordingSpec(
                "Léa Morand, violin · Paul Esterle, piano", "tracks", -20.0, "Morand & Esterle", recorded="2022"
            ),
        ),
        updated="2024-04-05",
    ),
    _work(
        "Johannes Brahms",
        "Cello Sonata No. 1 in E minor, Op. 38",
        composer_born=1833,
        composer_died=1897,
        genre="Cello Sonata",
        key="E",
        mode="minor",
        timbre=("strings", "piano"),
        year=1865,
        list_movements=True,
        movements=(
            M(1, "Allegro non troppo", "fast", 62),
            M(2, "Allegretto quasi Menuetto – Trio", "medium", 48),
            M(3, "Allegro", "fast", 54),
        ),
        article=(
            "Brahms called this a sonata for piano and cello, in that order, and the two instruments "
            "are true partners. There is no slow movement: the weight falls on the outer movements.",
            "The opening Allegro non troppo begins low in the cello's range with a dark, searching theme, "
            "and much of the movement stays in that sombre register.",
            "The second movement, a wistful minuet, looks back to an older world of dance; its trio, "
            "with a murmuring piano part, is more intimate still.",
            "The finale is a vigorous [[Fugue|fugue]] whose subject nods to Bach, and Brahms's love of "
            "[[Counterpoint|counterpoint]] gives the work a granite ending.",
        ),
        paragraph_movements=((), (1,), (2,), (3,)),
        article_author="Hannah Osei",
        biography=(
            "Johannes Brahms (1833–1897) was born in Hamburg and spent most of his adult life in Vienna. "
            "Severely self-critical, he destroyed many works he thought unworthy. His chamber music is "
            "among the richest of the nineteenth century."
        ),
        glossary=(
            ("Fugue", "A piece in which a theme is taken up by each voice in turn and woven together."),
            ("Counterpoint", "The art of combining independent melodic lines."),
        ),
        recordings=(
            RecordingSpec(
                "Mira Kessler, cello · Tomas Halvorsen, piano",
                "whole",
                -16.0,
                "Kammermusik Archiv",
                timestamp_style=None,
                recorded="in concert, 2015",
            ),
        ),
        updated="2024-01-08",
    ),
    _work(
        "Robert Schumann",
        "Fünf Stücke im Volkston, Op. 102",
        composer_born=1810,
        composer_died=1856,
        genre="Cello and Piano",
        key="A",
        mode="minor",
        timbre=("strings", "piano"),
        year=1849,
        movements=(
            M(1, "Vanitas vanitatum. Mit Humor", None, 42),
            M(2, "Sehr langsam", "slow", 56),
            M(3, "Nicht schnell, mit viel Ton zu spielen", "medium", 50),
            M(4, "Lebhaft, doch nicht zu schnell", "fast", 40),
            M(5, "Stark und markiert", None, 38),
        ),
        article=(
            "These five pieces “in folk style” were written in a few days in 1849 and are among "
            "Schumann's most direct music. Each is short, each has one clear character, and together "
            "they make a small suite.",
            "The opening piece, *Vanitas vanitatum*, struts along with mock solemnity, its humour more "
            "wry than jolly.",
            "The second piece, marked *sehr langsam*, is a tender song for the cello over a plain, "
            "rocking accompaniment. The third, not fast and to be played “with much tone”, sets a "
            "lament in a minor key against a warmer middle section.",
            "The fourth is lively but, as Schumann insists, not too fast: a lilting dance that never "
            "quite loses its [[Volkston|folk]] simplicity.",
            "The set ends with heavy, marked chords and a driving rhythm, a forthright close to a work "
            "that never pretends to be more than it is.",
        ),
        paragraph_movements=((), (1,), (2, 3), (4,), (5,)),
        article_author="Jonas Feldmann",
        biography=(
            "Robert Schumann (1810–1856) was a German composer and critic whose piano music and songs "
            "helped define musical Romanticism. He founded an influential music journal and championed "
            "the young Brahms. Mental illness darkened his final years."
        ),
        glossary=(
            ("Volkston", "German for “folk tone”: music written in the plain manner of folk song."),
            ("Ternary form", "A three-part design, A–B–A, in which the opening section returns."),
        ),
        recordings=(
            RecordingSpec(
                "Ilse Brandt, cello · Jonas Weller, piano", "tracks", -30.0, "Brandt & Weller", recorded="2014"
            ),
        ),
        updated="2023-12-12",
    ),
    _work(
        "Ludwig van Beethoven",
        "Piano Sonata No. 8 in C minor, Op. 13 “Pathétique”",
        composer_born=1770,
        composer_died=1827,
        genre="Piano Sonata",
        key="C",
        mode="minor",
        timbre=("piano", "piano"),
        year=1798,
        in_sitemap=False,
        movements=(
            M(1, "Grave – Allegro di molto e con brio", "super_fast", 60),
            M(2, "Adagio cantabile", "slow", 66),
            M(3, "Rondo. Allegro", "fast", 46),
        ),
        article=(
            "Beethoven's publisher gave this sonata its nickname, and it stuck because it fits: this is "
            "music of high drama, written by a pianist who wanted to be heard at the back of the hall.",
            "A slow, heavy introduction marked [[Grave|grave]] opens the first movement with crashing "
            "chords, before an Allegro of breathless energy takes over. The grave returns twice, like a "
            "warning.",
            "The second movement, Adagio cantabile, is one of the best-loved melodies Beethoven wrote, "
            "sung in the middle of the keyboard over a gently flowing accompaniment.^1",
            "The finale, a [[Rondo|rondo]] in C minor, is restless but not tragic, and its refrain keeps "
            "returning like a question that will not go away until the abrupt final chords.",
        ),
        paragraph_movements=((), (1,), (2,), (3,)),
        article_author="Marta Lindqvist",
        biography=(
            "Ludwig van Beethoven (1770–1827) moved from Bonn to Vienna as a young virtuoso pianist and "
            "stayed there for the rest of his life. Increasing deafness did not stop him from writing music "
            "that reshaped every form he touched."
        ),
        glossary=(
            ("Grave", "Very slow and solemn."),
            ("Rondo", "A form in which a recurring refrain alternates with contrasting episodes."),
            ("Cantabile", "In a singing style."),
        ),
        recordings=(RecordingSpec("Clara Venn, piano", "tracks", -18.0, "Clara Venn", recorded="2019"),),
        updated="2024-02-28",
    ),
    _work(
        "Wolfgang Amadeus Mozart",
        "Clarinet Quintet in A major, K. 581",
        composer_born=1756,
        composer_died=1791,
        genre="Clarinet Quintet",
        key="A",
        mode="major",
        timbre=("winds", "strings"),
        year=1789,
        list_movements=True,
        movements=(
            M(1, "Allegro", "fast", 56),
            M(2, "Larghetto", "slow", 64),
            M(3, "Menuetto – Trio I – Trio II", "medium", 46),
            M(4, "Allegretto con variazioni", "medium", 60),
        ),
        article=(
            "Mozart wrote this quintet for his friend Anton Stadler, a clarinettist whose warm low notes "
            "he loved. The clarinet leads, but it never lords it over the string quartet around it.",
            "The opening Allegro begins with the strings alone; the clarinet enters with a rising "
            "arpeggio that sounds like someone stepping into a sunlit room.",
            "The second movement, a [[Larghetto|larghetto]], is a long song for the clarinet over muted "
            "strings, a moment of stillness at the heart of the work.",
            "The minuet has not one but two [[Trio|trios]], the first for strings alone, the second a "
            "country dance led by the clarinet.",
            "The finale is a set of [[Variations|variations]] on a cheerful tune, by turns playful, "
            "plaintive and brilliant, with a brief slow variation before the quick close.",
        ),
        paragraph_movements=((), (1,), (2,), (3,), (4,)),
        article_author="Claire Dubois",
        biography=(
            "Wolfgang Amadeus Mozart (1756–1791) toured Europe as a child prodigy and settled in Vienna in "
            "his twenties. In a short life he wrote masterpieces in every genre of his day, from opera to "
            "chamber music."
        ),
        glossary=(
            ("Larghetto", "Slow, but a little less slow than largo."),
            ("Trio", "The contrasting middle section of a minuet or scherzo."),
            ("Variations", "A form in which a theme is repeated in changing guises."),
        ),
        recordings=(
            RecordingSpec(
                "Anton Reiss, clarinet · Quartetto Lumen", "tracks", -21.0, "Lumen Live", recorded="2021"
            ),
        ),
        updated="2024-03-15",
    ),
    _work(
        "Anton Reicha",
        "Wind Quintet in E-flat major, Op. 88 No. 2",
        composer_born=1770,
        composer_died=1836,
        genre="Wind Quintet",
        key="E-flat",
        mode="major",
        timbre=("winds", "winds"),
        year=1817,
        movements=(
            M(1, "Introduction: Lent – Allegro", "fast", 56),
            M(2, "Menuetto. Allegro", "fast", 40),
            M(3, "Poco andante grazioso", "medium", 54),
            M(4, "Finale. Allegro molto", "super_fast", 46),
        ),
        article=(
            "Reicha wrote more than twenty quintets for flute, oboe, clarinet, horn and bassoon, and all "
            "but invented the [[Wind quintet|wind quintet]] as a serious genre. This one is cheerful, "
            "inventive and kind to every player.",
            "A solemn slow [[Introduction|introduction]] leads into the first movement's Allegro, where "
            "the themes pass quickly from instrument to instrument.",
            "The minuet is quick and rustic, with the horn making the most of its hunting-call "
            "associations. The third movement, a graceful Andante, lets the oboe sing.",
            "The finale is a romp, full of rapid runs for the flute and cheeky interjections from the "
            "bassoon & horn.",
        ),
        paragraph_movements=((), (1,), (2, 3), (4,)),
        article_author="Élise Marchand",
        biography=(
            "Anton Reicha (1770–1836) was born in Prague, befriended Beethoven in Bonn and taught "
            "composition at the Paris Conservatoire, where his pupils included Liszt and Berlioz. He was "
            "a restless experimenter and a celebrated teacher."
        ),
        glossary=(
            ("Wind quintet", "An ensemble of flute, oboe, clarinet, horn and bassoon."),
            ("Introduction", "A slow opening passage that prepares the main, faster part of a movement."),
        ),
        recordings=(
            RecordingSpec("Ensemble Vent d'Est", "tracks", -15.0, "Vent d'Est", recorded="2023"),
        ),
        updated="2024-04-18",
    ),
    _work(
        "Johannes Brahms",
        "String Sextet No. 1 in B-flat major, Op. 18",
        composer_born=1833,
        composer_died=1897,
        genre="String Sextet",
        key="B-flat",
        mode="major",
        timbre=("strings", "strings"),
        year=1860,
        movements=(
            M(1, "Allegro ma non troppo", "fast", 60),
            M(2, "Andante, ma moderato", "medium", 62),
            M(3, "Scherzo. Allegro molto – Trio. Animato", "super_fast", 40),
            M(4, "Rondo. Poco allegretto e grazioso", "medium", 56),
        ),
        article=(
            "Two violins, two violas and two cellos give this sextet a warmth no quartet can match, and "
            "Brahms, still in his twenties, makes the most of the deep voices.",
            "The opening Allegro ma non troppo unfolds a broad, songful theme in the first cello, and the "
            "whole movement has the ease of a long summer afternoon.",
            "The second movement, Andante, ma moderato, is a set of [[Theme and variations|variations]] "
            "on a stern, ballad-like theme in D minor, growing from bare octaves to torrents of notes and "
            "back to quiet.",
            "The Scherzo is short and boisterous, a peasant stamp with a wild, accelerating trio.",
            "The finale, a gracious [[Rondo|rondo]], takes its time, and its refrain returns each time a "
            "little more richly dressed.",
            "Few early works show such confidence; the sextet became one of Brahms's most loved pieces "
            "in his own lifetime.",
        ),
        paragraph_movements=((), (1,), (2,), (3,), (4,), ()),
        article_author="Hannah Osei",
        biography=(
            "Johannes Brahms (1833–1897) was born in Hamburg and spent most of his adult life in Vienna. "
            "Severely self-critical, he destroyed many works he thought unworthy. His chamber music is "
            "among the richest of the nineteenth century."
        ),
        glossary=(
            ("Theme and variations", "A theme followed by a series of altered restatements."),
            ("Rondo", "A form in which a recurring refrain alternates with contrasting episodes."),
        ),
        recordings=(RecordingSpec("Sestetto Aperto", "tracks", -23.0, "Sestetto Aperto", recorded="2018"),),
        updated="2023-10-03",
    ),
    _work(
        "Amy Beach",
        "Three Pieces for Wind Quintet",
        composer_born=1867,
        composer_died=1944,
        genre="Wind Quintet",
        key="F",
        mode="major",
        timbre=("winds", "winds"),
        year=None,
        in_sitemap=False,
        movements=(
            M(1, "Gently flowing", "medium", 52),
            M(2, "Slow and expressive", "slow", 60),
            M(3, "Lively", "fast", 42),
        ),
        article=(
            "These three short pieces are an affectionate portrait of the countryside, written with an "
            "ear for the wind instruments' colours.",
            "The first flows gently, the flute and clarinet trading a pastoral tune in a lilting "
            "[[Pastorale|pastorale]] rhythm. The second, slow and expressive, is built as a "
            "[[Canon|canon]]: the oboe starts a melody that the horn follows a bar later.",
            "The last piece is lively and brief, closing the set with a dance that could come from a "
            "village green.",
        ),
        paragraph_movements=((), (1, 2), (3,)),
        article_author="Marta Lindqvist",
        biography=(
            "Amy Beach (1867–1944) was an American composer and pianist, largely self-taught in "
            "composition. Her Gaelic Symphony was the first symphony by an American woman to be published."
        ),
        glossary=(
            ("Pastorale", "Music that evokes shepherds and the countryside, often in a lilting rhythm."),
            ("Canon", "A melody imitated exactly by another voice entering later."),
        ),
        recordings=(RecordingSpec("Harbour Winds", "tracks", -25.0, "Harbour Winds", recorded="2022"),),
        updated="2024-05-01",
    ),
    _work(
        "George Onslow",
        "String Quintet No. 15 in C minor, Op. 38",
        composer_born=1784,
        composer_died=1853,
        genre="String Quintet",
        key="C",
        mode="minor",
        timbre=("strings", "strings"),
        year=1829,
        list_movements=True,
        movements=(
            M(1, "Allegro moderato e molto espressivo", "fast", 58),
            M(2, "Menuetto. Allegro energico", "fast", 44),
            M(3, "Andante sostenuto", "medium", 58),
            M(4, "Finale. Allegro", "fast", 50),
        ),
        article=(
            "Onslow wrote most of his quintets with a second cello, and the extra weight at the bottom "
            "gives this C minor work its dark, grainy colour.",
            "The first movement is urgent and expressive, its themes circling anxiously. The minuet that "
            "follows is vigorous, with sharp accents and little grace.",
            "The Andante offers a long breath of calm, and the finale drives the work home in a "
            "determined C minor, brightened only at the very end.",
        ),
        paragraph_movements=((), (1, 2), (3, 4)),
        article_author="Jonas Feldmann",
        biography=(
            "George Onslow (1784–1853) was a French composer of English descent who lived mostly in the "
            "Auvergne. His thirty-six string quintets were widely admired in his lifetime."
        ),
        glossary=(
            ("Second cello", "A quintet scoring that doubles the bass line's weight with two cellos."),
            ("Sostenuto", "Sustained: notes held to their full length, often a little broader in tempo."),
        ),
        recordings=(),
        updated="2023-08-22",
    ),
)

# The special cases tests and the lead's fixtures look up by name.
SPECIAL_CASES: dict[str, str] = {
    "whole_with_timestamps": work_slug("Bernhard Molique", "String Quartet No. 8 in A major, Op. 44"),
    "whole_without_timestamps": work_slug("Johannes Brahms", "Cello Sonata No. 1 in E minor, Op. 38"),
    "no_recording": work_slug("George Onslow", "String Quintet No. 15 in C minor, Op. 38"),
    "no_article": work_slug("Louise Farrenc", "Piano Trio No. 1 in E-flat major, Op. 33"),
    "second_recording": work_slug("Joseph Haydn", "String Quartet in D major, Op. 76 No. 5"),
    "article_out_of_order": work_slug("Claude Debussy", "String Quartet in G minor, Op. 10"),
    "article_skips_movement": work_slug("Johannes Brahms", "Piano Trio No. 1 in B major, Op. 8"),
}


@dataclass(frozen=True)
class BlogPost:
    """A blog article (not part of the dataset). ``[text](work:slug?ri=1)`` links to a work page."""

    slug: str
    title: str
    date: str
    author: str
    paragraphs: tuple[str, ...]


BLOG_POSTS: tuple[BlogPost, ...] = (
    BlogPost(
        "three-quartets-for-a-winter-evening",
        "Three quartets for a winter evening",
        "2024-01-15",
        "Marta Lindqvist",
        (
            "Long evenings call for music that rewards close listening. Here are three quartets from three "
            "different centuries of the form.",
            f"Start with [Haydn's D major quartet](work:{SPECIAL_CASES['second_recording']}), whose slow "
            "movement is one of the marvels of the repertoire.",
            f"Then try [Molique's A major quartet](work:{SPECIAL_CASES['whole_with_timestamps']}), a "
            f"forgotten gem, and finish with [Debussy](work:{SPECIAL_CASES['article_out_of_order']}).",
        ),
    ),
    BlogPost(
        "same-piece-two-performances",
        "The same piece, two performances",
        "2024-02-20",
        "Jonas Feldmann",
        (
            "Comparing recordings is the quickest way to hear what performers add to a score.",
            f"Our page for Haydn's Op. 76 No. 5 now has a [second recording](work:"
            f"{SPECIAL_CASES['second_recording']}?ri=1): listen to how differently the two groups pace the "
            "Largo.",
        ),
    ),
    BlogPost(
        "where-to-start-with-brahms",
        "Where to start with Brahms",
        "2024-03-10",
        "Hannah Osei",
        (
            "Brahms's chamber music can seem forbidding. It needn't be.",
            f"The [B major trio](work:{SPECIAL_CASES['article_skips_movement']}) and the "
            f"[first sextet](work:{work_slug('Johannes Brahms', 'String Sextet No. 1 in B-flat major, Op. 18')}) "
            f"are generous and tuneful; the [E minor cello sonata](work:"
            f"{SPECIAL_CASES['whole_without_timestamps']}) is sterner stuff.",
        ),
    ),
)


def load_catalogue() -> tuple[WorkSpec, ...]:
    """The default catalogue (validated)."""
    validate_catalogue(_WORKS)
    return _WORKS
