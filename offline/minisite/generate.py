"""Large, procedurally generated catalogues for benchmarks (crawl throughput, alignment at scale).

``generate_catalogue(n, seed)`` returns ``n`` valid ``WorkSpec`` with invented composers, templated
articles that walk through the movements with the same cues as the hand-written ones, and the same
mix of special cases in roughly realistic proportions (mostly per-movement tracks; some whole-work
videos with timestamps in every ``TIMESTAMP_STYLES`` format; some without timestamps, whose pages
list the movements; a few works without recording, without article, or missing from the sitemap).

Media: the server synthesizes audio for generated works exactly as for the default ones, on first
request, so an end-to-end benchmark works; a crawl-only benchmark never touches media and pays
nothing. Same ``(n, seed)`` → same catalogue.
"""

from __future__ import annotations

import random

from earsense_m2t.offline.minisite.catalogue import (
    TIMESTAMP_STYLES,
    MovementSpec,
    RecordingSpec,
    WorkSpec,
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


def _article(composer: str, title: str, movements: list[MovementSpec],
             rng: random.Random) -> tuple[tuple[str, ...], tuple[tuple[int, ...], ...]]:
    surname = composer.split()[-1]
    paras = [f"{surname}'s {title} is a work of contrasts, and the movements are best heard as one arc."]
    owners: list[tuple[int, ...]] = [()]
    n = len(movements)
    for i, m in enumerate(movements):
        if i == 0:
            text = f"The {_ORDINALS[0]} {m.title.split('.')[-1].strip()} sets out the main ideas with *energy* & care."
        elif i == n - 1:
            text = f"The finale, {m.title}, gathers the threads and brings the work to a firm close."
        else:
            text = f"The {_ORDINALS[i]} movement, {m.title}, offers a change of mood and colour."
        if n > 4 and i in (2, 3):
            # long works: two movements share a paragraph, as real articles often do
            if i == 2:
                paras.append(text)
                owners.append((3,))
                continue
            paras[-1] += " " + text
            owners[-1] = (3, 4)
            continue
        paras.append(text)
        owners.append((m.number,))
    if rng.random() < 0.5:
        paras.append("Taken together, the movements show a composer at ease with the form.")
        owners.append(())
    return tuple(paras), tuple(owners)


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
            slug = work_slug(composer, title)
            if slug not in slugs:
                slugs.add(slug)
                break
        movements = [
            MovementSpec(j + 1, _title(cls, j, n_mov, rng), cls, rng.randint(35, 75))  # type: ignore[arg-type]
            for j, cls in enumerate(_movement_plan(n_mov, rng))
        ]
        roll = rng.random()
        level = round(rng.uniform(-30, -14), 1)
        performers = rng.choice(_PERFORMERS)
        list_movements = False
        if roll < 0.05:
            recordings: tuple[RecordingSpec, ...] = ()
        elif roll < 0.15:
            style = TIMESTAMP_STYLES[i % len(TIMESTAMP_STYLES)]
            recordings = (RecordingSpec(performers, "whole", level, performers, timestamp_style=style),)
        elif roll < 0.20:
            recordings = (RecordingSpec(performers, "whole", level, "Chamber Archive"),)
            list_movements = True
        else:
            recordings = (RecordingSpec(performers, "tracks", level, performers),)
            if rng.random() < 0.05:
                recordings += (RecordingSpec(rng.choice(_PERFORMERS), "tracks", min(level + 3, -14.0), "Live Channel",
                                             numbering="arabic"),)
        article: tuple[str, ...] | None
        owners: tuple[tuple[int, ...], ...]
        author: str | None
        if rng.random() < 0.03:
            article, owners, author = None, (), None
        else:
            article, owners = _article(composer, title, movements, rng)
            author = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        works.append(
            WorkSpec(
                slug=slug,
                composer=composer,
                composer_born=born,
                composer_died=born + rng.randint(35, 85),
                title=title,
                genre=genre,
                key=key,
                mode=mode,  # type: ignore[arg-type]
                timbre=(mel, acc),  # type: ignore[arg-type]
                movements=tuple(movements),
                article=article,
                paragraph_movements=owners,
                article_author=author,
                biography=f"{composer} was a composer and performer. Little of the music survives in print.",
                glossary=(("Movement", "A self-contained section of a larger work."),),
                recordings=recordings,
                year=born + rng.randint(20, 40) if rng.random() < 0.8 else None,
                list_movements=list_movements or rng.random() < 0.05,
                in_sitemap=rng.random() >= 0.04,
                updated=f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            )
        )
    result = tuple(works)
    validate_catalogue(result)
    return result
