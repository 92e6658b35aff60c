"""Rows that change because a rule changed (not the data) are a MINOR version whose changelog says why."""

from __future__ import annotations

import json

import earsense_m2t.publish.publish as publish_module
from earsense_m2t.media.identity import SOURCE_IDENTITY_RULE
from earsense_m2t.publish.versions import changed_rules
from tests.publish._bundle import make_build

RULES = {"source_identity": SOURCE_IDENTITY_RULE}  # this test's own table of one rule


def test_changed_rules():
    version, note = SOURCE_IDENTITY_RULE
    assert changed_rules(None, RULES) == []  # a first version explains nothing
    assert changed_rules({"rules": {"source_identity": version}}, RULES) == []
    assert changed_rules({}, RULES) == ([note] if version != "1" else [])  # a store from before rules were kept
    assert changed_rules({"rules": {"source_identity": "0"}}, RULES) == [note]


def test_a_rule_change_is_named_in_the_changelog(publish, dataset_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(publish_module, "RULES", {"source_identity": ("1", "the old rule")})
    publish(make_build(tmp_path / "a", n_works=5))
    monkeypatch.setattr(publish_module, "RULES", RULES)
    result = publish(make_build(tmp_path / "b", n_works=6))  # rows changed (a work added)
    assert (result.version, result.bump) == ("1.1.0", "minor")
    changelog = (dataset_dir / "CHANGELOG.md").read_text(encoding="utf-8")
    newest = changelog.split("\n## ")[1]
    assert newest.startswith("1.1.0") and f"Why: {SOURCE_IDENTITY_RULE[1]}." in newest
    meta = json.loads((dataset_dir / "meta" / "publish.json").read_text(encoding="utf-8"))
    assert meta["rules"] == {"source_identity": SOURCE_IDENTITY_RULE[0]}
    # the next change, with the same rules, says nothing about them
    result = publish(make_build(tmp_path / "c", n_works=7))
    assert "Why:" not in (dataset_dir / "CHANGELOG.md").read_text(encoding="utf-8").split("\n## ")[1]


def test_texts_realigned_by_the_new_rules_are_explained(publish, dataset_dir, tmp_path, monkeypatch):
    """A rebuild after the aligner's quotation rule (issue 19) says why the texts changed."""
    from earsense_m2t.movements.align import TEXT_ALIGNMENT_RULE

    version, note = TEXT_ALIGNMENT_RULE
    assert version != "1" and "text_from_quotation" in note
    monkeypatch.setattr(publish_module, "RULES", {"text_alignment": ("1", "the rule before quotations")})
    publish(make_build(tmp_path / "a", n_works=5))
    monkeypatch.setattr(publish_module, "RULES", {"text_alignment": TEXT_ALIGNMENT_RULE})
    result = publish(make_build(tmp_path / "b", n_works=6))
    assert result.bump == "minor"
    newest = (dataset_dir / "CHANGELOG.md").read_text(encoding="utf-8").split("\n## ")[1]
    assert f"Why: {note}." in newest


def test_the_published_rules_include_the_text_alignment():
    assert publish_module.RULES["text_alignment"][0] == "2"
