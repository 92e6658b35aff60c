"""HTML for the mini site, built from the catalogue with f-strings and ``html.escape``.

The work page comes in two markup variants that show the same visible text in the same order:
- ``"default"``: the markup the crawler's site profile (``crawlers/site_profile.py``) selects on — its
  class names, element order, ``<dl class="work-facts">`` and ``data-ri`` are the crawler's contract;
  change them only together with the profile's selectors;
- ``"plain"``: none of the profile's class names (``PROFILE_CLASSES``; generic ``<div>``/``<p>``/
  ``<span>``/``<table>`` with class names such as ``c3``), no ``<dl>``, no ``data-ri``. Iframes, links and
  the canonical link stay. Every profile selector misses, so only a crawler's text fallback can read it.
Listing pages (index, composer, home) drop the profile's class names in the plain variant as well.

Everything a page shows is escaped here, so the catalogue holds plain text (plus the article's light
markup, see ``earsense_m2t.offline.minisite.catalogue``).

Other URL forms of a work: ``work_page(selected_ri=N)`` (``?ri=N``: the selected recording first and a
"Now playing" line; canonical link to the work page), ``article_view_page`` (``/article/<slug>/``:
canonical link and a link to the work page) and ``pkey_page`` (``/chamberbase/works/detail/?pkey=N``:
canonical link, or only a link to the work page, or neither, per ``WorkSpec.pkey_view``).

The video page (``/watch/<id>``, ``/embed/<id>``) deliberately gives the media URL through a
schema.org ``VideoObject`` (JSON-LD) and lets a small script hand it to the ``<audio>`` element,
rather than writing ``<audio src=...>`` in the HTML. With a literal ``src`` yt-dlp's generic
extractor takes its "html5" path, which renames the video ``<id>-1``, appends " (1)" to the title and
drops the uploader; with JSON-LD it returns the page's own id, title, description (``og:description``
and JSON-LD agree), uploader (``author``) and duration, just as its YouTube extractor would.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence

from earsense_m2t.offline.minisite.catalogue import (
    MARK_RE,
    BlogPost,
    GlossaryEntry,
    VideoSpec,
    WorkSpec,
    clock,
    glossary_id,
    plain_text,
    videos_of,
)
from earsense_m2t.offline.minisite.media import MEDIA_CONTENT_TYPE, MEDIA_EXT

SITE_NAME = "EarSense"
MARKUPS: tuple[str, ...] = ("default", "plain")

# Every class name the default markup gives the crawler's profile to select on (spec §2, and the
# listing pages' work links). The plain variant uses none of them.
PROFILE_CLASSES: tuple[str, ...] = (
    "work-header", "work-composer", "composer-name", "composer-dates", "work-title", "work-instrumentation",
    "work-facts", "fact-nationality", "fact-born", "fact-died", "fact-duration", "fact-composed", "fact-published",
    "fact-dedication", "fact-note", "work-article", "glossary-term", "fn", "recordings", "recordings-count",
    "recording", "is-selected", "now-playing", "performers", "recording-duration", "tracks", "track",
    "track-duration", "track-title", "video-embed", "recording-select", "glossary", "work-link", "work-list",
    "work-item", "genre", "next", "prev", "composer-bio", "composer-title", "article-link",
)  # fmt: skip


class Markup:
    """Which variant a page is rendered in; ``cls`` gives an element's class attribute in it."""

    def __init__(self, variant: str = "default") -> None:
        if variant not in MARKUPS:
            raise ValueError(f"unknown markup {variant!r}; expected one of {', '.join(MARKUPS)}")
        self.variant = variant
        self.plain = variant == "plain"

    def cls(self, *names: str) -> str:
        """`` class="..."``: the profile's names, or generic ``c<N>`` names (stable per name) when plain."""
        if not self.plain:
            return f' class="{" ".join(names)}"'
        return ' class="' + " ".join(f"c{PROFILE_CLASSES.index(n) + 1}" for n in names) + '"'


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def esc_attr_multiline(text: str) -> str:
    """Attribute value with newlines as ``&#10;`` so description lines survive any parser."""
    return esc(text).replace("\r\n", "\n").replace("\n", "&#10;")


def inline(paragraph: str, markup: Markup | None = None) -> str:
    """Article light markup → HTML; all text is escaped first, marks are applied to the escaped text."""
    m_ = markup or Markup()
    out: list[str] = []
    pos = 0
    for m in MARK_RE.finditer(paragraph):
        out.append(esc(paragraph[pos : m.start()]))
        if m.group(1) is not None:
            term, shown = m.group(1), m.group(2) or m.group(1)
            link_cls = "" if m_.plain else ' class="glossary-term"'
            out.append(f'<a{link_cls} href="#{glossary_id(term)}">{esc(shown)}</a>')
        elif m.group(3) is not None:
            out.append(f"<em>{esc(m.group(3))}</em>")
        else:
            sup_cls = "" if m_.plain else ' class="fn"'
            out.append(f"<sup{sup_cls}>{m.group(4)}</sup>")
        pos = m.end()
    out.append(esc(paragraph[pos:]))
    return "".join(out).replace("\n", "<br>\n")


def layout(
    title: str,
    body: str,
    *,
    canonical: str | None = None,
    description: str | None = None,
    head_extra: str = "",
) -> str:
    head = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
    ]
    if canonical:
        head.append(f'<link rel="canonical" href="{esc(canonical)}">')
    if description:
        head.append(f'<meta name="description" content="{esc(description)}">')
    if head_extra:
        head.append(head_extra)
    return "\n".join(
        head
        + [
            "</head><body>",
            '<header class="site-header"><a href="/">EarSense</a> <nav><a href="/chamber-music/">Chamber '
            'Music</a> <a href="/blog/">Blog</a></nav></header>',
            "<main>",
            body,
            "</main>",
            '<footer><p>EarSense mini site — an offline test fixture. All texts are invented. '
            '<a href="/robots.txt">robots.txt</a></p></footer>',
            "</body></html>",
        ]
    )


def _work_link(work: WorkSpec, m: Markup, query: str = "") -> str:
    return f'<a{m.cls("work-link")} href="{esc(work.url_path + query)}">{esc(work.composer)}: {esc(work.title)}</a>'


# ---------------------------------------------------------------------------------------------- pages


def home_page(works: Sequence[WorkSpec], base: str, markup: str = "default") -> str:
    m = Markup(markup)
    featured = "\n".join(f"<li>{_work_link(w, m)}</li>" for w in works[1:3])
    body = f"""<section class="intro"><h1>Listen closer</h1>
<p>EarSense introduces chamber music through short essays by musicians and scholars, with a recording
for every work we can find one for.</p>
<p><a href="/chamber-music/">Browse all chamber music</a> · <a href="/blog/">Read the blog</a> ·
<a href="/private/">Editors' area</a></p></section>
<section class="featured"><h2>Featured works</h2><ul>
{featured}
</ul></section>"""
    return layout("EarSense — listen closer", body, canonical=f"{base}/", description="Chamber music, explained.")


def index_page(
    works: Sequence[WorkSpec], page: int, n_pages: int, base: str, extra_links: Sequence[str] = (),
    markup: str = "default",
) -> str:
    m = Markup(markup)
    items = [f'<li{m.cls("work-item")}>{_work_link(w, m)} <span{m.cls("genre")}>{esc(w.genre)}</span></li>'
             for w in works]
    items += [f'<li{m.cls("work-item")}><a{m.cls("work-link")} href="{esc(h)}">{esc(h)}</a></li>' for h in extra_links]
    nav = []
    if page > 1:
        prev = "/chamber-music/" if page == 2 else f"/chamber-music/?page={page - 1}"
        nav.append(f'<a rel="prev"{m.cls("prev")} href="{prev}">Previous</a>')
    nav.append(f'<span class="page-number">Page {page} of {n_pages}</span>')
    if page < n_pages:
        nav.append(f'<a rel="next"{m.cls("next")} href="/chamber-music/?page={page + 1}">Next</a>')
    body = (
        f'<h1 class="page-title">Chamber Music</h1>\n<ul{m.cls("work-list")}>\n'
        + "\n".join(items)
        + '\n</ul>\n<nav class="pagination">'
        + " ".join(nav)
        + "</nav>"
    )
    canonical = f"{base}/chamber-music/" + (f"?page={page}" if page > 1 else "")
    return layout(f"Chamber Music (page {page}) | EarSense", body, canonical=canonical)


def _iframe(base: str, video: VideoSpec, m: Markup) -> str:
    cls = "" if m.plain else ' class="video-embed"'
    return (f'<iframe{cls} src="{esc(base)}/embed/{esc(video.video_id)}" title="{esc(video.title)}" '
            'width="560" height="315" allowfullscreen></iframe>')


def _header_html(work: WorkSpec, m: Markup) -> str:
    composer = f'<a{"" if m.plain else m.cls("composer-name")} href="/composer/{esc(work.composer_slug)}/">{esc(work.composer)}</a>'
    if m.plain:
        parts = [f'<div{m.cls("work-header")}>', f'  <p{m.cls("work-composer")}>{composer} {esc(work.composer_dates)}</p>',
                 f"  <h1>{esc(work.title)}</h1>"]
    else:
        parts = [
            '<div class="work-header">',
            f'  <p class="work-composer">{composer} <span class="composer-dates">{esc(work.composer_dates)}</span></p>',
            f'  <h1 class="work-title">{esc(work.title)}</h1>',
        ]
    if work.instrumentation:
        parts.append(f'  <p{"" if m.plain else m.cls("work-instrumentation")}>(for {esc(work.instrumentation)})</p>')
    facts = work.facts()
    if m.plain:
        rows = "\n".join(f"    <tr><td>{esc(label)}:</td> <td>{esc(value)}</td></tr>" for label, value in facts)
        parts.append(f'  <table{m.cls("work-facts")}>\n{rows}\n  </table>')
    else:
        rows = "\n".join(f'    <dt>{esc(label)}:</dt> <dd class="fact-{label.lower()}">{esc(value)}</dd>'
                         for label, value in facts)
        parts.append(f'  <dl class="work-facts">\n{rows}\n  </dl>')
    parts.append("</div>")
    return "\n".join(parts)


def _article_html(work: WorkSpec, m: Markup) -> str:
    paras = "\n".join(f"  <p>{inline(p, m)}</p>" for p in work.article or ())
    if m.plain:
        return f'<div{m.cls("work-article")}>\n{paras}\n</div>'
    return f'<article class="work-article">\n{paras}\n</article>'


def _recording_html(work: WorkSpec, ri: int, videos: Sequence[VideoSpec], base: str, selected: bool, m: Markup) -> str:
    rec = work.recordings[ri]
    if m.plain:
        lines = [f'  <div{m.cls("recording")}>', f"    <p>{esc(rec.performers)}</p>"]
    else:
        cls = "recording is-selected" if selected else "recording"
        lines = [f'  <div class="{cls}" data-ri="{ri}">', f'    <p class="performers">{esc(rec.performers)}</p>']
    listed = work.listed_movements(ri)
    if not listed:
        total = clock(work.recording_total_s(ri))
        lines.append(f"    <p>{total}</p>" if m.plain else f'    <p class="recording-duration">{total}</p>')
    else:
        per_track = rec.layout == "tracks"
        lines.append(f'    <div{m.cls("tracks")}>' if m.plain else '    <ol class="tracks">')
        for i, (title, seconds) in enumerate(listed):
            embed = f"\n        {_iframe(base, videos[i], m)}" if per_track else ""
            if m.plain:
                lines.append(f"      <p>{clock(seconds)} {esc(title)}</p>{embed}")
            else:
                lines.append(f'      <li class="track"><span class="track-duration">{clock(seconds)}</span> '
                             f'<span class="track-title">{esc(title)}</span>{embed}</li>')
        lines.append("    </div>" if m.plain else "    </ol>")
    if rec.layout == "whole":
        lines.append(f"    {_iframe(base, videos[0], m)}")
    link = f'<a{"" if m.plain else m.cls("recording-select")} href="{esc(work.ri_path(ri))}">Listen</a>'
    lines.append(f"    <p>{link}</p>" if m.plain else f"    {link}")
    lines.append("  </div>")
    return "\n".join(lines)


def _recordings_html(work: WorkSpec, base: str, selected_ri: int | None, m: Markup) -> str:
    videos = videos_of(work)
    order = list(range(len(work.recordings)))
    if selected_ri is not None:
        order.remove(selected_ri)
        order.insert(0, selected_ri)  # the ?ri=N page shows the selected recording first
    header = esc(work.recordings_header())
    lines = [f'<div{m.cls("recordings")}>', f'  <p{m.cls("recordings-count")}><strong>{header}</strong></p>'] if m.plain else [
        '<section class="recordings">', f'  <h2 class="recordings-count">{header}</h2>']
    if selected_ri is not None:
        lines.append(f'  <p{m.cls("now-playing")}>Now playing: {esc(work.recordings[selected_ri].performers)}</p>')
    for ri in order:
        vids = [v for v in videos if v.recording_index == ri]
        lines.append(_recording_html(work, ri, vids, base, selected_ri == ri, m))
    lines.append("</div>" if m.plain else "</section>")
    return "\n".join(lines)


def _glossary_entry(e: GlossaryEntry, m: Markup) -> str:
    explore = f'<a href="/glossary/#{glossary_id(e.term)}">explore</a>'
    if m.plain:
        return f'  <p id="{glossary_id(e.term)}"><span>{esc(e.heading)}</span><span>—{esc(e.definition)} {explore}</span></p>'
    return f'  <dt id="{glossary_id(e.term)}">{esc(e.heading)}</dt><dd>—{esc(e.definition)} {explore}</dd>'


def _glossary_html(entries: Iterable[GlossaryEntry], m: Markup) -> str:
    items = "\n".join(_glossary_entry(e, m) for e in entries)
    if m.plain:
        return f'<div{m.cls("glossary")}><p><strong>glossary</strong></p>\n{items}\n</div>'
    return f'<section class="glossary"><h2>glossary</h2><dl>\n{items}\n</dl></section>'


def work_main(work: WorkSpec, base: str, selected_ri: int | None = None, markup: str = "default") -> str:
    """The ``<main>`` content of a work page: header, article, recordings, glossary."""
    m = Markup(markup)
    parts = [_header_html(work, m)]
    if work.article is not None:
        parts.append(_article_html(work, m))
    if work.recordings:
        parts.append(_recordings_html(work, base, selected_ri, m))
    if work.glossary:
        parts.append(_glossary_html(work.glossary, m))
    return "\n".join(parts)


def work_page(work: WorkSpec, base: str, selected_ri: int | None = None, markup: str = "default") -> str:
    """The work page (``selected_ri``: the ``?ri=N`` form); its canonical link is always the work URL."""
    if selected_ri is not None and not 0 <= selected_ri < len(work.recordings):
        raise ValueError(f"{work.slug}: no recording {selected_ri} (has {len(work.recordings)})")
    if work.article:
        description = plain_text(work.article[0])[:155]
    else:
        description = f"{work.genre} by {work.composer}."
    return layout(
        f"{work.composer}: {work.title} | {SITE_NAME}",
        work_main(work, base, selected_ri, markup),
        canonical=f"{base}{work.url_path}",
        description=description,
    )


def article_view_page(work: WorkSpec, base: str) -> str:
    """``/article/<slug>/``: the article on its own, pointing at the work page."""
    paras = "\n".join(f"<p>{inline(p, Markup('plain'))}</p>" for p in work.article or ())
    body = (
        f'<div class="essay">\n<h1>{esc(work.composer)}: {esc(work.title)}</h1>\n{paras}\n'
        f'<p class="essay-work"><a href="{esc(work.url_path)}">Recordings and details of this work</a></p>\n</div>'
    )
    return layout(f"{work.composer}: {work.title} (article) | {SITE_NAME}", body, canonical=f"{base}{work.url_path}")


def pkey_page(work: WorkSpec, base: str) -> str:
    """``/chamberbase/works/detail/?pkey=N``: the database record; how it points at the work varies."""
    rows = [("Composer", f"{work.composer} {work.composer_dates}"), ("Work", work.title),
            ("Instrumentation", work.instrumentation or ""), ("Composed", str(work.year or "")),
            ("Movements", str(len(work.movements))), ("Record", str(work.pkey))]
    table = "\n".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    body = f'<h1>ChamberBase</h1>\n<table class="cb-record">\n{table}\n</table>\n'
    if work.pkey_view in ("canonical", "link"):
        body += f'<p><a href="{esc(work.url_path)}">This work on EarSense</a></p>\n'
    body += '<p><a href="/chamber-music/">Browse all chamber music</a></p>'
    canonical = f"{base}{work.url_path}" if work.pkey_view == "canonical" else None
    return layout(f"ChamberBase record {work.pkey} | {SITE_NAME}", body, canonical=canonical)


def composer_page(name: str, works: Sequence[WorkSpec], base: str, markup: str = "default") -> str:
    m = Markup(markup)
    w0 = works[0]
    items = []
    for w in works:
        article = (f' · <a{m.cls("article-link")} href="{esc(w.article_path)}">Read the article</a>'
                   if w.article_path else "")
        items.append(f"<li>{_work_link(w, m)}{article}</li>")
    bio = next((w.biography for w in works if w.biography), "")
    body = (
        f'<h1{m.cls("composer-title")}>{esc(name)} '
        f'<span{m.cls("composer-dates")}>{esc(w0.composer_dates)}</span></h1>\n'
        + (f'<p{m.cls("composer-bio")}>{esc(bio)}</p>\n' if bio else "")
        + f'<h2>Works</h2><ul{m.cls("work-list")}>\n' + "\n".join(items) + "\n</ul>"
    )
    return layout(f"{name} | {SITE_NAME}", body, canonical=f"{base}/composer/{w0.composer_slug}/")


def glossary_page(entries: Iterable[GlossaryEntry], base: str) -> str:
    """``/glossary/``: every entry the site's pages show, in alphabetical order."""
    unique = {glossary_id(e.term): e for e in entries}
    items = "\n".join(_glossary_entry(unique[k], Markup()) for k in sorted(unique))
    body = f'<h1>Glossary</h1>\n<dl class="site-glossary">\n{items}\n</dl>'
    return layout(f"Glossary | {SITE_NAME}", body, canonical=f"{base}/glossary/")


_BLOG_LINK_RE = re.compile(r"\[([^\]]+)\]\((work|article|pkey):([A-Za-z0-9-]+)(\?[^)]*)?\)")


def _blog_inline(text: str, live: Mapping[str, WorkSpec]) -> str:
    out, pos = [], 0
    for m in _BLOG_LINK_RE.finditer(text):
        out.append(esc(text[pos : m.start()]))
        shown, kind, slug, query = m.group(1), m.group(2), m.group(3), m.group(4) or ""
        work = live.get(slug)
        href = None
        if work is not None:
            href = {"work": work.url_path + query, "article": work.article_path, "pkey": work.pkey_path}[kind]
        out.append(f'<a href="{esc(href)}">{esc(shown)}</a>' if href else esc(shown))
        pos = m.end()
    out.append(esc(text[pos:]))
    return "".join(out)


def blog_index_page(posts: Sequence[BlogPost], base: str) -> str:
    items = "\n".join(
        f'<li class="post"><a class="post-link" href="/blog/{esc(p.slug)}/">{esc(p.title)}</a> '
        f'<time datetime="{p.date}">{p.date}</time></li>'
        for p in posts
    )
    return layout(f"Blog | {SITE_NAME}", f'<h1>Blog</h1>\n<ul class="post-list">\n{items}\n</ul>', canonical=f"{base}/blog/")


def blog_post_page(post: BlogPost, live: Mapping[str, WorkSpec], base: str) -> str:
    paras = "\n".join(f"<p>{_blog_inline(p, live)}</p>" for p in post.paragraphs)
    body = (
        f'<article class="blog-post"><h1>{esc(post.title)}</h1>\n'
        f'<p class="byline">{esc(post.author)}, <time datetime="{post.date}">{post.date}</time></p>\n{paras}\n</article>'
    )
    return layout(f"{post.title} | {SITE_NAME} Blog", body, canonical=f"{base}/blog/{post.slug}/")


def private_page(base: str) -> str:
    body = """<h1>Editors' area</h1>
<p>Drafts and unpublished essays. Not for crawlers: see robots.txt.</p>
<ul><li><a href="/private/drafts/">Drafts</a></li></ul>"""
    return layout(f"Editors' area | {SITE_NAME}", body)


def video_page(video: VideoSpec, base: str, *, embed: bool) -> str:
    """The player page; see the module docstring for why the media URL lives in JSON-LD."""
    watch = f"{base}/watch/{video.video_id}"
    media = f"{base}/media/{video.video_id}.{MEDIA_EXT}"
    ld = {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "name": video.title,
        "description": video.description,
        "contentUrl": media,
        "encodingFormat": MEDIA_CONTENT_TYPE,
        "embedUrl": f"{base}/embed/{video.video_id}",
        "url": watch,
        "duration": f"PT{video.duration_s // 60}M{video.duration_s % 60}S",
        "author": {"@type": "Person", "name": video.uploader},
        "uploadDate": "2023-06-01",
    }
    ld_json = json.dumps(ld, ensure_ascii=True).replace("</", "<\\/")
    head = "\n".join(
        [
            '<meta property="og:type" content="video.other">',
            '<meta property="og:site_name" content="EarSense Video">',
            f'<meta property="og:title" content="{esc(video.title)}">',
            f'<meta property="og:description" content="{esc_attr_multiline(video.description)}">',
            f'<meta property="og:url" content="{esc(watch)}">',
            f'<meta name="author" content="{esc(video.uploader)}">',
            f'<script type="application/ld+json">{ld_json}</script>',
        ]
    )
    body = f"""<div class="player{' embed' if embed else ''}" data-video-id="{esc(video.video_id)}">
<h1 class="video-title">{esc(video.title)}</h1>
<audio id="player" controls preload="none"></audio>
<noscript><p>Enable JavaScript to play, or <a href="/media/{esc(video.video_id)}.{MEDIA_EXT}">open the audio file</a>.</p></noscript>
<p class="uploader">{esc(video.uploader)}</p>
<pre class="video-description">{esc(video.description)}</pre>
</div>
<script>
document.getElementById("player").src =
  JSON.parse(document.querySelector('script[type="application/ld+json"]').textContent).contentUrl;
</script>"""
    return layout(video.title, body, canonical=watch, head_extra=head)


def message_page(status: int, title: str, text: str) -> str:
    return layout(f"{status} {title} | {SITE_NAME}", f'<h1>{status} {esc(title)}</h1><p>{esc(text)}</p>')


def robots_txt(base: str) -> str:
    return f"User-agent: *\nDisallow: /private/\n\nSitemap: {base}/sitemap.xml\n"


def sitemap_xml(works: Sequence[WorkSpec], base: str) -> str:
    urls = "\n".join(
        f"  <url><loc>{esc(base + w.url_path)}</loc><lastmod>{w.updated}</lastmod></url>"
        for w in works
        if w.in_sitemap
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{urls}\n</urlset>\n"
    )
