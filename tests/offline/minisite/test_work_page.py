"""The work page in the real shape, in both markup variants, and the other URL forms of a work."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

from earsense_m2t.offline.minisite import SPECIAL_CASES, MiniSite, load_catalogue, serve, videos_of
from earsense_m2t.offline.minisite.catalogue import WorkSpec, clock, find_work
from earsense_m2t.offline.minisite.render import PROFILE_CLASSES
from tests.offline.minisite._http import fetch

CAT = load_catalogue()


@pytest.fixture(scope="module")
def plain_site(media_cache: Path) -> Iterator[MiniSite]:
    with serve(cache_dir=media_cache, markup="plain") as s:
        yield s


def soup(body: str) -> BeautifulSoup:
    return BeautifulSoup(body, "html.parser")


def case(role: str) -> WorkSpec:
    return find_work(CAT, SPECIAL_CASES[role])


def page(site: MiniSite, work: WorkSpec, ri: int | None = None) -> BeautifulSoup:
    r = fetch(site.work_url(work.slug, ri))
    assert r.status == 200
    return soup(r.text)


def norm(text: str) -> str:
    return " ".join(text.split())


def main_text(doc: BeautifulSoup, sep: str = " ") -> str:
    main = doc.select_one("main")
    assert isinstance(main, Tag)
    return norm(main.get_text(sep))


def text_of(el: Tag | None) -> str:
    assert el is not None
    for sup in el.select("sup"):
        sup.decompose()  # what a crawler should do: footnote marks are not text
    return norm(el.get_text())


# ---------------------------------------------------------------------------------------------- default markup


def test_work_page_contract(site: MiniSite) -> None:
    work = case("second_recording")
    doc = page(site, work)
    assert doc.title is not None and doc.title.string == f"{work.composer}: {work.title} | EarSense"
    assert doc.select_one('link[rel="canonical"]')["href"] == site.base_url + work.url_path  # type: ignore[index]
    main = doc.select_one("main")
    assert main is not None
    assert [c["class"][0] for c in main.find_all(recursive=False)] == ["work-header", "work-article", "recordings", "glossary"]
    assert text_of(doc.select_one(".work-header .work-composer a.composer-name")) == work.composer
    assert text_of(doc.select_one(".work-composer .composer-dates")) == "(1732-1809)"
    assert text_of(doc.select_one("h1.work-title")) == work.title
    assert text_of(doc.select_one("p.work-instrumentation")) == "(for 2 violins, viola and cello)"
    assert [text_of(dt) for dt in doc.select("dl.work-facts dt")] == [f"{k}:" for k, _ in work.facts()]
    assert text_of(doc.select_one("dd.fact-died")) == "May 31, 1809, Vienna (age 77)"
    assert text_of(doc.select_one("dd.fact-composed")) == "1797 (age 64-65)"
    assert text_of(doc.select_one("dd.fact-duration")) == "3 minutes (approximately)"
    assert text_of(doc.select_one("dd.fact-dedication")) == "Count Joseph Erdődy"
    article = doc.select_one("article.work-article")
    assert article is not None and not article.select("h2, h3, .article-author")
    assert len(article.select("sup.fn")) == 1 and article.select_one("em") is not None
    paras = article.find_all("p", recursive=False)
    assert [text_of(p) for p in paras] == list(work.article_plain() or ())
    assert text_of(paras[0]).startswith("“") and text_of(paras[1]).startswith("—Anna Weber writing in")
    assert text_of(paras[-1]) == "© Edition Grünwald. Used by permission."
    assert [a["href"] for a in article.select("a.glossary-term")] == ["#gl-coda", "#gl-minuet"]
    assert text_of(doc.select_one("section.recordings h2.recordings-count")) == "2 recordings, 2 videos"
    recs = doc.select("section.recordings div.recording")
    assert [r["data-ri"] for r in recs] == ["0", "1"]
    assert not doc.select(".recording-duration") and not doc.select(".is-selected, .now-playing")
    tracks = recs[0].select("ol.tracks li.track")
    assert [(text_of(t.select_one(".track-duration")), text_of(t.select_one(".track-title"))) for t in tracks] == [
        ("0:50", "I. Allegretto – Allegro"), ("1:04", "II. Largo. Cantabile e mesto"),
        ("0:42", "III. Menuetto. Allegro – Trio"), ("0:46", "IV. Finale. Presto")]
    assert [text_of(t) for t in recs[1].select(".track-title")] == [
        "1. Allegretto", "2. Largo cantabile e mesto", "3. Menuetto (Allegro)", "4. Presto"]
    srcs = [i["src"] for i in doc.select("li.track iframe.video-embed")]
    assert srcs == [f"{site.base_url}/embed/{v.video_id}" for v in videos_of(work)]
    assert [a["href"] for a in doc.select("a.recording-select")] == [work.ri_path(0), work.ri_path(1)]
    glossary = doc.select_one("section.glossary")
    assert glossary is not None and text_of(glossary.select_one("h2")) == "glossary"
    assert [dt["id"] for dt in glossary.select("dt")] == ["gl-string-quartet", "gl-coda", "gl-minuet", "gl-largo"]
    assert text_of(glossary.select_one("dt")) == "string quartet, Streichquartett [G], quatuor à cordes [F]"
    assert norm(glossary.select("dd")[1].get_text()) == (
        "—a closing section that rounds a movement off after its main material is done. explore")
    assert not doc.select("section.composer-bio, section.movement-list, .work-meta, section.footnotes")


def test_visible_text_reads_top_to_bottom(site: MiniSite) -> None:
    text = main_text(page(site, case("second_recording")))
    expected = [
        "Joseph Haydn (1732-1809)", "String Quartet in D major, Op. 76 No. 5", "(for 2 violins, viola and cello)",
        "Nationality: Austrian", "Born: March 31, 1732, Rohrau", "Died: May 31, 1809, Vienna (age 77)",
        "Duration: 3 minutes (approximately)", "Composed: 1797 (age 64-65)", "Published: 1799, Vienna",
        "Dedication: Count Joseph Erdődy", "“No other quartet", "—Anna Weber writing in her Guide to the String Quartet.",
        "Joseph Haydn was born in the village of Rohrau", "The opening Allegretto", "© Edition Grünwald.",
        "2 recordings, 2 videos", "Aurora String Quartet", "0:50 I. Allegretto – Allegro", "1:04 II. Largo. Cantabile",
        "Quartetto Lumen", "0:50 1. Allegretto", "glossary",
        "string quartet, Streichquartett [G], quatuor à cordes [F] —a work for two violins",
    ]
    positions = [text.find(e) for e in expected]
    assert -1 not in positions, [e for e, p in zip(expected, positions, strict=True) if p < 0]
    assert positions == sorted(positions)


@pytest.mark.parametrize("work", CAT, ids=lambda w: w.slug)
def test_every_page_shows_the_catalogue(site: MiniSite, work: WorkSpec) -> None:
    doc = page(site, work)
    facts = dict(zip([text_of(dt).rstrip(":") for dt in doc.select("dl.work-facts dt")],
                     [text_of(dd) for dd in doc.select("dl.work-facts dd")], strict=True))
    assert facts == dict(work.facts())
    assert text_of(doc.select_one(".work-composer")) == f"{work.composer} {work.composer_dates}"
    if work.article is None:
        assert not doc.select("article.work-article")
    else:
        paras = doc.select("article.work-article > p")
        for p, sentences in zip(paras, work.article_sentences() or (), strict=True):
            assert text_of(p) == " ".join(s.text for s in sentences)
    recs = doc.select("div.recording")
    assert text_of(doc.select_one("h2.recordings-count")) == work.recordings_header()
    assert len(recs) == len(work.recordings)
    for ri, (rec, block) in enumerate(zip(work.recordings, recs, strict=True)):
        assert block["data-ri"] == str(ri) and text_of(block.select_one(".performers")) == rec.performers
        listed = [(text_of(t.select_one(".track-title")), text_of(t.select_one(".track-duration")))
                  for t in block.select("li.track")]
        assert listed == [(title, clock(d)) for title, d in work.listed_movements(ri)]
        n_frames = len(block.select("iframe"))
        assert n_frames == {"tracks": len(work.movements), "whole": 1, "none": 0}[rec.layout]
        if not rec.listed:
            assert text_of(block.select_one(".recording-duration")) == clock(work.recording_total_s(ri))
        else:
            assert not block.select(".recording-duration")
    assert [dt["id"] for dt in doc.select("section.glossary dt")] == [f"gl-{e.term.lower().replace(' ', '-')}"
                                                                     for e in work.glossary]


def test_track_durations_are_the_synthesized_durations(site: MiniSite) -> None:
    for work in CAT:
        doc = page(site, work)
        for ri, block in enumerate(doc.select("div.recording")):
            durations = [text_of(t) for t in block.select(".track-duration")]
            videos = [v for v in videos_of(work) if v.recording_index == ri]
            if work.recordings[ri].layout == "tracks":
                assert durations == [clock(v.duration_s) for v in videos]
            elif work.recordings[ri].layout == "whole" and durations:
                video = videos[0]
                assert durations == [clock(m.duration_s) for m in video.movements]
                starts = [sum(m.duration_s + video.gap_s for m in video.movements[:i]) for i in range(len(video.movements))]
                assert list(video.movement_starts_s) == starts  # listed durations + gaps give the true starts


# ---------------------------------------------------------------------------------------------- plain markup


def class_names(doc: BeautifulSoup) -> set[str]:
    return {c for el in doc.find_all(class_=True) for c in el["class"]}


@pytest.mark.parametrize("work", CAT, ids=lambda w: w.slug)
def test_plain_markup_shows_the_same_text_without_profile_classes(site: MiniSite, plain_site: MiniSite,
                                                                 work: WorkSpec) -> None:
    for ri in (None, *range(len(work.recordings))):
        default, plain = page(site, work, ri), page(plain_site, work, ri)
        assert main_text(plain) == main_text(default)
        assert main_text(plain, "") == main_text(default, "")
        assert not class_names(plain) & set(PROFILE_CLASSES)
        assert not plain.select("dl, dt, dd, [data-ri]")
        assert [i["src"].replace(plain_site.base_url, "") for i in plain.select("iframe")] == [
            i["src"].replace(site.base_url, "") for i in default.select("iframe")]
        assert [a["href"] for a in plain.select("main a")] == [a["href"] for a in default.select("main a")]
        canonical = plain.select_one('link[rel="canonical"]')
        assert canonical is not None and canonical["href"] == plain_site.base_url + work.url_path
    assert class_names(default) & {"work-title", "work-facts", "recording"}


def test_plain_listing_pages_keep_links_but_drop_profile_classes(plain_site: MiniSite) -> None:
    for path in ("/chamber-music/", "/chamber-music/?page=2", f"/composer/{CAT[0].composer_slug}/", "/"):
        doc = soup(fetch(plain_site.base_url + path).text)
        assert not class_names(doc) & set(PROFILE_CLASSES), path
    index = soup(fetch(plain_site.start_url).text)
    assert index.select_one('a[rel="next"]')["href"] == "/chamber-music/?page=2"  # type: ignore[index]
    assert len([a for a in index.select("main a") if a["href"].startswith("/chamber-music/") and a["href"].count("/") == 3]) == 8


# ---------------------------------------------------------------------------------------------- URL forms


def test_ri_variant_has_canonical_and_selection(site: MiniSite) -> None:
    work = case("second_recording")
    base_page = fetch(site.work_url(work.slug))
    ri = fetch(site.work_url(work.slug, 1))
    assert ri.status == 200 and ri.headers["etag"] != base_page.headers["etag"]
    doc = soup(ri.text)
    assert doc.select_one('link[rel="canonical"]')["href"] == site.work_url(work.slug)  # type: ignore[index]
    recs = doc.select("div.recording")
    assert [r["data-ri"] for r in recs] == ["1", "0"]  # the selected recording first
    assert "is-selected" in recs[0]["class"]
    assert text_of(doc.select_one("p.now-playing")) == "Now playing: Quartetto Lumen"
    assert main_text(doc).replace("Now playing: Quartetto Lumen ", "") != main_text(soup(base_page.text))
    for bad in ("2", "x", "-1"):
        assert fetch(site.work_url(work.slug) + f"?ri={bad}").status == 404


def test_every_url_form_is_served_and_points_to_the_work(site: MiniSite) -> None:
    for work in CAT:
        forms = site.url_forms(work.slug)
        assert len(forms["ri"]) == len(work.recordings) and len(forms["article"]) == (work.article is not None)
        for kind, urls in forms.items():
            for url in urls:
                r = fetch(url)
                assert r.status == 200, url
                doc = soup(r.text)
                canonical = doc.select_one('link[rel="canonical"]')
                links = {a["href"] for a in doc.select("main a")}
                if kind == "pkey" and work.pkey_view != "canonical":
                    assert canonical is None
                    assert (work.url_path in links) == (work.pkey_view == "link"), url
                    if work.pkey_view == "bare":
                        assert work.slug not in r.text and work.article_slug not in r.text
                else:
                    assert canonical is not None and canonical["href"] == site.work_url(work.slug), url
                if kind in ("article", "pkey") and work.pkey_view == "canonical":
                    assert work.url_path in links, url


def test_article_view(site: MiniSite) -> None:
    work = case("article_out_of_order")
    url = site.article_url(work.slug)
    assert url == f"{site.base_url}/article/Debussy-String-Quartet-Op10/"
    doc = soup(fetch(url).text)
    paras = [text_of(p) for p in doc.select("main p")]
    assert all(p in paras for p in work.article_plain() or ())
    assert not doc.select(".work-header, .recordings, iframe")
    assert site.article_url(SPECIAL_CASES["no_article"]) is None
    r = fetch(url.rstrip("/"))
    assert r.status == 301 and r.headers["location"] == "/article/Debussy-String-Quartet-Op10/"
    assert fetch(f"{site.base_url}/article/No-Such-Article/").status == 404


def test_pkey_pages(site: MiniSite) -> None:
    bare = case("pkey_unresolvable")
    assert site.pkey_url(bare.slug) == f"{site.base_url}/chamberbase/works/detail/?pkey={bare.pkey}"
    doc = soup(fetch(site.pkey_url(bare.slug)).text)
    assert bare.title in doc.get_text() and doc.select_one('link[rel="canonical"]') is None
    assert fetch(f"{site.base_url}/chamberbase/works/detail/?pkey=1").status == 404
    assert fetch(f"{site.base_url}/chamberbase/works/detail/").status == 404
    assert fetch(f"{site.base_url}/chamberbase/works/detail/?pkey=abc").status == 404


def test_a_crawl_meets_every_url_form(site: MiniSite) -> None:
    """Blog, composer and work pages link article, pkey and ?ri pages (the forms a crawler must collapse)."""
    linked: set[str] = set()
    blog = soup(fetch(site.base_url + "/blog/").text)
    for a in blog.select("a.post-link"):
        linked |= {x["href"] for x in soup(fetch(site.base_url + a["href"]).text).select("main a")}
    for slug in {w.composer_slug for w in CAT}:
        linked |= {x["href"] for x in soup(fetch(f"{site.base_url}/composer/{slug}/").text).select("main a")}
    for w in CAT:
        linked |= {x["href"] for x in page(site, w).select("a.recording-select")}
    for role in ("pkey_unresolvable", "pkey_link_only", "second_recording"):
        assert case(role).pkey_path in linked, role
    assert all(w.article_path in linked for w in CAT if w.article_path)
    assert all(w.ri_path(ri) in linked for w in CAT for ri in range(len(w.recordings)))


def test_glossary_page_holds_every_explored_entry(site: MiniSite) -> None:
    glossary = soup(fetch(site.base_url + "/glossary/").text)
    ids = {dt["id"] for dt in glossary.select("dt")}
    explored = {a["href"].split("#")[1] for w in CAT for a in page(site, w).select("section.glossary a")}
    assert explored and explored <= ids
    assert all(re.fullmatch(r"gl-[a-z0-9-]+", i) for i in ids)
