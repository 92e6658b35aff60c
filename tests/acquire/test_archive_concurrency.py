"""The download archive keeps every line when downloads of several works finish at once (the flow runs them in
parallel): each rewrite reads the archive first, so unguarded writers lose each other's lines."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from earsense_m2t.acquire.download import ARCHIVE, _forget_in_archive, _record_in_archive


def test_concurrent_records_keep_every_line(tmp_path):
    identities = [f"https://example.org/media/{i}.ogg" for i in range(200)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda ident: _record_in_archive(tmp_path, ident), identities))
    lines = (tmp_path / ARCHIVE).read_text().splitlines()
    assert len(lines) == len(set(lines)) == 200
    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(lambda ident: _forget_in_archive(tmp_path, ident), identities[:100]))
    assert len((tmp_path / ARCHIVE).read_text().splitlines()) == 100
