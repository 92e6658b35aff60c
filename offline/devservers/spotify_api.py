"""A local Spotify Web API: the client-credentials token endpoint and the read endpoints spotipy calls
for track lists, answering in the Web API's JSON shapes (paging objects, simplified/full album and
track objects, ``{"error": {"status", "message"}}`` bodies).

Point spotipy at it with ``Spotify.prefix = api.api_prefix`` and
``SpotifyClientCredentials.OAUTH_TOKEN_URL = api.token_url`` (``earsense_m2t.acquire.spotify.spotify_client`` does
both when given ``api_prefix``/``token_url``).

- ``POST /api/token`` — HTTP Basic client id/secret + ``grant_type=client_credentials`` →
  ``{"access_token", "token_type": "Bearer", "expires_in": 3600}``; 400 ``invalid_client`` otherwise.
- ``GET /v1/search?q=&type=album,track&limit=&offset=`` — word-overlap search (field filters such as
  ``album:`` are read as plain words), best first, with paging; each paging object's ``next`` asks
  for its own type only (``query=…&type=track``), so following it returns ``{"tracks": {...}}``.
- ``GET /v1/albums/{id}``, ``GET /v1/albums/{id}/tracks``, ``GET /v1/tracks/{id}``.
- Every ``/v1`` call needs ``Authorization: Bearer <issued token>``: 401 without one.
- ``rate_limit(times, retry_after)`` makes the next ``times`` ``/v1`` calls answer 429 with
  ``Retry-After`` (spotipy's urllib3 retry waits and retries).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack
from urllib.parse import parse_qs, urlencode, urlsplit

from earsense_m2t.offline.devservers import LocalServer, QuietHandler

JSON = "application/json; charset=utf-8"
MAX_LIMIT = 50
SEARCH_TYPES = frozenset({"album", "track", "artist", "playlist", "show", "episode", "audiobook"})
TOKEN_TTL_S = 3600
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def spotify_id(seed: str) -> str:
    """A stable 22-character base62 id, the shape spotipy's id parser accepts."""
    n = int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest()[:17], "big")
    out = []
    for _ in range(22):
        n, r = divmod(n, 62)
        out.append(_B62[r])
    return "".join(out)


@dataclass(frozen=True)
class AlbumSpec:
    name: str
    artists: tuple[str, ...]
    release_date: str
    tracks: tuple[tuple[str, int], ...]  # (track name as released, duration in ms)
    label: str = "Devserver Classics"

    @property
    def id(self) -> str:
        return spotify_id(f"album:{self.name}")

    def track_id(self, index: int) -> str:
        return spotify_id(f"track:{self.name}:{index}")


def _work(prefix: str, movements: Sequence[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    numerals = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII")
    return tuple((f"{prefix}: {numerals[i]}. {title}", ms) for i, (title, ms) in enumerate(movements))


# Three releases with several works each, named the way classical labels name tracks, and one
# compilation that holds a single movement (a search hit that is not the work's album).
ALBUMS: tuple[AlbumSpec, ...] = (
    AlbumSpec(
        "Molique: String Quartets Nos. 7 & 8", ("Halden Quartet", "Bernhard Molique"), "2019-03-08",
        _work("String Quartet No. 7 in B-Flat Major, Op. 42", [
            ("Allegro", 612_000), ("Adagio", 455_000), ("Menuetto. Allegretto", 301_000),
            ("Finale. Presto", 398_000)])
        + _work("String Quartet No. 8 in A Major, Op. 44", [
            ("Allegro moderato", 598_000), ("Andante", 512_000), ("Scherzo. Presto – Trio", 305_000),
            ("Finale. Allegro vivace", 433_000)]),
    ),
    AlbumSpec(
        "Onslow: String Quintets Nos. 15 & 16", ("Quintette Arven", "George Onslow"), "2021-10-01",
        _work('String Quintet No. 15 in C Minor, Op. 38 "De la balle"', [
            ("Allegro moderato e molto espressivo", 602_000), ("Menuetto. Allegro energico", 318_000),
            ("Andante sostenuto", 457_000), ("Finale. Allegro (Live)", 371_000)])
        + _work("String Quintet No. 16 in G Major, Op. 39", [
            ("Allegro non troppo", 640_000), ("Minuetto", 290_000), ("Adagio", 480_000),
            ("Finale. Allegro vivace", 350_000)]),
    ),
    AlbumSpec(
        "Haydn: String Quartets, Op. 76 Nos. 4-6", ("Aurora String Quartet", "Joseph Haydn"), "2018-06-15",
        _work('String Quartet in B-Flat Major, Op. 76 No. 4, Hob. III:78 "Sunrise"', [
            ("Allegro con spirito", 470_000), ("Adagio", 390_000), ("Menuetto. Allegro", 240_000),
            ("Finale. Allegro ma non troppo", 280_000)])
        + _work("String Quartet in D Major, Op. 76 No. 5, Hob. III:79", [
            ("Allegretto - Allegro", 290_000), ("Largo. Cantabile e mesto", 520_000),
            ("Menuetto. Allegro", 205_000), ("Finale. Presto", 225_000)])
        + _work("String Quartet in E-Flat Major, Op. 76 No. 6, Hob. III:80", [
            ("Allegretto - Allegro", 560_000), ("Fantasia. Adagio", 420_000),
            ("Menuetto. Presto", 245_000), ("Finale. Allegro spiritoso", 270_000)]),
    ),
    AlbumSpec(
        "Chamber Music for a Quiet Evening", ("Various Artists",), "2022-01-14",
        (("String Quartet No. 8 in A Major, Op. 44: II. Andante", 512_000),
         ("Clarinet Quintet in A Major, K. 581: II. Larghetto", 401_000),
         ("Piano Trio No. 1 in B Major, Op. 8: III. Adagio", 532_000)),
        label="Mood Compilations",
    ),
)


def _words(text: str) -> set[str]:
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()
    plain = re.sub(r"\b(album|artist|track|year|genre):", " ", plain)
    return {w.removesuffix("s") if len(w) > 3 else w
            for w in re.split(r"[^0-9a-z]+", plain) if len(w) > 2 or w.isdigit()}


class SpotifyAPI(LocalServer):
    """The running API. ``client_id``/``client_secret`` are the credentials the token endpoint accepts."""

    def __init__(self, albums: Sequence[AlbumSpec] = ALBUMS, *, client_id: str = "devserver-client",
                 client_secret: str = "devserver-secret", host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.albums = tuple(albums)
        self.client_id, self.client_secret = client_id, client_secret
        self.tokens: set[str] = set()
        self._rate_limits: list[int] = []  # Retry-After seconds of the next 429 answers
        self._rl_lock = threading.Lock()
        self.handler = _Handler

    @property
    def api_prefix(self) -> str:
        return f"{self.base_url}/v1/"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/api/token"

    def rate_limit(self, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``times`` API calls with 429 and ``Retry-After: retry_after``."""
        with self._rl_lock:
            self._rate_limits.extend([retry_after] * times)

    def take_rate_limit(self) -> int | None:
        with self._rl_lock:
            return self._rate_limits.pop(0) if self._rate_limits else None

    # ---- JSON objects in the Web API's shapes ------------------------------------------------------
    def _album_simple(self, album: AlbumSpec) -> dict[str, Any]:
        return {
            "album_type": "album", "total_tracks": len(album.tracks), "available_markets": ["DE", "GB", "US"],
            "external_urls": {"spotify": f"https://open.spotify.com/album/{album.id}"},
            "href": f"{self.base_url}/v1/albums/{album.id}", "id": album.id, "images": [],
            "name": album.name, "release_date": album.release_date, "release_date_precision": "day",
            "type": "album", "uri": f"spotify:album:{album.id}", "artists": self._artists(album.artists),
        }

    def _artists(self, names: Sequence[str]) -> list[dict[str, Any]]:
        return [{"external_urls": {"spotify": f"https://open.spotify.com/artist/{spotify_id(n)}"},
                 "href": f"{self.base_url}/v1/artists/{spotify_id(n)}", "id": spotify_id(n), "name": n,
                 "type": "artist", "uri": f"spotify:artist:{spotify_id(n)}"} for n in names]

    def _track_simple(self, album: AlbumSpec, index: int) -> dict[str, Any]:
        name, ms = album.tracks[index]
        tid = album.track_id(index)
        return {
            "artists": self._artists(album.artists), "available_markets": ["DE", "GB", "US"],
            "disc_number": 1, "duration_ms": ms, "explicit": False,
            "external_urls": {"spotify": f"https://open.spotify.com/track/{tid}"},
            "href": f"{self.base_url}/v1/tracks/{tid}", "id": tid, "is_local": False, "name": name,
            "preview_url": None, "track_number": index + 1, "type": "track", "uri": f"spotify:track:{tid}",
        }

    def _track_full(self, album: AlbumSpec, index: int) -> dict[str, Any]:
        return {**self._track_simple(album, index), "album": self._album_simple(album),
                "external_ids": {"isrc": f"XX{spotify_id(album.track_id(index))[:10].upper()}"}, "popularity": 12}

    def _paging(self, path: str, params: dict[str, str], items: list[Any], total: int, limit: int, offset: int) -> dict[str, Any]:
        def href(off: int) -> str:
            return f"{self.base_url}{path}?{urlencode({**params, 'offset': off, 'limit': limit})}"

        return {"href": href(offset), "items": items, "limit": limit, "offset": offset, "total": total,
                "next": href(offset + limit) if offset + limit < total else None,
                "previous": href(max(0, offset - limit)) if offset > 0 else None}

    def album_json(self, album: AlbumSpec) -> dict[str, Any]:
        limit = MAX_LIMIT
        items = [self._track_simple(album, i) for i in range(min(limit, len(album.tracks)))]
        return {**self._album_simple(album), "copyrights": [{"text": f"℗ {album.release_date[:4]} {album.label}", "type": "P"}],
                "external_ids": {"upc": "0" * 12}, "genres": [], "label": album.label, "popularity": 10,
                "tracks": self._paging(f"/v1/albums/{album.id}/tracks", {}, items, len(album.tracks), limit, 0)}

    def find_album(self, album_id: str) -> AlbumSpec | None:
        return next((a for a in self.albums if a.id == album_id), None)

    def find_track(self, track_id: str) -> tuple[AlbumSpec, int] | None:
        return next(((a, i) for a in self.albums for i in range(len(a.tracks)) if a.track_id(i) == track_id), None)

    def search(self, q: str, types: Sequence[str], limit: int, offset: int) -> dict[str, Any]:
        want = _words(q)
        out: dict[str, Any] = {}

        def ranked(pairs: list[tuple[set[str], Any]]) -> list[Any]:
            scored = [(len(want & words) / len(want), i, item) for i, (words, item) in enumerate(pairs)] if want else []
            return [item for s, _, item in sorted(scored, key=lambda x: (-x[0], x[1])) if s >= 0.5]

        if "album" in types:
            hits = ranked([(_words(a.name + " " + " ".join(a.artists)), a) for a in self.albums])
            page = [self._album_simple(a) for a in hits[offset:offset + limit]]
            out["albums"] = self._paging("/v1/search", {"query": q, "type": "album"}, page, len(hits), limit, offset)
        if "track" in types:
            pairs = [(_words(f"{a.tracks[i][0]} {a.name} {' '.join(a.artists)}"), (a, i))
                     for a in self.albums for i in range(len(a.tracks))]
            hits = ranked(pairs)
            page = [self._track_full(a, i) for a, i in hits[offset:offset + limit]]
            out["tracks"] = self._paging("/v1/search", {"query": q, "type": "track"}, page, len(hits), limit, offset)
        return out


def _error(status: int, message: str) -> bytes:
    return json.dumps({"error": {"status": status, "message": message}}).encode("utf-8")


class _Handler(QuietHandler):
    app: SpotifyAPI

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        body = data if isinstance(data, bytes) else json.dumps(data).encode("utf-8")
        self.send_body(status, body, JSON, headers)

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode("utf-8")) if length else {}
        if urlsplit(self.path).path != "/api/token":
            self._json(404, _error(404, "Service not found"))
            return
        if form.get("grant_type", [""])[0] != "client_credentials":
            self._json(400, {"error": "unsupported_grant_type",
                             "error_description": "grant_type parameter is missing or not client_credentials"})
            return
        expected = base64.b64encode(f"{self.app.client_id}:{self.app.client_secret}".encode()).decode()
        if self.headers.get("Authorization", "") != f"Basic {expected}":
            self._json(400, {"error": "invalid_client", "error_description": "Invalid client"})
            return
        token = secrets.token_urlsafe(24)
        self.app.tokens.add(token)
        self._json(200, {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_TTL_S})

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        parts = urlsplit(self.path)
        args = {k: v[0] for k, v in parse_qs(parts.query).items()}
        auth = self.headers.get("Authorization", "")
        if not parts.path.startswith("/v1/"):
            self._json(404, _error(404, "Service not found"))
            return
        if not auth.startswith("Bearer "):
            self._json(401, _error(401, "No token provided"))
            return
        if auth.removeprefix("Bearer ") not in self.app.tokens:
            self._json(401, _error(401, "Invalid access token"))
            return
        wait = self.app.take_rate_limit()
        if wait is not None:
            self._json(429, _error(429, "API rate limit exceeded"), {"Retry-After": str(wait)})
            return
        try:
            limit = int(args.get("limit", 20))
            offset = int(args.get("offset", 0))
        except ValueError:
            self._json(400, _error(400, "Invalid limit or offset"))
            return
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            self._json(400, _error(400, "Invalid limit" if offset >= 0 else "Invalid offset"))
            return
        # spotipy writes some paths with a trailing slash ("albums/{id}/tracks/"); the Web API accepts both
        self._route(parts.path.rstrip("/"), args, limit, offset)

    def _route(self, path: str, args: dict[str, str], limit: int, offset: int) -> None:
        app = self.app
        if path == "/v1/search":
            q = (args.get("q") or args.get("query") or "").strip()  # "next" links say query=, as the Web API's do
            types = [t for t in args.get("type", "").split(",") if t]
            if not q:
                self._json(400, _error(400, "No search query"))
            elif not types or any(t not in SEARCH_TYPES for t in types):
                self._json(400, _error(400, "Missing or invalid parameter type"))
            else:
                self._json(200, app.search(q, types, limit, offset))
            return
        m = re.fullmatch(r"/v1/(albums|tracks)/([0-9A-Za-z]+)(/tracks)?", path)
        if not m:
            self._json(404, _error(404, "Service not found"))
            return
        kind, item_id, sub = m.groups()
        if kind == "albums":
            album = app.find_album(item_id)
            if album is None:
                self._json(404, _error(404, "Non existing id"))
            elif sub:
                items = [app._track_simple(album, i) for i in range(offset, min(offset + limit, len(album.tracks)))]
                self._json(200, app._paging(path, {}, items, len(album.tracks), limit, offset))
            else:
                self._json(200, app.album_json(album))
        elif sub is None:
            found = app.find_track(item_id)
            if found is None:
                self._json(404, _error(404, "Non existing id"))
            else:
                self._json(200, app._track_full(*found))
        else:
            self._json(404, _error(404, "Service not found"))


class Credentials(TypedDict, total=False):
    """The app credentials :func:`serve_spotify` may set (``SpotifyAPI`` has defaults for both)."""

    client_id: str
    client_secret: str


@contextmanager
def serve_spotify(albums: Sequence[AlbumSpec] = ALBUMS, **credentials: Unpack[Credentials]) -> Iterator[SpotifyAPI]:
    with SpotifyAPI(albums, **credentials) as api:
        yield api


__all__ = ["ALBUMS", "AlbumSpec", "SpotifyAPI", "serve_spotify", "spotify_id"]
