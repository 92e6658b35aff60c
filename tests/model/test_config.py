"""The model config refuses values no run can use, and the learnability script's ``--set`` reads config fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from earsense_m2t.model.config import GTPConfig
from tests._scripts import load_script

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("changes", "message"), [
    ({"group_k": 0}, "group_k 0 must be ≥ 1"),
    ({"momentum": 1.0}, r"momentum 1\.0 outside \(0, 1\)"),
    ({"conv_norm": "batch"}, "conv_norm 'batch'; known: group, none"),
    ({"hidden": 33}, "hidden 33 is not a multiple of heads 2"),
    ({"micro_batch": 3}, "batch_size 2 is not a multiple of micro_batch 3"),
    ({"pretrain_music_epochs": -1}, "pretraining epochs -1/20 must be ≥ 0"),
])
def test_a_config_that_no_run_can_use_is_refused_naming_the_field(changes, message):
    with pytest.raises(ValueError, match=message):
        GTPConfig.tiny().with_(**changes)


def _learnability_script():
    return load_script("scripts/learnability.py")


@pytest.mark.parametrize(("items", "expected"), [
    (["group_k=32"], {"group_k": 32}),
    (["alpha=31.25", "momentum_per_sample=false"], {"alpha": 31.25, "momentum_per_sample": False}),
    (["conv_norm=none"], {"conv_norm": "none"}),
])
def test_set_reads_values_as_json_or_text(items, expected):
    assert _learnability_script().config_changes(items) == expected


@pytest.mark.parametrize("item", ["group_k", "name=x", "not_a_field=1"])
def test_set_refuses_what_is_not_a_config_field(item):
    with pytest.raises(ValueError, match="is not FIELD=VALUE with a field of the model config"):
        _learnability_script().config_changes([item])


def test_override_config_applies_to_the_named_config_only_and_is_validated_first(monkeypatch):
    from earsense_m2t.model import config

    script = _learnability_script()
    monkeypatch.setattr(config, "CONFIGS", dict(config.CONFIGS))
    with pytest.raises(ValueError, match="group_k 0"):
        script.override_config("tiny", {"group_k": 0})
    assert config.get_config("tiny").group_k == GTPConfig.tiny().group_k
    script.override_config("tiny", {"group_k": 32})
    assert config.get_config("tiny").group_k == 32
    assert config.get_config("paper").group_k == GTPConfig.paper().group_k
