"""Spotify track lists through real spotipy against the local Web API (devservers.spotify_api)."""

from __future__ import annotations

import time

import pytest
import requests
import spotipy
from spotipy.oauth2 import SpotifyOauthError

import earsense_m2t.acquire.spotify as spotify_mod
from earsense_m2t.acquire.spotify import (
    SpotifyLookupError,
    SpotifyTrack,
    find_work_tracks,
    movement_titles_from_tracks,
    spotify_client,
    verify_durations,
)
from earsense_m2t.offline.devservers.spotify_api import ALBUMS, serve_spotify
from earsense_m2t.schemas import Work

ENV = ("SPOTIPY_CLIENT_ID", "SPOTIPY_CLIENT_SECRET", "EARSENSE_SPOTIFY_API_PREFIX", "EARSENSE_SPOTIFY_TOKEN_URL")


def _work(slug: str, title: str, composer: str, catalogue: str | None = None, key: str | None = None,
          mode: str | None = None) -> Work:
    return Work(id=slug, url=f"https://www.earsense.org/chamber-music/{slug}/", title=title, composer=composer,
                fetched_at="2025-01-01T00:00:00Z", page_sha256="0" * 64, catalogue=catalogue, key=key, mode=mode)


MOLIQUE = _work("Bernhard-Molique-String-Quartet-No-8-in-A-major-Op-44", "String Quartet No. 8 in A major, Op. 44",
                "Bernhard Molique", "Op. 44", "A", "major")
ONSLOW = _work("George-Onslow-String-Quintet-No-15-in-C-minor-Op-38", "String Quintet No. 15 in C minor, Op. 38",
               "George Onslow", "Op. 38", "C", "minor")
HAYDN = _work("Joseph-Haydn-String-Quartet-in-D-major-Op-76-No-5", "String Quartet in D major, Op. 76 No. 5",
              "Joseph Haydn", "Op. 76 No. 5", "D", "major")
BEACH = _work("Amy-Beach-Three-Pieces-for-Wind-Quintet", "Three Pieces for Wind Quintet", "Amy Beach")


@pytest.fixture(autouse=True)
def _no_ambient_credentials(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def api():
    with serve_spotify() as server:
        yield server


@pytest.fixture
def sp(api):
    client = spotify_client(client_id=api.client_id, client_secret=api.client_secret, api_prefix=api.api_prefix,
                            token_url=api.token_url)
    assert client is not None
    return client


# ---- credentials -----------------------------------------------------------------------------------

def test_no_credentials_is_none_without_any_request(api, monkeypatch):
    asked: list[str] = []
    monkeypatch.setattr(spotify_mod, "_prefect_secret", lambda name: asked.append(name))

    def no_network(*args, **kwargs):
        raise AssertionError("no request may be made without credentials")

    monkeypatch.setattr(requests.Session, "request", no_network)
    assert spotify_client() is None
    assert asked == []  # without a client id the secret is not even looked up
    assert spotify_client(client_id="only-an-id") is None
    assert asked == ["spotify-client-secret"]
    assert api.requests == []


def test_prefect_secret_needs_a_configured_api(monkeypatch):
    import prefect.settings

    class _Unset:
        class api:  # noqa: N801 - mirrors settings.api
            url = None

    monkeypatch.setattr(prefect.settings, "get_current_settings", lambda: _Unset)
    assert spotify_mod._prefect_secret("spotify-client-secret") is None


def test_secret_from_prefect_block_with_env_id(api, monkeypatch):
    monkeypatch.setenv("SPOTIPY_CLIENT_ID", api.client_id)
    monkeypatch.setattr(spotify_mod, "_prefect_secret", lambda name: api.client_secret)
    client = spotify_client(api_prefix=api.api_prefix, token_url=api.token_url)
    assert client is not None and client.search("Molique", type="album")["albums"]["total"] >= 1


def test_credentials_and_endpoints_from_environment(api, monkeypatch):
    monkeypatch.setenv("SPOTIPY_CLIENT_ID", api.client_id)
    monkeypatch.setenv("SPOTIPY_CLIENT_SECRET", api.client_secret)
    monkeypatch.setenv("EARSENSE_SPOTIFY_API_PREFIX", api.api_prefix.rstrip("/"))
    monkeypatch.setenv("EARSENSE_SPOTIFY_TOKEN_URL", api.token_url)
    client = spotify_client()
    assert client is not None and client.prefix == api.api_prefix
    assert [t.number for t in find_work_tracks(client, MOLIQUE)] == [1, 2, 3, 4]


def test_token_is_fetched_once_and_sent_as_bearer(api, sp):
    sp.search("Onslow", type="track")
    sp.search("Haydn", type="album")
    sp.album(ALBUMS[0].id)
    tokens = [r for r in api.requests if r.path == "/api/token"]
    assert len(tokens) == 1 and tokens[0].method == "POST" and tokens[0].headers["authorization"].startswith("Basic ")
    calls = [r for r in api.requests if r.path.startswith("/v1/")]
    assert len(calls) == 3 and all(r.status == 200 for r in calls)
    assert {r.headers["authorization"] for r in calls} == {f"Bearer {t}" for t in api.tokens}


def test_wrong_secret_fails_at_the_token_endpoint(api):
    client = spotify_client(client_id=api.client_id, client_secret="wrong", api_prefix=api.api_prefix,
                            token_url=api.token_url)
    with pytest.raises(SpotifyOauthError, match="invalid_client"):
        client.search("Molique")
    assert not any(r.path.startswith("/v1/") for r in api.requests)


def test_401_without_token_names_the_endpoint(api):
    bare = spotipy.Spotify(requests_session=True)  # no auth manager, no token
    bare.prefix = api.api_prefix
    with pytest.raises(spotipy.SpotifyException) as err:
        bare.search("Molique")
    assert err.value.http_status == 401
    assert f"{api.base_url}/v1/search" in str(err.value) and "No token provided" in str(err.value)
    with pytest.raises(SpotifyLookupError) as err2:
        find_work_tracks(bare, MOLIQUE)
    assert MOLIQUE.id in str(err2.value) and f"{api.base_url}/v1/search" in str(err2.value)


def test_429_is_retried_after_retry_after(api, sp):
    track_id = ALBUMS[0].track_id(0)
    sp.track(track_id)  # token fetched, one clean call
    api.rate_limit(times=1, retry_after=1)
    t0 = time.monotonic()
    track = sp.track(track_id)
    assert time.monotonic() - t0 >= 0.9  # spotipy's urllib3 retry honoured Retry-After
    assert track["name"] == ALBUMS[0].tracks[0][0] and track["album"]["id"] == ALBUMS[0].id
    statuses = [r.status for r in api.requests if r.path.startswith(f"/v1/tracks/{track_id}")]
    assert statuses == [200, 429, 200]


# ---- the Web API's shapes ----------------------------------------------------------------------------

def test_album_and_track_shapes_and_paging(sp):
    haydn = ALBUMS[2]
    album = sp.album(haydn.id)
    assert album["name"] == haydn.name and album["tracks"]["total"] == 12 and album["tracks"]["next"] is None
    page = sp.album_tracks(haydn.id, limit=5)
    names = [t["name"] for t in page["items"]]
    while page["next"]:
        page = sp.next(page)
        names += [t["name"] for t in page["items"]]
    assert names == [name for name, _ in haydn.tracks]
    result = sp.search("Molique String Quartet", limit=2, type="album,track")
    assert set(result) == {"albums", "tracks"}
    assert result["tracks"]["limit"] == 2 and len(result["tracks"]["items"]) == 2 and result["tracks"]["next"]
    more = sp.next(result["tracks"])
    assert set(more) == {"tracks"} and more["tracks"]["offset"] == 2
    with pytest.raises(spotipy.SpotifyException) as err:
        sp.album("0000000000000000000000")
    assert err.value.http_status == 404


# ---- work -> tracks -> movement titles ---------------------------------------------------------------

@pytest.mark.parametrize(("work", "album", "titles", "durations"), [
    (MOLIQUE, 0, ["Allegro moderato", "Andante", "Scherzo. Presto – Trio", "Finale. Allegro vivace"],
     [598.0, 512.0, 305.0, 433.0]),
    (ONSLOW, 1, ["Allegro moderato e molto espressivo", "Menuetto. Allegro energico", "Andante sostenuto",
                 "Finale. Allegro"], [602.0, 318.0, 457.0, 371.0]),
    (HAYDN, 2, ["Allegretto - Allegro", "Largo. Cantabile e mesto", "Menuetto. Allegro", "Finale. Presto"],
     [290.0, 520.0, 205.0, 225.0]),
])
def test_find_work_tracks(sp, work, album, titles, durations):
    tracks = find_work_tracks(sp, work)
    assert [t.number for t in tracks] == list(range(1, len(titles) + 1))
    assert {t.album_id for t in tracks} == {ALBUMS[album].id}  # the work's album, not the compilation
    assert movement_titles_from_tracks(tracks) == titles
    assert [t.duration_s for t in tracks] == durations
    assert all(t.url == f"https://open.spotify.com/track/{t.track_id}" for t in tracks)


def test_work_not_on_spotify_is_empty(sp):
    assert find_work_tracks(sp, BEACH) == []


@pytest.mark.parametrize(("name", "title"), [
    ("String Quartet No. 8 in A Major, Op. 44: I. Allegro moderato", "Allegro moderato"),
    ("Molique: String Quartet No. 8 in A Major, Op. 44: III. Scherzo. Presto – Trio", "Scherzo. Presto – Trio"),
    ("String Quartet in D Major, Op. 76 No. 5, Hob. III:79: II. Largo. Cantabile e mesto", "Largo. Cantabile e mesto"),
    ('String Quintet No. 15 in C Minor, Op. 38 "De la balle": IV. Finale. Allegro (Live)', "Finale. Allegro"),
    ("Piano Sonata No. 8 in C Minor, Op. 13 \"Pathétique\": III. Rondo. Allegro - Remastered 2015", "Rondo. Allegro"),
    ("Fünf Stücke im Volkston, Op. 102: No. 1, Vanitas vanitatum. Mit Humor", "Vanitas vanitatum. Mit Humor"),
    ("Clarinet Quintet in A Major, K. 581: 4. Allegretto con variazioni", "Allegretto con variazioni"),
    ("II. Andante, ma moderato", "Andante, ma moderato"),
    ("Intermezzo poco vivace", "Intermezzo poco vivace"),
])
def test_movement_titles_from_track_names(name, title):
    assert movement_titles_from_tracks([name]) == [title]


def _tracks(durations):
    return [SpotifyTrack(number=i + 1, title=f"T{i}", duration_s=d, album_id="A", track_id=f"t{i}", url="u")
            for i, d in enumerate(durations)]


@pytest.mark.parametrize(("segments", "spotify", "tolerance", "expected"), [
    ([600.0, 500.0, 300.0], [598.0, 512.0, 305.0], 0.15, [True, True, True]),
    ([690.0, 420.0], [600.0, 512.0], 0.15, [True, False]),  # +15 % is in, -18 % is out
    ([100.0, 700.0], [598.0, 512.0], 0.15, [False, False]),  # cut at the wrong place
    ([560.0], [600.0], 0.05, [False]),
    ([], [], 0.15, []),
])
def test_verify_durations(segments, spotify, tolerance, expected):
    assert verify_durations(segments, _tracks(spotify), tolerance) == expected


def test_verify_durations_needs_one_segment_per_track():
    with pytest.raises(ValueError, match="3 segments for 2 Spotify tracks"):
        verify_durations([1.0, 2.0, 3.0], _tracks([1.0, 2.0]))
