"""The annotation web page: two excerpts, two questions, answers stored in the judgments store.

One small FastAPI app, served by uvicorn on 127.0.0.1 unless the person asks for more (there is no
login: anyone who reaches the page can submit). It reads the build's pool (``pool.jsonl``) and
triplets (``triplets.jsonl``) from ``<out>/annotation/`` and re-reads them when a build replaces them,
so a server left running picks up a new round. Every annotator is offered the pairs in the same order
(triplets by round, then as the file lists them; each triplet's three pairs in triplet order), so the
first pairs reach the three answers an aggregation needs before later ones are started.

The page itself is static (``static/``): the script writes only ``textContent``, never HTML, and the
server renders nothing into markup, so no value (ids, messages) can be read as markup; a strict
Content-Security-Policy says the same to the browser. The JSON API refuses bad input with a 4xx and a
one-line ``{"error": ...}`` before anything is stored:

- ``POST /api/next``       ``{"annotator": ID}`` → the first pair this annotator has not judged, the progress and
  whether both excerpts must be played before answering (``require_listening``)
- ``POST /api/judgments``  ``{"annotator": ID, "triplet_id": T, "a": A, "b": B, "answers": {"arousal": "a",
  "valence": "ab"}, "played": {"a": true, "b": true}}`` → 201 stored, 200 "already stored" (the same answers
  again: idempotent), 409 when a different answer is already stored (judgments are never overwritten),
  400 malformed JSON or fields, 404 unknown pair, 422 an answer outside a/b/ab, an unknown question or a
  refused annotator id. ``played`` (optional) says whether each excerpt was played; it is stored with each
  judgment (unknown when left out), and with ``require_listening`` one not saying both is a 400
- ``GET /audio/<file>``     an excerpt named in the pool, nothing else
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

from earsense_m2t.annotation.paths import POOL_FILE, TRIPLETS_FILE, AnnotationPaths
from earsense_m2t.annotation.tool.store import (
    BadAnnotatorId,
    JudgmentStore,
    StoreError,
    Submitted,
    open_store,
    pseudonymize,
)
from earsense_m2t.schemas.annotation import QUESTIONS, Judgment, PoolExcerpt, Triplet, pair_id
from earsense_m2t.schemas.io import read_records

#: what the page may answer; MusAV's ``not_selected`` exists only in imported files
PAGE_ANSWERS: tuple[str, ...] = ("a", "b", "ab")
#: a submission is a few hundred bytes; anything far larger is not one
MAX_BODY_BYTES = 16_384
#: values echoed in error messages are cut to this length
ECHO_MAX = 80
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
#: set to 1 / yes / true to make the page refuse answers until both excerpts were played (``serve_forever``)
REQUIRE_LISTENING_ENV = "EARSENSE_M2T_REQUIRE_LISTENING"
#: the page loads only its own script, style and audio; nothing inline, nothing from elsewhere
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; media-src 'self'; "
                               "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class NoPool(FileNotFoundError):
    """The output root has no annotation pool yet (no build has prepared one)."""


class BadRequest(Exception):
    """A request the API refuses: its HTTP status and a one-line message for a person."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Pair:
    """One pair of one triplet, in the order every annotator is offered them."""

    number: int  # 1-based position in the offered order
    triplet_id: str
    round: int
    a: PoolExcerpt
    b: PoolExcerpt

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.triplet_id, self.a.movement_id, self.b.movement_id)


@dataclass(frozen=True)
class Catalogue:
    """What the page offers: the pairs whose two excerpts are in the pool and on disk, and those files."""

    pairs: tuple[Pair, ...]
    by_key: Mapping[tuple[str, str, str], Pair]
    audio: Mapping[str, Path]  # file name -> path, only the pool's excerpts
    #: pairs left out, with why (a movement that left the pool, an excerpt file missing)
    left_out: Mapping[str, int] = field(default_factory=dict)


def excerpt_url(excerpt: PoolExcerpt) -> str:
    return f"/audio/{excerpt.excerpt_file}"


def load_catalogue(annotation_dir: Path) -> Catalogue:
    """The pairs to offer, from the pool and triplet manifests; NoPool when there is no pool yet."""
    paths = AnnotationPaths.at(annotation_dir)
    pool_path, triplets_path = paths.pool, paths.triplets
    for path in (pool_path, triplets_path):
        if not path.is_file():
            raise NoPool(f"{path}: no annotation pool yet; run a build first (`earsense-m2t build --out "
                         f"{paths.root}`)")
    excerpts_dir = paths.excerpts.resolve()
    pool = {e.movement_id: e for e in read_records(pool_path, PoolExcerpt)}
    audio: dict[str, Path] = {}
    for excerpt in pool.values():
        path = (excerpts_dir / excerpt.excerpt_file).resolve()
        # a pool line naming "../x" or a sub-folder is not an excerpt: never served
        if path.parent == excerpts_dir and path.name == excerpt.excerpt_file and path.is_file():
            audio[excerpt.excerpt_file] = path
    triplets = read_records(triplets_path, Triplet)
    ordered = sorted(enumerate(triplets), key=lambda it: (it[1].round, it[0]))
    pairs: list[Pair] = []
    left_out: dict[str, int] = {}
    for _, triplet in ordered:
        for a, b in triplet.pairs():
            if a not in pool or b not in pool:
                left_out["a movement is no longer in the pool"] = left_out.get("a movement is no longer in the pool", 0) + 1
            elif pool[a].excerpt_file not in audio or pool[b].excerpt_file not in audio:
                left_out["an excerpt file is missing"] = left_out.get("an excerpt file is missing", 0) + 1
            else:
                pairs.append(Pair(len(pairs) + 1, triplet.id, triplet.round, pool[a], pool[b]))
    return Catalogue(tuple(pairs), {p.key: p for p in pairs}, audio, left_out)


class CatalogueCache:
    """The catalogue, re-read when a build replaces the pool or triplet manifest (their size or mtime changes)."""

    def __init__(self, annotation_dir: Path) -> None:
        self.annotation_dir = Path(annotation_dir)
        self._lock = threading.Lock()
        self._stamp: tuple[tuple[int, int], ...] | None = None
        self._catalogue: Catalogue | None = None

    def _files_stamp(self) -> tuple[tuple[int, int], ...]:
        stamps = []
        for name in (POOL_FILE, TRIPLETS_FILE):
            try:
                st = (self.annotation_dir / name).stat()
                stamps.append((st.st_mtime_ns, st.st_size))
            except FileNotFoundError:
                stamps.append((0, -1))
        return tuple(stamps)

    def get(self) -> Catalogue:
        with self._lock:
            stamp = self._files_stamp()
            if self._catalogue is None or stamp != self._stamp:
                self._catalogue = load_catalogue(self.annotation_dir)
                self._stamp = stamp
            return self._catalogue


# ---- the API's rules, as plain functions (the routes only translate them to HTTP) ----------------------------

async def read_body(request: Request, cap: int = MAX_BODY_BYTES) -> bytes:
    """The request body, read chunk by chunk and refused (413) as soon as it passes ``cap``, so a chunked body
    (which has no Content-Length for :class:`Guard` to check first) never sits in memory whole."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            raise BadRequest(413, f"request body of more than {cap} bytes, at most {cap} accepted")
    return bytes(body)


def parse_json_object(body: bytes) -> dict[str, Any]:
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(413, f"request body of {len(body)} bytes, at most {MAX_BODY_BYTES} accepted")
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest(400, "malformed JSON: the body is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(400, f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise BadRequest(400, "malformed JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise BadRequest(400, f"malformed request: expected a JSON object, got a JSON {type(data).__name__}")
    return data


def echo(value: object) -> str:
    """A value quoted for an error message, cut short (messages are JSON; the page shows them as text)."""
    text = repr(value)
    return text if len(text) <= ECHO_MAX else text[:ECHO_MAX] + "…"


def require_fields(data: Mapping[str, Any], required: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
    unknown = sorted(set(data) - set(required) - set(optional))
    if unknown:
        raise BadRequest(400, f"unknown field(s) {', '.join(echo(k) for k in unknown[:5])}; expected "
                              f"{', '.join(required + optional)}")
    missing = [k for k in required if k not in data]
    if missing:
        raise BadRequest(400, f"missing field(s) {', '.join(missing)}")


def annotator_pseudonym(data: Mapping[str, Any], salt: bytes) -> str:
    try:
        return pseudonymize(data["annotator"], salt)
    except BadAnnotatorId as exc:
        raise BadRequest(422, str(exc)) from None


def parse_answers(value: object) -> dict[str, str]:
    if not isinstance(value, dict) or not value:
        raise BadRequest(400, "answers: expected an object such as {\"arousal\": \"a\", \"valence\": \"ab\"}")
    answers: dict[str, str] = {}
    for question, answer in value.items():
        if question not in QUESTIONS:
            raise BadRequest(422, f"answers: unknown question {echo(question)}; expected {' or '.join(QUESTIONS)}")
        if not isinstance(answer, str) or answer not in PAGE_ANSWERS:
            raise BadRequest(422, f"answers.{question}: {echo(answer)} is not an answer; expected a, b or ab "
                                  "(ab: no difference)")
        answers[question] = answer
    return answers


def parse_played(value: object) -> tuple[bool | None, bool | None]:
    """Whether excerpt A and B were played, as the page reports it; (None, None) when it says nothing."""
    if value is None:
        return None, None
    if not isinstance(value, dict) or set(value) != {"a", "b"} or not all(isinstance(v, bool) for v in value.values()):
        raise BadRequest(400, f"played: {echo(value)} is not whether each excerpt was played; expected "
                              "{\"a\": true, \"b\": false}")
    return value["a"], value["b"]


def require_listening_from_env(environ: Mapping[str, str] = os.environ) -> bool:
    """The listening setting of a served page: on when ``EARSENSE_M2T_REQUIRE_LISTENING`` is 1, yes, true or on."""
    return environ.get(REQUIRE_LISTENING_ENV, "").strip().lower() in ("1", "yes", "true", "on")


def find_pair(catalogue: Catalogue, data: Mapping[str, Any]) -> Pair:
    ids = [data["triplet_id"], data["a"], data["b"]]
    if not all(isinstance(v, str) for v in ids):
        raise BadRequest(400, "triplet_id, a and b: expected strings (the ids /api/next gave)")
    pair = catalogue.by_key.get((ids[0], ids[1], ids[2]))
    if pair is None:
        raise BadRequest(404, f"unknown pair {echo(pair_id(ids[1], ids[2]))} of triplet {echo(ids[0])}: not one "
                              "this page offers")
    return pair


def answered(store: JudgmentStore, annotator: str) -> dict[tuple[str, str, str], dict[str, str]]:
    """The annotator's answers, by pair key and question."""
    return store.answers_of(annotator)


def progress(catalogue: Catalogue, done: Mapping[tuple[str, str, str], Mapping[str, str]]) -> dict[str, int]:
    judged = sum(1 for p in catalogue.pairs if len(done.get(p.key, {})) == len(QUESTIONS))
    return {"judged": judged, "total": len(catalogue.pairs)}


#: the short label of an excerpt on the page (its content hash's first hex digits: says nothing of the music)
LABEL_HEX = 6


def pair_json(pair: Pair, answers: Mapping[str, str]) -> dict[str, Any]:
    return {"number": pair.number, "triplet_id": pair.triplet_id, "round": pair.round,
            "a": pair.a.movement_id, "b": pair.b.movement_id, "pair_id": pair_id(pair.a.movement_id, pair.b.movement_id),
            "audio_a": excerpt_url(pair.a), "audio_b": excerpt_url(pair.b),
            "label_a": pair.a.excerpt_sha256[:LABEL_HEX], "label_b": pair.b.excerpt_sha256[:LABEL_HEX],
            "answered": dict(answers)}


def next_pair(catalogue: Catalogue, store: JudgmentStore, annotator: str,
              require_listening: bool = False) -> dict[str, Any]:
    done = answered(store, annotator)
    upcoming = next((p for p in catalogue.pairs if len(done.get(p.key, {})) < len(QUESTIONS)), None)
    return {"annotator": annotator, "pair": None if upcoming is None else pair_json(upcoming, done.get(upcoming.key, {})),
            "progress": progress(catalogue, done), "require_listening": require_listening}


def submit(catalogue: Catalogue, store: JudgmentStore, salt: bytes, data: Mapping[str, Any],
           require_listening: bool = False) -> tuple[int, dict[str, Any]]:
    """Validate a submission and store it; (HTTP status, response body). Nothing is stored unless all of it is valid."""
    require_fields(data, ("annotator", "triplet_id", "a", "b", "answers"), ("played",))
    annotator = annotator_pseudonym(data, salt)
    pair = find_pair(catalogue, data)
    answers = parse_answers(data["answers"])
    played_a, played_b = parse_played(data.get("played"))
    if require_listening and not (played_a and played_b):
        raise BadRequest(400, "play both excerpts before answering: this page requires listening to A and B "
                              f"(played: A {_said(played_a)}, B {_said(played_b)}); nothing was stored")
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    judgments = [Judgment(triplet_id=pair.triplet_id, a=pair.a.movement_id, b=pair.b.movement_id, question=q,
                          answer=answer, annotator=annotator, source="human", submitted_at=now,
                          played_a=played_a, played_b=played_b)
                 for q, answer in answers.items()]
    results = store.submit(judgments, all_or_nothing=True)
    body = {"annotator": annotator, "pair_id": pair_id(pair.a.movement_id, pair.b.movement_id),
            "results": {r.judgment.question: r.status for r in results},
            "progress": progress(catalogue, answered(store, annotator))}
    conflicts = [r for r in results if r.status == "conflict"]
    if conflicts:
        kept = ", ".join(f"{r.judgment.question}={r.stored_answer}" for r in conflicts)
        return 409, {**body, "error": f"already stored with a different answer ({kept}); judgments are never "
                                      "overwritten, nothing was stored"}
    if all(r.status == "already stored" for r in results):
        return 200, {**body, "status": "already stored"}
    return 201, {**body, "status": "stored", "stored": _count(results, "stored")}


def _said(played: bool | None) -> str:
    return "not said" if played is None else "yes" if played else "no"


def _count(results: list[Submitted], status: str) -> int:
    return sum(r.status == status for r in results)


# ---- the app -------------------------------------------------------------------------------------------------

def static_dir() -> Path:
    return Path(str(resources.files("earsense_m2t.annotation.tool") / "static"))


def create_app(annotation_dir: Path, require_listening: bool = False) -> FastAPI:
    """The page and its API over one output root's ``annotation/`` folder (NoPool when it has no pool yet).

    ``require_listening``: refuse (400) a judgment unless the page says both excerpts were played.
    """
    cache = CatalogueCache(annotation_dir)
    cache.get()  # fail now, with the message, rather than on the first request
    store, salt = open_store(Path(annotation_dir))
    app = FastAPI(title="earsense-m2t annotation", docs_url=None, redoc_url=None, openapi_url=None)
    static = static_dir()

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error(exc.status_code, str(exc.detail))

    @app.exception_handler(BadRequest)
    async def bad_request(request: Request, exc: BadRequest) -> JSONResponse:
        return error(exc.status, exc.message)

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> JSONResponse:
        return error(503, f"the judgments store cannot be used right now ({exc}); nothing was stored, try again")

    app.add_middleware(Guard)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(static / "index.html", media_type="text/html; charset=utf-8",
                            headers={"Cache-Control": "no-store"})

    app.mount("/static", StaticFiles(directory=static), name="static")

    @app.get("/audio/{name}")
    def audio(name: str) -> FileResponse:
        path = cache.get().audio.get(name)
        if path is None:
            raise BadRequest(404, f"no excerpt named {echo(name)} in the pool")
        return FileResponse(path)

    @app.get("/api/status")
    def status() -> dict[str, Any]:
        catalogue = cache.get()
        return {"pairs": len(catalogue.pairs), "excerpts": len(catalogue.audio), "left_out": dict(catalogue.left_out)}

    @app.post("/api/next")
    async def api_next(request: Request) -> dict[str, Any]:
        data = parse_json_object(await read_body(request))
        require_fields(data, ("annotator",))
        annotator = annotator_pseudonym(data, salt)
        return await _in_thread(next_pair, cache.get(), store, annotator, require_listening)

    @app.post("/api/judgments")
    async def api_judgments(request: Request) -> JSONResponse:
        data = parse_json_object(await read_body(request))
        code, body = await _in_thread(submit, cache.get(), store, salt, data, require_listening)
        return JSONResponse(body, status_code=code)

    return app


class Guard:
    """Refuses an oversized body before it is read, and adds the security headers to every response.

    A plain ASGI middleware: Starlette's ``BaseHTTPMiddleware`` costs a task and a stream per request.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            refusal = JSONResponse({"error": f"request body of {int(length)} bytes, at most {MAX_BODY_BYTES} accepted"},
                                   status_code=413, headers=SECURITY_HEADERS)
            await refusal(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                MutableHeaders(scope=message).update(SECURITY_HEADERS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _in_thread(fn: Any, *args: Any) -> Any:
    """SQLite calls block: run them on the thread pool so the event loop keeps serving other annotators."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)


# ---- serving -------------------------------------------------------------------------------------------------

def check_host(host: str, allow_remote: bool) -> str | None:
    """Why the page may not listen on ``host``, or None: only loopback unless the person says otherwise."""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return f"--host {host!r}: not an IP address (use 127.0.0.1, ::1 or localhost)"
    if loopback or allow_remote:
        return None
    return (f"--host {host} is not a loopback address: the page has no login, so anyone who can reach it could "
            "submit judgments; add --allow-remote to serve it there anyway (behind a firewall or VPN)")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: any free port); OSError when it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # inherited by accepted connections: without it every keep-alive response (headers and body written
        # apart) waited for the client's delayed ACK, 40 ms a request (measured: 44 ms against 2 ms)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def server_for(app: FastAPI) -> Any:
    import uvicorn

    # no access log: a person's id never appears in a URL anyway, and the terminal stays readable
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2)
    return uvicorn.Server(config)


@contextlib.contextmanager
def serving(app: FastAPI, host: str = DEFAULT_HOST, port: int = 0) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a background thread; yields the base URL (tests and scripts)."""
    sock = bind(host, port)
    server = server_for(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="annotation-page", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the annotation page's server did not start")
        time.sleep(0.01)
    try:
        yield url_of(sock).rstrip("/")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def serve_forever(annotation_dir: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                  announce: Any = print, require_listening: bool | None = None) -> None:
    """Serve the page in this thread until interrupted (the ``annotate`` command).

    ``require_listening`` None: from the environment (:func:`require_listening_from_env`).
    """
    if require_listening is None:
        require_listening = require_listening_from_env()
    app = create_app(annotation_dir, require_listening=require_listening)
    sock = bind(host, port)
    catalogue = load_catalogue(annotation_dir)
    announce(f"Annotation page at {url_of(sock)} ({len(catalogue.pairs)} pairs; Ctrl-C to stop)")
    if require_listening:
        announce("  answers are accepted only after both excerpts of a pair were played")
    for reason, n in catalogue.left_out.items():
        announce(f"  {n} pair(s) left out: {reason}")
    try:
        server_for(app).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn shuts down cleanly, then re-raises the Ctrl-C it caught: that is the way out
        pass
    finally:
        sock.close()
