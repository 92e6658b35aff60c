"""The dataset card does not depend on where the output root is (issue 24 item 2): a CLI build and a deployment
build of one output root (a relative and an absolute path), or the same data under two roots, render one card."""

from __future__ import annotations

from earsense_m2t.publish import publish_dataset
from tests.publish._bundle import CARD_CONTEXT, NOW, make_build


def test_the_same_data_under_two_output_roots_renders_the_same_card(tmp_path, monkeypatch):
    cards = []
    for where in ("first/place", "second"):
        root = tmp_path / where / "local"
        build = make_build(root)
        publish_dataset(build, root / "earsense-m2t", card_context=CARD_CONTEXT, now=NOW)
        cards.append((root / "earsense-m2t" / "README.md").read_text(encoding="utf-8"))
    monkeypatch.chdir(tmp_path / "first/place")  # the CLI's relative --out
    make_build(tmp_path / "first/place" / "relative")
    from pathlib import Path
    root = Path("relative")
    publish_dataset(root / "build", root / "earsense-m2t", card_context=CARD_CONTEXT, now=NOW)
    cards.append((root / "earsense-m2t" / "README.md").read_text(encoding="utf-8"))
    assert str(tmp_path) not in cards[0] and str(tmp_path) not in cards[1]
    assert cards[0] == cards[1] == cards[2]
    assert 'datasets.load_dataset("path/to/earsense-m2t")' in cards[0]
