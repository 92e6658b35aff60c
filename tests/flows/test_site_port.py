"""The embedded mini site keeps its port per output root: its URLs are in every record and memo key."""

from __future__ import annotations

import logging
import socket
from urllib.parse import urlsplit

from earsense_m2t.config import EMBEDDED_SITE
from earsense_m2t.flows.build import site_for
from earsense_m2t.schemas.layout import OutputLayout
from tests.conftest import share_minisite_caches


def port_of(url: str) -> int | None:
    return urlsplit(url).port


def test_a_second_build_serves_the_site_on_the_first_one_s_port(tmp_path):
    paths = OutputLayout(share_minisite_caches(tmp_path / "out"))
    with site_for(EMBEDDED_SITE, paths) as (first, local):
        assert local
    assert paths.minisite_port.read_text().strip() == str(port_of(first))
    with site_for(EMBEDDED_SITE, paths) as (second, _):
        assert second == first


def test_a_taken_port_falls_back_to_a_free_one_and_says_so(tmp_path, caplog):
    paths = OutputLayout(share_minisite_caches(tmp_path / "out"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        paths.minisite_port.parent.mkdir(parents=True, exist_ok=True)
        paths.minisite_port.write_text(f"{port}\n")
        with caplog.at_level(logging.WARNING, logger="earsense_m2t.flows.build"), \
                site_for(EMBEDDED_SITE, paths) as (url, _):
            assert port_of(url) != port
    assert [r for r in caplog.records if f"port {port} " in r.getMessage() and "taken" in r.getMessage()]
    assert paths.minisite_port.read_text().strip() == str(port_of(url))  # the next build tries this one


def test_a_real_site_is_left_alone(tmp_path):
    paths = OutputLayout(tmp_path / "out")
    with site_for("https://example.org/chamber-music/", paths) as (url, local):
        assert (url, local) == ("https://example.org/chamber-music/", False)
    assert not paths.minisite_port.exists()
