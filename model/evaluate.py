"""Score a saved checkpoint on its test fold without training: ``earsense-m2t evaluate``.

A run folder of ``earsense-m2t train`` (``<out>/v<version>-<config>/``) holds, per (system, seed, fold),
the best epoch's weights in ``checkpoints/<system>/seed<S>/fold<F>/best.pt``. :func:`evaluate_checkpoint`
reads the run's plan from its ``run.json`` (the dataset it trained on, the folds, the decoding), loads those
weights, decodes the fold's test movements as the train stage does and scores them with the same metrics
(:class:`earsense_m2t.model.metrics.Evaluator`: the scoring rule, both BLEU conventions, both sentiment
figures). A TAGS baseline has no checkpoint: its texts are chosen again from the fold's training rows.

It writes ``evaluations/<system>/seed<S>/fold<F>.json`` (the unit file's shape: metrics and generations,
plus the checkpoint it read and, when the train stage scored the same unit, that unit's metrics), never the
``units/`` files of the run, so an evaluation cannot change a run's table or stop it from resuming.

Everything that can be wrong is a ValueError of one line, found before the dataset is read where it can be:
a folder without ``run.json``, a system, seed or fold the run did not have, a missing checkpoint, a
checkpoint of another run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from earsense_m2t.model.baselines import BASELINES
from earsense_m2t.model.results import write_json
from earsense_m2t.model.run import (
    Plan,
    baseline_generations,
    decode_test_fold,
    generation_records,
    prepare,
    read_json,
    unit_path,
)
from earsense_m2t.model.systems import FIELD_SYSTEMS

EVALUATIONS = "evaluations"
RUN_JSON = "run.json"


def evaluation_path(run_dir: Path, system: str, seed: int, fold: int) -> Path:
    return Path(run_dir) / EVALUATIONS / system / f"seed{seed}" / f"fold{fold}.json"


def checkpoint_path(run_dir: Path, system: str, seed: int, fold: int) -> Path:
    from earsense_m2t.model.train import BEST

    return Path(run_dir) / "checkpoints" / system / f"seed{seed}" / f"fold{fold}" / BEST


def run_plan(run_dir: Path, device: str = "auto") -> tuple[dict[str, Any], Plan]:
    """The run's ``run.json`` and its plan (lists back to tuples), to run on ``device``."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ValueError(f"--run {run_dir}: no such folder (a run folder is <out>/v<version>-<config>/ of "
                         "`earsense-m2t train`)")
    run = read_json(run_dir / RUN_JSON)
    if run is None or not isinstance(run.get("plan"), dict):
        raise ValueError(f"--run {run_dir}: no {RUN_JSON} with a plan there: not a folder `earsense-m2t train` wrote")
    known = {f.name for f in fields(Plan)}
    stored: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in run["plan"].items()}
    unknown = sorted(set(stored) - known)
    if unknown:
        raise ValueError(f"--run {run_dir}: its plan has fields this version does not know ({', '.join(unknown)})")
    return run, Plan(**{**stored, "device": device})


def check_unit(run_dir: Path, plan: Plan, system: str, seed: int, fold: int) -> None:
    """The system, seed and fold are the run's, and a neural system's checkpoint is there."""
    if system not in plan.systems:
        raise ValueError(f"--system {system}: the run at {run_dir} trained {', '.join(plan.systems)}")
    if system in FIELD_SYSTEMS:
        raise ValueError(f"--system {system}: evaluate scores the GTP model's checkpoints and the TAGS baselines; the "
                         f"train stage scored {system} itself (units/{system}/seed{seed}/fold{fold}.json)")
    if seed not in plan.seeds:
        raise ValueError(f"--seed {seed}: the run at {run_dir} used seeds {', '.join(map(str, plan.seeds))}")
    if plan.folds is not None and fold not in plan.folds:
        raise ValueError(f"--fold {fold}: the run at {run_dir} tested folds {', '.join(map(str, plan.folds))}")
    if system not in BASELINES:
        path = checkpoint_path(run_dir, system, seed, fold)
        if not path.is_file():
            raise ValueError(f"{path}: no checkpoint (the unit {system}/fold{fold}/seed{seed} has not finished an "
                             "epoch; `earsense-m2t train` with the run's arguments trains it)")


def check_checkpoint_key(key: Any, expected: dict[str, Any], path: Path) -> None:
    """The checkpoint is of this system, fold and seed, of this release and model config."""
    found = key if isinstance(key, dict) else {}
    differ = sorted(k for k, v in expected.items() if found.get(k) != v)
    if differ:
        shown = "; ".join(f"{k}: {found.get(k)!r} there, {expected[k]!r} here" for k in differ if k != "config")
        raise ValueError(f"{path}: a checkpoint of another run ({shown or 'another model config'})")


def evaluate_checkpoint(run_dir: Path, system: str, fold: int, seed: int = 0, *, device: str = "auto",
                        emotion_model_dir: Path | None = None, cache_dir: Path | None = None,
                        log: Callable[[str], None] = print) -> dict[str, Any]:
    """Decode and score one (system, seed, fold) of the run at ``run_dir``; write and return its evaluation."""
    import torch

    from earsense_m2t.annotation.metrics.emotion import emotion_model
    from earsense_m2t.model.metrics import Evaluator
    from earsense_m2t.model.run import references_for
    from earsense_m2t.model.train import load_best, resolve_device

    run_dir = Path(run_dir)
    run, plan = run_plan(run_dir, device)
    check_unit(run_dir, plan, system, seed, fold)
    dataset = Path(str(run.get("dataset_path", "")))
    if not dataset.is_dir():
        raise ValueError(f"{run_dir / RUN_JSON}: the dataset it trained on, {dataset}, is not there")
    prep = prepare(dataset, None, plan, run_dir.parent, cache_dir=cache_dir)
    prep.run_dir = run_dir  # the folder given, whatever its name: the standardizer and checkpoints are there
    if fold not in prep.folds:
        raise ValueError(f"--fold {fold}: the run at {run_dir} tested folds {', '.join(map(str, prep.folds))}")
    torch_device = resolve_device(plan.device)
    extra: dict[str, Any] = {}
    texts: dict[str, tuple[str, ...]]
    if system in BASELINES:
        texts = {i: (t,) for i, t in baseline_generations(system, prep.splits[fold]).items()}
    else:
        path = checkpoint_path(run_dir, system, seed, fold)
        state = torch.load(path, map_location="cpu", weights_only=True)
        expected = {"system": system, "fold": fold, "seed": seed, "release": prep.release.version,
                    "config": json.loads(json.dumps(asdict(prep.cfg)))}
        check_checkpoint_key(state.get("key"), expected, path)
        model = load_best(path.parent, prep.cfg, system, state["key"], torch_device)
        texts = decode_test_fold(prep, model, fold, seed)  # sampled with the unit's seed: the unit's texts
        extra = {"checkpoint": str(path), "best_epoch": state.get("epoch")}
    references = references_for(prep)[fold]
    emotions = emotion_model(emotion_model_dir)
    with Evaluator(emotions) as evaluator:
        [metrics] = evaluator.evaluate_many([(texts, {i: references[i] for i in texts})])
    trained = read_json(unit_path(run_dir, system, seed, fold))
    payload = {"system": system, "fold": fold, "seed": seed, "metrics": metrics, **extra,
               "emotion_model": getattr(emotions, "name", type(emotions).__name__),
               "unit_metrics": trained.get("metrics") if trained else None,
               "generations": generation_records(texts, references)}
    out = write_json(evaluation_path(run_dir, system, seed, fold), payload)
    log(f"evaluate: {system}/fold{fold}/seed{seed}: {len(texts)} test movements scored; {out}")
    return payload


__all__ = ["EVALUATIONS", "check_unit", "checkpoint_path", "evaluate_checkpoint", "evaluation_path", "run_plan"]
