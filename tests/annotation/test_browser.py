"""The annotation page in a real headless Chromium (Debian's chromium and chromium-driver, through Selenium).

`bash scripts/setup.sh --dev` installs both; the test is skipped only when they are absent. The browser
is kept on this machine: every host but 127.0.0.1 resolves to nothing, a proxy that does not exist
takes any other request, and Chromium's background services (updates, metrics, sync) are off.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from earsense_m2t.annotation.paths import AnnotationPaths
from earsense_m2t.annotation.tool.store import JudgmentStore, load_salt, pseudonymize
from tests.annotation._webfixtures import build_folder, running_page

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="Debian's chromium and chromium-driver are not installed (bash scripts/setup.sh --dev installs them)")

CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--mute-audio",
    "--autoplay-policy=no-user-gesture-required", "--window-size=1000,900",
    # nothing leaves the machine: names other than 127.0.0.1 do not resolve, other traffic meets a dead proxy
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--proxy-server=http://127.0.0.1:9",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-default-apps", "--disable-domain-reliability", "--disable-client-side-phishing-detection",
    "--metrics-recording-only", "--no-pings", "--disable-breakpad",
    "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    # the driver's path is given, so Selenium Manager (which would download drivers and report usage) never runs
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    _, triplets = build_folder(tmp_path / "annotation", n_triplets=1, seconds=4.0)
    (tmp_path / "first_pair").write_text("\n".join((triplets[0].id, *triplets[0].movement_ids[:2])))
    return tmp_path / "annotation"


def wait_for(driver: Any, condition: Any, what: str, timeout: float = 10) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(condition, message=f"waited for {what}")


def text_of(driver: Any, element_id: str) -> str:
    return str(driver.find_element("id", element_id).text)


def press(driver: Any, *keys: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    actions = ActionChains(driver)
    for key in keys:
        actions.send_keys(key)
    actions.perform()


def test_an_annotator_judges_a_pair_with_the_keyboard_and_it_lands_in_sqlite(browser: Any, folder: Path):
    from selenium.webdriver.common.keys import Keys

    store = JudgmentStore(AnnotationPaths.at(folder).judgments)
    with running_page(folder) as url:
        browser.get(url + "/")
        assert "Keyboard shortcuts" in browser.page_source
        field = browser.find_element("id", "annotator")
        field.send_keys("Browser Person", Keys.ENTER)
        wait_for(browser, lambda d: text_of(d, "progress") == "Judged 0 of 3 pairs", "the first pair")

        # both players got their excerpt, and the browser decoded it (4 s of Ogg Vorbis)
        duration = wait_for(browser, lambda d: d.execute_script(
            "const a = document.getElementById('audio-a'); return a.readyState >= 1 && a.duration;"), "audio A")
        assert abs(duration - 4.0) < 0.05
        press(browser, "z")  # play A
        wait_for(browser, lambda d: d.execute_script("return !document.getElementById('audio-a').paused;"), "A playing")
        press(browser, " ")  # space: pause the player last used (long before the excerpt ends by itself)
        wait_for(browser, lambda d: d.execute_script(
            "const a = document.getElementById('audio-a'); return a.paused && !a.ended && a.currentTime < 3;"),
            "A paused by the space bar")

        press(browser, "1")  # arousal: A
        assert browser.find_element("css selector", 'input[name="arousal"][value="a"]').is_selected()
        assert browser.find_element("id", "submit").get_attribute("disabled") is not None  # valence not answered yet
        press(browser, "e", Keys.ENTER)  # valence: no difference; submit
        wait_for(browser, lambda d: text_of(d, "progress") == "Judged 1 of 3 pairs", "progress to advance")
        assert text_of(browser, "message") == "Stored."
        # the next pair starts unanswered
        assert not browser.execute_script("return document.querySelector('input[type=radio]:checked') !== null;")

        pseudonym = pseudonymize("Browser Person", load_salt(folder))
        stored = store.of_annotator(pseudonym)
        assert {(j.question, j.answer) for j in stored} == {("arousal", "a"), ("valence", "ab")}
        first_pair = tuple((folder.parent / "first_pair").read_text().split("\n"))
        assert {(j.triplet_id, j.a, j.b, j.source) for j in stored} == {(*first_pair, "human")}

        press(browser, "2", "w", Keys.ENTER)  # both B
        wait_for(browser, lambda d: text_of(d, "progress") == "Judged 2 of 3 pairs", "progress to advance again")
        assert store.count() == 4

        # the same person coming back (typed differently) continues where they stopped
        browser.get(url + "/")
        browser.find_element("id", "annotator").send_keys("browser person ", Keys.ENTER)
        wait_for(browser, lambda d: text_of(d, "progress") == "Judged 2 of 3 pairs", "the progress kept")


def test_markup_in_the_annotator_id_is_refused_and_shown_as_text(browser: Any, folder: Path):
    from selenium.webdriver.common.keys import Keys

    store = JudgmentStore(AnnotationPaths.at(folder).judgments)
    with running_page(folder) as url:
        browser.get(url + "/")
        browser.find_element("id", "annotator").send_keys("<img src=x onerror=alert(1)>", Keys.ENTER)
        wait_for(browser, lambda d: "no HTML or script" in text_of(d, "message"), "the refusal")
        assert browser.find_elements("css selector", "#message img") == []
        assert browser.find_element("id", "pair").get_attribute("hidden") is not None
        assert store.count() == 0


def test_a_pair_must_be_answered_and_played_and_the_next_one_looks_new(browser: Any, folder: Path):
    from selenium.webdriver.common.keys import Keys

    store = JudgmentStore(AnnotationPaths.at(folder).judgments)
    with running_page(folder, require_listening=True) as url:
        browser.get(url + "/")
        browser.find_element("id", "annotator").send_keys("Careful Listener", Keys.ENTER)
        wait_for(browser, lambda d: text_of(d, "progress") == "Judged 0 of 3 pairs", "the first pair")
        for term in ("def-arousal", "def-valence"):  # the two words are explained on the page itself
            assert browser.find_element("id", term).is_displayed() and len(text_of(browser, term)) > 40
        first_label = text_of(browser, "pair-label")
        assert first_label.startswith("Pair 1 of 3")

        press(browser, "1", Keys.ENTER)  # valence not answered yet
        wait_for(browser, lambda d: "Answer both questions first" in text_of(d, "message"), "the reminder")
        press(browser, "e")
        wait_for(browser, lambda d: text_of(d, "message") == "", "the reminder to go once both are answered")

        press(browser, Keys.ENTER)  # neither excerpt played: refused here, nothing sent
        wait_for(browser, lambda d: "Play both excerpts" in text_of(d, "message"), "the listening reminder")
        assert store.count() == 0
        for key, player in (("z", "audio-a"), ("x", "audio-b")):
            press(browser, key)
            wait_for(browser, lambda d, p=player: d.execute_script(f"return !document.getElementById('{p}').paused;"),
                     f"{player} playing")
        wait_for(browser, lambda d: text_of(d, "message") == "", "the listening reminder to go once both played")
        press(browser, Keys.ENTER)
        wait_for(browser, lambda d: text_of(d, "progress") == "Judged 1 of 3 pairs", "the next pair")
        assert {(j.played_a, j.played_b) for j in store.all()} == {(True, True)}

        # the next pair is visibly another one: its own label, a highlight, stopped players, no choice made
        assert text_of(browser, "pair-label").startswith("Pair 2 of 3") and text_of(browser, "pair-label") != first_label
        assert "fresh" in browser.find_element("id", "pair").get_attribute("class")
        assert browser.execute_script("return ['audio-a', 'audio-b'].every((id) => { const p = "
                                      "document.getElementById(id); return p.paused && p.currentTime === 0; });")
        assert not browser.execute_script("return document.querySelector('input[type=radio]:checked') !== null;")
        assert text_of(browser, "played-a") == text_of(browser, "played-b") == "not played yet"
