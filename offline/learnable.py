"""A learnable music-to-text corpus from the mini site's catalogue generator: texts the audio can explain.

Dataset card
------------
Works come from :func:`earsense_m2t.offline.minisite.generate.generate_catalogue` (invented composers,
genres, keys, instrumentations). Each movement gets a **tempo class drawn uniformly** from slow, medium,
fast and super_fast (the catalogue's classical plan is mostly fast: a model that always said "allegro"
would look good there), a **form** drawn independently of everything else, and a length of
``duration_s`` seconds. Its **audio** is the mini site's synth (:func:`.minisite.synth.render_movement`)
playing that class: tempo drawn from the class's BPM range, the class's note lengths (¼ to 3 beats),
articulation (legato to detached) and attacks, and the work's timbres (strings, piano, winds), resampled
to the published 16 kHz. Tempo is audible: notes start 0.7 to 6 times a second from slow to super_fast.

Its **text** (templates below, written for this corpus) names, among other words, the movement's tempo
with one of two words per class (:data:`TEMPO_WORDS`; each is tagged to its class by the project's own
tempo rules, ``tagging.tempo``) and in beats a minute, rounded to 5 (the synth's own tempo for it), its
form, the work's instrumentation, key and mode; plus the movement's ordinal and a sentence of filler.
So from the audio a model can learn the tempo word and the beats (and partly the instrumentation
through the timbre, the mode and key through the pitches); which of the two tempo words, the form, the
ordinal and the filler it cannot: they are noise it has to live with, as real texts are full of things
a recording does not show. The slots the audio determines have several hundred combinations, so a
model that hears the music can give most test movements a text of their own; one that does not gives
them all the same.

**Folds**: whole works, assigned so each fold's movement count is as even as it can be (a work goes to
the fold with the fewest movements so far, works in a seeded order), so with the default 160 works
(about 600 movements) each of 5 folds has more than 100.

Same ``(n_works, seed, ...)`` → the same corpus and the same samples.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from earsense_m2t.offline.minisite.catalogue import TEMPO_CLASSES, MovementSpec, WorkSpec
from earsense_m2t.offline.minisite.generate import generate_catalogue

#: the published sample rate (features' AudioParams.sample_rate_hz); the synth renders at 24 kHz
SAMPLE_RATE_HZ = 16_000
#: the words a text uses for each tempo class; every one is its class under ``tagging.tempo``
TEMPO_WORDS: dict[str, tuple[str, ...]] = {
    "slow": ("adagio", "largo"),
    "medium": ("andante", "moderato"),
    "fast": ("allegro", "vivace"),
    "super_fast": ("presto", "prestissimo"),
}
#: forms, independent of the audio (no tempo word in any of them)
FORMS = ("sonata form", "rondo", "theme and variations", "fugue", "passacaglia", "ternary form", "binary form",
         "fantasia")
#: how the release titles a movement (:func:`movement_title`)
TITLE_STYLES = ("marking", "metronome", "metronome_key")
ORDINALS = ("first", "second", "third", "fourth", "fifth")
TEMPLATES = (
    "The {ordinal} movement is {a} {tempo} {form} in {key} for {instrumentation}, at about {bpm} beats a minute. "
    "{filler}",
    "{A} {tempo} {form} in {key} for {instrumentation} comes {position}, at about {bpm} beats a minute. {filler}",
    "In this {tempo} movement in {key}, {a2} {form} for {instrumentation} at about {bpm} beats a minute, {clause}. "
    "{filler}",
)
POSITIONS = ("first", "second", "third", "fourth", "last")
CLAUSES = ("the melody passes from voice to voice", "the harmony stays close to home",
           "the bass line holds everything together", "the phrases answer each other")
FILLERS = ("The composer revised it twice.", "Its manuscript is kept in a city library.",
           "Players like its clear textures.", "It was first played at a private concert.",
           "The last bars return to the opening key.", "A short cadenza leads to the end.",
           "Critics at the time found it old-fashioned.", "It is often played on its own.")


@dataclass(frozen=True)
class CorpusMovement:
    """One movement of the corpus: its row of the release and what its audio is made from."""

    id: str  # "<work slug>#<number>"
    work_id: str
    fold: int
    number: int
    tempo_tag: str  # slow | medium | fast | super_fast: what the synth plays and the text says
    tempo_word: str
    bpm: float  # the synth's tempo for this movement (the text rounds it to 5)
    form: str
    text: str
    ensemble: str  # the work's genre ("String Quartet"): a tag for the TAGS baselines
    key: str
    mode: str
    instrument_family: str  # the melody's timbre: strings | piano | winds
    instrumentation: str
    duration_s: int
    work: WorkSpec  # key, mode and timbres for the synth

    def row(self) -> dict[str, object]:
        """The release's ``default`` row (the columns :mod:`earsense_m2t.model.data` reads)."""
        return {"id": self.id, "work_id": self.work_id, "fold": self.fold, "text": self.text,
                "tempo_tag": self.tempo_tag, "ensemble": self.ensemble, "key": self.key, "mode": self.mode,
                "instrument_family": self.instrument_family}


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def movement_text(rng: random.Random, number: int, count: int, tempo: str, form: str, instrumentation: str, key: str,
                  bpm: float) -> str:
    """One movement's text from one of :data:`TEMPLATES`."""
    template = rng.choice(TEMPLATES)
    position = "last" if number == count else POSITIONS[min(number, len(POSITIONS) - 1) - 1]
    text = template.format(ordinal=ORDINALS[number - 1], a=_article(tempo), A=_article(tempo).capitalize(),
                           a2=_article(form), tempo=tempo, form=form, instrumentation=instrumentation, key=key,
                           bpm=5 * round(bpm / 5), position=position, clause=rng.choice(CLAUSES),
                           filler=rng.choice(FILLERS))
    return text[0].upper() + text[1:]


def assign_folds(works: Sequence[WorkSpec], n_folds: int, seed: int) -> dict[str, int]:
    """Whole works to folds, each work to the fold with the fewest movements so far (works in a seeded order)."""
    order = list(works)
    random.Random(seed).shuffle(order)
    counts = [0] * n_folds
    folds: dict[str, int] = {}
    for work in order:
        fold = min(range(n_folds), key=lambda f: (counts[f], f))
        folds[work.slug] = fold
        counts[fold] += len(work.movements)
    return folds


def learnable_corpus(n_works: int = 160, seed: int = 0, *, n_folds: int = 5,
                     duration_s: tuple[int, int] = (20, 30)) -> tuple[CorpusMovement, ...]:
    """The corpus's movements (deterministic in its arguments), works in catalogue order."""
    if n_works < n_folds:
        raise ValueError(f"learnable corpus: {n_works} works for {n_folds} folds (every fold needs a work)")
    lo, hi = duration_s
    if lo < 8 or hi < lo:
        raise ValueError(f"learnable corpus: durations {duration_s}: at least 8 s (the synth's closing chord and "
                         "tail take 3 s), and lo <= hi")
    from earsense_m2t.offline.minisite.synth import planned_tempo

    works = generate_catalogue(n_works, seed)
    folds = assign_folds(works, n_folds, seed)
    rng = random.Random(f"learnable|{seed}")
    out: list[CorpusMovement] = []
    for work in works:
        count = len(work.movements)
        instrumentation = work.instrumentation or work.genre.lower()
        for m in work.movements:
            tag = rng.choice(TEMPO_CLASSES)
            word = rng.choice(TEMPO_WORDS[tag])
            form = rng.choice(FORMS)
            spec = _spec(work, m.number, tag, word, rng.randint(lo, hi))
            bpm, _ = planned_tempo(_seed_text(work), spec)
            out.append(CorpusMovement(
                id=f"{work.slug}#{m.number}", work_id=work.slug, fold=folds[work.slug], number=m.number,
                tempo_tag=tag, tempo_word=word, bpm=bpm, form=form,
                text=movement_text(rng, m.number, count, word, form, instrumentation, f"{work.key} {work.mode}", bpm),
                ensemble=work.genre, key=work.key, mode=work.mode, instrument_family=work.timbre[0],
                instrumentation=instrumentation, duration_s=spec.duration_s, work=work))
    return tuple(out)


def _seed_text(work: WorkSpec) -> str:
    return f"learnable|{work.slug}"


def _spec(work: WorkSpec, number: int, tempo_tag: str, tempo_word: str, duration_s: int) -> MovementSpec:
    base = work.movements[number - 1]
    return replace(base, title=tempo_word.capitalize(), tempo_class=tempo_tag,  # type: ignore[arg-type]
                   duration_s=duration_s)


def movement_title(movement: CorpusMovement, style: str = "marking") -> str:
    """The title the release gives the movement (the song-title system's target), in one of :data:`TITLE_STYLES`.

    ``marking``: the tempo word alone ("Allegro"), as most real movement titles are; a corpus of those has eight
    titles in all, so no system can write a title of its own for most movements. ``metronome``: the marking
    and the metronome mark of the synth's tempo, rounded to a whole beat ("Allegro (M.M. 132)"), as printed
    scores often head a movement: the audio determines the mark, so titles differ as the music does, but
    not enough (in corpus seed 1's fold 0, 89 of 123 true titles are distinct: the marks of one class crowd a
    few dozen values). ``metronome_key``: the same heading with the key and mode the movement is played in
    ("Allegro (M.M. 132) in D minor", as a movement in a key of its own is often titled): 121 of those 123
    are distinct, and the audio determines all of it. The audio is the same in every style (the synth reads
    the tempo word, never this title).
    """
    word = movement.tempo_word.capitalize()
    if style == "marking":
        return word
    if style == "metronome":
        return f"{word} (M.M. {round(movement.bpm)})"
    if style == "metronome_key":
        return f"{word} (M.M. {round(movement.bpm)}) in {movement.key} {movement.mode}"
    raise ValueError(f"title style {style!r}; known: {', '.join(TITLE_STYLES)}")


def movement_spec(movement: CorpusMovement) -> MovementSpec:
    """What the synth plays: the catalogue's movement with this corpus's tempo class and length."""
    return _spec(movement.work, movement.number, movement.tempo_tag, movement.tempo_word, movement.duration_s)


def movement_audio(movement: CorpusMovement) -> np.ndarray:
    """The movement's synthesized samples at :data:`SAMPLE_RATE_HZ`, float32 mono (peak 0.5; not normalized)."""
    from scipy.signal import resample_poly

    from earsense_m2t.offline.minisite.synth import SR, render_movement

    work = movement.work
    raw = render_movement(_seed_text(work), movement_spec(movement), work.key, work.mode, work.timbre)
    if SR * 2 != SAMPLE_RATE_HZ * 3:
        raise RuntimeError(f"synth rate {SR} Hz: no 2:3 resampling to {SAMPLE_RATE_HZ} Hz")
    return resample_poly(raw, 2, 3).astype(np.float32)


def fold_counts(corpus: Sequence[CorpusMovement]) -> dict[int, int]:
    """Movements per fold."""
    counts: dict[int, int] = {}
    for m in corpus:
        counts[m.fold] = counts.get(m.fold, 0) + 1
    return dict(sorted(counts.items()))


__all__ = ["FORMS", "SAMPLE_RATE_HZ", "TEMPO_WORDS", "TITLE_STYLES", "CorpusMovement", "assign_folds", "fold_counts",
           "learnable_corpus", "movement_audio", "movement_spec", "movement_text", "movement_title"]
