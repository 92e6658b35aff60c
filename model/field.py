"""The field's other systems in the train stage (issue 26): MusCaps, MusCALL and song-title prediction.

Each is trained and evaluated on exactly the data path of the Table 1 systems (:mod:`.run`): the published release
by version, the fold's work-grouped split (training rows, validation works carved from the training folds, the
test fold), the spectrograms standardized with the statistics of the fold's training rows (the stage's one
standardizer per fold), the project's WordPiece vocabulary (fixed, so nothing of a test fold shapes it), the
run's seeds, and the best epoch chosen on the validation works (:func:`earsense_m2t.model.train.train_module`,
with keyed, resumable checkpoints under ``checkpoints/<system>/seed<S>/fold<F>/``): on their loss, except the title
system's, chosen by default on the BLEU of the titles it writes greedily for them
(:attr:`.title.TitleConfig.select_by`). Each model's sizes come from its own module's config of the run's config
name (``tiny`` or ``paper``): :mod:`.muscaps`, :mod:`.muscall`, :mod:`.title`, where the paper's values stand
beside ours with the reasons. The run's epochs apply to every system, as they do to Table 1's.

What each gives the stage:

- ``muscaps``: one caption per test movement by deterministic beam search (the run's beam and token limit),
  scored by the stage with the captioning metrics as one more row of the captioning table;
- ``title``: the movement title per test movement (beam search likewise), trained and scored only on rows whose
  release has a title; per fold title BLEU (and BLEU-1), exact match, distinct titles, and the tempo class of
  the generated title (the release's own tempo rules) against the release's tempo tag beside the majority class
  (:func:`earsense_m2t.model.title.title_metrics`, :func:`earsense_m2t.model.title.tempo_agreement`);
- ``muscall``: trained with the content-aware loss (the training texts' sentence similarities, computed once per
  unit with :func:`earsense_m2t.model.sentence_similarity.sentence_similarity`; validation is plain InfoNCE, the
  same for every epoch), then on the test fold retrieval both ways, the shuffled-pair control of R@10 both ways,
  and zero-shot tags against the release's (the four tempo-tag words, and the ensemble and instrument-family
  values of the training rows, each embedded as a text);
- the GTP family (every neural Table 1 system the run trains): the same retrieval and control on its pooled
  music and text vectors (:func:`earsense_m2t.model.retrieval.gtp_embeddings`), so the retrieval table compares
  them with MusCALL.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from earsense_m2t.model.batch import Batch, MovementDataset, collate
from earsense_m2t.model.data import TAG_FIELDS, Example, Release, Split, Standardizer
from earsense_m2t.model.systems import FIELD_SYSTEMS
from earsense_m2t.model.tokenizer import VOCAB_SIZE, wordpiece
from earsense_m2t.model.train import ModuleTraining, train_module
from earsense_m2t.model.train import _digest as ids_digest  # the Table 1 runs' digest of a split's ids

#: permutations of the shuffled-pair control (its 99th percentile is the bar R@10 must clear)
CONTROL_PERMUTATIONS = 1000
#: the metric the control is computed for, in each direction (issue 26: "R@10 above the 99th percentile")
CONTROL_METRIC = "R@10"
#: movements per forward pass when embedding or decoding a test fold (no gradient; the result does not depend on it)
EVAL_BATCH = 8
#: the index of the tempo tag in ``Example.tags`` (model/data.py's TAG_FIELDS: the published tag columns' order)
TEMPO_TAG_INDEX = TAG_FIELDS.index("tempo_tag")
#: the tags MusCALL's zero-shot use ranks against each test movement's audio (issue 26: the four tempo-tag words,
#: and the ensemble and instrument tags)
ZERO_SHOT_TAGS = ("tempo_tag", "ensemble", "instrument_family")


def field_config(system: str, config: str) -> Any:
    """The system's own config of the run's config name (``tiny``/``paper``): sizes, rates, batch size."""
    if system == "muscaps":
        from earsense_m2t.model.muscaps import MUSCAPS_CONFIGS

        known: dict[str, Callable[[], Any]] = dict(MUSCAPS_CONFIGS)
    elif system == "muscall":
        from earsense_m2t.model.muscall import CONFIGS

        known = dict(CONFIGS)
    elif system == "title":
        from earsense_m2t.model.title import TITLE_CONFIGS

        known = dict(TITLE_CONFIGS)
    else:
        raise ValueError(f"unknown field system {system!r}; known: {', '.join(FIELD_SYSTEMS)}")
    if config not in known:
        raise ValueError(f"{system}: no {config!r} config (known: {', '.join(sorted(known))})")
    return known[config]()


def not_reproduced(system: str) -> list[str]:
    """What of the system's paper this project could not reproduce, and its other differences, from the module's
    tables (for results.md); a line that would point outside the repository (an address) is left out."""
    if system not in FIELD_SYSTEMS:
        raise ValueError(f"unknown field system {system!r}; known: {', '.join(FIELD_SYSTEMS)}")
    module = importlib.import_module(f"earsense_m2t.model.{system}")  # each system's module has its name
    lines: list[str] = []
    lines += [f"not reproduced: {item}" for item in getattr(module, "NOT_REPRODUCED", ())]
    lines += [f"{name}: {why}" for name, why in getattr(module, "DIFFERENCES", {}).items()]
    return [line for line in lines if not _points_outside(line)]


def _points_outside(text: str) -> bool:
    lowered = text.lower()
    return any(mark in lowered for mark in ("http://", "https://", "www.", "github.com", ".org/", ".com/"))


def titled(examples: Sequence[Example]) -> list[Example]:
    """The rows with a published title, as examples whose text is that title (the title system's pairs)."""
    return [dataclasses.replace(e, text=e.title) for e in examples if e.title]


def tempo_tag(example: Example) -> str | None:
    """The release's tempo tag of a row when it is one of the tempo classes (None: untagged)."""
    from earsense_m2t.tagging.tempo import TEMPO_ORDER

    tag = example.tags[TEMPO_TAG_INDEX] if len(example.tags) > TEMPO_TAG_INDEX else None
    return tag if tag in TEMPO_ORDER else None


def batches_of(dataset: MovementDataset, time_factor: int, size: int = EVAL_BATCH,
               device: torch.device | None = None) -> Iterator[Batch]:
    """The dataset in fixed order as batches on ``device`` (evaluation and validation passes), read as they are
    used: a paper-sized split's spectrograms are never all in memory at once."""
    for start in range(0, len(dataset), size):
        batch = collate([dataset[i] for i in range(start, min(start + size, len(dataset)))], time_factor)
        yield batch if device is None else batch.to(device)


def model_device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def unit_key(release: Release, split: Split, system: str, cfg: Any, fold: int, seed: int) -> dict[str, Any]:
    """What makes two trainings of a field system the same run (as :func:`earsense_m2t.model.train.run_key`)."""
    return {"system": system, "fold": fold, "seed": seed, "release": release.version, "config": asdict(cfg),
            "train": ids_digest(split.train), "validation": ids_digest(split.validation)}


def _weighted_mean(pairs: Sequence[tuple[float, int]]) -> float:
    tokens = sum(n for _, n in pairs)
    return sum(v * n for v, n in pairs) / tokens if tokens else math.nan


# --- training --------------------------------------------------------------------------------------------

def _captioner_training(model_factory: Callable[[], torch.nn.Module], loss: Callable[[Any, Batch], Tensor],
                        train: MovementDataset, validation: MovementDataset, time_factor: int, batch_size: int,
                        optimizer: Callable[[torch.nn.Module], torch.optim.Optimizer], grad_clip: float | None,
                        device: torch.device, validate: Callable[[Any], float] | None = None) -> ModuleTraining:
    """A text generator (MusCaps, the title model): teacher-forced cross-entropy; validation is its token-weighted
    mean over the validation works, unless ``validate`` gives another figure (lower is better)."""
    def validation_loss(model: torch.nn.Module) -> float:
        return _weighted_mean([(float(loss(model, b)), int((b.tokens[:, 1:] != 0).sum()))
                               for b in batches_of(validation, time_factor, device=device)])

    return ModuleTraining(
        build=lambda: model_factory().to(device), optimizer=optimizer,
        batch=lambda indices: collate([train[i] for i in indices], time_factor).to(device),
        loss=lambda model, batch, _: loss(model, batch), validate=validate or validation_loss, n_train=len(train),
        batch_size=batch_size, grad_clip=grad_clip)


def train_field_system(release: Release, split: Split, standardizer: Standardizer, system: str, config: str,
                       fold: int, seed: int, epochs: int, checkpoint_dir: Path, *,
                       device: str = "cpu", sentence_model_dir: Path | None = None,
                       log: Callable[[str], None] | None = None) -> tuple[torch.nn.Module, Any, dict[str, Any]]:
    """Train ``system`` on the fold (resuming its checkpoint) on ``device``; the best epoch's model, its config, and
    the unit's training record (history, best epoch, speed, resumed epoch)."""
    from earsense_m2t.model.train import resolve_device

    cfg = field_config(system, config)
    on = resolve_device(device)
    tok = wordpiece()
    label = f"{system} fold {fold} seed {seed}"
    if system == "muscaps":
        from earsense_m2t.model.muscaps import MusCapsModel

        train = MovementDataset(release, split.train, standardizer, tok, cfg.max_frames, cfg.max_text_tokens)
        val = MovementDataset(release, split.validation, standardizer, tok, cfg.max_frames, cfg.max_text_tokens)
        task = _captioner_training(lambda: MusCapsModel(cfg, VOCAB_SIZE), lambda m, b: m.loss(b), train, val,
                                   cfg.time_factor, cfg.batch_size,
                                   lambda m: torch.optim.Adam(m.parameters(), lr=cfg.lr), cfg.clip_grad_norm, on)
    elif system == "title":
        from earsense_m2t.model.title import TitleModel

        train_rows, val_rows = titled(split.train), titled(split.validation)
        if not train_rows:
            raise ValueError(f"{label}: none of the {len(split.train)} training rows has a title "
                             f"(the release's movement_title column)")
        train = MovementDataset(release, train_rows, standardizer, tok, cfg.max_frames, cfg.max_title_tokens)
        val = MovementDataset(release, val_rows, standardizer, tok, cfg.max_frames, cfg.max_title_tokens)
        task = _captioner_training(lambda: TitleModel(cfg, VOCAB_SIZE), lambda m, b: m.loss(b.spec, b.frames, b.tokens),
                                   train, val, cfg.time_factor, cfg.batch_size,
                                   lambda m: torch.optim.Adam(m.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay),
                                   cfg.grad_clip, on,
                                   validate=title_validation(val, val_rows, cfg) if cfg.select_by == "bleu" else None)
    elif system == "muscall":
        task = _muscall_training(release, split, standardizer, cfg, sentence_model_dir, label, log, on)
    else:
        raise ValueError(f"unknown field system {system!r}; known: {', '.join(FIELD_SYSTEMS)}")
    run = train_module(task, unit_key(release, split, system, cfg, fold, seed), checkpoint_dir, epochs, seed,
                       label=label, log=log)
    return run.model, cfg, {"history": run.history, "best_epoch": run.best_epoch, "samples_per_s": run.samples_per_s,
                            "resumed_from": run.resumed_from}


def title_validation(validation: MovementDataset, rows: Sequence[Example], cfg: Any) -> Callable[[Any], float]:
    """The title system's selection figure: minus the corpus title BLEU of the validation works' greedy titles
    (lower is better, as for a loss; NaN without a titled validation row)."""
    from earsense_m2t.model.title import title_metrics

    references = [str(e.title) for e in rows]

    def validate(model: Any) -> float:
        if not references:
            return math.nan
        texts = caption_test_fold(model, validation, cfg.time_factor, 1, cfg.max_title_tokens,
                                  lambda m, b, k, n: m.generate(b.spec, b.frames, beam=k, max_tokens=n))
        return -title_metrics([texts[e.id] for e in rows], references)["bleu"]

    return validate


def _muscall_training(release: Release, split: Split, standardizer: Standardizer, cfg: Any,
                      sentence_model_dir: Path | None, label: str, log: Callable[[str], None] | None,
                      device: torch.device) -> ModuleTraining:
    """MusCALL: symmetric InfoNCE, content-aware weights from the training texts' sentence similarities."""
    from earsense_m2t.model.muscall import MusCallModel, make_optimizer

    tok = wordpiece()
    train = MovementDataset(release, split.train, standardizer, tok, cfg.max_frames, cfg.max_text_tokens)
    validation = MovementDataset(release, split.validation, standardizer, tok, cfg.max_frames, cfg.max_text_tokens)
    similarity: list[Tensor] = []  # computed on the first training batch: a finished run never needs it

    def text_similarity(indices: list[int]) -> Tensor | None:
        if not cfg.content_aware:
            return None
        if not similarity:
            from earsense_m2t.model.sentence_similarity import sentence_similarity

            if log:
                log(f"{label}: sentence similarities of {len(train)} training texts (content-aware weights)")
            similarity.append(sentence_similarity([e.text for e in split.train], sentence_model_dir).float())
        index = torch.tensor(indices)
        return similarity[0][index][:, index]

    def validate(model: torch.nn.Module) -> float:
        pairs = [(float(model.loss(b)), len(b.ids))
                 for b in batches_of(validation, cfg.time_factor, cfg.batch_size, device) if len(b.ids) > 1]
        return _weighted_mean(pairs)  # each batch's plain InfoNCE, weighted by its movements

    return ModuleTraining(
        build=lambda: MusCallModel(cfg, VOCAB_SIZE).to(device),
        optimizer=make_optimizer,  # the module's AdamW (its decay on weight matrices only)
        batch=lambda indices: collate([train[i] for i in indices], cfg.time_factor).to(device),
        loss=lambda model, batch, indices: model.loss(batch, text_similarity(indices)),
        validate=validate, n_train=len(train), batch_size=cfg.batch_size,
        after_step=lambda model: model.clamp_temperature_())


# --- evaluation ------------------------------------------------------------------------------------------

@torch.no_grad()
def caption_test_fold(model: Any, dataset: MovementDataset, time_factor: int, beam: int, max_tokens: int,
                      generate: Callable[[Any, Batch, int, int], list[list[int]]]) -> dict[str, str]:
    """One text per test movement by the model's deterministic beam search, decoded to text."""
    tok = wordpiece()
    model.eval()
    texts: dict[str, str] = {}
    for batch in batches_of(dataset, time_factor, device=model_device(model)):
        ids = generate(model, batch, beam, max_tokens)
        texts.update(zip(batch.ids, (tok.decode(i) for i in ids), strict=True))
    return texts


def muscaps_captions(model: Any, cfg: Any, release: Release, split: Split, standardizer: Standardizer, beam: int,
                     max_tokens: int) -> dict[str, tuple[str, ...]]:
    """MusCaps' caption of every test movement (the stage scores them as every other system's)."""
    data = MovementDataset(release, split.test, standardizer, wordpiece(), cfg.max_frames, cfg.max_text_tokens)
    texts = caption_test_fold(model, data, cfg.time_factor, beam, max_tokens,
                              lambda m, b, k, n: m.generate(b, beam=k, max_tokens=n, length_penalty=cfg.length_penalty))
    return {i: (t,) for i, t in texts.items()}


def title_unit(model: Any, cfg: Any, release: Release, split: Split, standardizer: Standardizer, beam: int,
               max_tokens: int) -> dict[str, Any]:
    """The title system's test fold: its titled rows' generated titles, title metrics and tempo agreement."""
    from earsense_m2t.model.title import tempo_agreement, title_metrics

    rows = titled(split.test)
    if not rows:
        raise ValueError(f"title: none of the {len(split.test)} test rows has a title")
    data = MovementDataset(release, rows, standardizer, wordpiece(), cfg.max_frames, cfg.max_title_tokens)
    texts = caption_test_fold(model, data, cfg.time_factor, beam, min(max_tokens, cfg.max_title_tokens),
                              lambda m, b, k, n: m.generate(b.spec, b.frames, beam=k, max_tokens=n))
    predicted = [texts[e.id] for e in rows]
    references = [str(e.title) for e in rows]
    tempo = tempo_agreement(predicted, [tempo_tag(e) for e in rows])
    metrics: dict[str, Any] = {**title_metrics(predicted, references),
                               "distinct_share": len(set(predicted)) / len(predicted),
                               "tempo_agreement": tempo["agreement"], "tempo_majority": tempo["majority"],
                               "untagged": tempo["untagged"], "n": len(rows)}
    return {"metrics": metrics, "tempo": tempo, "untitled_test_rows": len(split.test) - len(rows),
            "generations": [{"id": e.id, "hypothesis": texts[e.id], "reference": e.title,
                             "tempo_tag": tempo_tag(e)} for e in sorted(rows, key=lambda e: e.id)]}


def retrieval_unit(audio: Tensor, text: Tensor, seed: int) -> dict[str, Any]:
    """Retrieval both ways and the shuffled-pair control of R@10 both ways, on one test fold's embeddings."""
    from earsense_m2t.model.retrieval import DIRECTIONS, retrieval_metrics, shuffled_control

    metrics = retrieval_metrics(audio, text)
    control = {d: dict(shuffled_control(audio, text, n_permutations=CONTROL_PERMUTATIONS, seed=seed,
                                        metric=(d, CONTROL_METRIC))) for d in DIRECTIONS}
    return {"metrics": metrics, "control": control}


def zero_shot_labels(tag: str, split: Split) -> list[str]:
    """The labels a tag's zero-shot use ranks: the tempo tag's four classes (the release's fixed tag vocabulary);
    for another tag, the values its training rows have (so nothing of the test fold chooses the labels)."""
    from earsense_m2t.tagging.tempo import TEMPO_ORDER

    if tag == TAG_FIELDS[TEMPO_TAG_INDEX]:
        return list(TEMPO_ORDER)
    i = TAG_FIELDS.index(tag)
    return sorted({str(e.tags[i]) for e in split.train if len(e.tags) > i and e.tags[i]})


@torch.no_grad()
def muscall_unit(model: Any, cfg: Any, release: Release, split: Split, standardizer: Standardizer, seed: int
                 ) -> dict[str, Any]:
    """MusCALL on the test fold: retrieval, the control, and zero-shot tags (each label's words embedded as a text,
    :data:`ZERO_SHOT_TAGS`); a tag with fewer than two labels or no labelled test row is left out."""
    from earsense_m2t.model.retrieval import zero_shot_accuracy

    tok = wordpiece()
    data = MovementDataset(release, split.test, standardizer, tok, cfg.max_frames, cfg.max_text_tokens)
    model.eval()
    audio, text = [], []
    for batch in batches_of(data, cfg.time_factor, device=model_device(model)):
        audio.append(model.embed_audio(batch).float().cpu())
        text.append(model.embed_text(batch).float().cpu())
    a, t = torch.cat(audio), torch.cat(text)
    out = retrieval_unit(a, t, seed)
    zero: dict[str, Any] = {}
    for tag in ZERO_SHOT_TAGS:
        labels = zero_shot_labels(tag, split)
        i = TAG_FIELDS.index(tag)
        truth = [value if (value := e.tags[i] if len(e.tags) > i else None) in labels else None for e in split.test]
        if len(labels) < 2 or all(value is None for value in truth):
            continue
        # "super_fast" as the words a text would use
        ids = [tok.encode(label.replace("_", " "), cfg.max_text_tokens) for label in labels]
        width = max(len(x) for x in ids)
        tokens = torch.tensor([x + [0] * (width - len(x)) for x in ids])
        tokens = tokens.to(model_device(model))
        found = zero_shot_accuracy(a, model.encode_text(tokens, tokens != 0).float().cpu(), labels, truth)
        zero[tag] = {**{k: v for k, v in found.items() if k != "predicted"}, "labels": len(labels)}
    if zero:
        out["zero_shot"] = zero
    return out


def gtp_retrieval(model: Any, release: Release, split: Split, standardizer: Standardizer, cfg: Any, seed: int
                  ) -> dict[str, Any]:
    """A GTP-family model's pooled music and text vectors of the test fold under the same retrieval code."""
    from earsense_m2t.model.retrieval import gtp_embeddings

    data = MovementDataset(release, split.test, standardizer, wordpiece(), cfg.max_frames, cfg.max_text_tokens)
    audio, text = [], []
    for batch in batches_of(data, cfg.time_factor):
        a, t = gtp_embeddings(model, batch)
        audio.append(a)
        text.append(t)
    return retrieval_unit(torch.cat(audio), torch.cat(text), seed)


__all__ = ["CONTROL_METRIC", "CONTROL_PERMUTATIONS", "ZERO_SHOT_TAGS", "field_config", "gtp_retrieval", "muscaps_captions",
           "muscall_unit", "not_reproduced", "retrieval_unit", "tempo_tag", "title_unit", "titled",
           "train_field_system", "unit_key", "zero_shot_labels"]
