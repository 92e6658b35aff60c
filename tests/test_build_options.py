"""The build's options, checked up front (table-driven)."""

import pytest

from earsense_m2t.build_options import BadOption, check_search, check_site

GOOD_SITES = ["embedded", "https://www.earsense.org/chamber-music/", "http://127.0.0.1:8000/chamber-music/"]
BAD_SITES = [("ftp://x.org/", "not an http\\(s\\) URL"), ("www.earsense.org", "not an http\\(s\\) URL"),
             ("https://u:pw@x.org/", "credentials"), ("http://x.org:99999/", "not a valid URL"), ("", "not an http\\(s\\) URL")]
GOOD_SEARCH = ["auto", "off", "none", "", "ytsearch{n}:{query}", "http://127.0.0.1:9/search?q={query}&n={n}",
               "ytsearch5:{query}"]
BAD_SEARCH = [("ytsearch{count}:{query}", "only {n} and {query}"), ("ytsearch8:{title}", "no {query}"),
              ("ytsearch{n:{query}", "not a valid template"), ("{0}{query}", "only {n} and {query}")]


@pytest.mark.parametrize("site", GOOD_SITES)
def test_good_sites(site):
    check_site(site)


@pytest.mark.parametrize("site, message", BAD_SITES)
def test_bad_sites(site, message):
    with pytest.raises(BadOption, match=message) as err:
        check_site(site)
    assert err.value.option == "--site" and "pw@" not in str(err.value)


@pytest.mark.parametrize("search", GOOD_SEARCH)
def test_good_search(search):
    check_search(search)


@pytest.mark.parametrize("search, message", BAD_SEARCH)
def test_bad_search(search, message):
    with pytest.raises(BadOption, match=message.replace("{", r"\{").replace("}", r"\}")):
        check_search(search)
