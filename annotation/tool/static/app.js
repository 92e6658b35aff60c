// The annotation page: asks the server for the next pair, plays the two excerpts, sends the two answers.
// Everything shown comes through textContent (never innerHTML), so no id or message can become markup.
"use strict";

(function () {
  const KEYS = {
    "1": ["arousal", "a"], "2": ["arousal", "b"], "3": ["arousal", "ab"],
    "q": ["valence", "a"], "w": ["valence", "b"], "e": ["valence", "ab"],
  };
  const QUESTIONS = ["arousal", "valence"];
  const $ = (id) => document.getElementById(id);
  const players = { a: $("audio-a"), b: $("audio-b") };
  let annotator = "";
  let pair = null;
  let lastPlayer = "a";
  let busy = false;
  let requireListening = false;
  let played = { a: false, b: false };
  const ANSWER_FIRST = "Answer both questions first (1 / 2 / 3 and q / w / e).";
  const PLAY_FIRST = "Play both excerpts first (z and x): this page asks you to listen to A and B before answering.";

  function say(text, isError) {
    const message = $("message");
    message.textContent = text || "";
    message.className = isError ? "error" : "";
  }

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    let data = {};
    try { data = await response.json(); } catch (err) { data = { error: "the server answered " + response.status }; }
    return { status: response.status, data: data };
  }

  function chosen(question) {
    const checked = document.querySelector('input[name="' + question + '"]:checked');
    return checked ? checked.value : null;
  }

  function refreshSubmit() {
    const unanswered = QUESTIONS.some((q) => chosen(q) === null);
    $("submit").disabled = !pair || busy || unanswered;
    // a reminder goes as soon as what it asked for is done
    const message = $("message").textContent;
    if ((message === ANSWER_FIRST && !unanswered) || (message === PLAY_FIRST && played.a && played.b)) { say(""); }
  }

  function showPlayed() {
    for (const which of ["a", "b"]) {
      const note = $("played-" + which);
      note.textContent = played[which] ? "played" : "not played yet";
      note.className = played[which] ? "played yes" : "played";
    }
  }

  function showProgress(progress) {
    $("progress").textContent = "Judged " + progress.judged + " of " + progress.total + " pairs";
  }

  function stopPlayers() {
    for (const player of Object.values(players)) { player.pause(); }
  }

  function showPair(next) {
    const isNew = next !== null && (pair === null || next.number !== pair.number);
    pair = next;
    stopPlayers();
    for (const q of QUESTIONS) {
      for (const input of document.querySelectorAll('input[name="' + q + '"]')) {
        input.checked = next !== null && next.answered[q] === input.value;
        input.disabled = next !== null && q in next.answered;  // stored answers are never changed
      }
    }
    $("pair").hidden = next === null;
    $("done").hidden = next !== null;
    if (next !== null) {
      if (isNew) {
        players.a.src = next.audio_a;
        players.b.src = next.audio_b;
        for (const player of Object.values(players)) { player.load(); }  // from the start, stopped
        played = { a: false, b: false };
        lastPlayer = "a";
        $("pair-label").textContent = "Pair " + next.number + " of " + $("pair").dataset.total +
          " (round " + next.round + ")";
        $("label-a").textContent = "excerpt " + next.label_a;
        $("label-b").textContent = "excerpt " + next.label_b;
        const section = $("pair");
        section.classList.remove("fresh");
        void section.offsetWidth;  // restart the highlight even when the last one has not ended
        section.classList.add("fresh");
      }
      showPlayed();
    }
    refreshSubmit();
  }

  async function loadNext() {
    const { status, data } = await post("/api/next", { annotator: annotator });
    if (status !== 200) {
      say(data.error || "the server answered " + status, true);
      return false;
    }
    requireListening = data.require_listening === true;
    $("pair").dataset.total = String(data.progress.total);
    showProgress(data.progress);
    showPair(data.pair);
    return true;
  }

  async function start() {
    annotator = $("annotator").value.trim();
    if (!annotator) { say("Type your annotator id first.", true); return; }
    say("");
    if (await loadNext()) { $("annotator").blur(); }
  }

  async function submit() {
    if (!pair || busy) { return; }
    const answers = {};
    for (const q of QUESTIONS) {
      const value = chosen(q);
      if (value === null) { say(ANSWER_FIRST, true); return; }
      if (!(q in pair.answered)) { answers[q] = value; }
    }
    if (requireListening && !(played.a && played.b)) { say(PLAY_FIRST, true); return; }
    busy = true;
    refreshSubmit();
    try {
      const { status, data } = await post("/api/judgments", {
        annotator: annotator, triplet_id: pair.triplet_id, a: pair.a, b: pair.b, answers: answers,
        played: { a: played.a, b: played.b },
      });
      if (status === 200 || status === 201) {
        say(status === 201 ? "Stored." : "Already stored.");
        await loadNext();
      } else {
        say(data.error || "the server answered " + status, true);
      }
    } catch (err) {
      say("Could not reach the server: " + err, true);
    } finally {
      busy = false;
      refreshSubmit();
    }
  }

  function toggle(which) {
    const player = players[which];
    const other = players[which === "a" ? "b" : "a"];
    lastPlayer = which;
    if (player.paused) {
      other.pause();
      player.play().catch((err) => say("Cannot play " + which.toUpperCase() + ": " + err.message, true));
    } else {
      player.pause();
    }
  }

  function choose(question, value) {
    const input = document.querySelector('input[name="' + question + '"][value="' + value + '"]');
    if (input && !input.disabled) { input.checked = true; }
    refreshSubmit();
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.altKey || event.metaKey) { return; }
    if (event.target === $("annotator")) {
      if (event.key === "Enter") { event.preventDefault(); start(); }
      return;
    }
    if (!pair) {
      if (event.key === "Enter" && !annotator) { event.preventDefault(); start(); }
      return;
    }
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (key in KEYS) { event.preventDefault(); choose(KEYS[key][0], KEYS[key][1]); }
    else if (key === "z") { event.preventDefault(); toggle("a"); }
    else if (key === "x") { event.preventDefault(); toggle("b"); }
    else if (key === " ") { event.preventDefault(); toggle(lastPlayer); }
    else if (key === "Enter") { event.preventDefault(); submit(); }
  });

  $("start").addEventListener("click", start);
  $("submit").addEventListener("click", submit);
  for (const input of document.querySelectorAll('input[type="radio"]')) {
    input.addEventListener("change", refreshSubmit);
  }
  for (const [which, player] of Object.entries(players)) {
    player.addEventListener("play", () => {
      lastPlayer = which;
      if (pair !== null && player.src.endsWith(pair["audio_" + which])) {
        played[which] = true;
        showPlayed();
        refreshSubmit();
      }
    });
  }
})();
