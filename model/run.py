"""The train stage's one entrypoint: train and evaluate every system of Table 1 on one dataset version.

The field's other systems (MusCaps, MusCALL, song-title prediction: :data:`.systems.FIELD_SYSTEMS`, issue 26) run
on the same data path when the plan names them (:mod:`.field`); the default plan stays Table 1's.

A run is keyed by dataset version, config and settings profile (:mod:`.settings`): its folder
``<out>/v<version>-<config>/`` (``v<version>-<config>-authors/`` under ``--settings authors``) holds

- ``run.json``: the plan (epochs, folds, seeds, systems, decoding) and the environment. A second call
  with another plan on the same folder is refused, so a resumed run never mixes two plans;
- ``pretrain/fold<F>/``: the fold's pretrained music and text autoencoders and ``stats.json`` (the pooled
  music cosines before and after, the tempo probe, the texts' BLEU distribution; :mod:`.pretrain`),
  trained once per fold before its first neural system and reused by every system and seed;
- ``checkpoints/<system>/seed<S>/fold<F>/``: the newest epoch and the best weights (:mod:`.train`);
- ``units/<system>/seed<S>/fold<F>.json``: one evaluated unit, its generations and its metrics;
- ``results.json``, ``results.md``, ``loss_curves.png``: the table (:mod:`.results`), with, when the plan has them,
  the retrieval table (MusCALL and the GTP-family systems' embeddings, with the shuffled-pair control) and the
  song-title table.

Everything that can be wrong with the input is checked before the first step (:func:`prepare`):
the version, the release's configs and values, every requested fold, Java for the metrics. A unit
that fails while training (out of memory, a NaN loss) is a ``Failure`` of the stage and is left out
of the means; the others go on. A killed run started again with the same arguments skips the units
it finished and resumes the one it was in from its newest epoch checkpoint.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import MISSING, asdict, dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from earsense_m2t.model.config import GTPConfig, get_config
from earsense_m2t.model.data import Release, Split, Standardizer, fit_standardizer, fold_split, load_release, version_path
from earsense_m2t.model.results import (
    DIFFERENCES,
    EXTRA_SYSTEMS,
    SYSTEM_ORDER,
    TITLE_METRICS,
    Unit,
    markdown,
    plot_losses,
    retrieval_keys,
    retrieval_units,
    significance,
    summarize,
    write_json,
)
from earsense_m2t.model.settings import (
    DEFAULT_SETTINGS,
    FULL_EPOCHS,
    Settings,
    differences,
    get_settings,
    streams_statement,
)
from earsense_m2t.model.systems import CAPTIONING_FIELD_SYSTEMS, FIELD_SYSTEMS, TABLE1_SYSTEMS
from earsense_m2t.schemas import Failure, StageResult
from earsense_m2t.schemas.stages import Stage
from earsense_m2t.schemas.training import TrainingRun

if TYPE_CHECKING:
    from earsense_m2t.model.pretrain import Pretrained
    from earsense_m2t.model.train import TrainSettings

#: the TAGS baselines: the paper's rows on its four tags, the extra rows on the release's five (model/baselines.py)
BASELINE_SYSTEMS = ("tags_knn", "tags_representative", *EXTRA_SYSTEMS)
#: a run folder with a field system names its systems when their names together are at most this long
RUN_DIR_NAMES_MAX = 48


@dataclass(frozen=True)
class Plan:
    """What one run trains and evaluates; ``folds`` None = every fold of the release."""

    config: str
    epochs: int
    seeds: tuple[int, ...] = (0, 1, 2)
    folds: tuple[int, ...] | None = None
    systems: tuple[str, ...] = TABLE1_SYSTEMS
    beam: int = 3
    max_tokens: int = 200
    validation_works: float = 0.1
    micro_batch: int | None = None  # None: the config's (paper: 1, accumulated to its batch of 8)
    device: str = "auto"
    #: (music, text) autoencoder pretraining epochs instead of the config's; the smoke profile pretrains 1 and 1
    pretrain_epochs: tuple[int, int] | None = None
    #: the settings profile the fields below (and epochs, beam, max_tokens) come from (model/settings.py)
    settings: str = DEFAULT_SETTINGS
    weight_decay: float = 0.01
    momentum_per_sample: bool | None = None  # None: the model config's
    gtp_similarity: str | None = None  # None: the model config's
    decoding: str = "beam"
    top_k: int | None = None
    outputs: int = 1

    @classmethod
    def profile(cls, name: str, config: str, settings: str | None = None, **overrides: Any) -> Plan:
        """``full``: every fold, 3 seeds, the settings' epochs (corrected: the config's); ``smoke``: 2 folds, 1 seed,
        1 epoch, 1 + 1 epochs of pretraining (the tests'). ``settings``: the profile of model/settings.py (default
        corrected) giving weight decay, momentum rule and decoding."""
        if config not in FULL_EPOCHS:
            get_config(config)  # raises with the known names
        chosen = get_settings(settings or DEFAULT_SETTINGS)
        if name == "full":
            plan = cls(config, chosen.epochs or FULL_EPOCHS[config])
        elif name == "smoke":
            plan = cls(config, 1, seeds=(0,), folds=(0, 1), pretrain_epochs=(1, 1))
        else:
            raise ValueError(f"unknown training profile {name!r}; known: full, smoke")
        plan = replace(plan, settings=chosen.name, weight_decay=chosen.weight_decay,
                       momentum_per_sample=chosen.momentum_per_sample, gtp_similarity=chosen.gtp_similarity,
                       decoding=chosen.decoding, beam=chosen.beam,
                       top_k=chosen.top_k, outputs=chosen.outputs, max_tokens=chosen.max_tokens)
        return replace(plan, **{k: v for k, v in overrides.items() if v is not None})

    def settings_values(self) -> Settings:
        """The settings this plan runs with, every value resolved (epochs as planned, the config's momentum rule):
        what results.md's generated differences compare with the paper and the authors' code."""
        momentum = self.momentum_per_sample
        if momentum is None:
            momentum = get_config(self.config).momentum_per_sample
        return Settings(self.settings, weight_decay=self.weight_decay, epochs=self.epochs,
                        momentum_per_sample=momentum, decoding=self.decoding, beam=self.beam, top_k=self.top_k,
                        outputs=self.outputs, max_tokens=self.max_tokens,
                        gtp_similarity=self.gtp_similarity or get_config(self.config).gtp_similarity)

    def check(self) -> None:
        known = (*TABLE1_SYSTEMS, *(s for s in (*SYSTEM_ORDER, *EXTRA_SYSTEMS) if s not in TABLE1_SYSTEMS),
                 *FIELD_SYSTEMS)
        unknown = [s for s in self.systems if s not in known]
        if unknown:
            raise ValueError(f"unknown systems {', '.join(unknown)}; known: {', '.join(known)}")
        if self.epochs < 1:
            raise ValueError(f"epochs {self.epochs}: at least 1")
        if not self.seeds:
            raise ValueError("seeds: at least one")
        if self.beam < 1 or self.max_tokens < 1:
            raise ValueError(f"beam {self.beam} / max_tokens {self.max_tokens}: at least 1")
        if self.pretrain_epochs is not None and (len(self.pretrain_epochs) != 2 or min(self.pretrain_epochs) < 0):
            raise ValueError(f"pretrain_epochs {self.pretrain_epochs}: (music, text), each ≥ 0")
        get_settings(self.settings)
        self.settings_values()  # raises on a decoding the settings cannot have

    def comparable(self) -> dict[str, Any]:
        """What must be equal for a resumed run to continue this one (the device may change)."""
        d = asdict(self)
        d.pop("device")
        return d


@dataclass
class Prepared:
    """A checked release and everything a run needs before its first step."""

    release: Release
    cfg: GTPConfig
    plan: Plan
    folds: tuple[int, ...]
    splits: dict[int, Split]
    run_dir: Path


def run_dir_for(out: Path, version: str, config: str, settings: str = DEFAULT_SETTINGS,
                systems: Sequence[str] = TABLE1_SYSTEMS) -> Path:
    """``<out>/v<version>-<config>/``; a run of another settings profile than the default is another run:
    ``<out>/v<version>-<config>-<settings>/`` (its checkpoints and units never mix with the corrected run's). So is a
    run that has one of the field's systems (asked for after a release's own run, whose folder would refuse it as
    another plan): ``…-muscaps+muscall+title/``, or the count and a digest of the names when they are many."""
    suffix = "" if settings == DEFAULT_SETTINGS else f"-{settings}"
    if any(system in FIELD_SYSTEMS for system in systems):
        names = "+".join(systems)
        digest = hashlib.sha256(",".join(systems).encode()).hexdigest()[:8]
        suffix += f"-{names}" if len(names) <= RUN_DIR_NAMES_MAX else f"-{len(systems)}-systems-{digest}"
    return Path(out) / f"v{version}-{config}{suffix}"


def prepare(dataset: Path, version: str | None, plan: Plan, out: Path, *, cache_dir: Path | None = None) -> Prepared:
    """Check everything before training starts; every problem is one ValueError naming the version or row ids."""
    from earsense_m2t.model.metrics import require_java
    from earsense_m2t.model.tokenizer import wordpiece

    plan.check()
    cfg = get_config(plan.config)
    if plan.pretrain_epochs is not None:
        cfg = cfg.with_(pretrain_music_epochs=plan.pretrain_epochs[0], pretrain_text_epochs=plan.pretrain_epochs[1])
    if plan.momentum_per_sample is not None:
        cfg = cfg.with_(momentum_per_sample=plan.momentum_per_sample)
    if plan.gtp_similarity is not None:
        cfg = cfg.with_(gtp_similarity=plan.gtp_similarity)
    micro = plan.micro_batch or cfg.micro_batch
    if cfg.batch_size % micro:
        raise ValueError(f"micro_batch {micro}: the {plan.config} config's batch of {cfg.batch_size} is not a multiple "
                         "of it")
    require_java()  # METEOR and the PTB tokenizer of the caption metrics score every system
    path = version_path(Path(dataset), version)
    folds_needed = len(plan.folds) if plan.folds else 2  # a test fold and at least one to train on
    # datasets' Arrow cache goes under --out too: a run writes nowhere else
    release = load_release(path, n_folds=max(2, folds_needed), count_pieces=wordpiece().pieces,
                           max_frames=cfg.max_frames, cache_dir=cache_dir or Path(out) / ".cache" / "datasets")
    present = sorted({e.fold for e in release.examples})
    folds = tuple(plan.folds) if plan.folds else tuple(present)
    missing = [f for f in folds if f not in present]
    if missing:
        raise ValueError(f"version {release.version}: folds {missing} have no example with text and audio "
                         f"(folds present: {present})")
    splits: dict[int, Split] = {}
    for fold in folds:
        split = fold_split(release.examples, fold, plan.validation_works)
        if not split.train or not split.validation:
            raise ValueError(f"version {release.version}: fold {fold} leaves {len(split.train)} training and "
                             f"{len(split.validation)} validation examples; both need whole works "
                             f"({len(release.works())} works in all)")
        splits[fold] = split
    run_dir = run_dir_for(out, release.version, plan.config, plan.settings, plan.systems)
    check_same_plan(run_dir, plan)
    return Prepared(release, cfg, plan, folds, splits, run_dir)


def check_same_plan(run_dir: Path, plan: Plan) -> None:
    """A run folder started with another plan is not continued (its units would be mixed with this plan's)."""
    previous = read_json(run_dir / "run.json")
    if previous is None:
        return
    # a field the stored plan lacks (written before the field existed) had the field's default then
    now = plan.comparable()
    defaults = {f.name: f.default for f in fields(Plan) if f.default is not MISSING and f.name in now}
    before = {**defaults, **previous.get("plan", {})}
    before = {k: tuple(v) if isinstance(v, list) else v for k, v in before.items()}
    now = {k: tuple(v) if isinstance(v, list) else v for k, v in now.items()}
    differ = sorted(k for k in set(before) | set(now) if before.get(k) != now.get(k))
    if differ:
        shown = "; ".join(f"{k}: {before.get(k)!r} there, {now.get(k)!r} now" for k in differ)
        raise ValueError(f"{run_dir}: a run with another plan is there ({shown}); use another --out or remove it")


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return data if isinstance(data, dict) else None


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def describe_device(device: str) -> str:
    import torch

    if device.startswith("cuda"):
        return f"cuda ({torch.cuda.get_device_name(torch.device(device))})"
    return device


def unit_path(run_dir: Path, system: str, seed: int, fold: int) -> Path:
    return run_dir / "units" / system / f"seed{seed}" / f"fold{fold}.json"


def standardizer_for(prep: Prepared, fold: int) -> Standardizer:
    """Fitted on the fold's training rows once and kept, so a resumed run scales its input as before."""
    path = prep.run_dir / "folds" / f"fold{fold}" / "standardizer.json"
    stored = read_json(path)
    if stored is not None:
        return Standardizer.from_dict(stored)
    std = fit_standardizer(prep.release, prep.splits[fold].train, prep.cfg.max_frames)
    write_json(path, std.to_dict())
    return std


def baseline_generations(system: str, split: Split) -> dict[str, str]:
    from earsense_m2t.model.baselines import BASELINES

    return BASELINES[system](split.train, split.test)


@dataclass
class NeuralOutcome:
    generations: dict[str, tuple[str, ...]]  # the text streams of each test movement (one by beam search)
    history: list[dict[str, float]]
    best_epoch: int
    samples_per_s: float
    resumed_from: int | None
    #: the test fold's retrieval with the model's pooled music and text vectors (:func:`.field.gtp_retrieval`)
    retrieval: dict[str, Any] | None = None


def train_settings(prep: Prepared, device: str) -> TrainSettings:
    from earsense_m2t.model.train import TrainSettings

    return TrainSettings(epochs=prep.plan.epochs, batch_size=prep.cfg.batch_size,
                         micro_batch=prep.plan.micro_batch or prep.cfg.micro_batch, device=device,
                         weight_decay=prep.plan.weight_decay)


def pretrain_dir(run_dir: Path, fold: int) -> Path:
    return run_dir / "pretrain" / f"fold{fold}"


def pretrained_for(prep: Prepared, fold: int, device: str, log: Callable[[str], None]) -> Pretrained:
    """The fold's pretrained autoencoders: trained in ``pretrain/fold<F>/`` the first time, found there after."""
    from earsense_m2t.model.pretrain import pretrain_fold

    return pretrain_fold(prep.release, prep.splits[fold], standardizer_for(prep, fold), prep.cfg,
                         train_settings(prep, device), pretrain_dir(prep.run_dir, fold), log=log)


def neural_generations(prep: Prepared, system: str, fold: int, seed: int, device: str, emotion_model: Any,
                       log: Callable[[str], None], pretrained: Pretrained | None = None) -> NeuralOutcome:
    """Train one system on one fold and seed (resuming from its checkpoint, starting from ``pretrained``), then
    decode the test fold."""
    from earsense_m2t.model.train import train_system

    cfg, split = prep.cfg, prep.splits[fold]
    std = standardizer_for(prep, fold)
    settings = train_settings(prep, device)
    ckpt = prep.run_dir / "checkpoints" / system / f"seed{seed}" / f"fold{fold}"
    run = train_system(prep.release, split, std, cfg, system, seed, settings, ckpt, emotion_model=emotion_model,
                       log=log, pretrained=pretrained)
    texts = decode_test_fold(prep, run.model, fold, seed)
    from earsense_m2t.model.field import gtp_retrieval

    retrieval = gtp_retrieval(run.model, prep.release, split, std, cfg, seed)
    return NeuralOutcome(texts, run.history, run.best_epoch, run.samples_per_s, run.resumed_from, retrieval)


def train_and_evaluate_field(prep: Prepared, system: str, fold: int, seed: int, device: str,
                             log: Callable[[str], None]) -> tuple[dict[str, tuple[str, ...]] | None, dict[str, Any]]:
    """Train one of the field's systems on one fold and seed (resuming its checkpoint) and evaluate it on the test
    fold (:mod:`.field`): MusCaps' captions for the stage to score (texts, training record), or the finished unit
    of MusCALL and the title system (None, the unit's record with its own metrics)."""
    from earsense_m2t.model.field import muscall_unit, muscaps_captions, title_unit, train_field_system

    split, std = prep.splits[fold], standardizer_for(prep, fold)
    ckpt = prep.run_dir / "checkpoints" / system / f"seed{seed}" / f"fold{fold}"
    model, cfg, record = train_field_system(prep.release, split, std, system, prep.plan.config, fold, seed,
                                            prep.plan.epochs, ckpt, device=device, log=log)
    if system == "muscaps":
        return muscaps_captions(model, cfg, prep.release, split, std, prep.plan.beam, prep.plan.max_tokens), record
    if system == "title":
        return None, {**record, **title_unit(model, cfg, prep.release, split, std, prep.plan.beam,
                                             prep.plan.max_tokens)}
    return None, {**record, "metrics": {}, "retrieval": muscall_unit(model, cfg, prep.release, split, std, seed)}


def decode_test_fold(prep: Prepared, model: Any, fold: int, seed: int = 0) -> dict[str, tuple[str, ...]]:
    """The fold's test movements decoded by ``model`` with the plan's decoding (one text each by beam search, or
    the plan's ``outputs`` sampled with ``seed``: the same seed gives the same texts); also `earsense-m2t evaluate`'s."""
    import torch

    from earsense_m2t.model.batch import MovementDataset, collate
    from earsense_m2t.model.decode import generate_streams
    from earsense_m2t.model.tokenizer import wordpiece

    cfg, plan = prep.cfg, prep.plan
    tok = wordpiece()
    data = MovementDataset(prep.release, prep.splits[fold].test, standardizer_for(prep, fold), tok, cfg.max_frames,
                           cfg.max_text_tokens)
    model_device = next(model.parameters()).device
    texts: dict[str, tuple[str, ...]] = {}
    model.eval()
    step = max(1, plan.micro_batch or cfg.micro_batch)
    with torch.no_grad():
        for start in range(0, len(data), step):
            batch = collate([data[i] for i in range(start, min(start + step, len(data)))], cfg.time_factor)
            outs = generate_streams(model, batch.to(model_device), tok, decoding=plan.decoding, beam=plan.beam,
                                    top_k=plan.top_k, outputs=plan.outputs, max_tokens=plan.max_tokens, seed=seed)
            texts.update(zip(batch.ids, outs, strict=True))
    return texts


def train_release(dataset: Path, version: str | None, plan: Plan, out: Path, *, emotion_model_dir: Path | None = None,
                  cache_dir: Path | None = None, only_systems: Collection[str] | None = None,
                  log: Callable[[str], None] = print) -> StageResult:
    """Train and evaluate ``plan`` on ``version`` of ``dataset``; write the run folder's table.

    ``only_systems``: train only the units of these systems of the plan (the others are left for another process
    on the same run folder: units are separate files, so processes that share a folder split the plan's systems
    between them; the table is written from the units found, and a last call without it completes it).

    Each fold's autoencoders are pretrained (or found pretrained) before its first neural unit, once for all
    its systems and seeds. Returns the stage's result: one :class:`TrainingRun` record, a failure per unit
    that could not be trained (a fold whose pretraining fails fails its neural units), and counts
    (``computed`` units evaluated in this call, ``reused`` units found done).
    Raises ValueError, before any training, for input that cannot make a run.
    """
    started = now_utc()
    prep = prepare(dataset, version, plan, out, cache_dir=cache_dir)
    from earsense_m2t.annotation.metrics.emotion import emotion_model
    from earsense_m2t.model.metrics import Evaluator
    from earsense_m2t.model.train import resolve_device

    device = str(resolve_device(plan.device))
    emotions = emotion_model(emotion_model_dir)
    run_dir = prep.run_dir
    write_json(run_dir / "run.json", {
        "dataset_version": prep.release.version, "config": plan.config, "dataset_path": str(prep.release.path),
        "plan": plan.comparable(), "model": asdict(prep.cfg), "started_at": started,
        "emotion_model": getattr(emotions, "name", type(emotions).__name__),
        "environment": environment(device)})
    result = StageResult(stage=Stage.TRAIN)
    log(f"train: v{prep.release.version}, config {plan.config}, {len(prep.release.examples)} examples in "
        f"{len(prep.release.works())} works, folds {list(prep.folds)}, seeds {list(plan.seeds)}, device {device}")

    pending: list[tuple[str, int, int, dict[str, tuple[str, ...]], dict[str, Any]]] = []
    baselines: dict[tuple[str, int], dict[str, tuple[str, ...]]] = {}  # no seed in them: one choice per fold serves every seed
    references = references_for(prep)
    with Evaluator(emotions) as evaluator:
        for fold in prep.folds:
            split = prep.splits[fold]
            pretrained: Pretrained | None = None
            pretrain_failure: str | None = None  # a fold whose pretraining failed fails its neural units at once
            for seed in plan.seeds:
                for system in plan.systems:
                    if only_systems is not None and system not in only_systems:
                        continue
                    path = unit_path(run_dir, system, seed, fold)
                    if read_json(path) is not None:
                        result.counts["reused"] += 1
                        continue
                    item = f"{system}/fold{fold}/seed{seed}"
                    extra: dict[str, Any]
                    try:
                        if system in BASELINE_SYSTEMS:
                            if (system, fold) not in baselines:
                                baselines[(system, fold)] = {i: (t,) for i, t in
                                                             baseline_generations(system, split).items()}
                            texts, extra = baselines[(system, fold)], {}
                        elif system in FIELD_SYSTEMS:
                            captions, extra = train_and_evaluate_field(prep, system, fold, seed, device, log)
                            if captions is None:  # a unit with its own metrics (retrieval, titles): done
                                write_json(path, {"system": system, "fold": fold, "seed": seed, **extra})
                                result.counts["computed"] += 1
                                log(f"train: {item} evaluated on {len(split.test)} test movements")
                                continue
                            texts = captions
                        else:
                            if pretrain_failure is not None:
                                raise ValueError(pretrain_failure)
                            if pretrained is None:
                                try:
                                    pretrained = pretrained_for(prep, fold, device, log)
                                except (RuntimeError, ValueError) as exc:
                                    pretrain_failure = f"pretraining fold {fold}: {exc}"
                                    raise ValueError(pretrain_failure) from exc
                            outcome = neural_generations(prep, system, fold, seed, device, emotions, log, pretrained)
                            texts = outcome.generations
                            extra = {"history": outcome.history, "best_epoch": outcome.best_epoch,
                                     "samples_per_s": outcome.samples_per_s, "resumed_from": outcome.resumed_from,
                                     "retrieval": outcome.retrieval}
                    except (RuntimeError, ValueError) as exc:  # torch's out-of-memory and NaN errors are RuntimeErrors
                        reason = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
                        result.drop(Failure(stage=Stage.TRAIN, item_id=item, code="training_failed", reason=reason))
                        log(f"train: {item} failed: {reason}")
                        continue
                    log(f"train: {item} decoded {len(texts)} test movements")
                    pending.append((system, seed, fold, texts, extra))
                    if len(pending) >= 8 or system == plan.systems[-1]:
                        score_and_store(evaluator, pending, references, run_dir, result)
                        pending = []
        score_and_store(evaluator, pending, references, run_dir, result)

    results = write_results(prep, device, started, result.failures)
    record = TrainingRun(
        id=run_dir.name, dataset_version=prep.release.version, config=plan.config,
        dataset_path=str(prep.release.path), run_dir=str(run_dir), results_json=str(run_dir / "results.json"),
        results_md=str(run_dir / "results.md"), started_at=started, finished_at=now_utc(),
        device=results["environment"]["device"], epochs=plan.epochs, folds=prep.folds, seeds=plan.seeds,
        systems=plan.systems,
        bleu=tuple((s, results["systems"].get(s, {}).get("bleu", {}).get("mean")) for s in plan.systems))
    result.records.append(record)
    return result


def references_for(prep: Prepared) -> dict[int, dict[str, str]]:
    return {fold: {e.id: e.text for e in prep.splits[fold].test} for fold in prep.folds}


def score_and_store(evaluator: Any,
                    pending: Sequence[tuple[str, int, int, dict[str, tuple[str, ...]], dict[str, Any]]],
                    references: dict[int, dict[str, str]], run_dir: Path, result: StageResult) -> None:
    """Score a batch of units in one call (one Java start for all of them) and write one file per unit."""
    if not pending:
        return
    scores = evaluator.evaluate_many([(texts, {i: references[fold][i] for i in texts})
                                      for _, _, fold, texts, _ in pending])
    for (system, seed, fold, texts, extra), metrics in zip(pending, scores, strict=True):
        write_json(unit_path(run_dir, system, seed, fold), {
            "system": system, "fold": fold, "seed": seed, "metrics": metrics, **extra,
            "generations": generation_records(texts, references[fold])})
        result.counts["computed"] += 1


def generation_records(texts: Mapping[str, Sequence[str]], references: Mapping[str, str]) -> list[dict[str, Any]]:
    """Per movement: its id, its (first) text, every stream when there are several, and its reference."""
    return [{"id": i, "hypothesis": texts[i][0], **({"hypotheses": list(texts[i])} if len(texts[i]) > 1 else {}),
             "reference": references[i]} for i in sorted(texts)]


def environment(device: str) -> dict[str, str]:
    import torch

    return {"device": describe_device(device), "torch": torch.__version__, "python": platform.python_version(),
            "machine": platform.machine()}


def load_units(run_dir: Path, plan: Plan, folds: Sequence[int]) -> tuple[list[Unit], dict[str, list[list[dict]]]]:
    """The captioning units (Table 1's systems and MusCaps) and their loss histories; MusCALL's and the title
    system's units are not captions (:func:`field_units`)."""
    units: list[Unit] = []
    histories: dict[str, list[list[dict]]] = {}
    for system in plan.systems:
        if system in FIELD_SYSTEMS and system not in CAPTIONING_FIELD_SYSTEMS:
            continue
        for seed in plan.seeds:
            for fold in folds:
                data = read_json(unit_path(run_dir, system, seed, fold))
                if data is None:
                    continue
                units.append(Unit(system, fold, seed, data["metrics"]))
                if data.get("history"):
                    histories.setdefault(system, []).append(data["history"])
    return units, histories


def field_units(run_dir: Path, plan: Plan, folds: Sequence[int]) -> tuple[list[Unit], list[Unit]]:
    """The units' retrieval figures (MusCALL's, and every GTP-family unit's) and the title system's figures."""
    retrieval: list[Unit] = []
    title: list[Unit] = []
    for system in plan.systems:
        for seed in plan.seeds:
            for fold in folds:
                data = read_json(unit_path(run_dir, system, seed, fold))
                if data is None:
                    continue
                if data.get("retrieval"):
                    retrieval.append(retrieval_units(system, fold, seed, data["retrieval"]))
                if system == "title":
                    title.append(Unit(system, fold, seed, data["metrics"]))
    return retrieval, title


def pretraining_summary(run_dir: Path, folds: Sequence[int]) -> dict[str, Any]:
    """Per fold with a finished pretraining: the pooled music cosine before and after, the check, the tempo probe."""
    from earsense_m2t.model.pretrain import STATS

    out: dict[str, Any] = {}
    for fold in folds:
        stats = read_json(pretrain_dir(run_dir, fold) / STATS)
        if not stats or not stats.get("after"):
            continue
        out[f"fold{fold}"] = {
            "epochs": stats.get("epochs"), "file": str(Path("pretrain") / f"fold{fold}" / STATS),
            **{f"music_cosine_{when}": {k: stats[when]["music_cosine"].get(k) for k in ("mean", "std", "n")}
               for when in ("before", "after") if stats.get(when)},
            "non_degenerate": stats["after"]["non_degenerate"], "tempo_probe": stats["after"].get("tempo_probe")}
    return out


def config_differences(cfg: GTPConfig) -> list[dict[str, str]]:
    """Each field of the run's model config that differs from the paper's (``GTPConfig.paper()``): what results.md
    lists under the config, generated, so a smaller config or a changed weight is never silent."""
    paper = asdict(GTPConfig.paper())
    return [{"field": k, "value": str(v), "paper": str(paper[k])} for k, v in asdict(cfg).items()
            if k != "name" and v != paper[k]]


def write_results(prep: Prepared, device: str, started: str, failures: Sequence[Failure]) -> dict[str, Any]:
    """``results.json``, ``results.md`` and ``loss_curves.png`` from every unit file of the run folder."""
    from earsense_m2t.model.metrics import METRICS

    plan, run_dir = prep.plan, prep.run_dir
    units, histories = load_units(run_dir, plan, prep.folds)
    retrieval, title = field_units(run_dir, plan, prep.folds)
    from earsense_m2t.model.field import not_reproduced

    field = [s for s in plan.systems if s in FIELD_SYSTEMS]
    counts = {f"fold{f}": {"train": len(s.train), "validation": len(s.validation), "test": len(s.test)}
              for f, s in prep.splits.items()}
    results: dict[str, Any] = {
        "dataset_version": prep.release.version, "config": plan.config, "dataset_path": str(prep.release.path),
        "started_at": started, "finished_at": now_utc(), "folds": list(prep.folds), "seeds": list(plan.seeds),
        "settings": plan.comparable(), "settings_profile": plan.settings,
        "decoding": streams_statement(plan.settings_values()),
        "differences": {"settings": differences(plan.settings_values()), "fixed": list(DIFFERENCES),
                        "config": config_differences(prep.cfg)},
        "environment": environment(device), "examples": counts,
        "without_text": len(prep.release.without_text),
        "systems": summarize(units, METRICS, prep.folds, plan.seeds),
        "significance": significance(units, METRICS),
        "pretraining": pretraining_summary(run_dir, prep.folds),
        "retrieval": summarize(retrieval, retrieval_keys(retrieval), prep.folds, plan.seeds),
        "title": summarize(title, list(TITLE_METRICS), prep.folds, plan.seeds),
        "field_differences": {s: not_reproduced(s) for s in field},
        "failures": [{"item_id": f.item_id, "code": f.code, "reason": f.reason} for f in failures],
        "files": {"markdown": "results.md", "loss_curves": "loss_curves.png", "units": "units/"}}
    write_json(run_dir / "results.json", results)
    (run_dir / "results.md").write_text(markdown(results), encoding="utf-8")
    if histories:
        plot_losses(histories, run_dir / "loss_curves.png")
    return results


__all__ = ["BASELINE_SYSTEMS", "FULL_EPOCHS", "Plan", "Prepared", "prepare", "run_dir_for",
           "train_release"]
