"""Movement titles and durations from Spotify, for works whose recordings carry no track list.

Classical releases name tracks "<Work>, <catalogue>: <numeral>. <movement>", so an album that holds the
work shows it as a run of consecutive tracks sharing one work prefix. That run gives the movements in
order (titles with ``title_source="spotify"``) and their studio durations, against which the
segments cut from a recording are checked.

Spotify is optional: without credentials :func:`spotify_client` returns ``None`` and the build reports
"Spotify skipped". Credentials come from the arguments, else ``SPOTIPY_CLIENT_ID`` /
``SPOTIPY_CLIENT_SECRET``, else (with a client id) a Prefect ``Secret`` block named
``spotify-client-secret`` when a Prefect API is configured. ``EARSENSE_SPOTIFY_API_PREFIX`` and
``EARSENSE_SPOTIFY_TOKEN_URL`` point a whole build at a local API (``earsense_m2t.offline.devservers.spotify_api``).
"""

from __future__ import annotations

import base64
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.oauth2 import SpotifyClientCredentials, SpotifyOauthError

from earsense_m2t.acquire.discovery import (
    build_query,
    catalogue_ids,
    key_of,
    title_similarity,
    work_catalogue,
    work_key,
    work_number_set,
    work_numbers,
)
from earsense_m2t.schemas import Failure, Work
from earsense_m2t.schemas.stages import Stage

log = logging.getLogger(__name__)

SECRET_BLOCK = "spotify-client-secret"
ENV_CLIENT_ID = "SPOTIPY_CLIENT_ID"
ENV_CLIENT_SECRET = "SPOTIPY_CLIENT_SECRET"
ENV_API_PREFIX = "EARSENSE_SPOTIFY_API_PREFIX"
ENV_TOKEN_URL = "EARSENSE_SPOTIFY_TOKEN_URL"
SEARCH_LIMIT = 10  # the Web API's search page; more hits are rarely the work
MAX_ALBUMS = 5  # albums whose track lists are fetched per work (each costs a request or more)
ALBUM_PAGE = 50  # the Web API's largest album-tracks page
TITLE_MATCH = 0.8  # share of the work title's words a track prefix needs when no catalogue no. decides
REQUEST_TIMEOUT_S = 10
RETRIES = 3  # spotipy's urllib3 retry honours Retry-After on 429

# "<work>: I. Allegro" — the separator before the first movement numeral, so colons inside the work
# part ("Hob. III:79", "Composer: Work") are not taken for it.
_MOVEMENT_SPLIT = re.compile(r":\s+(?=(?:[IVXLC]+|\d+)[.)]\s|No\.\s*\d+)")
_NUMERAL = re.compile(r"^\s*(?:[IVXLC]+|\d+)\s*[.):\-–]\s*")
_NO_PREFIX = re.compile(r"^\s*No\.\s*\d+\s*[,.:\-–]?\s*")
_ANNOTATION = re.compile(
    r"\s*(?:[(\[](?:live[^)\]]*|(?:\d{4}\s+)?remaster(?:ed)?[^)\]]*|bonus track|single version)[)\]]"
    r"|\s+-\s+(?:live.*|(?:\d{4}\s+)?remaster(?:ed)?.*))\s*$",
    re.IGNORECASE,
)


class SpotifyLookupError(RuntimeError):
    """A Spotify request failed; names the work and what failed, and never carries the credentials.

    ``unreachable`` means every later lookup would fail the same way (no token, no connection), so
    the stage stops asking. The original exception is not chained: requests' and spotipy's errors
    keep the request with its ``Authorization`` header, and a chained cause would travel with it
    into logs and Prefect's state storage.
    """

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


#: what a failed Spotify call can raise: API errors, token errors, transport errors, bad JSON
_CALL_ERRORS: tuple[type[Exception], ...] = (spotipy.SpotifyException, SpotifyOauthError, requests.RequestException,
                                             OSError, ValueError, KeyError, TypeError)


def _describe(exc: Exception) -> tuple[str, bool]:
    """(a message without headers or credentials, whether Spotify is unusable for the rest of the run)."""
    if isinstance(exc, spotipy.SpotifyException):
        return f"HTTP {exc.http_status}: {exc.msg}", exc.http_status in (401, 403)
    if isinstance(exc, SpotifyOauthError):
        return f"no access token ({exc.error or 'token request failed'})", True
    if isinstance(exc, (requests.RequestException, OSError)):
        return f"{type(exc).__name__} (Spotify unreachable)", True
    return f"unexpected answer ({type(exc).__name__})", False


@dataclass(frozen=True)
class SpotifyTrack:
    """One movement as a Spotify track. ``number`` is the movement number (1-based within the work),
    not the album track number."""

    number: int
    title: str  # the track name as released
    duration_s: float
    album_id: str
    track_id: str
    url: str


# ---- client ---------------------------------------------------------------------------------------

def _prefect_secret(name: str) -> str | None:
    """The secret from a Prefect Secret block, only if a Prefect API is configured: without one,
    loading a block would start a temporary local server, slow and pointless for a lookup."""
    try:
        from prefect.settings import get_current_settings

        if not get_current_settings().api.url:
            return None
        from prefect.blocks.system import Secret

        value = Secret.load(name).get()  # type: ignore[union-attr]
    except Exception as exc:  # noqa: BLE001 - a missing block or unreachable API just means "no secret"
        log.info("Prefect Secret block %r not available: %s", name, exc)
        return None
    return str(value) if value else None


def spotify_client(*, client_id: str | None = None, client_secret: str | None = None,
                   api_prefix: str | None = None, token_url: str | None = None) -> spotipy.Spotify | None:
    """A client-credentials Spotify client, or ``None`` when no credentials are found (no request is
    made then). The token is cached in memory only: spotipy's default writes a ``.cache`` file into the
    working directory."""
    cid = client_id or os.environ.get(ENV_CLIENT_ID)
    if not cid:
        return None
    secret = client_secret or os.environ.get(ENV_CLIENT_SECRET) or _prefect_secret(SECRET_BLOCK)
    if not secret:
        return None
    auth = SpotifyClientCredentials(client_id=cid, client_secret=secret, cache_handler=MemoryCacheHandler(),
                                    requests_timeout=REQUEST_TIMEOUT_S)
    token_url = token_url or os.environ.get(ENV_TOKEN_URL)
    if token_url:
        auth.OAUTH_TOKEN_URL = token_url  # a class constant in spotipy; the instance attribute wins
    sp = spotipy.Spotify(auth_manager=auth, requests_timeout=REQUEST_TIMEOUT_S, retries=RETRIES,
                         status_retries=RETRIES)
    api_prefix = api_prefix or os.environ.get(ENV_API_PREFIX)
    if api_prefix:
        sp.prefix = api_prefix.rstrip("/") + "/"
    return sp


# ---- matching -------------------------------------------------------------------------------------

def work_part(track_name: str) -> str | None:
    """The work prefix of "<work>: I. Allegro", or None when the name carries no movement numeral."""
    m = _MOVEMENT_SPLIT.search(track_name)
    return track_name[:m.start()] if m else None


def track_matches_work(track_name: str, work: Work) -> bool:
    """Whether a track belongs to the work: the catalogue number decides when the work has one (and the
    "No." must agree: Op. 76 No. 4 is not Op. 76 No. 5), else most of the title's words must be there."""
    prefix = work_part(track_name)
    if prefix is None:
        return False
    want_no, got_no = work_number_set(work), work_numbers(prefix)
    if want_no and got_no and not want_no & got_no:
        return False
    want_key, got_key = work_key(work), key_of(prefix)
    if want_key and got_key and want_key != got_key:
        return False
    want_cat = work_catalogue(work)
    if want_cat:
        return bool(want_cat & catalogue_ids(prefix))
    return title_similarity(work.title, prefix) >= TITLE_MATCH


def best_run(names: Sequence[str], work: Work) -> tuple[int, int]:
    """(start, length) of the longest run of consecutive tracks of the work sharing one prefix."""
    best = (0, 0)
    i = 0
    while i < len(names):
        if not track_matches_work(names[i], work):
            i += 1
            continue
        prefix = work_part(names[i])
        j = i
        while j < len(names) and work_part(names[j]) == prefix and track_matches_work(names[j], work):
            j += 1
        if j - i > best[1]:
            best = (i, j - i)
        i = j
    return best


def _album_tracks(sp: spotipy.Spotify, album_id: str, market: str | None) -> list[dict[str, Any]]:
    page = sp.album_tracks(album_id, limit=ALBUM_PAGE, market=market)
    items = list(page["items"])
    while page.get("next"):
        page = sp.next(page)
        items += page["items"]
    return items


def _candidate_albums(result: dict[str, Any]) -> list[str]:
    """Albums of matching tracks first (a track hit names the work), then album hits; no repeats."""
    ids: list[str] = []
    for item in (result.get("tracks") or {}).get("items", []):
        ids.append(item["album"]["id"])
    for item in (result.get("albums") or {}).get("items", []):
        ids.append(item["id"])
    return list(dict.fromkeys(ids))


def find_work_tracks(sp: spotipy.Spotify, work: Work, *, market: str | None = None) -> list[SpotifyTrack]:
    """The work's movement tracks in order from the album that holds the longest run of them; ``[]``
    when no album does. Raises :class:`SpotifyLookupError` naming the work and endpoint on API errors."""
    query = build_query(work)
    try:
        result = sp.search(query, limit=SEARCH_LIMIT, type="album,track", market=market)
        best: tuple[int, str, list[dict[str, Any]], int] | None = None  # (length, album id, tracks, start)
        for album_id in _candidate_albums(result)[:MAX_ALBUMS]:
            tracks = _album_tracks(sp, album_id, market)
            start, length = best_run([t["name"] for t in tracks], work)
            if length and (best is None or length > best[0]):
                best = (length, album_id, tracks, start)
    except _CALL_ERRORS as exc:
        message, unreachable = _describe(exc)
        raise SpotifyLookupError(f"{work.id}: Spotify lookup failed: {message}", unreachable=unreachable) from None
    if best is None:
        return []
    length, album_id, tracks, start = best
    return [
        SpotifyTrack(number=n, title=t["name"], duration_s=t["duration_ms"] / 1000.0, album_id=album_id,
                     track_id=t["id"], url=(t.get("external_urls") or {}).get("spotify")
                     or f"https://open.spotify.com/track/{t['id']}")
        for n, t in enumerate(tracks[start:start + length], start=1)
    ]


def movement_title(track_name: str) -> str:
    """"Op. 44: I. Allegro moderato (Live)" -> "Allegro moderato": the work prefix, numeral and release
    annotations go; the tempo words stay (they are what the tempo tagger reads)."""
    m = _MOVEMENT_SPLIT.search(track_name)
    title = track_name[m.end():] if m else track_name.rsplit(": ", 1)[-1]
    title = _NUMERAL.sub("", title, count=1)
    title = _NO_PREFIX.sub("", title, count=1)
    title = _ANNOTATION.sub("", title)
    return title.strip() or track_name.strip()


def movement_titles_from_tracks(tracks: Sequence[SpotifyTrack | str]) -> list[str]:
    return [movement_title(t.title if isinstance(t, SpotifyTrack) else t) for t in tracks]


def verify_durations(segments_s: Sequence[float], tracks: Sequence[SpotifyTrack],
                     tolerance: float = 0.15) -> list[bool]:
    """Per movement, whether the cut segment lasts within ``tolerance`` (relative) of the Spotify track.
    Different performances differ in tempo, so the check catches wrong cuts, not interpretations."""
    if len(segments_s) != len(tracks):
        raise ValueError(f"{len(segments_s)} segments for {len(tracks)} Spotify tracks "
                         f"(album {tracks[0].album_id if tracks else '-'}): counts must match")
    return [abs(seg - t.duration_s) <= tolerance * t.duration_s for seg, t in zip(segments_s, tracks, strict=True)]


def lookup_works(sp: spotipy.Spotify, works: Sequence[Work]) -> tuple[dict[str, list[SpotifyTrack]], list[Failure]]:
    """Each work's Spotify movement tracks (works not found are absent); one failed lookup is a Failure.

    Spotify is optional: when it cannot be used at all (no token, no connection) the remaining works
    are not asked and one Failure says so; the build goes on either way.
    """
    found: dict[str, list[SpotifyTrack]] = {}
    failures: list[Failure] = []
    secrets = _credentials(sp)
    for i, work in enumerate(works):
        try:
            tracks = find_work_tracks(sp, work)
        except SpotifyLookupError as exc:
            reason = _scrub(str(exc), secrets)
            if exc.unreachable and len(works) > i + 1:
                reason += f"; Spotify not asked for the other {len(works) - i - 1} work(s)"
            failures.append(Failure(stage=Stage.ACQUIRE, item_id=work.id, url=None, code="spotify_failed", reason=reason))
            if exc.unreachable:
                break
            continue
        if tracks:
            found[work.id] = tracks
    return found, failures


def _credentials(sp: spotipy.Spotify) -> tuple[str, ...]:
    auth = getattr(sp, "auth_manager", None)
    values = (getattr(auth, "client_id", None), getattr(auth, "client_secret", None))
    return tuple(v for v in values if v)


def _scrub(text: str, secrets: Sequence[str]) -> str:
    """A message never repeats a credential, plain or as the Basic-auth base64 of id:secret."""
    for secret in secrets:
        text = text.replace(secret, "***")
    if len(secrets) == 2:
        text = text.replace(base64.b64encode(f"{secrets[0]}:{secrets[1]}".encode()).decode(), "***")
    return text


__all__ = [
    "SECRET_BLOCK",
    "lookup_works",
    "SpotifyLookupError",
    "SpotifyTrack",
    "find_work_tracks",
    "movement_title",
    "movement_titles_from_tracks",
    "spotify_client",
    "verify_durations",
]
