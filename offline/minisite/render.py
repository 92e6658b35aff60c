"""HTML for the mini site, built from the catalogue with f-strings and ``html.escape``.

The work page markup is the crawler's contract (class names, element order, the canonical link):
change it only together with the crawler's selectors. Everything a page shows is escaped here, so the
catalogue holds plain text (plus the article's light markup, see ``earsense_m2t.offline.minisite.catalogue``).

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
from collections.abc import Sequence

from earsense_m2t.offline.minisite.catalogue import (
    MARK_RE,
    BlogPost,
    RecordingSpec,
    VideoSpec,
    WorkSpec,
    clock,
    glossary_id,
    numbered_title,
    plain_text,
    videos_of,
)
from earsense_m2t.offline.minisite.media import MEDIA_CONTENT_TYPE, MEDIA_EXT

SITE_NAME = "EarSense"


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def esc_attr_multiline(text: str) -> str:
    """Attribute value with newlines as ``&#10;`` so description lines survive any parser."""
    return esc(text).replace("\r\n", "\n").replace("\n", "&#10;")


def inline(paragraph: str) -> str:
    """Article light markup → HTML; all text is escaped first, marks are applied to the escaped text."""
    out: list[str] = []
    pos = 0
    for m in MARK_RE.finditer(paragraph):
        out.append(esc(paragraph[pos : m.start()]))
        if m.group(1) is not None:
            term, shown = m.group(1), m.group(2) or m.group(1)
            out.append(f'<a class="glossary-term" href="#{glossary_id(term)}">{esc(shown)}</a>')
        elif m.group(3) is not None:
            out.append(f"<em>{esc(m.group(3))}</em>")
        else:
            out.append(f'<sup class="fn">{m.group(4)}</sup>')
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


def _work_link(work: WorkSpec, query: str = "") -> str:
    return f'<a class="work-link" href="{esc(work.url_path + query)}">{esc(work.composer)}: {esc(work.title)}</a>'


# ---------------------------------------------------------------------------------------------- pages


def home_page(works: Sequence[WorkSpec], base: str) -> str:
    featured = "\n".join(f"<li>{_work_link(w)}</li>" for w in works[1:3])
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
    works: Sequence[WorkSpec], page: int, n_pages: int, base: str, extra_links: Sequence[str] = ()
) -> str:
    items = [f'<li class="work-item">{_work_link(w)} <span class="genre">{esc(w.genre)}</span></li>' for w in works]
    items += [f'<li class="work-item"><a class="work-link" href="{esc(h)}">{esc(h)}</a></li>' for h in extra_links]
    nav = []
    if page > 1:
        prev = "/chamber-music/" if page == 2 else f"/chamber-music/?page={page - 1}"
        nav.append(f'<a rel="prev" class="prev" href="{prev}">Previous</a>')
    nav.append(f'<span class="page-number">Page {page} of {n_pages}</span>')
    if page < n_pages:
        nav.append(f'<a rel="next" class="next" href="/chamber-music/?page={page + 1}">Next</a>')
    body = (
        '<h1 class="page-title">Chamber Music</h1>\n<ul class="work-list">\n'
        + "\n".join(items)
        + '\n</ul>\n<nav class="pagination">'
        + " ".join(nav)
        + "</nav>"
    )
    canonical = f"{base}/chamber-music/" + (f"?page={page}" if page > 1 else "")
    return layout(f"Chamber Music (page {page}) | EarSense", body, canonical=canonical)


def _recording_html(work: WorkSpec, ri: int, rec: RecordingSpec, videos: Sequence[VideoSpec], base: str, selected: bool) -> str:
    total = sum(v.duration_s for v in videos)
    cls = "recording is-selected" if selected else "recording"
    head = (
        f'<div class="{cls}" data-ri="{ri}">\n'
        f'  <p class="performers">{esc(rec.performers)}</p><p class="recording-duration">{clock(total)}</p>\n'
    )
    select = f'  <a class="recording-select" href="{esc(work.url_path)}?ri={ri}">Listen</a>\n'
    if rec.layout == "whole":
        v = videos[0]
        return (
            head
            + f'  <iframe class="video-embed" src="{esc(base)}/embed/{esc(v.video_id)}" title="{esc(v.title)}" '
            f'width="560" height="315" allowfullscreen></iframe>\n'
            + select
            + "</div>"
        )
    tracks = "\n".join(
        f'    <li class="track"><span class="track-title">{esc(numbered_title(v.movements[0], rec.numbering))}</span> '
        f'<span class="track-duration">{clock(v.duration_s)}</span>\n'
        f'        <iframe class="video-embed" src="{esc(base)}/embed/{esc(v.video_id)}" title="{esc(v.title)}" '
        f'width="560" height="315" allowfullscreen></iframe></li>'
        for v in videos
    )
    return head + f'  <ol class="tracks">\n{tracks}\n  </ol>\n' + select + "</div>"


def work_page(work: WorkSpec, base: str, selected_ri: int | None = None) -> str:
    meta = [f'<li class="genre">{esc(work.genre)}</li>']
    if work.year is not None:
        meta.append(f'<li class="year">{work.year}</li>')
    parts = [
        '<div class="work-header">',
        f'  <h1 class="work-title">{esc(work.title)}</h1>',
        f'  <p class="work-composer"><a class="composer-name" href="/composer/{esc(work.composer_slug)}/">'
        f'{esc(work.composer)}</a> <span class="composer-dates">({work.composer_born}–{work.composer_died})</span></p>',
        '  <ul class="work-meta">' + "".join(meta) + "</ul>",
        "</div>",
    ]
    if work.article is not None:
        paras = "\n".join(f"  <p>{inline(p)}</p>" for p in work.article)
        author = f'\n  <p class="article-author">— Written by {esc(work.article_author)}</p>' if work.article_author else ""
        parts.append(f'<article class="work-article">\n  <h2>About the work</h2>\n{paras}{author}\n</article>')
        marks = sorted({int(m) for p in work.article for m in re.findall(r"\^(\d+)", p)})
        if marks:
            notes = "".join(
                f'<li id="fn-{n}">Editor\'s note {n}: details of the sources are given in the printed programme.</li>'
                for n in marks
            )
            parts.append(f'<section class="footnotes"><ol>{notes}</ol></section>')
    if work.list_movements:
        lis = "".join(f"<li>{esc(m.title)}</li>" for m in work.movements)
        parts.append(f'<section class="movement-list">\n  <h2>Movements</h2><ol>{lis}</ol>\n</section>')
    videos = videos_of(work)
    if work.recordings:
        recs = []
        for ri, rec in enumerate(work.recordings):
            vids = [v for v in videos if v.recording_index == ri]
            recs.append(_recording_html(work, ri, rec, vids, base, selected_ri == ri))
        parts.append('<section class="recordings"><h2>Recordings</h2>\n' + "\n".join(recs) + "\n</section>")
    else:
        parts.append('<section class="recordings"><h2>Recordings</h2>\n'
                     '<p class="no-recording">No recording available yet.</p>\n</section>')
    parts.append(f'<section class="composer-bio"><h2>About the composer</h2><p>{esc(work.biography)}</p></section>')
    if work.glossary:
        items = "".join(f'<dt id="{glossary_id(t)}">{esc(t)}</dt><dd>{esc(d)}</dd>' for t, d in work.glossary)
        parts.append(f'<section class="glossary"><h2>Glossary</h2><dl>{items}</dl></section>')
    if work.article:
        description = plain_text(work.article[0])[:155]
    else:
        description = f"{work.genre} by {work.composer}."
    return layout(
        f"{work.composer}: {work.title} | {SITE_NAME}",
        "\n".join(parts),
        canonical=f"{base}{work.url_path}",
        description=description,
    )


def composer_page(name: str, works: Sequence[WorkSpec], base: str) -> str:
    w0 = works[0]
    items = "\n".join(f"<li>{_work_link(w)}</li>" for w in works)
    body = (
        f'<h1 class="composer-title">{esc(name)} '
        f'<span class="composer-dates">({w0.composer_born}–{w0.composer_died})</span></h1>\n'
        f'<p class="composer-bio">{esc(w0.biography)}</p>\n<h2>Works</h2><ul class="work-list">\n{items}\n</ul>'
    )
    return layout(f"{name} | {SITE_NAME}", body, canonical=f"{base}/composer/{w0.composer_slug}/")


_BLOG_LINK_RE = re.compile(r"\[([^\]]+)\]\(work:([A-Za-z0-9-]+)(\?[^)]*)?\)")


def _blog_inline(text: str, live_slugs: set[str]) -> str:
    out, pos = [], 0
    for m in _BLOG_LINK_RE.finditer(text):
        out.append(esc(text[pos : m.start()]))
        shown, slug, query = m.group(1), m.group(2), m.group(3) or ""
        if slug in live_slugs:
            out.append(f'<a href="/chamber-music/{esc(slug)}/{esc(query)}">{esc(shown)}</a>')
        else:
            out.append(esc(shown))
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


def blog_post_page(post: BlogPost, live_slugs: set[str], base: str) -> str:
    paras = "\n".join(f"<p>{_blog_inline(p, live_slugs)}</p>" for p in post.paragraphs)
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
