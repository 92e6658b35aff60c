"""Small invented work pages in the two markups of issue 10 (the profile's default, and "plain": no class names).

Every name and sentence here is written for these tests. ``work_page(markup)`` renders the same visible text
either way, so a test can check that the selectors and the text fallback read the same thing.
"""

from __future__ import annotations

import html

BASE = "http://127.0.0.1:8765"
SLUG = "Aurelio-Brenta-String-Quartet-No-2-in-F-major-Op-9"
COMPOSER = "Aurelio Brenta"
TITLE = "String Quartet No. 2 in F major, Op. 9"
FACTS = (
    ("Nationality", "Italian"),
    ("Born", "c. 1788, Bassano"),
    ("Died", "March 3, 1851, Padua (age 62)"),
    ("Duration", "24 minutes (approximately)"),
    ("Composed", "1825-26 (age 37)"),
    ("Published", "1828, Milan"),
    ("Dedication", "the Società Filarmonica of Padua"),
)
ARTICLE = (
    "“A quartet of uncommon warmth, which deserves a place on every amateur’s stand.”",
    "—Clara Ostwald writing in her Notes for Quartet Evenings",
    "Aurelio Brenta was born near Bassano and studied the violin in Venice, where he later led a theatre orchestra.",
    "In four movements, it begins with a sunny Allegro. Next comes a hymn-like Adagio. A brisk Minuet follows, "
    "and the finale, a Rondo, closes the work in high spirits.",
    "© Edition Lindqvist. Used by permission.",
)
#: (performers, movements [(duration, title)] or a bare total, layout: "tracks" | "whole" | "none")
RECORDINGS = (
    ("Quartetto Aria", (("7:35", "I. Allegro con brio"), ("6:10", "II. Adagio"), ("4:02", "III. Menuetto"),
                        ("5:41", "IV. Rondo. Allegro")), "tracks"),
    ("Ravel Street Quartet", (("7:50", "I. Allegro"), ("6:02", "II. Adagio cantabile"), ("4:00", "III. Minuet"),
                              ("1:01:05", "IV. Rondo")), "whole"),
    ("Trio Nordlys and friends", "26:14", "whole"),
    ("Student Quartet of the Conservatory", (("8:00", "I. Allegro"), ("6:30", "II. Adagio")), "none"),
)
GLOSSARY = (("string quartet", "a work for two violins, viola and cello. explore"),)


def embed(ri: int, n: int) -> str:
    """The video of recording ``ri``: movement ``n``, or the whole work for n=0."""
    return f"{BASE}/embed/" + f"r{ri}m{n}".ljust(11, "x")


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _layout(body: str, canonical: str | None = None) -> str:
    link = f'<link rel="canonical" href="{_e(canonical)}">' if canonical else ""
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{_e(COMPOSER)}: {_e(TITLE)} | EarSense</title>'
            f'{link}</head><body><header class="site-header"><a href="/">EarSense</a> <nav><a href="/chamber-music/">'
            f'Chamber Music</a></nav></header><main>\n{body}\n</main><footer><p>Invented test page.</p></footer>'
            f"</body></html>")


def _default_recording(ri: int, performers: str, listing, layout: str) -> str:
    out = [f'<div class="recording" data-ri="{ri}"><p class="performers">{_e(performers)}</p>']
    if isinstance(listing, str):
        out.append(f'<p class="recording-duration">{listing}</p>')
    else:
        out.append('<ol class="tracks">')
        for n, (clock, title) in enumerate(listing, 1):
            frame = f'<iframe class="video-embed" src="{embed(ri, n)}"></iframe>' if layout == "tracks" else ""
            out.append(f'<li class="track"><span class="track-duration">{clock}</span> '
                       f'<span class="track-title">{_e(title)}</span>{frame}</li>')
        out.append("</ol>")
    if layout == "whole":
        out.append(f'<iframe class="video-embed" src="{embed(ri, 0)}"></iframe>')
    out.append(f'<a class="recording-select" href="/chamber-music/{SLUG}/?ri={ri}">Listen</a></div>')
    return "\n".join(out)


def _plain_recording(ri: int, performers: str, listing, layout: str) -> str:
    out = [f'<div class="c7"><div>{_e(performers)}</div>']
    if isinstance(listing, str):
        out.append(f"<div>{listing}</div>")
    else:
        out.append("<table>")
        for n, (clock, title) in enumerate(listing, 1):
            frame = f'<tr><td colspan="2"><iframe src="{embed(ri, n)}"></iframe></td></tr>' if layout == "tracks" else ""
            out.append(f"<tr><td>{clock}</td><td>{_e(title)}</td></tr>{frame}")
        out.append("</table>")
    if layout == "whole":
        out.append(f'<div><iframe src="{embed(ri, 0)}"></iframe></div>')
    out.append(f'<div><a href="/chamber-music/{SLUG}/?ri={ri}">Listen</a></div></div>')
    return "\n".join(out)


def work_page(markup: str = "default", *, article: tuple[str, ...] | None = ARTICLE,
              recordings=RECORDINGS, facts=FACTS) -> str:
    n_videos = sum(1 for *_x, layout in recordings if layout != "none")
    count = f"{len(recordings)} recording{'s' if len(recordings) != 1 else ''}, {n_videos} video{'s' if n_videos != 1 else ''}"
    canonical = f"{BASE}/chamber-music/{SLUG}/"
    if markup == "default":
        dl = "".join(f'<dt>{label}:</dt><dd class="fact-{label.lower()}">{_e(value)}</dd>' for label, value in facts)
        parts = [
            '<div class="work-header">',
            f'<p class="work-composer"><a class="composer-name" href="/composer/aurelio-brenta/">{_e(COMPOSER)}</a> '
            '<span class="composer-dates">(1788-1851)</span></p>',
            f'<h1 class="work-title">{_e(TITLE)}</h1>',
            '<p class="work-instrumentation">(for 2 violins, viola and cello)</p>',
            f'<dl class="work-facts">{dl}</dl></div>',
        ]
        if article:
            parts.append('<article class="work-article">' + "".join(f"<p>{_e(p)}</p>" for p in article) + "</article>")
        recs = "\n".join(_default_recording(ri, *rec) for ri, rec in enumerate(recordings))
        parts.append(f'<section class="recordings"><h2 class="recordings-count">{count}</h2>\n{recs}</section>')
        gloss = "".join(f"<dt>{_e(t)}</dt><dd>{_e(d)}</dd>" for t, d in GLOSSARY)
        parts.append(f'<section class="glossary"><h2>glossary</h2><dl>{gloss}</dl></section>')
    elif markup == "plain":
        facts_html = "".join(f"<div><span>{label}:</span> {_e(value)}</div>" for label, value in facts)
        parts = [
            f'<div class="c1"><span><a href="/composer/aurelio-brenta/">{_e(COMPOSER)}</a> (1788-1851)</span></div>',
            f'<div class="c2">{_e(TITLE)}</div>',
            "<div>(for 2 violins, viola and cello)</div>",
            f'<div class="c3">{facts_html}</div>',
        ]
        if article:
            parts.append('<div class="c4">' + "".join(f"<div>{_e(p)}</div>" for p in article) + "</div>")
        recs = "\n".join(_plain_recording(ri, *rec) for ri, rec in enumerate(recordings))
        parts.append(f'<div class="c5"><div><b>{count}</b></div>\n{recs}</div>')
        gloss = "".join(f"<p>{_e(t)}—{_e(d)}</p>" for t, d in GLOSSARY)
        parts.append(f'<div class="c6"><div>glossary</div>{gloss}</div>')
    else:
        raise ValueError(markup)
    return _layout("\n".join(parts), canonical)
