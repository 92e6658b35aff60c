"""The two settings profiles of ``earsense-m2t train --settings``, and the differences they make, generated.

A profile (:class:`Settings`, frozen) fixes how a run trains, decodes and scores, apart from what it trains:

- ``authors``: the released code's choices (github.com/MusicTextSynaesthesia/MusicTextSynaesthesia,
  ``src/configs/BaseConfig.py`` and ``src/Trainer/BaseTrainer.py``): AdamW weight decay 5, 5 epochs after
  pretraining, the momentum encoder updated once per sample, three texts per movement sampled from the top 50
  tokens, BLEU as its ``all_metrics`` computes it (the swapped sacrebleu call, the three sampled streams as the
  reference streams; its METEOR, ROUGE and CIDEr score the first stream);
- ``corrected`` (the default): the project's: torch's AdamW weight decay (0.01), the config's epochs
  (:data:`FULL_EPOCHS`), deterministic beam search (beam 3, one text per movement).

:data:`SETTING_ROWS` says, per field, what the paper states (or :data:`NOT_STATED`), what the authors' code does,
and why the project differs. :func:`differences` compares a run's effective settings with both, field by field,
and returns the rows where they differ (or the paper is silent): results.md prints them, so its list of
differences is computed from the settings the run used, never written by hand. Torch-free, so the CLI checks
``--settings`` without the model extra.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any

from earsense_m2t.model.config import GTP_SIMILARITIES

#: the paper (Kuang et al., 2022) does not give the value
NOT_STATED = "not stated"
#: epochs of a full run per model config under the ``corrected`` profile (the paper does not state its count; 40 is
#: what its loss curves need on 1,955 pairs at lr 5e-5; tiny learns at lr 1e-3)
FULL_EPOCHS = {"tiny": 5, "paper": 40}
DECODINGS = ("beam", "sample")
DEFAULT_SETTINGS = "corrected"


@dataclass(frozen=True)
class Settings:
    """How a run trains, decodes and scores; ``None`` in a profile = the model config's value."""

    name: str
    weight_decay: float  # AdamW's (decoupled) weight decay
    epochs: int | None  # training epochs per system after pretraining; None: FULL_EPOCHS of the config
    momentum_per_sample: bool | None  # the momentum encoder moves once per sample (m^n per step of n); None: config's
    decoding: str  # "beam": deterministic beam search; "sample": top-k sampling, seeded per (seed, movement)
    beam: int  # beam width ("beam" decoding)
    top_k: int | None  # tokens sampled from ("sample" decoding)
    outputs: int  # texts per movement (streams); every metric but the paper's-call BLEU scores the first
    max_tokens: int  # tokens generated at most
    #: what GTP compares on the music side: "cosine" (the paper's) or "standardized" (model/gtp.py says why); None: the
    #: model config's
    gtp_similarity: str | None = None

    def __post_init__(self) -> None:
        if self.decoding not in DECODINGS:
            raise ValueError(f"settings {self.name}: decoding {self.decoding!r}; known: {', '.join(DECODINGS)}")
        if self.decoding == "sample" and (self.top_k is None or self.top_k < 1):
            raise ValueError(f"settings {self.name}: sampling needs top_k ≥ 1, not {self.top_k}")
        if self.decoding == "beam" and self.outputs != 1:
            raise ValueError(f"settings {self.name}: beam search gives one text per movement, not {self.outputs}")
        if self.outputs < 1 or self.beam < 1 or self.max_tokens < 1:
            raise ValueError(f"settings {self.name}: outputs {self.outputs}, beam {self.beam} and max_tokens "
                             f"{self.max_tokens} must be ≥ 1")
        if self.gtp_similarity not in (None, *GTP_SIMILARITIES):
            raise ValueError(f"settings {self.name}: gtp_similarity {self.gtp_similarity!r}; known: "
                             f"{', '.join(GTP_SIMILARITIES)}")
        if self.weight_decay < 0:
            raise ValueError(f"settings {self.name}: weight_decay {self.weight_decay} must be ≥ 0")

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


PROFILES = {
    "authors": Settings("authors", weight_decay=5.0, epochs=5, momentum_per_sample=True, decoding="sample", beam=3,
                        top_k=50, outputs=3, max_tokens=200, gtp_similarity="cosine"),
    "corrected": Settings("corrected", weight_decay=0.01, epochs=None, momentum_per_sample=None, decoding="beam",
                          beam=3, top_k=None, outputs=1, max_tokens=200),
}


def get_settings(name: str) -> Settings:
    """The named profile; an unknown name is one line listing the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown settings {name!r}; known: {', '.join(PROFILES)}") from None


@dataclass(frozen=True)
class SettingRow:
    """One field of :class:`Settings` against the paper and the authors' code."""

    field: str
    title: str
    paper: Any  # NOT_STATED when the paper does not give it
    authors: Any  # the released code's value
    why: str  # why the project's (corrected) choice differs, or what the field means
    #: the row only counts for settings where this holds (e.g. top-k only when sampling)
    applies: Callable[[Settings], bool] = lambda s: True


SETTING_ROWS: tuple[SettingRow, ...] = (
    SettingRow("weight_decay", "AdamW weight decay (after pretraining)", NOT_STATED, 5.0,
               "torch's AdamW default; the released code's 5 multiplies every weight by 1 − lr·5 at each step "
               "(at lr 5e-5, about 0.78 after 5 epochs of 1,564 pairs in steps of 8), pulling the pretrained "
               "autoencoders' weights toward 0. Pretraining keeps torch's default in both profiles."),
    SettingRow("epochs", "epochs after pretraining", NOT_STATED, 5,
               "the paper does not state its count; the corrected profile trains the config's epochs (paper 40, "
               "what the loss curves need at lr 5e-5; tiny 5) and keeps the best on validation works; a smoke or "
               "--epochs run trains what it is told."),
    SettingRow("momentum_per_sample", "momentum encoder updated once per sample", NOT_STATED, True,
               "the released code updates it after every sample; the project does the same in one update of m^n "
               "per optimizer step (False: once per step, m, the old way)."),
    SettingRow("gtp_similarity", "music side of the GTP loss", "cosine", "cosine",
               "the paper's softmax of 32 × the raw cosines lets the loss answer a text target the music cannot "
               "predict (most of its mass on the one member whose key and instrumentation match) with an even "
               "softmax, which the encoder reaches by pulling every movement toward one direction, so its texts "
               "become alike (59-60 % distinct on the learnable corpus). 'standardized' gives the music's cosines "
               "the spread of the group's text similarities, so only their order counts (model/gtp.py)."),
    SettingRow("decoding", "decoding", "beam", "beam_sample",
               "the paper describes beam search (beam 3); the released code calls Hugging Face generate with "
               "do_sample, num_beams 3 and top_k 50 (beam-sample), whose texts change with the random state. "
               "'sample' here draws each stream independently from the top-k tokens, seeded by the unit's seed and "
               "the movement id (the same seed gives the same texts); Hugging Face's beam-sample is not "
               "reimplemented. The corrected profile decodes deterministically (beam search)."),
    SettingRow("beam", "beam width", 3, 3, "the paper's beam.", applies=lambda s: s.decoding == "beam"),
    SettingRow("top_k", "top-k of sampling", NOT_STATED, 50, "the released code's generate call.",
               applies=lambda s: s.decoding == "sample"),
    SettingRow("outputs", "texts per movement", NOT_STATED, 3,
               "the released code returns three sampled sequences and scores the swapped BLEU call over the three "
               "streams (its METEOR, ROUGE and CIDEr score the first); one deterministic text per movement is what "
               "the metrics define."),
    SettingRow("max_tokens", "tokens generated at most", 200, 200, "the paper's and the released code's cap."),
)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def differences(settings: Settings) -> list[dict[str, str]]:
    """The rows of :data:`SETTING_ROWS` where ``settings`` (resolved: no None) differs from the paper or the authors'
    code, or takes a value the paper does not state.

    Each: ``field``, ``title``, ``value`` (this run's), ``paper``, ``authors``, ``differs_from`` (of "paper", "not
    in the paper", "authors' code") and ``why``; in :data:`SETTING_ROWS`' order. A field equal to what the paper
    states and to the authors' code is not listed.
    """
    unresolved = [f.name for f in fields(settings) if getattr(settings, f.name) is None
                  and any(r.field == f.name and r.applies(settings) for r in SETTING_ROWS)]
    if unresolved:
        raise ValueError(f"settings {settings.name}: {', '.join(unresolved)} unresolved (None); resolve them first")
    out = []
    for row in SETTING_ROWS:
        if not row.applies(settings):
            continue
        value = getattr(settings, row.field)
        unstated = row.paper == NOT_STATED
        from_paper = not unstated and value != row.paper
        from_authors = value != row.authors
        if not (unstated or from_paper or from_authors):
            continue
        differs = ", ".join(w for w, d in (("paper", from_paper), ("not in the paper", unstated),
                                           ("authors' code", from_authors)) if d)
        out.append({"field": row.field, "title": row.title, "value": _shown(value), "paper": _shown(row.paper),
                    "authors": _shown(row.authors), "differs_from": differs, "why": row.why})
    return out


def streams_statement(settings: Settings) -> str:
    """How the run decodes and which texts each metric scores (said in results.md)."""
    if settings.decoding == "beam":
        return (f"beam search (beam {settings.beam}, ≤ {settings.max_tokens} tokens), deterministic; one text per "
                "movement, scored by every metric.")
    return (f"top-k sampling (k = {settings.top_k}, ≤ {settings.max_tokens} tokens), {settings.outputs} texts "
            "(streams) per movement, each drawn with a generator seeded by the unit's seed and the movement id (the "
            "same seed gives the same texts). 'BLEU (paper's call)' is the released code's call over all the "
            "streams: sacrebleu.corpus_bleu(references, [stream 1, stream 2, …]), the movement texts as hypotheses "
            "and each stream as a reference stream; every other metric (BLEU, METEOR, ROUGE-L, CIDEr-D, both "
            "sentiment figures) scores the first stream, as the released code's METEOR, ROUGE and CIDEr do. The "
            "TAGS baselines emit one text per movement.")


__all__ = ["DECODINGS", "DEFAULT_SETTINGS", "FULL_EPOCHS", "NOT_STATED", "PROFILES", "SETTING_ROWS", "SettingRow",
           "Settings", "differences", "get_settings", "streams_statement"]
