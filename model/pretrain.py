"""Pretraining per fold: the music autoencoder and the text autoencoder, on the fold's training works only.

The paper and the authors' code train both autoencoders alone before the coordinated model (the
authors: 1,000 epochs of the music autoencoder); GTP then arranges a space that already encodes each
modality. Here each fold pretrains once and every system and seed of that fold starts from the result
(:meth:`earsense_m2t.model.gtp.GTPModel.load_pretrained`):

- **music autoencoder** (:class:`~earsense_m2t.model.music.MusicAutoencoder`): the reconstruction loss
  on a random window of encoder steps, ``cfg.pretrain_music_epochs`` epochs;
- **text autoencoder** (:class:`~earsense_m2t.model.text.TextAutoencoder`): each training text encoded,
  pooled to the 20 segments and decoded back, ``cfg.pretrain_text_epochs`` epochs. Its data are checked
  first (:func:`check_text_corpus`): a text of a validation or test work is an error, never a silent
  leak, since the decoder that writes the test texts is this one.

Both run with the system runs' batch sizes, AdamW at ``cfg.lr``, a shuffle per epoch seeded by
(:data:`PRETRAIN_SEED`, epoch), and the same checkpoint discipline as :mod:`earsense_m2t.model.train`:
``epoch-NNNN.pt`` written atomically after every epoch (weights, optimizer, scaler, RNG states,
history; the older one deleted), ``done.json`` when every epoch finished, a key naming the run (fold,
release, config, training ids) so another run's checkpoint is refused. A killed pretraining resumes from
its newest epoch; a later call finds ``done.json`` and trains nothing; more epochs in the config
continue the finished stage.

The folder ``<run>/pretrain/fold<F>/`` holds ``music/``, ``text/`` and ``stats.json``: the pooled-music
cosine distribution (:func:`earsense_m2t.model.representation.cosine_stats`) of the fold's training and
validation movements before and after pretraining, the non-degeneracy check, the tempo probe (training
works → validation works) against the majority tag, the pairwise sentence-BLEU distribution of the
training texts, and the cosine mean and spread after every music epoch (also logged).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from earsense_m2t.model.batch import MovementDataset, collate
from earsense_m2t.model.config import GTPConfig
from earsense_m2t.model.data import TAG_FIELDS, Example, Release, Split, Standardizer
from earsense_m2t.model.music import MusicAutoencoder
from earsense_m2t.model.representation import (
    check_non_degenerate,
    cosine_stats,
    pooled_music,
    tempo_probe,
    text_bleu_stats,
)
from earsense_m2t.model.text import TextAutoencoder
from earsense_m2t.model.tokenizer import VOCAB_SIZE, wordpiece
from earsense_m2t.model.train import (
    DONE,
    EPOCH_GLOB,
    TrainSettings,
    autocast_for,
    check_key,
    derived_seed,
    epoch_path,
    newest_checkpoint,
    resolve_device,
    rng_state,
    save_json,
    save_torch,
    seed_everything,
    set_rng_state,
    split_fold,
    step_plan,
)

#: one pretraining per fold whatever the systems' seeds, so all of them start from the same weights
PRETRAIN_SEED = 0
#: the cosine statistics are computed on at most this many movements (training first, then validation)
STATS_MOVEMENTS = 256
#: … the per-epoch ones on at most this many training movements (they cost a forward pass each epoch)
EPOCH_STATS_MOVEMENTS = 64
#: the pairwise BLEU distribution is over at most this many training texts (n² sentence BLEUs)
STATS_TEXTS = 200
STATS = "stats.json"
TEMPO_INDEX = TAG_FIELDS.index("tempo_tag")


@dataclass(frozen=True)
class Pretrained:
    """A fold's pretrained autoencoders: what every system of the fold starts from."""

    fold: int
    digest: str  # names these weights in the system runs' keys (a system trained from others is another run)
    music: dict[str, Tensor]  # MusicAutoencoder state dict (CPU)
    text: dict[str, Tensor]  # TextAutoencoder state dict (CPU)
    stats: dict[str, Any]  # the content of stats.json
    trained_epochs: int  # epochs this call trained (0: everything was found done)


@dataclass
class StageOutcome:
    history: list[dict[str, float]]
    trained_epochs: int
    resumed_from: int | None


def check_text_corpus(examples: Sequence[Example], split: Split) -> None:
    """The text autoencoder's data may hold the fold's training works only: anything else is a ValueError.

    Refused: an example of a validation or test row or work, and any text equal to a held-out text that
    no training example has (a test text planted under another id).
    """
    fold = split_fold(split)
    held = [*split.validation, *split.test]
    held_ids, held_works = {e.id for e in held}, {e.work_id for e in held}
    train_texts = {e.text for e in split.train}
    held_texts = {e.text for e in held} - train_texts
    bad = [e.id for e in examples if e.id in held_ids or e.work_id in held_works or e.text in held_texts]
    if bad:
        shown = ", ".join(bad[:10]) + (f" … and {len(bad) - 10} more" if len(bad) > 10 else "")
        raise ValueError(f"text autoencoder, fold {fold}: {len(bad)} texts of validation or test works in its data "
                         f"({shown}); it trains on the fold's training works only")


#: config fields pretraining never reads: the epoch counts (more epochs continue a run) and the coordinate stage's
#: losses and momentum encoder, so a change to GTP does not pretrain again what it would pretrain the same
NOT_PRETRAINING = ("pretrain_music_epochs", "pretrain_text_epochs", "gtp_similarity", "gtp_temperature", "alpha",
                   "beta", "group_k", "momentum", "momentum_per_sample")


def _pretraining_key(key: Any) -> Any:
    """A stored key as this code writes it: fields of :data:`NOT_PRETRAINING` that older keys kept, dropped."""
    if isinstance(key, dict) and isinstance(key.get("config"), dict):
        return {**key, "config": {k: v for k, v in key["config"].items() if k not in NOT_PRETRAINING}}
    return key


def _key(stage: str, release: Release, split: Split, cfg: GTPConfig, settings: TrainSettings,
         examples: Sequence[Example]) -> dict[str, Any]:
    """What makes two pretraining calls the same run (:data:`NOT_PRETRAINING` left out)."""
    config = {k: v for k, v in asdict(cfg).items() if k not in NOT_PRETRAINING}
    key = {"stage": stage, "fold": split_fold(split), "seed": PRETRAIN_SEED, "release": release.version,
           "config": config, "batch_size": settings.batch_size, "micro_batch": settings.micro_batch,
           "train": hashlib.sha256("\n".join(e.id for e in examples).encode()).hexdigest()[:16]}
    return dict(json.loads(json.dumps(key)))


def _train_stage(name: str, directory: Path, key: dict[str, Any], module: nn.Module, n: int, epochs: int,
                 settings: TrainSettings, device: torch.device, lr: float,
                 loss_of: Callable[[list[int], torch.Generator], Tensor],
                 after_epoch: Callable[[], dict[str, float]], say: Callable[[str], None]) -> StageOutcome:
    """``epochs`` epochs of ``loss_of`` over ``n`` examples, resumable; ``module`` ends with the last epoch's weights."""
    directory.mkdir(parents=True, exist_ok=True)
    optimizer = torch.optim.AdamW(module.parameters(), lr=lr)
    scaler = torch.amp.GradScaler("cuda", enabled=device.type == "cuda" and settings.amp)
    history: list[dict[str, float]] = []
    resumed_from: int | None = None
    done_path = directory / DONE
    if done_path.is_file():
        done = json.loads(done_path.read_text(encoding="utf-8"))
        check_key(_pretraining_key(done["key"]), key, done_path)
        if done["epochs"] > epochs:
            raise ValueError(f"{directory}: a finished {name} pretraining of {done['epochs']} epochs, more than the "
                             f"config's {epochs}; use another run folder")
    newest = newest_checkpoint(directory)
    if newest is not None:
        state = torch.load(newest, map_location=device, weights_only=True)
        check_key(_pretraining_key(state["key"]), key, newest)
        if int(state["epoch"]) > epochs:
            raise ValueError(f"{newest}: {state['epoch']} epochs of {name} pretraining, more than the config's {epochs}")
        module.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if state["scaler"]:
            scaler.load_state_dict(state["scaler"])
        set_rng_state(state["rng"])
        history = list(state["history"])
        resumed_from = int(state["epoch"])
        if resumed_from < epochs:
            say(f"{name}: resumed from epoch {resumed_from} ({newest.name})")
    elif done_path.is_file() and epochs:
        raise ValueError(f"{directory}: done.json without its epoch file; delete the folder to pretrain again")
    if len(history) == epochs and done_path.is_file():
        return StageOutcome(history, 0, resumed_from)
    done_path.unlink(missing_ok=True)

    trained = 0
    for epoch in range(len(history) + 1, epochs + 1):
        module.train()
        shuffle = torch.Generator().manual_seed(derived_seed(PRETRAIN_SEED, epoch, 2))
        windows = torch.Generator(device=device).manual_seed(derived_seed(PRETRAIN_SEED, epoch, 3))
        total, seen, start = 0.0, 0, time.perf_counter()
        for step in step_plan(n, settings.batch_size, settings.micro_batch, shuffle):
            optimizer.zero_grad(set_to_none=True)
            size = sum(len(m) for m in step)
            for micro in step:
                with autocast_for(device, settings.amp):
                    loss = loss_of(micro, windows)
                (scaler.scale(loss * len(micro) / size) if scaler.is_enabled() else loss * len(micro) / size).backward()
                total += float(loss.detach()) * len(micro)
                seen += len(micro)
            if scaler.is_enabled():
                scaler.step(optimizer)
                scaler.update()
            else:
                optimizer.step()
        seconds = time.perf_counter() - start
        entry = {"epoch": float(epoch), "loss": total / max(seen, 1), "seconds": seconds, **after_epoch()}
        history.append(entry)
        save_torch({"key": key, "epoch": epoch, "history": history, "model": module.state_dict(),
                    "optimizer": optimizer.state_dict(), "scaler": scaler.state_dict(), "rng": rng_state()},
                   epoch_path(directory, epoch))
        for old in directory.glob(EPOCH_GLOB):
            if old != epoch_path(directory, epoch):
                old.unlink()
        trained += 1
        extra = "".join(f" {k} {v:.4f}" for k, v in entry.items() if k not in ("epoch", "loss", "seconds"))
        say(f"{name}: epoch {epoch}/{epochs} loss {entry['loss']:.4f}{extra} ({seen / max(seconds, 1e-9):.1f} samples/s)")
    save_json({"key": key, "epochs": epochs, "history": history}, done_path)
    return StageOutcome(history, trained, resumed_from)


def _cpu_state(module: nn.Module) -> dict[str, Tensor]:
    return {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}


def _subset(examples: Sequence[Example], limit: int) -> list[Example]:
    """At most ``limit`` examples, spread evenly over the list (deterministic)."""
    if len(examples) <= limit:
        return list(examples)
    return [examples[i] for i in np.linspace(0, len(examples) - 1, limit).round().astype(int).tolist()]


def representation_stats(autoencoder: MusicAutoencoder, release: Release, split: Split, standardizer: Standardizer,
                         device: torch.device) -> dict[str, Any]:
    """Cosine distribution and non-degeneracy of the fold's training and validation movements, and the tempo probe."""
    cfg = autoencoder.cfg
    tok = wordpiece()
    # validation first: a fold with STATS_MOVEMENTS training movements or more still gets validation ones
    # (the probe is scored on them, and an empty set has no vectors to concatenate)
    val = _subset(split.validation, STATS_MOVEMENTS // 2)
    train = _subset(split.train, STATS_MOVEMENTS - len(val))

    def vectors(examples: Sequence[Example]) -> Tensor:
        data = MovementDataset(release, examples, standardizer, tok, cfg.max_frames, cfg.max_text_tokens)
        return pooled_music(autoencoder.encoder, data, cfg.segments, 1, device)

    v_train, v_val = vectors(train), vectors(val)
    stats = cosine_stats(torch.cat([v_train, v_val]))
    ok, reason = check_non_degenerate(stats)
    out: dict[str, Any] = {"movements": len(train) + len(val), "music_cosine": stats, "non_degenerate": ok,
                           "reason": reason}

    def segment_mean(v: Tensor) -> Tensor:
        return v.reshape(len(v), cfg.segments, cfg.hidden).mean(dim=1)

    try:
        out["tempo_probe"] = tempo_probe(segment_mean(v_train), [e.tags[TEMPO_INDEX] if e.tags else None for e in train],
                                         segment_mean(v_val), [e.tags[TEMPO_INDEX] if e.tags else None for e in val],
                                         ).to_dict()
    except ValueError as exc:  # a release without tempo tags, or no tagged validation movement
        out["tempo_probe"] = {"skipped": str(exc)}
    return out


def pretrain_music(release: Release, split: Split, standardizer: Standardizer, cfg: GTPConfig, settings: TrainSettings,
                   directory: Path, say: Callable[[str], None]) -> tuple[MusicAutoencoder, StageOutcome]:
    """The music autoencoder trained on ``split.train`` (resuming what ``directory`` holds)."""
    device = resolve_device(settings.device)
    key = _key("music", release, split, cfg, settings, split.train)
    seed_everything(PRETRAIN_SEED)
    autoencoder = MusicAutoencoder(cfg).to(device)
    data = MovementDataset(release, split.train, standardizer, wordpiece(), cfg.max_frames, cfg.max_text_tokens)
    watched = MovementDataset(release, _subset(split.train, EPOCH_STATS_MOVEMENTS), standardizer, wordpiece(),
                              cfg.max_frames, cfg.max_text_tokens)

    def loss_of(indices: list[int], generator: torch.Generator) -> Tensor:
        batch = collate([data[i] for i in indices], cfg.time_factor).to(device)
        return autoencoder.loss(batch.spec, batch.frames, generator)

    def after_epoch() -> dict[str, float]:
        stats = cosine_stats(pooled_music(autoencoder.encoder, watched, cfg.segments, 1, device))
        return {"cosine_mean": stats.get("mean", float("nan")), "cosine_std": stats.get("std", float("nan"))}

    outcome = _train_stage(f"pretrain fold {split_fold(split)} music autoencoder", directory, key, autoencoder, len(data),
                           cfg.pretrain_music_epochs, settings, device, cfg.lr, loss_of, after_epoch, say)
    return autoencoder.eval(), outcome


def pretrain_text(release: Release, split: Split, cfg: GTPConfig, settings: TrainSettings, directory: Path,
                  say: Callable[[str], None], examples: Sequence[Example] | None = None,
                  ) -> tuple[TextAutoencoder, StageOutcome]:
    """The text autoencoder trained on the texts of ``examples`` (default: ``split.train``), checked first."""
    examples = list(split.train if examples is None else examples)
    check_text_corpus(examples, split)
    device = resolve_device(settings.device)
    key = _key("text", release, split, cfg, settings, examples)
    seed_everything(PRETRAIN_SEED + 1)
    autoencoder = TextAutoencoder(cfg, VOCAB_SIZE).to(device)
    tok = wordpiece()
    ids = [tok.encode(e.text, cfg.max_text_tokens) for e in examples]

    def loss_of(indices: list[int], generator: torch.Generator) -> Tensor:
        length = max(len(ids[i]) for i in indices)
        tokens = torch.zeros(len(indices), length, dtype=torch.long)
        for row, i in enumerate(indices):
            tokens[row, :len(ids[i])] = torch.tensor(ids[i])
        tokens = tokens.to(device)
        return autoencoder.loss(tokens, tokens != 0)

    outcome = _train_stage(f"pretrain fold {split_fold(split)} text autoencoder", directory, key, autoencoder, len(ids),
                           cfg.pretrain_text_epochs, settings, device, cfg.lr, loss_of, dict, say)
    return autoencoder.eval(), outcome


def pretrain_fold(release: Release, split: Split, standardizer: Standardizer, cfg: GTPConfig, settings: TrainSettings,
                  directory: Path, *, log: Callable[[str], None] | None = None) -> Pretrained:
    """Both autoencoders of one fold, trained or found in ``directory``, and their ``stats.json``."""
    say = log or (lambda _: None)
    fold = split_fold(split)
    if not split.train:
        raise ValueError(f"pretraining, fold {fold}: no training examples")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    device = resolve_device(settings.device)
    stats_path = directory / STATS
    stats = json.loads(stats_path.read_text(encoding="utf-8")) if stats_path.is_file() else {}
    if stats.get("before") is None:  # written before the first epoch, so a killed run keeps its starting point
        seed_everything(PRETRAIN_SEED)
        initial = MusicAutoencoder(cfg).to(device).eval()  # the weights pretrain_music starts from
        stats = {"fold": fold, "before": representation_stats(initial, release, split, standardizer, device),
                 "after": None}
        save_json(stats, stats_path)
    music, music_run = pretrain_music(release, split, standardizer, cfg, settings, directory / "music", say)
    text, text_run = pretrain_text(release, split, cfg, settings, directory / "text", say)
    trained = music_run.trained_epochs + text_run.trained_epochs
    epochs = [cfg.pretrain_music_epochs, cfg.pretrain_text_epochs]
    if trained or stats.get("after") is None or stats.get("epochs") != epochs:
        texts = [e.text for e in _subset(split.train, STATS_TEXTS)]
        stats = {"fold": fold, "epochs": epochs, "before": stats["before"],
                 "after": representation_stats(music, release, split, standardizer, device),
                 "text_bleu": text_bleu_stats(texts), "text_bleu_texts": len(texts),
                 "music_history": music_run.history, "text_history": text_run.history}
        save_json(stats, stats_path)
    after = stats["after"]
    cos = after["music_cosine"]
    probe = after.get("tempo_probe", {})
    probe_text = (f"tempo probe {probe['accuracy']:.2f} vs majority {probe['majority']:.2f}" if "accuracy" in probe
                  else "no tempo probe")
    say(f"pretrain fold {fold}: {'trained ' + str(trained) + ' epochs' if trained else 'reused'}; pooled music cosine "
        f"{cos.get('mean', float('nan')):.4f} ± {cos.get('std', float('nan')):.4f}, {probe_text} ({directory})")
    digest = hashlib.sha256(json.dumps([_key("music", release, split, cfg, settings, split.train),
                                        _key("text", release, split, cfg, settings, split.train),
                                        cfg.pretrain_music_epochs, cfg.pretrain_text_epochs]).encode()).hexdigest()[:16]
    return Pretrained(fold, digest, _cpu_state(music), _cpu_state(text), stats, trained)


__all__ = ["PRETRAIN_SEED", "STATS", "Pretrained", "check_text_corpus", "pretrain_fold", "pretrain_music",
           "pretrain_text", "representation_stats"]


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m earsense_m2t.model.pretrain --dataset DIR``: pretrain every fold of a release and print the
    pooled music cosine before and after, and the tempo probe on validation works (pooled over the folds)."""
    import argparse

    from earsense_m2t.model.config import get_config
    from earsense_m2t.model.data import fit_standardizer, fold_split, load_release

    parser = argparse.ArgumentParser(prog="python -m earsense_m2t.model.pretrain", description=main.__doc__)
    parser.add_argument("--dataset", required=True, help="a published version's folder")
    parser.add_argument("--config", default="tiny")
    parser.add_argument("--out", required=True, help="folder for pretrain/fold<F>/ (reused when run again)")
    parser.add_argument("--folds", default="0,1,2,3,4")
    parser.add_argument("--old-stack", action="store_true",
                        help="the issue-20 encoder: no conv norm, no positions, momentum once per step")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    cfg = get_config(args.config)
    if args.old_stack:
        cfg = cfg.with_(conv_norm="none", music_positions=False, momentum_per_sample=False)
    folds = [int(f) for f in args.folds.split(",")]
    release = load_release(Path(args.dataset), n_folds=max(2, len(folds)), count_pieces=wordpiece().pieces,
                           max_frames=cfg.max_frames, cache_dir=Path(args.out) / ".cache")
    settings = TrainSettings(epochs=1, batch_size=cfg.batch_size, micro_batch=cfg.micro_batch, device="cpu")
    pooled = {"before": [0.0, 0.0, 0], "after": [0.0, 0.0, 0]}
    for fold in folds:
        split = fold_split(release.examples, fold)
        standardizer = fit_standardizer(release, split.train, cfg.max_frames)
        start = time.perf_counter()
        result = pretrain_fold(release, split, standardizer, cfg, settings, Path(args.out) / f"fold{fold}")
        print(f"fold {fold}: {len(split.train)} training, {len(split.validation)} validation movements; "
              f"{result.trained_epochs} epochs trained in {time.perf_counter() - start:.1f} s")
        for when in ("before", "after"):
            stats = result.stats[when]
            cos, probe = stats["music_cosine"], stats.get("tempo_probe", {})
            line = (f"  {when:6s} cosine mean {cos['mean']:.5f} std {cos['std']:.5f} q05 {cos['q05']:.4f} "
                    f"q95 {cos['q95']:.4f} ({'non-degenerate' if stats['non_degenerate'] else 'DEGENERATE'})")
            if "accuracy" in probe:
                line += f"; tempo probe {probe['accuracy']:.2f} vs majority {probe['majority']:.2f} (n={probe['n_eval']})"
                pooled[when][0] += probe["accuracy"] * probe["n_eval"]
                pooled[when][1] += probe["majority"] * probe["n_eval"]
                pooled[when][2] += probe["n_eval"]
            print(line)
    for when, (right, majority, n) in pooled.items():
        if n:
            print(f"{when}: tempo probe {right:.0f}/{n} = {right / n:.3f}, majority {majority:.0f}/{n} = {majority / n:.3f}")


if __name__ == "__main__":
    main()
