"""Training one system on one fold and seed: shuffled epochs, accumulated batches, a checkpoint per epoch, resumable.

What a run guarantees, and why:

- **Reproducible order**: python, numpy and torch are seeded with ``seed``; each epoch's shuffle and the
  reconstruction windows come from generators seeded from (seed, epoch), and the global RNG states are
  saved with every checkpoint, so a resumed run trains exactly as an uninterrupted one (on a CPU, bit for
  bit; tests/model/test_train.py checks it).
- **Start**: from the fold's pretrained autoencoders when ``pretrained`` is given (:mod:`.pretrain`; the
  stage always gives them), whose digest is part of the run's key; from random weights otherwise.
- **Effective batch** ``batch_size`` (the paper's 8) in micro-batches of ``micro_batch``: each micro-batch's
  loss counts by its share of the batch's samples and the optimizer steps once per effective batch; the
  momentum encoder then moves as the authors' once-per-sample updates would (m^n for n samples;
  :meth:`earsense_m2t.model.gtp.GTPModel.update_momentum`, :func:`earsense_m2t.model.gtp.accumulate`).
  Losses that average over tokens or frames are averaged within each micro-batch first, so with texts of
  unequal lengths the accumulated step is a sample-weighted mean of micro-batch means (the difference any
  two batch sizes have). GTP queue keys enter per micro-batch, so a later micro-batch's group already
  holds the earlier ones.
- **Best epoch on validation**: after each epoch the music→text cross-entropy (token-weighted mean) on
  ``split.validation`` - works carved from the training folds, never the test fold - picks the epoch
  whose weights are returned. An empty validation split picks the last epoch (the history shows NaN).
  The same pass gives the mean and spread of the off-diagonal cosines of the validation movements' pooled
  music (``validation_cosine_mean``/``_std`` in the history, and in the epoch's log line).
- **Checkpoints** (atomic: temporary file, then ``os.replace``): ``epoch-NNNN.pt`` after every epoch with
  model, optimizer, AMP scaler, GTP queue, RNG states, history and best epoch (older epoch files are
  deleted once the new one is written); ``best.pt`` with the best epoch's weights; ``done.json`` when
  every epoch finished. A later call with the same run returns the stored result (training nothing); a
  killed one resumes from the newest epoch file; a call asking for more epochs continues the finished run.
  Each file records the run's identity (system, fold, seed, config, batch sizes, release version, the
  train/validation ids), and a checkpoint of another run is an error, not a silent resume.
- **Other modules** (the field's systems, :mod:`.field`): :func:`train_module` trains any module with a loss
  per batch by the same rules (seeding, per-epoch shuffles, keyed atomic checkpoints with RNG states, resume,
  best epoch on validation), with the module's own batch size and no accumulation.
- **Device**: ``"auto"`` takes CUDA when torch sees it, else the CPU; on CUDA with ``amp`` the forward
  runs under fp16 autocast with a gradient scaler; on the CPU there is no mixed precision.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import random
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch.utils.data import DataLoader

from earsense_m2t.annotation.metrics.emotion import EmotionModel
from earsense_m2t.model.batch import MovementDataset, collate
from earsense_m2t.model.config import GTPConfig
from earsense_m2t.model.data import Example, Release, Split, Standardizer
from earsense_m2t.model.gtp import SYSTEMS, GTPModel, accumulate, apply_gradients
from earsense_m2t.model.sentiment import EmotionTargets, emotion_targets
from earsense_m2t.model.tokenizer import wordpiece

if TYPE_CHECKING:
    from earsense_m2t.model.pretrain import Pretrained

BEST = "best.pt"
DONE = "done.json"
EPOCH_GLOB = "epoch-*.pt"
#: torch's AdamW default, the project's weight decay; a run with it keeps the key it had before the setting existed
DEFAULT_WEIGHT_DECAY = 0.01


@dataclass(frozen=True)
class TrainSettings:
    """How to train (not what): epochs, batch sizes, device, precision, data-loading workers."""

    epochs: int
    batch_size: int = 8  # effective batch (the paper's 8)
    micro_batch: int = 8  # per forward pass; accumulation = batch_size // micro_batch
    device: str = "auto"  # "auto": cuda when available, else cpu
    amp: bool = True  # mixed precision on CUDA only (ignored on CPU)
    num_workers: int = 0
    #: AdamW's decoupled weight decay (torch's default; the authors' profile: 5, model/settings.py)
    weight_decay: float = DEFAULT_WEIGHT_DECAY

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"train settings: epochs must be ≥ 1, not {self.epochs}")
        if self.micro_batch < 1 or self.batch_size < self.micro_batch or self.batch_size % self.micro_batch:
            raise ValueError(f"train settings: batch_size {self.batch_size} must be a positive multiple of "
                             f"micro_batch {self.micro_batch}")
        if self.num_workers < 0:
            raise ValueError(f"train settings: num_workers must be ≥ 0, not {self.num_workers}")
        if self.weight_decay < 0:
            raise ValueError(f"train settings: weight_decay must be ≥ 0, not {self.weight_decay}")


@dataclass
class SystemRun:
    """One trained system on one fold and seed, with its best epoch's weights."""

    system: str
    fold: int
    seed: int
    best_epoch: int  # 1-based, chosen on the validation split (min music->text cross-entropy)
    history: list[dict[str, float]]  # one per epoch: {"epoch", "train_total", "train_<loss>"..., "validation"}
    resumed_from: int | None  # epoch of the checkpoint it resumed from (None: fresh start)
    samples_per_s: float  # training samples/s over the epochs this call ran (0.0 when it ran none)
    model: GTPModel  # with the best epoch's weights, eval mode


def resolve_device(name: str) -> torch.device:
    """``"auto"`` (CUDA when torch sees a GPU, else CPU), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or (name.startswith("cuda:") and name[5:].isdigit()):
        if not torch.cuda.is_available():
            raise ValueError(f"device {name!r}: torch sees no CUDA device here (use 'auto' or 'cpu')")
        return torch.device(name)
    raise ValueError(f"unknown device {name!r}; use 'auto', 'cpu', 'cuda' or 'cuda:N'")


def autocast_for(device: torch.device, amp: bool) -> AbstractContextManager[object]:
    """fp16 autocast on CUDA when ``amp``; nothing on the CPU (its bf16 autocast is not what the paper's GPU run used)."""
    if device.type == "cuda" and amp:
        return torch.autocast("cuda", dtype=torch.float16)
    return contextlib.nullcontext()


def derived_seed(seed: int, epoch: int, stream: int) -> int:
    """A seed for one epoch's ``stream`` (0 shuffle, 1 reconstruction windows), the same in a resumed run."""
    return int(np.random.SeedSequence([seed, epoch, stream]).generate_state(1)[0])


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def step_plan(n: int, batch_size: int, micro_batch: int, generator: torch.Generator) -> list[list[list[int]]]:
    """One epoch's optimizer steps: a shuffle of ``range(n)`` cut into batches, each cut into micro-batches.

    The last batch may be short (every example is seen once per epoch); its micro-batches then share it.
    """
    order = torch.randperm(n, generator=generator).tolist()
    batches = [order[i:i + batch_size] for i in range(0, n, batch_size)]
    return [[b[j:j + micro_batch] for j in range(0, len(b), micro_batch)] for b in batches]


def _digest(examples: Sequence[Example]) -> str:
    return hashlib.sha256("\n".join(e.id for e in examples).encode()).hexdigest()[:16]


def run_key(release: Release, split: Split, cfg: GTPConfig, system: str, fold: int, seed: int,
            settings: TrainSettings, pretrained: str | None = None) -> dict[str, Any]:
    """What makes two calls the same run (JSON-normalized, so a key read back from ``done.json`` compares equal).

    ``pretrained`` is the digest of the weights the run starts from (None: random initialization).
    """
    key = {"system": system, "fold": fold, "seed": seed, "release": release.version, "config": asdict(cfg),
           "batch_size": settings.batch_size, "micro_batch": settings.micro_batch,
           "train": _digest(split.train), "validation": _digest(split.validation), "pretrained": pretrained}
    if settings.weight_decay != DEFAULT_WEIGHT_DECAY:  # another decay is another run (older keys lack the field)
        key["weight_decay"] = settings.weight_decay
    return dict(json.loads(json.dumps(key)))


def check_key(found: Any, expected: dict[str, Any], path: Path) -> None:
    """A checkpoint of another run is an error naming what differs (resuming it would mix two runs)."""
    if found != expected:
        found = found if isinstance(found, dict) else {}
        differ = sorted(k for k in set(found) | set(expected) if found.get(k) != expected.get(k))
        raise ValueError(f"{path}: a checkpoint of another run (differs in {', '.join(differ)}); "
                         "use another checkpoint_dir or delete this one")


def split_fold(split: Split) -> int:
    """The fold a split tests on (its test rows all share one ``fold`` value)."""
    folds = sorted({e.fold for e in split.test})
    if len(folds) != 1:
        raise ValueError(f"split: the test rows must come from one fold, found {folds or 'none'}")
    return folds[0]


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """``write`` a temporary file beside ``path``, then rename it over: a kill never leaves half a file."""
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def save_torch(obj: object, path: Path) -> None:
    atomic_write(path, lambda p: torch.save(obj, p))


def save_json(obj: object, path: Path) -> None:
    atomic_write(path, lambda p: p.write_text(json.dumps(obj, indent=1), encoding="utf-8"))


def epoch_path(directory: Path, epoch: int) -> Path:
    return directory / f"epoch-{epoch:04d}.pt"


def newest_checkpoint(directory: Path) -> Path | None:
    paths = sorted(directory.glob(EPOCH_GLOB))
    return paths[-1] if paths else None


def rng_state() -> dict[str, Any]:
    """Python, numpy (as plain lists, so ``torch.load(weights_only=True)`` reads it), torch and CUDA RNG states."""
    state = np.random.get_state(legacy=True)
    if not isinstance(state, tuple):
        raise TypeError("numpy returned a non-legacy RNG state")
    kind, keys, pos, has_gauss, gauss = state
    return {"python": random.getstate(), "numpy": [kind, keys.tolist(), pos, has_gauss, gauss],
            "torch": torch.get_rng_state(), "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    kind, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), pos, has_gauss, gauss))
    torch.set_rng_state(state["torch"].cpu())
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def best_epoch(history: Sequence[dict[str, float]]) -> int:
    """1-based epoch of the lowest validation loss (the first on ties); the last when none is finite."""
    scored = [(h["validation"], i) for i, h in enumerate(history, 1) if math.isfinite(h["validation"])]
    return min(scored)[1] if scored else len(history)


def loader(dataset: MovementDataset, batches: list[list[int]], cfg: GTPConfig, num_workers: int) -> DataLoader[Any]:
    """Batches of ``dataset`` in the given index lists (the order is the caller's: shuffled per epoch, or fixed)."""
    return DataLoader(dataset, batch_sampler=batches, collate_fn=partial(collate, time_factor=cfg.time_factor),
                      num_workers=num_workers)


@torch.no_grad()
def validation_scores(model: GTPModel, dataset: MovementDataset, batch_size: int, device: torch.device,
                      amp: bool = False, num_workers: int = 0) -> tuple[float, dict[str, float]]:
    """Music→text cross-entropy per token over ``dataset`` (NaN when empty), in fixed order and eval mode, and the
    off-diagonal cosine distribution of the same pass's pooled music (:func:`~earsense_m2t.model.representation.cosine_stats`).

    The batch size is part of the measurement only through the text padding; the music encoder's output
    does not depend on its batch's time padding.
    """
    from earsense_m2t.model.representation import cosine_stats

    model.eval()
    total, tokens = 0.0, 0
    pooled = []
    batches = [list(range(i, min(i + batch_size, len(dataset)))) for i in range(0, len(dataset), batch_size)]
    for batch in loader(dataset, batches, model.cfg, num_workers):
        batch = batch.to(device)
        with autocast_for(device, amp):
            _, _, music = model.music_segments(batch.spec, batch.frames)
            ce = model.text_decoder.loss(batch.tokens, batch.token_mask, music)
        n = int(batch.token_mask[:, 1:].sum())
        total += float(ce) * n
        tokens += n
        pooled.append(music.flatten(1).float().cpu())
    stats: dict[str, float] = cosine_stats(torch.cat(pooled)) if pooled else {"n": 0}
    return (total / tokens if tokens else math.nan), stats


def validation_loss(model: GTPModel, dataset: MovementDataset, batch_size: int, device: torch.device,
                    amp: bool = False, num_workers: int = 0) -> float:
    """The cross-entropy of :func:`validation_scores` alone."""
    return validation_scores(model, dataset, batch_size, device, amp, num_workers)[0]


def train_epoch(model: GTPModel, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler,
                dataset: MovementDataset, plan: list[list[list[int]]], device: torch.device, amp: bool,
                generator: torch.Generator, num_workers: int) -> dict[str, float]:
    """One epoch of ``plan``; the sample-weighted mean of each loss as ``train_<loss>``."""
    model.train()
    batches = iter(loader(dataset, [m for step in plan for m in step], model.cfg, num_workers))
    sums: dict[str, float] = {}
    seen = 0
    for step in plan:
        optimizer.zero_grad(set_to_none=True)
        size = sum(len(m) for m in step)
        for micro in step:
            batch = next(batches).to(device)
            losses = accumulate(model, batch, len(micro) / size, generator, autocast=autocast_for(device, amp),
                                scaler=scaler)
            for name, value in losses.items():
                sums[name] = sums.get(name, 0.0) + value * len(micro)
            seen += len(micro)
        apply_gradients(model, optimizer, scaler)
    return {f"train_{name}": value / max(seen, 1) for name, value in sums.items()}


def train_emotions(examples: Sequence[Example], system: str, emotion_model: EmotionModel | None) -> EmotionTargets | None:
    """Emotion targets of the training texts for a system with the sentiment loss (default: the project's model)."""
    if not SYSTEMS[system].sentiment:
        return None
    if emotion_model is None:
        from earsense_m2t.annotation.metrics.emotion import emotion_model as default_emotion_model

        emotion_model = default_emotion_model()
    return emotion_targets([e.text for e in examples], emotion_model)


def load_best(directory: Path, cfg: GTPConfig, system: str, key: dict[str, Any], device: torch.device) -> GTPModel:
    """A model with ``best.pt``'s weights, in eval mode."""
    state = torch.load(directory / BEST, map_location=device, weights_only=True)
    check_key(state["key"], key, directory / BEST)
    model = GTPModel(cfg, SYSTEMS[system], n_emotions=int(state["n_emotions"])).to(device)
    model.load_state_dict(state["model"])
    model.queue.load(state["queue"])
    return model.eval()


def train_system(release: Release, split: Split, standardizer: Standardizer, cfg: GTPConfig, system: str,
                 seed: int, settings: TrainSettings, checkpoint_dir: Path, *,
                 emotion_model: EmotionModel | None = None, log: Callable[[str], None] | None = None,
                 pretrained: Pretrained | None = None) -> SystemRun:
    """Train ``system`` on ``split.train`` for ``settings.epochs`` epochs (resuming what ``checkpoint_dir`` holds).

    ``pretrained``: the fold's pretrained autoencoders (:func:`earsense_m2t.model.pretrain.pretrain_fold`), which
    the model starts from; None starts from random weights.
    """
    if system not in SYSTEMS:
        raise ValueError(f"unknown system {system!r}; known: {', '.join(SYSTEMS)}")
    fold = split_fold(split)
    if not split.train:
        raise ValueError(f"{system}, fold {fold}: no training examples (split.train is empty)")
    say = log or (lambda _: None)
    device = resolve_device(settings.device)
    directory = Path(checkpoint_dir)
    directory.mkdir(parents=True, exist_ok=True)
    if pretrained is not None and pretrained.fold != fold:
        raise ValueError(f"{system}, fold {fold}: pretrained weights of fold {pretrained.fold}")
    key = run_key(release, split, cfg, system, fold, seed, settings, pretrained.digest if pretrained else None)

    if (directory / DONE).is_file():
        done = json.loads((directory / DONE).read_text(encoding="utf-8"))
        check_key(done["key"], key, directory / DONE)
        if done["epochs"] > settings.epochs:
            raise ValueError(f"{directory}: a finished run of {done['epochs']} epochs, more than the {settings.epochs} "
                             "asked for; use another checkpoint_dir")
        if done["epochs"] == settings.epochs:
            say(f"{system} fold {fold} seed {seed}: finished before ({directory / DONE}); nothing to train")
            return SystemRun(system, fold, seed, int(done["best_epoch"]), done["history"], int(done["epochs"]), 0.0,
                             load_best(directory, cfg, system, key, device))
        (directory / DONE).unlink()  # more epochs asked: the run continues from its last epoch file

    seed_everything(seed)
    emotions = train_emotions(split.train, system, emotion_model)
    n_emotions = len(emotions.labels) if emotions is not None else 0
    model = GTPModel(cfg, SYSTEMS[system], n_emotions=n_emotions)
    if pretrained is not None:
        model.load_pretrained(pretrained.music, pretrained.text)
    model = model.to(device)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.lr,
                                  weight_decay=settings.weight_decay)
    scaler = torch.amp.GradScaler("cuda", enabled=device.type == "cuda" and settings.amp)
    history: list[dict[str, float]] = []
    resumed_from: int | None = None

    newest = newest_checkpoint(directory)
    if newest is not None:
        state = torch.load(newest, map_location=device, weights_only=True)
        check_key(state["key"], key, newest)
        if int(state["epoch"]) > settings.epochs:
            raise ValueError(f"{newest}: {state['epoch']} epochs trained, more than the {settings.epochs} asked for")
        if int(state["n_emotions"]) != n_emotions:
            raise ValueError(f"{newest}: trained with {state['n_emotions']} emotion labels, now {n_emotions}")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if state["scaler"]:
            scaler.load_state_dict(state["scaler"])
        model.queue.load(state["queue"])
        set_rng_state(state["rng"])
        history = list(state["history"])
        resumed_from = int(state["epoch"])
        if state["best_epoch"] == resumed_from and not _best_is(directory, resumed_from):
            _save_best(directory, key, resumed_from, model, n_emotions)  # killed between the two writes
        say(f"{system} fold {fold} seed {seed}: resumed from epoch {resumed_from} ({newest.name})")

    tokenizer = wordpiece()
    train_set = MovementDataset(release, split.train, standardizer, tokenizer, cfg.max_frames, cfg.max_text_tokens, emotions)
    val_set = MovementDataset(release, split.validation, standardizer, tokenizer, cfg.max_frames, cfg.max_text_tokens)
    samples, seconds = 0, 0.0
    for epoch in range(len(history) + 1, settings.epochs + 1):
        shuffle = torch.Generator().manual_seed(derived_seed(seed, epoch, 0))
        windows = torch.Generator(device=device).manual_seed(derived_seed(seed, epoch, 1))
        plan = step_plan(len(train_set), settings.batch_size, settings.micro_batch, shuffle)
        start = time.perf_counter()
        train = train_epoch(model, optimizer, scaler, train_set, plan, device, settings.amp, windows, settings.num_workers)
        seconds += time.perf_counter() - start
        samples += len(train_set)
        val, cosines = validation_scores(model, val_set, settings.micro_batch, device, settings.amp, settings.num_workers)
        history.append({"epoch": float(epoch), **train, "validation": val,
                        "validation_cosine_mean": cosines.get("mean", math.nan),
                        "validation_cosine_std": cosines.get("std", math.nan)})
        best = best_epoch(history)
        save_torch({"key": key, "epoch": epoch, "history": history, "best_epoch": best, "n_emotions": n_emotions,
                    "model": model.state_dict(), "optimizer": optimizer.state_dict(), "scaler": scaler.state_dict(),
                    "queue": model.queue.state(), "rng": rng_state()}, epoch_path(directory, epoch))
        if best == epoch:
            _save_best(directory, key, epoch, model, n_emotions)
        for old in directory.glob(EPOCH_GLOB):
            if old != epoch_path(directory, epoch):
                old.unlink()
        say(f"{system} fold {fold} seed {seed}: epoch {epoch}/{settings.epochs} train_total {train['train_total']:.4f} "
            f"validation {val:.4f}, pooled music cosine {cosines.get('mean', math.nan):.4f} ± "
            f"{cosines.get('std', math.nan):.4f} (best {best}; {samples / seconds:.1f} samples/s)")

    best = best_epoch(history)
    samples_per_s = samples / seconds if seconds > 0 else 0.0
    save_json({"key": key, "epochs": settings.epochs, "best_epoch": best, "history": history,
               "samples_per_s": samples_per_s}, directory / DONE)
    return SystemRun(system, fold, seed, best, history, resumed_from, samples_per_s,
                     load_best(directory, cfg, system, key, device))


@dataclass(frozen=True)
class ModuleTraining:
    """How to train one module that is not the GTP model (the field's systems, model/field.py) by the same rules.

    ``build`` makes the untrained module (called after seeding, so its initial weights follow the seed);
    ``optimizer`` makes its optimizer; ``batch`` gives the training batch of the given training indices (on the
    device); ``loss`` the batch's scalar loss, given the indices too (a loss may need per-sample data, such as
    MusCALL's text similarities); ``validate`` the validation loss of the module (lower is better; NaN when it
    cannot be computed); ``after_step`` runs after each optimizer step (MusCALL clamps its temperature there).
    """

    build: Callable[[], torch.nn.Module]
    optimizer: Callable[[torch.nn.Module], torch.optim.Optimizer]
    batch: Callable[[list[int]], Any]
    loss: Callable[[torch.nn.Module, Any, list[int]], torch.Tensor]
    validate: Callable[[torch.nn.Module], float]
    n_train: int
    batch_size: int
    grad_clip: float | None = None
    after_step: Callable[[torch.nn.Module], None] | None = None


@dataclass
class ModuleRun:
    """One trained module of one fold and seed, with its best epoch's weights (eval mode)."""

    best_epoch: int
    history: list[dict[str, float]]
    resumed_from: int | None
    samples_per_s: float
    model: torch.nn.Module


def train_module(task: ModuleTraining, key: dict[str, Any], checkpoint_dir: Path, epochs: int, seed: int, *,
                 label: str, log: Callable[[str], None] | None = None) -> ModuleRun:
    """Train ``task``'s module for ``epochs`` epochs under :func:`train_system`'s rules, resuming what is stored.

    The same guarantees as the GTP model's runs (module docstring): seeded python/numpy/torch and one shuffle per
    (seed, epoch), the RNG states saved with every epoch, atomic ``epoch-NNNN.pt`` / ``best.pt`` / ``done.json``
    carrying ``key`` (a checkpoint of another run is an error), the best epoch chosen on the validation loss
    (:func:`best_epoch`), a finished run returned as stored, more epochs continuing it. One optimizer step per
    batch of ``task.batch_size`` (the field's models have their own batch sizes; no accumulation), the last batch
    of an epoch possibly short. The device is the one the caller's ``build`` and ``batch`` put the module and its
    batches on; checkpoints are read to the CPU and loaded into it, and there is no mixed precision.
    """
    say = log or (lambda _: None)
    if task.n_train < 1:
        raise ValueError(f"{label}: no training examples")
    if epochs < 1:
        raise ValueError(f"{label}: epochs must be ≥ 1, not {epochs}")
    directory = Path(checkpoint_dir)
    directory.mkdir(parents=True, exist_ok=True)
    key = dict(json.loads(json.dumps(key)))

    def best_model(model: torch.nn.Module) -> torch.nn.Module:
        state = torch.load(directory / BEST, map_location="cpu", weights_only=True)
        check_key(state["key"], key, directory / BEST)
        model.load_state_dict(state["model"])
        return model.eval()

    seed_everything(seed)
    model = task.build()
    if (directory / DONE).is_file():
        done = json.loads((directory / DONE).read_text(encoding="utf-8"))
        check_key(done["key"], key, directory / DONE)
        if done["epochs"] > epochs:
            raise ValueError(f"{directory}: a finished run of {done['epochs']} epochs, more than the {epochs} asked "
                             "for; use another checkpoint_dir")
        if done["epochs"] == epochs:
            say(f"{label}: finished before ({directory / DONE}); nothing to train")
            return ModuleRun(int(done["best_epoch"]), done["history"], int(done["epochs"]), 0.0, best_model(model))
        (directory / DONE).unlink()  # more epochs asked: the run continues from its last epoch file
    optimizer = task.optimizer(model)
    history: list[dict[str, float]] = []
    resumed_from: int | None = None
    newest = newest_checkpoint(directory)
    if newest is not None:
        state = torch.load(newest, map_location="cpu", weights_only=True)
        check_key(state["key"], key, newest)
        if int(state["epoch"]) > epochs:
            raise ValueError(f"{newest}: {state['epoch']} epochs trained, more than the {epochs} asked for")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        set_rng_state(state["rng"])
        history = list(state["history"])
        resumed_from = int(state["epoch"])
        if state["best_epoch"] == resumed_from and not _best_is(directory, resumed_from):
            save_torch({"key": key, "epoch": resumed_from, "model": model.state_dict()}, directory / BEST)
        say(f"{label}: resumed from epoch {resumed_from} ({newest.name})")

    samples, seconds = 0, 0.0
    for epoch in range(len(history) + 1, epochs + 1):
        shuffle = torch.Generator().manual_seed(derived_seed(seed, epoch, 0))
        order = torch.randperm(task.n_train, generator=shuffle).tolist()
        model.train()
        start = time.perf_counter()
        total = 0.0
        for i in range(0, len(order), task.batch_size):
            indices = order[i:i + task.batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = task.loss(model, task.batch(indices), indices)
            if not torch.isfinite(loss):
                raise RuntimeError(f"{label}: epoch {epoch}: the loss is {float(loss)}")
            loss.backward()
            if task.grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), task.grad_clip)
            optimizer.step()
            if task.after_step is not None:
                task.after_step(model)
            total += float(loss.detach()) * len(indices)
        seconds += time.perf_counter() - start
        samples += task.n_train
        model.eval()
        with torch.no_grad():
            val = float(task.validate(model))
        history.append({"epoch": float(epoch), "train_total": total / task.n_train, "validation": val})
        best = best_epoch(history)
        save_torch({"key": key, "epoch": epoch, "history": history, "best_epoch": best, "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(), "rng": rng_state()}, epoch_path(directory, epoch))
        if best == epoch:
            save_torch({"key": key, "epoch": epoch, "model": model.state_dict()}, directory / BEST)
        for old in directory.glob(EPOCH_GLOB):
            if old != epoch_path(directory, epoch):
                old.unlink()
        say(f"{label}: epoch {epoch}/{epochs} train_total {total / task.n_train:.4f} validation {val:.4f} "
            f"(best {best}; {samples / seconds:.1f} samples/s)")

    best = best_epoch(history)
    samples_per_s = samples / seconds if seconds > 0 else 0.0
    save_json({"key": key, "epochs": epochs, "best_epoch": best, "history": history, "samples_per_s": samples_per_s},
              directory / DONE)
    return ModuleRun(best, history, resumed_from, samples_per_s, best_model(model))


def _best_is(directory: Path, epoch: int) -> bool:
    path = directory / BEST
    return path.is_file() and int(torch.load(path, map_location="cpu", weights_only=True)["epoch"]) == epoch


def _save_best(directory: Path, key: dict[str, Any], epoch: int, model: GTPModel, n_emotions: int) -> None:
    save_torch({"key": key, "epoch": epoch, "n_emotions": n_emotions, "model": model.state_dict(),
                "queue": model.queue.state()}, directory / BEST)


__all__ = ["BEST", "DONE", "ModuleRun", "ModuleTraining", "SystemRun", "TrainSettings", "autocast_for", "best_epoch",
           "resolve_device", "step_plan", "train_epoch", "train_module", "train_system", "validation_loss", "validation_scores"]
