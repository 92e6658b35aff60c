"""The annotation page's HTTP API, through a real uvicorn server on 127.0.0.1, and the `annotate` command."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from earsense_m2t.annotation.paths import AnnotationPaths
from earsense_m2t.annotation.tool.store import JudgmentStore, load_salt, pseudonymize
from earsense_m2t.annotation.tool.webapp import MAX_BODY_BYTES, check_host, create_app
from earsense_m2t.schemas.annotation import PoolExcerpt, Triplet
from earsense_m2t.schemas.io import write_records
from tests.annotation._webfixtures import build_folder, page_process, running_page

BIN = Path(sys.executable).parent


class Page:
    def __init__(self, url: str, folder: Path, pool: list[PoolExcerpt], triplets: list[Triplet]) -> None:
        self.url, self.folder, self.pool, self.triplets = url, folder, pool, triplets
        self.store = JudgmentStore(AnnotationPaths.at(folder).judgments)

    def next(self, annotator: str) -> dict[str, Any]:
        response = requests.post(f"{self.url}/api/next", json={"annotator": annotator}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def submit(self, body: Any, raw: bytes | None = None) -> requests.Response:
        if raw is not None:
            return requests.post(f"{self.url}/api/judgments", data=raw, timeout=10,
                                 headers={"Content-Type": "application/json"})
        return requests.post(f"{self.url}/api/judgments", json=body, timeout=10)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    folder = tmp_path_factory.mktemp("out") / "annotation"
    pool, triplets = build_folder(folder, n_triplets=10, seconds=0.3)  # a pair per bad-input case
    with running_page(folder) as url:
        yield Page(url, folder, pool, triplets)


def body_for(pair: dict[str, Any], annotator: str, **answers: str) -> dict[str, Any]:
    return {"annotator": annotator, "triplet_id": pair["triplet_id"], "a": pair["a"], "b": pair["b"],
            "answers": answers}


def test_the_page_is_served_with_a_strict_content_policy(page: Page):
    response = requests.get(page.url + "/", timeout=10)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    for needle in ('id="audio-a"', 'id="audio-b"', "more <strong>energetic</strong>", "more <strong>positive</strong>",
                   "<kbd>1</kbd>", "<kbd>q</kbd>", 'id="progress"', 'id="annotator"'):
        assert needle in response.text
    script = requests.get(page.url + "/static/app.js", timeout=10)
    code = [line for line in script.text.splitlines() if not line.lstrip().startswith("//")]
    assert script.status_code == 200 and code and not any("innerHTML" in line or "outerHTML" in line for line in code)


def test_a_new_annotator_gets_the_first_pair_and_its_audio(page: Page):
    data = page.next("First Timer")
    first = page.triplets[0]
    assert data["progress"] == {"judged": 0, "total": 30}
    pair = data["pair"]
    assert (pair["number"], pair["triplet_id"], pair["a"], pair["b"]) == (1, first.id, *first.movement_ids[:2])
    assert pair["pair_id"] == f"{first.movement_ids[0]}-{first.movement_ids[1]}" and pair["answered"] == {}
    assert data["annotator"] == pseudonymize("First Timer", load_salt(page.folder))
    excerpt = {e.movement_id: e for e in page.pool}[pair["a"]]
    audio = requests.get(page.url + pair["audio_a"], timeout=10)
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/ogg"
    assert audio.content == (AnnotationPaths.at(page.folder).excerpts / excerpt.excerpt_file).read_bytes()
    partial = requests.get(page.url + pair["audio_a"], headers={"Range": "bytes=0-99"}, timeout=10)
    assert partial.status_code == 206 and partial.content == audio.content[:100]  # the browser seeks with ranges


def test_a_submission_is_stored_under_the_pseudonym_and_the_next_pair_follows(page: Page):
    pair = page.next("Submitter")["pair"]
    before = page.store.count()
    response = page.submit(body_for(pair, "Submitter", arousal="a", valence="ab"))
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "stored" and response.json()["progress"] == {"judged": 1, "total": 30}
    assert page.store.count() == before + 2
    pseudonym = pseudonymize("Submitter", load_salt(page.folder))
    mine = {(j.triplet_id, j.a, j.b, j.question, j.answer, j.source) for j in page.store.of_annotator(pseudonym)}
    assert mine == {(pair["triplet_id"], pair["a"], pair["b"], "arousal", "a", "human"),
                    (pair["triplet_id"], pair["a"], pair["b"], "valence", "ab", "human")}
    assert page.next("submitter ")["pair"]["number"] == 2  # the same person, typed differently, continues


def test_a_duplicate_is_already_stored_and_a_changed_answer_overwrites_nothing(page: Page):
    pair = page.next("Twice")["pair"]
    assert page.submit(body_for(pair, "Twice", arousal="b", valence="b")).status_code == 201
    count = page.store.count()
    again = page.submit(body_for(pair, "Twice", arousal="b", valence="b"))
    assert again.status_code == 200 and again.json()["status"] == "already stored"
    changed = page.submit(body_for(pair, "Twice", arousal="a", valence="b"))
    assert changed.status_code == 409
    assert "already stored with a different answer (arousal=b)" in changed.json()["error"]
    assert page.store.count() == count
    pseudonym = pseudonymize("Twice", load_salt(page.folder))
    assert {j.answer for j in page.store.of_annotator(pseudonym)} == {"b"}


def test_one_question_at_a_time_and_the_other_is_asked_next(page: Page):
    pair = page.next("Halfway")["pair"]
    assert page.submit(body_for(pair, "Halfway", valence="a")).status_code == 201
    data = page.next("Halfway")
    assert data["pair"]["number"] == pair["number"] and data["pair"]["answered"] == {"valence": "a"}
    assert data["progress"]["judged"] == 0
    assert page.submit(body_for(pair, "Halfway", arousal="ab", valence="a")).status_code == 201  # valence: same
    assert page.next("Halfway")["progress"]["judged"] == 1


def test_a_submission_with_one_conflicting_answer_stores_none_of_it(page: Page):
    pair = page.next("Mixed")["pair"]
    assert page.submit(body_for(pair, "Mixed", valence="a")).status_code == 201
    count = page.store.count()
    response = page.submit(body_for(pair, "Mixed", arousal="ab", valence="b"))  # arousal new, valence changed
    assert response.status_code == 409 and "(valence=a)" in response.json()["error"]
    assert response.json()["results"] == {"arousal": "not stored", "valence": "conflict"}
    assert page.store.count() == count
    assert page.next("Mixed")["pair"]["answered"] == {"valence": "a"}


def valid(page: Page) -> dict[str, Any]:
    return body_for(page.next("Probe")["pair"], "Probe", arousal="a", valence="b")


BAD_INPUTS: list[tuple[str, Any, int, str]] = [
    ("malformed JSON", b'{"annotator": "Probe", "answers": {', 400, "malformed JSON: Expecting"),
    ("not UTF-8", b'{"annotator": "\xff"}', 400, "not UTF-8"),
    ("a JSON list", [1, 2], 400, "expected a JSON object, got a JSON list"),
    ("unknown triplet", {"triplet_id": "t000000000000"}, 404, "unknown pair"),
    ("pair in the wrong order", "swap", 404, "unknown pair"),
    ("answer outside a/b/ab", {"answers": {"arousal": "c", "valence": "a"}}, 422, "answers.arousal: 'c' is not an answer"),
    ("not_selected on the page", {"answers": {"arousal": "not_selected"}}, 422, "expected a, b or ab"),
    ("answer not a string", {"answers": {"valence": 1}}, 422, "answers.valence: 1 is not an answer"),
    ("unknown question", {"answers": {"tempo": "a"}}, 422, "unknown question 'tempo'"),
    ("no answers", {"answers": {}}, 400, "answers: expected an object"),
    ("script in the annotator id", {"annotator": "<script>alert(1)</script>"}, 422, "no HTML or script"),
    ("markup in the annotator id", {"annotator": '<img src=x onerror="a()">'}, 422, "no HTML or script"),
    ("annotator id too long", {"annotator": "z" * 65}, 422, "65 characters, at most 64"),
    ("annotator id not a string", {"annotator": ["x"]}, 422, "expected a string"),
    ("missing field", "drop:b", 400, "missing field(s) b"),
    ("unknown field", {"comment": "hi"}, 400, "unknown field(s) 'comment'"),
    ("ids not strings", {"a": 3}, 400, "expected strings"),
    ("a body far too large", {"annotator": "x" * 20_000}, 413, "at most 16384"),
]


@pytest.mark.parametrize("case, change, status, needle", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_a_4xx_with_a_clear_message_and_stores_nothing(page: Page, case: str, change: Any, status: int,
                                                                    needle: str):
    body = valid(page)
    before = page.store.count()
    if isinstance(change, bytes):
        response = page.submit(None, raw=change)
    elif isinstance(change, list):
        response = page.submit(change)
    elif change == "swap":
        response = page.submit({**body, "a": body["b"], "b": body["a"]})
    elif isinstance(change, str) and change.startswith("drop:"):
        response = page.submit({k: v for k, v in body.items() if k != change[5:]})
    else:
        response = page.submit({**body, **change})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert needle in response.json()["error"]
    assert "<script>" not in response.text and "onerror" not in response.text
    assert page.store.count() == before
    assert page.submit(body).status_code == 201  # the valid submission was untouched by the bad one


def test_next_refuses_bad_annotator_ids_too(page: Page):
    for raw, status in ((b"not json", 400), (json.dumps({"annotator": "<b>x</b>"}).encode(), 422),
                        (json.dumps({}).encode(), 400)):
        response = requests.post(f"{page.url}/api/next", data=raw, timeout=10)
        assert response.status_code == status and response.json()["error"]


NESTED = b'{"annotator": ' + b"[" * 8000 + b"]" * 8000 + b"}"  # within the size cap, deeper than json's recursion


@pytest.mark.parametrize("endpoint", ["/api/next", "/api/judgments"])
def test_deeply_nested_json_is_a_400_not_a_500(page: Page, endpoint: str):
    """Issue 23 item 8: a RecursionError in json.loads was a bare 500."""
    before = page.store.count()
    response = requests.post(f"{page.url}{endpoint}", data=NESTED, timeout=10,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert "nested too deeply" in response.json()["error"]
    assert page.store.count() == before
    assert page.next("After Nesting")["pair"]  # the server still serves


@pytest.mark.parametrize("endpoint", ["/api/next", "/api/judgments"])
def test_a_chunked_body_is_refused_at_the_cap_while_it_streams(tmp_path: Path, endpoint: str):
    """Issue 23 item 7: only Content-Length was checked, so a chunked body (none) was read whole into memory
    before the 413 (300 MB took the server from 64 to 675 MB). Driven as ASGI, counting the chunks read."""
    folder = tmp_path / "annotation"
    build_folder(folder, n_triplets=1, seconds=0.3)
    app = create_app(folder)
    chunk, offered, read = b" " * 4096, 2_000, 0  # 8 MB offered, no Content-Length

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": chunk, "more_body": read < offered}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": endpoint, "raw_path": endpoint.encode(), "root_path": "", "query_string": b"",
             "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                         (b"transfer-encoding", b"chunked")],
             "server": ("127.0.0.1", 8765), "client": ("127.0.0.1", 50000)}
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413
    assert f"at most {MAX_BODY_BYTES}".encode() in b"".join(m.get("body", b"") for m in sent)
    assert read <= MAX_BODY_BYTES // len(chunk) + 1, f"{read} chunks of {offered} were read"


def test_a_chunked_body_over_the_cap_is_a_413_over_the_wire(page: Page):
    def chunks() -> Iterator[bytes]:
        yield b'{"annotator": "'
        for _ in range(5):
            yield b"x" * 4096
        yield b'"}'

    response = requests.post(f"{page.url}/api/next", data=chunks(), timeout=10)  # a generator: sent chunked
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert response.status_code == 413 and f"at most {MAX_BODY_BYTES}" in response.json()["error"]


def raw_get(url: str, path: str) -> tuple[int, bytes]:
    """A GET with the path sent exactly as written (requests would normalize '..')."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize("path", ["/audio/../pool.jsonl", "/audio/..%2Fpool.jsonl", "/audio/%2E%2E%2Fsalt",
                                  "/audio/..%2F..%2Fannotation%2Fsalt", "/static/../store.py", "/static/..%2Fstore.py",
                                  "/audio/judgments.sqlite", "/audio/", "/pool.jsonl", "/salt"])
def test_only_the_pools_excerpts_and_the_pages_files_are_served(page: Page, path: str):
    status, body = raw_get(page.url, path)
    assert status == 404, (path, body[:200])
    assert b"JudgmentStore" not in body and b"movement_id" not in body


def test_an_excerpt_of_the_pool_whose_name_points_outside_is_never_served(tmp_path: Path):
    folder = tmp_path / "annotation"
    pool, triplets = build_folder(folder, n_triplets=1, seconds=0.2)
    (tmp_path / "secret.ogg").write_bytes(b"secret")
    bad = PoolExcerpt(**{**pool[0].to_dict(), "excerpt_file": "../../secret.ogg"})
    write_records(AnnotationPaths.at(folder).pool, [bad, *pool[1:]])
    with running_page(folder) as url:
        status = requests.get(url + "/api/status", timeout=10).json()
        assert status["pairs"] == 1 and status["left_out"] == {"an excerpt file is missing": 2}
        assert raw_get(url, "/audio/../../secret.ogg")[0] == 404
        assert raw_get(url, "/audio/..%2F..%2Fsecret.ogg")[0] == 404


def test_pairs_come_in_round_order_and_a_new_round_is_picked_up_while_running(tmp_path: Path):
    folder = tmp_path / "annotation"
    pool, triplets = build_folder(folder, n_triplets=3, seconds=0.2, rounds=[2, 1, 2])
    paths = AnnotationPaths.at(folder)
    write_records(paths.triplets, triplets[:2])  # the third triplet comes with a later build
    with running_page(folder) as url:
        first = requests.post(url + "/api/next", json={"annotator": "R"}, timeout=10).json()
        assert first["pair"]["triplet_id"] == triplets[1].id and first["progress"]["total"] == 6
        write_records(paths.triplets, triplets)
        os.utime(paths.triplets, ns=(time.time_ns(), time.time_ns() + 10**9))  # a coarse clock still sees a change
        again = requests.post(url + "/api/next", json={"annotator": "R"}, timeout=10).json()
        assert again["progress"]["total"] == 9 and again["pair"]["triplet_id"] == triplets[1].id


def test_a_store_locked_too_long_is_a_503_and_the_retry_is_stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import sqlite3

    from earsense_m2t.annotation.tool import store as store_module

    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 200)  # connections read it when they open
    folder = tmp_path / "annotation"
    build_folder(folder, n_triplets=1, seconds=0.2)
    with running_page(folder) as url:
        pair = requests.post(url + "/api/next", json={"annotator": "L"}, timeout=10).json()["pair"]
        blocker = sqlite3.connect(AnnotationPaths.at(folder).judgments, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")  # another program holding the write lock
        try:
            locked = requests.post(url + "/api/judgments", json=body_for(pair, "L", arousal="a"), timeout=10)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert locked.status_code == 503
        assert "the judgments store cannot be used right now" in locked.json()["error"]
        assert "nothing was stored, try again" in locked.json()["error"]
        retry = requests.post(url + "/api/judgments", json=body_for(pair, "L", arousal="a"), timeout=10)
        assert retry.status_code == 201


def test_the_last_pair_judged_leaves_no_next_pair(tmp_path: Path):
    folder = tmp_path / "annotation"
    build_folder(folder, n_triplets=1, seconds=0.2)
    with running_page(folder) as url:
        for _ in range(3):
            pair = requests.post(url + "/api/next", json={"annotator": "Done"}, timeout=10).json()["pair"]
            assert requests.post(url + "/api/judgments", json=body_for(pair, "Done", arousal="a", valence="a"),
                                 timeout=10).status_code == 201
        last = requests.post(url + "/api/next", json={"annotator": "Done"}, timeout=10).json()
        assert last["pair"] is None and last["progress"] == {"judged": 3, "total": 3}


# ---- the command -----------------------------------------------------------------------------------------------

def annotate(*args: str) -> Any:
    """The command in this process (its refusals come before any server starts)."""
    from typer.testing import CliRunner

    from earsense_m2t.cli import app

    return CliRunner().invoke(app, ["annotate", *args])


def test_annotate_without_a_pool_says_to_run_a_build(tmp_path: Path):
    result = annotate("--out", str(tmp_path), "--port", "0")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {tmp_path}/annotation/pool.jsonl: no annotation pool yet; run a build first")
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.output


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_annotate_refuses_a_non_loopback_host_without_allow_remote(tmp_path: Path, host: str):
    build_folder(tmp_path / "annotation", n_triplets=1, seconds=0.1)
    result = annotate("--out", str(tmp_path), "--host", host)
    assert result.exit_code == 2
    assert f"--host {host} is not a loopback address: the page has no login" in result.stderr
    assert "--allow-remote" in result.stderr
    assert not (tmp_path / "annotation" / "judgments.sqlite").exists()  # refused before anything was opened


def test_loopback_hosts_are_allowed_and_remote_ones_only_on_request():
    assert check_host("127.0.0.1", False) is None and check_host("::1", False) is None
    assert check_host("localhost", False) is None and check_host("127.0.0.2", False) is None
    assert check_host("0.0.0.0", True) is None
    assert "not an IP address" in (check_host("example.org", False) or "")


def test_annotate_serves_the_page_until_interrupted(tmp_path: Path):
    build_folder(tmp_path / "annotation", n_triplets=1, seconds=0.2)
    proc = subprocess.Popen([str(BIN / "earsense-m2t"), "annotate", "--out", str(tmp_path), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "no announcement within 30 s"
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("Annotation page at http://127.0.0.1:") and "(3 pairs; Ctrl-C to stop)" in line
        url = line.split()[3].rstrip("/")
        assert requests.get(url + "/api/status", timeout=10).json()["pairs"] == 3
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
        assert proc.stderr is not None and "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize(("flag", "env", "required"), [
    ("--require-listening", "", True),
    ("--no-require-listening", "1", False),
    (None, "1", True),
])
def test_annotate_require_listening_flag_wins_over_the_environment(tmp_path: Path, flag: str | None, env: str,
                                                                   required: bool):
    build_folder(tmp_path / "annotation", n_triplets=1, seconds=0.2)
    environ = {**os.environ, "EARSENSE_M2T_REQUIRE_LISTENING": env}
    with page_process(tmp_path, *([flag] if flag else []), env=environ) as url:
        answer = requests.post(url + "/api/next", json={"annotator": "Listener"}, timeout=10).json()
    assert answer["require_listening"] is required


def test_the_page_says_what_arousal_and_valence_mean(page: Page):
    text = requests.get(page.url + "/", timeout=10).text
    assert 'id="def-arousal"' in text and 'id="def-valence"' in text


def test_whether_each_excerpt_was_played_is_stored_with_the_judgment(page: Page):
    pair = page.next("Listener")["pair"]
    assert page.next("Listener")["require_listening"] is False
    body = {**body_for(pair, "Listener", arousal="a", valence="b"), "played": {"a": True, "b": False}}
    assert page.submit(body).status_code == 201
    stored = page.store.of_annotator(pseudonymize("Listener", load_salt(page.folder)))
    assert {(j.question, j.played_a, j.played_b) for j in stored} == {("arousal", True, False), ("valence", True, False)}
    unsaid = page.next("Listener")["pair"]  # a client that says nothing about playing: unknown, still accepted
    assert page.submit(body_for(unsaid, "Listener", arousal="a", valence="a")).status_code == 201
    stored = page.store.of_annotator(pseudonymize("Listener", load_salt(page.folder)))
    assert {(j.played_a, j.played_b) for j in stored if (j.a, j.b) == (unsaid["a"], unsaid["b"])} == {(None, None)}
    bad = page.submit({**body_for(page.next("Listener")["pair"], "Listener", arousal="a", valence="a"),
                       "played": {"a": "yes", "b": True}})
    assert bad.status_code == 400 and "played" in bad.json()["error"]


def test_when_listening_is_required_a_judgment_without_both_played_is_a_400(tmp_path: Path):
    folder = tmp_path / "annotation"
    build_folder(folder, n_triplets=1, seconds=0.3)
    store = JudgmentStore(AnnotationPaths.at(folder).judgments)
    with running_page(folder, require_listening=True) as url:
        data = requests.post(f"{url}/api/next", json={"annotator": "Strict"}, timeout=10).json()
        assert data["require_listening"] is True
        answers = body_for(data["pair"], "Strict", arousal="a", valence="b")
        for played in (None, {"a": True, "b": False}, {"a": False, "b": False}):
            body = answers if played is None else {**answers, "played": played}
            refused = requests.post(f"{url}/api/judgments", json=body, timeout=10)
            assert refused.status_code == 400 and "play both excerpts" in refused.json()["error"]
        assert store.count() == 0
        accepted = requests.post(f"{url}/api/judgments", json={**answers, "played": {"a": True, "b": True}}, timeout=10)
        assert accepted.status_code == 201
        assert {(j.played_a, j.played_b) for j in store.all()} == {(True, True)}


def test_the_listening_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    from earsense_m2t.annotation.tool.webapp import REQUIRE_LISTENING_ENV, require_listening_from_env

    for value, expected in (("1", True), ("yes", True), ("0", False), ("", False)):
        monkeypatch.setenv(REQUIRE_LISTENING_ENV, value)
        assert require_listening_from_env() is expected
    monkeypatch.delenv(REQUIRE_LISTENING_ENV)
    assert require_listening_from_env() is False
