"""Large, procedurally generated catalogues for benchmarks (crawl throughput, alignment at scale).

``generate_catalogue(n, seed)`` returns ``n`` valid ``WorkSpec`` with invented composers and pages in
the real shape: header facts (nationality, born/died with places, instrumentation, composed year),
templated articles with the same cues as the hand-written ones (a quotation and its attribution on
most works, the biography first with a false cue such as "in the last decade of her life", a history
sentence, all movements in one paragraph on most works or a paragraph per movement, publisher lines on
some), per-sentence ground truth, and the same mix of recordings in roughly realistic proportions
(mostly per-movement tracks; some whole-work videos with timestamps in every ``TIMESTAMP_STYLES``
format and only a total duration on the page; some without timestamps whose pages list the movements;
a few videoless recordings, some with their own titles; a few works without recording, without
article, or missing from the sitemap).

Media: the server synthesizes audio for generated works exactly as for the default ones, on first
request, so an end-to-end benchmark works; a crawl-only benchmark never touches media and pays
nothing. Same ``(n, seed)`` → same catalogue.
"""

from __future__ import annotations

import random

from earsense_m2t.offline.minisite.catalogue import (
    TIMESTAMP_STYLES,
    ArticleSentence,
    GlossaryEntry,
    LifeEvent,
    MovementSpec,
    RecordingSpec,
    WorkSpec,
    article_slug,
    plain_text,
    validate_catalogue,
    work_slug,
)

_FIRST = ("Anselm", "Berta", "Casimir", "Delphine", "Emil", "Fanny", "Gustav", "Hedwig", "Ignaz", "Johanna",
          "Konrad", "Leontine", "Matthias", "Nanette", "Oskar", "Pauline", "Quirin", "Rosalie", "Severin",
          "Theresa", "Ulrich", "Valerie", "Wenzel", "Xaver", "Yvonne", "Zacharias")
_LAST = ("Ahlgren", "Brückner", "Castellani", "Duparc-Lenoir", "Eskildsen", "Falkenrath", "Grüning", "Holmqvist",
         "Imbert", "Jaroszewski", "Kessling", "Lautenbach", "Moravec", "Nordahl", "Ostrander", "Pellerin",
         "Quaranta", "Rietveld", "Sauveterre", "Tollefsen", "Urbanek", "Vossberg", "Wendeborn", "Ybarra", "Zeltner")
_KEYS = ("C", "G", "D", "A", "E", "B", "F", "B-flat", "E-flat", "A-flat", "F-sharp", "C-sharp")
# genre → (movement count, melody timbre, accompaniment timbre)
_GENRES: dict[str, tuple[int, str, str]] = {
    "String Quartet": (4, "strings", "strings"),
    "Piano Trio": (4, "strings", "piano"),
    "Violin Sonata": (3, "strings", "piano"),
    "Cello Sonata": (3, "strings", "piano"),
    "Piano Sonata": (3, "piano", "piano"),
    "Piano Quintet": (4, "strings", "piano"),
    "Clarinet Quintet": (4, "winds", "strings"),
    "Wind Quintet": (4, "winds", "winds"),
    "String Sextet": (4, "strings", "strings"),
    "Suite for Cello and Piano": (5, "strings", "piano"),
}
_INSTRUMENTATION = {
    "String Quartet": "2 violins, viola and cello", "Piano Trio": "piano, violin and cello",
    "Violin Sonata": "violin and piano", "Cello Sonata": "cello and piano", "Piano Sonata": "piano",
    "Piano Quintet": "piano, 2 violins, viola and cello", "Clarinet Quintet": "clarinet, 2 violins, viola and cello",
    "Wind Quintet": "flute, oboe, clarinet, horn and bassoon", "String Sextet": "2 violins, 2 violas and 2 cellos",
    "Suite for Cello and Piano": "cello and piano",
}
_PLACES = (("German", "Leipzig"), ("German", "Kassel"), ("Austrian", "Graz"), ("French", "Lyon"),
           ("French", "Rouen"), ("Czech", "Brno"), ("Swedish", "Uppsala"), ("Danish", "Odense"),
           ("Italian", "Bologna"), ("Norwegian", "Bergen"), ("Dutch", "Utrecht"), ("Polish", "Kraków"))
_CITIES = ("Paris", "Vienna", "Berlin", "Prague", "Milan", "London", "Dresden", "Stockholm")
_BOOKS = ("Guide to the {genre}", "Handbook for {genre} Players", "Companion to Chamber Music",
          "Notes on the Forgotten Repertoire")
_PUBLISHERS = ("Edition Grünwald", "Verlag Lindenhof", "Éditions du Quai")
_NUMBER_WORDS = {3: "three", 4: "four", 5: "five"}
_FEMALE_FIRST = frozenset({"Berta", "Delphine", "Fanny", "Hedwig", "Johanna", "Leontine", "Nanette", "Pauline",
                           "Rosalie", "Theresa", "Valerie", "Yvonne"})
_TEMPI: dict[str | None, tuple[str, ...]] = {
    "slow": ("Adagio", "Largo", "Lento", "Adagio cantabile", "Sehr langsam", "Lent", "Slow and expressive",
             "Larghetto", "Grave"),
    "medium": ("Andante", "Andante con moto", "Allegretto", "Moderato", "Modéré", "Mäßig bewegt",
               "Gently flowing", "Andantino"),
    "fast": ("Allegro", "Allegro con brio", "Allegro moderato", "Vivace", "Lebhaft", "Assez vif", "Lively",
             "Allegro ma non troppo"),
    "super_fast": ("Presto", "Prestissimo", "Très vif", "Sehr schnell", "Very fast", "Molto vivace"),
    None: ("Menuetto", "Theme and variations", "Intermezzo", "Mit Humor"),
}
_ORDINALS = ("opening", "second", "third", "fourth", "fifth")
_NEXT = ("Next comes {a} {name}, a change of mood and colour.", "{A} {name} follows, lighter in tone.",
         "Then comes {a} {name} with a gentler, singing line.")
_PERFORMERS = ("Quartetto Aria", "Ensemble Nordlys", "Trio Meridian", "The Fenwick Players", "Duo Ostrava",
               "Ensemble Clairvoyance", "Kammerensemble Weiden", "Solisti del Lago")


def _movement_plan(n: int, rng: random.Random) -> list[str | None]:
    """Tempo classes in a classical order: quick, slow, dance, quick finale."""
    if n == 3:
        plan: list[str | None] = ["fast", "slow", rng.choice(["fast", "super_fast"])]
    elif n == 4:
        plan = ["fast", "slow", rng.choice(["fast", None, "super_fast"]), rng.choice(["fast", "super_fast"])]
        if rng.random() < 0.3:
            plan[1], plan[2] = plan[2], plan[1]
    else:
        plan = [rng.choice(["medium", None]), "slow", "medium", "fast", rng.choice(["fast", "super_fast"])]
    return plan


def _title(cls: str | None, pos: int, n: int, rng: random.Random) -> str:
    base = rng.choice(_TEMPI[cls])
    if pos == n - 1 and rng.random() < 0.5:
        return f"Finale. {base}"
    if cls in ("fast", "super_fast") and 0 < pos < n - 1 and rng.random() < 0.4:
        return f"Scherzo. {base} – Trio"
    if pos == 0 and cls == "fast" and rng.random() < 0.2:
        return f"{rng.choice(_TEMPI['slow'])} – {base}"
    return base


def _name(m: MovementSpec) -> str:
    """The movement's main tempo words, safe inside a sentence ("Scherzo. Allegro – Trio" → "Allegro – Trio")."""
    return m.title.split(". ")[-1]


def _article_of(s: str) -> str:
    return "an" if s[:1].lower() in "aeiou" else "a"


def _movement_sentences(movements: list[MovementSpec], rng: random.Random) -> list[tuple[tuple[int, ...], str]]:
    """One sentence per movement in the real phrasing; in five-movement works the middle two share one."""
    n = len(movements)
    out: list[tuple[tuple[int, ...], str]] = []
    i = 0
    while i < n:
        m = movements[i]
        name = _name(m)
        if i == 0:
            opener = rng.choice(("In {n} movements, it begins with {a} {name} that sets out the main ideas with *energy* & care.",
                                 "The work opens with {a} {name} that sets out the main ideas.",
                                 "The opening {name} sets out the main ideas with *energy* & care."))
            text = opener.format(n=_NUMBER_WORDS[n], a=_article_of(name), name=name)
        elif i == n - 1:
            text = f"The finale, {_article_of(name)} {name}, gathers the threads and brings the work to a firm close."
            if rng.random() < 0.4:
                text = text[:-1] + ", and its last page recalls the opening movement."
        elif n > 4 and i == 2:
            nxt = _name(movements[3])
            out.append(((3, 4), f"The {_ORDINALS[2]} movement, {_article_of(name)} {name}, and the {_ORDINALS[3]}, "
                                f"{_article_of(nxt)} {nxt}, make a contrasting pair."))
            i += 2
            continue
        else:
            a = _article_of(name)
            text = rng.choice(_NEXT).format(a=a, A=a.capitalize(), name=name)
        out.append(((m.number,), text))
        i += 1
    return out


def _article(composer: str, title: str, genre: str, movements: list[MovementSpec], birth: LifeEvent, year: int | None,
             rng: random.Random) -> tuple[tuple[ArticleSentence, ...], ...]:
    """Quotation and attribution (most works), biography, history, the movements, publisher lines (some)."""
    surname = composer.split()[-1]
    she = composer.split()[0] in _FEMALE_FIRST
    his, he = ("her", "she") if she else ("his", "he")

    def para(role: str, *texts: str, about: tuple[int, ...] = ()) -> tuple[ArticleSentence, ...]:
        return tuple(ArticleSentence(role, about, plain_text(t), t) for t in texts)

    paragraphs: list[tuple[ArticleSentence, ...]] = []
    if rng.random() < 0.7:
        paragraphs.append(para("quote", f"“{surname}'s {genre.lower()} is a work of contrasts, best heard as one arc.”"))
        author = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        book = rng.choice(_BOOKS).format(genre=genre)
        paragraphs.append(para("attribution", f"—{author} writing in the {book}."))
    city = rng.choice(_CITIES)
    paragraphs.append(para(
        "bio",
        f"{composer} was born in {birth.place} and studied in {city}.",
        f"In the last decade of {his} life {he} taught at the conservatory there.",
    ))
    when = f"in {year}" if year is not None else "at an unknown date"
    paragraphs.append(para("work", f"The work was written {when}, some years after the opening of the conservatory."))
    sentences = _movement_sentences(movements, rng)
    if rng.random() < 0.8:
        paragraphs.append(tuple(ArticleSentence("movement", about, plain_text(t), t) for about, t in sentences))
    else:
        paragraphs += [para("movement", t, about=about) for about, t in sentences]
    if rng.random() < 0.4:
        paragraphs.append(para("publisher", f"© {rng.choice(_PUBLISHERS)}.", "Used by permission.",
                               f"We also offer {his} other chamber music."))
    return tuple(paragraphs)


def _life(rng: random.Random, year: int, place: str) -> LifeEvent:
    return LifeEvent(f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", place)


def generate_catalogue(n_works: int, seed: int = 0) -> tuple[WorkSpec, ...]:
    """``n_works`` valid works, deterministic in ``(n_works, seed)``."""
    rng = random.Random(seed)
    works: list[WorkSpec] = []
    slugs: set[str] = set()
    opus: dict[str, int] = {}
    genres = list(_GENRES)
    for i in range(n_works):
        composer = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        born = rng.randint(1740, 1880)
        genre = genres[i % len(genres)] if i < len(genres) else rng.choice(genres)
        n_mov, mel, acc = _GENRES[genre]
        key, mode = rng.choice(_KEYS), rng.choice(("major", "minor"))
        while True:
            opus[composer] = opus.get(composer, rng.randint(1, 20)) + rng.randint(1, 4)
            title = f"{genre} No. {rng.randint(1, 9)} in {key} {mode}, Op. {opus[composer]}"
            slug, article = work_slug(composer, title), article_slug(composer, title)
            if slug not in slugs and article not in slugs:  # two works may not share an article view either
                slugs.update((slug, article))
                break
        movements = [
            MovementSpec(j + 1, _title(cls, j, n_mov, rng), cls, rng.randint(35, 75))  # type: ignore[arg-type]
            for j, cls in enumerate(_movement_plan(n_mov, rng))
        ]
        nationality, birthplace = rng.choice(_PLACES)
        died = born + rng.randint(35, 85)
        birth, death = _life(rng, born, birthplace), _life(rng, died, rng.choice(_CITIES))
        year = born + rng.randint(20, 34) if rng.random() < 0.8 else None
        roll = rng.random()
        level = round(rng.uniform(-30, -14), 1)
        performers = rng.choice(_PERFORMERS)
        if roll < 0.04:
            recordings: tuple[RecordingSpec, ...] = ()
        elif roll < 0.07:
            recordings = (RecordingSpec(performers, "none"),)
        elif roll < 0.17:
            style = TIMESTAMP_STYLES[i % len(TIMESTAMP_STYLES)]
            recordings = (RecordingSpec(performers, "whole", level, performers, timestamp_style=style,
                                        listed=rng.random() < 0.5),)
        elif roll < 0.22:
            recordings = (RecordingSpec(performers, "whole", level, "Chamber Archive"),)
        else:
            recordings = (RecordingSpec(performers, "tracks", level, performers),)
            extra = rng.random()
            if extra < 0.05:
                recordings += (RecordingSpec(rng.choice(_PERFORMERS), "tracks", min(level + 3, -14.0), "Live Channel",
                                             numbering="arabic"),)
            elif extra < 0.10:
                titles = tuple(_name(m) for m in movements)
                recordings += (RecordingSpec(rng.choice(_PERFORMERS), "none", titles=titles),)
        truth: tuple[tuple[ArticleSentence, ...], ...] | None = None
        if rng.random() >= 0.03:
            truth = _article(composer, title, genre, movements, birth, year, rng)
        works.append(
            WorkSpec(
                slug=slug,
                composer=composer,
                composer_born=born,
                composer_died=died,
                title=title,
                genre=genre,
                key=key,
                mode=mode,  # type: ignore[arg-type]
                timbre=(mel, acc),  # type: ignore[arg-type]
                movements=tuple(movements),
                article=None if truth is None else tuple(" ".join(s.markup for s in p) for p in truth),
                sentence_truth=truth,
                glossary=(GlossaryEntry(genre.lower(), "", f"a work for {_INSTRUMENTATION[genre]}."),
                          GlossaryEntry("movement", "Satz [G], mouvement [F]", "a self-contained section of a larger work.")),
                recordings=recordings,
                year=year,
                in_sitemap=rng.random() >= 0.04,
                updated=f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                nationality=nationality,
                birth=birth,
                death=death,
                instrumentation=_INSTRUMENTATION[genre],
                pkey_number=200_000 + i,
            )
        )
    result = tuple(works)
    validate_catalogue(result)
    return result
