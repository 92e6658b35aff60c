"""The emotion module: offline NRC lexicon (no corpus download, no TextBlob), valence, negation."""

import subprocess
import sys

import pytest

from earsense_m2t.annotation.metrics.emotion import EMOTIONS, LexiconEmotion, emotion_model, local_classifier, text_emotion


def test_positive_and_negative_texts(no_sockets):
    happy = text_emotion("A joyful, radiant dance, full of delight and happiness.")
    sad = text_emotion("A mournful lament: dark, grieving, full of despair.")
    assert happy.valence is not None and sad.valence is not None and happy.valence > 0.5 > -0.3 > sad.valence
    assert max(happy.emotions, key=happy.emotions.get) == "joy"
    assert max(sad.emotions, key=sad.emotions.get) in ("sadness", "fear")
    assert set(happy.emotions) == set(EMOTIONS) and sum(happy.emotions.values()) == pytest.approx(1.0)


def test_inflections_and_negation():
    assert text_emotion("the cellos are grieving").matched == 1  # "grieving" -> "grieve"
    negated = text_emotion("this is not joyful")
    assert negated.valence == -1.0 and negated.emotions["joy"] == 0.0


def test_no_text_is_no_evidence():
    for text in (None, "", "Allegretto, 3/4, in the tonic."):
        scores = text_emotion(text)
        assert scores.valence is None or text
    assert text_emotion(None).valence is None and text_emotion("").matched == 0


def test_works_offline_in_a_clean_process(tmp_path):
    """No NLTK data, no network, no TextBlob import: the lexicon comes out of the nrclex wheel."""
    code = ("import socket, sys\n"
            "def refuse(*a, **k): raise SystemExit('network used')\n"
            "socket.socket.connect = refuse; socket.create_connection = refuse\n"
            "from earsense_m2t.annotation.metrics.emotion import text_emotion\n"
            "s = text_emotion('a happy, cheerful song')\n"
            "assert s.valence == 1.0, s\n"
            "assert 'textblob' not in sys.modules and 'nltk' not in sys.modules\n"
            "print('ok')\n")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NLTK_DATA": str(tmp_path / "none")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_a_classifier_only_when_its_weights_are_on_disk(tmp_path):
    assert local_classifier(None) is None
    assert local_classifier(tmp_path) is None  # no config.json: nothing is fetched, the lexicon is used
    assert isinstance(emotion_model(tmp_path), LexiconEmotion)
