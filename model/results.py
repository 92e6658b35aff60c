"""The results of a training run as the paper's Table 1: per system, each metric per fold, mean ± std.

Every (system, fold, seed) unit leaves one metrics file; this module only aggregates and writes. The
figure of a fold is the mean over its seeds; ``mean`` and ``std`` are over folds (the paper's "5-split
average"), and the spread over seeds is reported beside them (``per_seed``: each seed's mean over
folds; ``seed_std``: their standard deviation), so the two kinds of spread are never mixed.

:func:`significance` compares GTP with every other system of the run: a paired test over the (fold, seed)
units both have (:data:`SIGNIFICANCE_TEST`), one p-value per metric; the paper claims p < 0.001 for BLEU.

The paper's own figures sit in one table of data, :data:`PAPER_TABLE1` (row → metric → figure), so the
Markdown table can put the paper's figure beside ours for every row and metric it has; :data:`PAPER_UNREAD`
names the rows whose figures have not been read from a copy of the paper yet (their cells say so, never a
guess). The paper's BLEU was measured with the released code's swapped BLEU call (``bleu_paper_compatible`` is
the comparable column), on a linear STFT with hop 255 and on a different crawl of the site.

The field's other systems (issue 26, :mod:`.field`) add to it: MusCaps is one more captioning row; the retrieval
table (:func:`field_lines`) holds MusCALL's and every GTP-family unit's retrieval both ways with the shuffled-pair
control (and MusCALL's zero-shot tempo tags); the title table the song-title system's figures; and a list, per
field system, of what its paper did that could not be reproduced here (pretrained weights) and its other
differences, taken from the system's module.
"""

from __future__ import annotations

import json
import math
import statistics
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from earsense_m2t.model.systems import FIELD_SYSTEMS, FIELD_TITLES, ROW_DIFFERENCES, TABLE1_SYSTEMS, TABLE1_TITLES

#: Table 1 rows in the paper's order: the two baselines without audio, then the neural systems (all twelve)
SYSTEM_ORDER = TABLE1_SYSTEMS
#: rows that are not the paper's: the TAGS baselines on the release's five tags (the paper compares four)
EXTRA_SYSTEMS = ("tags_knn_5tags", "tags_representative_5tags")
SYSTEM_TITLES = {**TABLE1_TITLES, **FIELD_TITLES,
                 "tags_knn_5tags": "TAGS kNN, five tags (extra row)",
                 "tags_representative_5tags": "TAGS representative, five tags (extra row)"}
#: the system the significance tests compare every other one with
SIGNIFICANCE_REFERENCE = "gtp"
SIGNIFICANCE_TEST = ("two-sided paired t-test (scipy.stats.ttest_rel) over the (fold, seed) units both systems have, "
                     "a TAGS baseline's fold figure paired with each seed's; the exact Wilcoxon signed-rank test "
                     "(scipy.stats.wilcoxon) beside it")
#: how every system's texts are scored, said in every results.md (model/metrics.py)
SCORING_RULE = (
    "Every text, generated or reference, of every system is first passed through the model's uncased WordPiece "
    "tokenizer and back (lower case, accents stripped, the decoder's spacing), then each metric's own tokenizer "
    "(sacrebleu 13a for BLEU, PTB for METEOR, ROUGE-L and CIDEr-D): a perfect neural output scores BLEU 100, and "
    "a TAGS baseline's capitalised text is no longer matched case for case against the lower-case neural ones. "
    "'BLEU (paper's call)' is the released code's sacrebleu call (references as hypotheses, generated texts as "
    "the reference stream) on the texts as emitted and raw references, comparable with the paper's table. "
    "Sentiment, two ways: the paper's corpus figure correlates the distribution of emotion labels (each text's "
    "top label) over the generated texts with that over the references (paper: r = 0.96); ours is the mean over "
    "pairs of the r between a generated text's emotion distribution and its reference's.")
METRIC_TITLES = {"bleu": "BLEU", "bleu_paper_compatible": "BLEU (paper's call)", "meteor": "METEOR",
                 "rouge_l": "ROUGE-L", "cider_d": "CIDEr-D", "sentiment_r_corpus": "sentiment r (corpus, paper's)",
                 "sentiment_r": "sentiment r (mean per pair)"}
#: Kuang et al. (2022), Table 1, one row per system in the paper's order: ``{system: {metric: figure}}``, metrics
#: keyed as in :data:`METRIC_TITLES` (BLEU × 100, 5-split average on 1,955 pairs; GTP per split:
#: 7.04/6.79/6.66/6.55/7.05). The six figures below were carried over when the train stage was written; the
#: stored copies of the paper searched since (ar5iv, the ICLR 2023 submission text) gave back only the first
#: pages, so neither they nor the other six rows could be checked against Table 1 there. A row of
#: :data:`PAPER_UNREAD` has ``None``: the paper's figure has not been read, it is not a zero.
PAPER_TABLE1: dict[str, dict[str, float | None]] = {
    "tags_knn": {"bleu": 3.74},
    "tags_representative": {"bleu": 3.62},
    "encoder_decoder": {"bleu": 6.18},
    "joint": {"bleu": None},
    "coordinate": {"bleu": 6.42},
    "coordinate_contrastive": {"bleu": None},
    "coordinate_pairwise": {"bleu": None},
    "coordinate_triplet_k1": {"bleu": None},
    "coordinate_triplet_k32": {"bleu": None},
    "coordinate_sentiment": {"bleu": None},
    "gtp_no_sentiment": {"bleu": 6.76},
    "gtp": {"bleu": 6.82},
}
#: Table 1 rows whose figures are not yet carried over (each cell ``None`` above); a test keeps the two in step
PAPER_UNREAD = ("joint", "coordinate_contrastive", "coordinate_pairwise", "coordinate_triplet_k1",
                "coordinate_triplet_k32", "coordinate_sentiment")
#: the metrics Table 1 gives, in :data:`METRIC_TITLES`' order: one "paper's …" column each in results.md
PAPER_METRICS = tuple(m for m in METRIC_TITLES if any(m in row for row in PAPER_TABLE1.values()))
#: the paper's BLEU of each row that has one (a view of :data:`PAPER_TABLE1`)
PAPER_BLEU = {s: v for s, row in PAPER_TABLE1.items() if (v := row.get("bleu")) is not None}
#: what differs from the paper's released code, said in every results.md
DIFFERENCES = (
    "Input: the release's 256-bin STFT spectrograms in dB (n_fft 510, hop 256 at 16 kHz: 62.5 frames/s), "
    "standardized per bin on the training folds; the paper's code used the same STFT as linear power values with "
    "hop 255: the same bins, another scale and a 0.4 % longer frame step.",
    "BLEU: the headline is sacrebleu's corpus BLEU with hypotheses and references in their places; the released "
    "code swaps them, and that figure is the 'paper's call' column (comparable with the paper's table).",
    "Best epoch: chosen on a validation split of whole works carved from the training folds (lowest music-to-text "
    "cross-entropy); the released code chose it on the test fold.",
    "Folds: the release's work-grouped `fold` column (no work on both sides); the released code sliced the file.",
    "GTP groups leave out the sample's own movement, and the training data are shuffled every epoch.",
    "Sentiment: the loss is implemented (the released code had none); the emotion model is named in the run "
    "settings (the paper's j-hartmann classifier when its weights are present, else the NRC lexicon).",
    *ROW_DIFFERENCES,
)


@dataclass(frozen=True)
class Unit:
    """One evaluated (system, fold, seed) and its metric values (None: the metric could not be computed)."""

    system: str
    fold: int
    seed: int
    metrics: Mapping[str, float | None]


def _mean(values: Sequence[float]) -> float:
    return statistics.fmean(values)


def _std(values: Sequence[float]) -> float:
    """Sample standard deviation; 0 for a single value (one fold or one seed has no spread to show)."""
    return statistics.stdev(values) if len(values) > 1 else 0.0


def summarize(units: Sequence[Unit], metrics: Sequence[str], folds: Sequence[int],
              seeds: Sequence[int]) -> dict[str, dict[str, dict[str, Any]]]:
    """``{system: {metric: {mean, std, per_fold, per_fold_seed_std, per_seed, seed_std, n}}}``, over the units present.

    ``per_fold`` is each fold's mean over its seeds and ``per_fold_seed_std`` their standard deviation there.

    A fold whose units all failed has ``None`` in ``per_fold`` and is left out of mean and std; ``n``
    says how many folds the mean covers.
    """
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for system in _systems(units):
        mine = [u for u in units if u.system == system]
        out[system] = {}
        for metric in metrics:
            def values(keep: Any, mine: list[Unit] = mine, metric: str = metric) -> list[float]:
                return [float(v) for u in mine if keep(u) and (v := u.metrics.get(metric)) is not None
                        and math.isfinite(float(v))]

            by_fold = [values(lambda u, f=f: u.fold == f) for f in folds]
            per_fold = [_mean(v) if v else None for v in by_fold]
            per_fold_seed_std = [_std(v) if v else None for v in by_fold]
            per_seed = [_mean(got) if (got := values(lambda u, s=s: u.seed == s)) else None for s in seeds]
            present = [v for v in per_fold if v is not None]
            seeded = [v for v in per_seed if v is not None]
            out[system][metric] = {
                "mean": _mean(present) if present else None, "std": _std(present) if present else None,
                "per_fold": per_fold, "per_fold_seed_std": per_fold_seed_std,
                "per_seed": per_seed, "seed_std": _std(seeded) if seeded else None,
                "n": len(present)}
    return out


def _systems(units: Sequence[Unit]) -> list[str]:
    """The systems of ``units``: the paper's rows in its order, the extra rows, then any other by name."""
    known = (*SYSTEM_ORDER, *(s for s in EXTRA_SYSTEMS if s not in SYSTEM_ORDER), *FIELD_SYSTEMS)
    systems = [s for s in known if any(u.system == s for u in units)]
    return systems + sorted({u.system for u in units} - set(systems))


def paired_test(reference: Mapping[tuple[int, int], float], other: Mapping[tuple[int, int], float]) -> dict[str, Any]:
    """:data:`SIGNIFICANCE_TEST` of ``reference`` against ``other``, per-(fold, seed) figures paired by key.

    ``n``: the pairs; ``mean_difference``: reference minus other; ``wins``: pairs where the reference is higher.
    With fewer than 2 pairs there is no test (p None); differences all 0 give p = 1.
    """
    keys = sorted(set(reference) & set(other))
    diffs = [reference[k] - other[k] for k in keys]
    out: dict[str, Any] = {"n": len(keys), "mean_difference": _mean(diffs) if diffs else None,
                           "wins": sum(d > 0 for d in diffs), "p_t": None, "p_wilcoxon": None}
    if len(diffs) < 2:
        return out
    if all(d == 0 for d in diffs):
        return {**out, "p_t": 1.0, "p_wilcoxon": 1.0}
    from scipy import stats

    with warnings.catch_warnings():  # a tiny or constant sample: scipy warns, the figure is still its answer
        warnings.simplefilter("ignore")
        p_t = float(stats.ttest_rel([reference[k] for k in keys], [other[k] for k in keys]).pvalue)
        try:
            p_w = float(stats.wilcoxon(diffs).pvalue)
        except ValueError:
            p_w = math.nan
    return {**out, "p_t": p_t if math.isfinite(p_t) else None, "p_wilcoxon": p_w if math.isfinite(p_w) else None}


def significance(units: Sequence[Unit], metrics: Sequence[str], reference: str = SIGNIFICANCE_REFERENCE
                 ) -> dict[str, Any]:
    """``{reference, test, against: {system: {metric: paired_test(...)}}}``: the reference against every other system.

    ``against`` is empty when the run has no unit of the reference system.
    """
    def figures(system: str, metric: str) -> dict[tuple[int, int], float]:
        return {(u.fold, u.seed): float(v) for u in units if u.system == system
                and (v := u.metrics.get(metric)) is not None and math.isfinite(float(v))}

    present = _systems(units)
    against = {} if reference not in present else {
        system: {metric: paired_test(figures(reference, metric), figures(system, metric)) for metric in metrics}
        for system in present if system != reference}
    return {"reference": reference, "test": SIGNIFICANCE_TEST, "against": against}


def _p(value: float | None) -> str:
    if value is None:
        return "—"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _significance_lines(sig: Mapping[str, Any], metrics: Sequence[str]) -> list[str]:
    against: Mapping[str, Mapping[str, Mapping[str, Any]]] = sig.get("against", {})
    if not against:
        return []
    ref = SYSTEM_TITLES.get(sig["reference"], sig["reference"])
    lines = ["", f"## Significance: {ref} against each system", "",
             f"Test: {sig['test']}. Cells: mean difference ({ref} − system), p (t-test), p (Wilcoxon); n pairs. "
             "The paper claims p < 0.001 for BLEU.", "",
             "| system | n | " + " | ".join(METRIC_TITLES[m] for m in metrics) + " |",
             "|---|---:|" + "---:|" * len(metrics)]
    for system, tests in against.items():
        n = max((t["n"] for t in tests.values()), default=0)
        cells = []
        for m in metrics:
            t = tests.get(m, {})
            diff = t.get("mean_difference")
            cells.append("—" if diff is None else f"{diff:+.2f}, p {_p(t.get('p_t'))}, W {_p(t.get('p_wilcoxon'))}")
        lines.append(f"| {SYSTEM_TITLES.get(system, system)} | {n} | " + " | ".join(cells) + " |")
    return lines


def _cell(stat: Mapping[str, Any]) -> str:
    if stat.get("mean") is None:
        return "—"
    return f"{stat['mean']:.2f} ± {stat['std']:.2f}"


def _paper_cell(system: str, metric: str) -> str:
    """The paper's figure for a row and metric; 'not read' for a Table 1 row not carried over, '—' off the table."""
    figure = PAPER_TABLE1.get(system, {}).get(metric)
    if figure is not None:
        return f"{figure:.2f}"
    return "not read" if system in PAPER_UNREAD else "—"


def markdown(results: Mapping[str, Any]) -> str:
    """``results.md``: the table (mean ± std over folds), BLEU per fold, the seeds' spread, and the differences."""
    systems: Mapping[str, Mapping[str, Any]] = results["systems"]
    metrics = [m for m in METRIC_TITLES if any(m in s for s in systems.values())]
    folds = results["folds"]
    lines = [f"# GTP results: dataset v{results['dataset_version']}, config `{results['config']}`", "",
             f"{len(folds)} folds ({', '.join(map(str, folds))}) × {len(results['seeds'])} seed(s) "
             f"({', '.join(map(str, results['seeds']))}), {results['settings']['epochs']} epoch(s) per system; "
             f"device {results['environment']['device']}. Cells: mean ± std over folds (each fold: mean over seeds). "
             "BLEU, METEOR, ROUGE-L and CIDEr-D × 100; sentiment r: Pearson r, unscaled.", "",
             f"Scoring: {SCORING_RULE}", "",
             *([f"Decoding (settings `{results['settings_profile']}`): {results['decoding']}", ""]
               if results.get("decoding") else []),
             "| system | " + " | ".join(METRIC_TITLES[m] for m in metrics)
             + "".join(f" | paper's {METRIC_TITLES[m]}" for m in PAPER_METRICS) + " |",
             "|---|" + "---:|" * (len(metrics) + len(PAPER_METRICS))]
    for name, stats in systems.items():
        lines.append(f"| {SYSTEM_TITLES.get(name, name)} | " + " | ".join(_cell(stats[m]) for m in metrics)
                     + "".join(f" | {_paper_cell(name, m)}" for m in PAPER_METRICS) + " |")
    unread = [SYSTEM_TITLES.get(s, s) for s in systems if s in PAPER_UNREAD]
    if unread:
        lines += ["", f"Paper's figures not yet carried over for: {', '.join(unread)} (cells 'not read')."]
    lines += ["", "BLEU (sacrebleu corpus BLEU) per fold, mean ± std over seeds:", "",
              "| system | " + " | ".join(f"fold {f}" for f in folds) + " | spread over seeds (std of the seeds' means) |",
              "|---|" + "---:|" * (len(folds) + 1)]
    for name, stats in systems.items():
        bleu = stats.get("bleu", {})
        per = ["—" if v is None else f"{v:.2f} ± {sd:.2f}"
               for v, sd in zip(bleu.get("per_fold", []), bleu.get("per_fold_seed_std", []), strict=False)]
        seed_std = bleu.get("seed_std")
        lines.append(f"| {SYSTEM_TITLES.get(name, name)} | " + " | ".join(per)
                     + f" | {'—' if seed_std is None else f'{seed_std:.2f}'} |")
    lines += _significance_lines(results.get("significance", {}), metrics)
    if results.get("failures"):
        lines += ["", "Units that failed (left out of the means):", ""]
        lines += [f"- {f['item_id']}: {f['reason']}" for f in results["failures"]]
    lines += field_lines(results)
    lines += differences_lines(results)
    lines += ["", f"Paper: Kuang et al. (2022), Table 1 ({', '.join(METRIC_TITLES[m] for m in PAPER_METRICS)}, "
              "5-split average, 1,955 pairs)."]
    return "\n".join(lines) + "\n"


#: the retrieval directions and metrics of the retrieval table (model/retrieval.py defines them)
RETRIEVAL_DIRECTIONS = {"audio_to_text": "audio → text", "text_to_audio": "text → audio"}
RETRIEVAL_METRICS = ("R@1", "R@5", "R@10", "mAP@10", "median_rank")
#: the shuffled-pair control's figures (model/retrieval.py's ShuffledControl), per direction
CONTROL_FIGURES = ("observed", "mean", "p99", "above_p99")
#: the tags of MusCALL's zero-shot use (model/field.py's ZERO_SHOT_TAGS) as the table names them
ZERO_SHOT_TITLES = {"tempo_tag": "tempo", "ensemble": "ensemble", "instrument_family": "instrument family"}
#: the title table's columns (model/title.py's metrics and tempo agreement, as model/field.py stores them)
TITLE_METRICS = {"bleu": "title BLEU", "bleu_1": "BLEU-1", "exact_match": "exact match", "distinct_share": "distinct",
                 "tempo_agreement": "tempo agrees", "tempo_majority": "majority class", "untagged": "no tempo class"}


def retrieval_units(system: str, fold: int, seed: int, unit: Mapping[str, Any]) -> Unit:
    """One unit's retrieval figures (its ``retrieval`` record: metrics, control, zero-shot) as a flat :class:`Unit`
    (``"<direction>/<metric>"``, ``"control/<direction>/<figure>"``, ``"zero_shot/<tag>/<figure>"``), so the
    table aggregates them as every other figure: the mean over seeds per fold, mean ± std over folds."""
    flat: dict[str, float | None] = {}
    for direction, row in unit.get("metrics", {}).items():
        flat.update({f"{direction}/{k}": v for k, v in row.items()})
    for direction, row in unit.get("control", {}).items():
        flat.update({f"control/{direction}/{k}": float(row[k]) for k in CONTROL_FIGURES if k in row})
    for tag, row in (unit.get("zero_shot") or {}).items():
        flat.update({f"zero_shot/{tag}/{k}": row[k] for k in ("accuracy", "majority", "n", "labels") if k in row})
    return Unit(system, fold, seed, flat)


def retrieval_keys(units: Sequence[Unit]) -> list[str]:
    return sorted({k for u in units for k in u.metrics})


def _pct_cell(stat: Mapping[str, Any] | None) -> str:
    if not stat or stat.get("mean") is None:
        return "—"
    return f"{100 * stat['mean']:.1f} ± {100 * stat['std']:.1f}"


def _plain_cell(stat: Mapping[str, Any] | None) -> str:
    if not stat or stat.get("mean") is None:
        return "—"
    return f"{stat['mean']:.1f} ± {stat['std']:.1f}"


def field_lines(results: Mapping[str, Any]) -> list[str]:
    """results.md's tables of the field's other systems: retrieval per system (with the shuffled-pair control and
    MusCALL's zero-shot tempo tags) and song-title prediction; nothing when the run has neither."""
    lines: list[str] = []
    retrieval: Mapping[str, Mapping[str, Any]] = results.get("retrieval") or {}
    if retrieval:
        lines += ["", "## Retrieval per system", "",
                  "Cross-modal retrieval on each test fold (model/retrieval.py): each movement's audio embedding "
                  "ranks the fold's texts and each text the fold's audio; the one relevant item is the movement's own "
                  "(ties counted against it). MusCALL's embeddings are its projections; a GTP-family system's are its "
                  "pooled music and text vectors. Cells: mean ± std over folds; R@k and mAP@10 in %, median rank in "
                  "movements.", "",
                  "| system | " + " | ".join(f"{d} {m}" for d in RETRIEVAL_DIRECTIONS.values()
                                             for m in RETRIEVAL_METRICS) + " | test movements |",
                  "|---|" + "---:|" * (len(RETRIEVAL_DIRECTIONS) * len(RETRIEVAL_METRICS) + 1)]
        for name, stats in retrieval.items():
            cells = [(_plain_cell if m == "median_rank" else _pct_cell)(stats.get(f"{d}/{m}"))
                     for d in RETRIEVAL_DIRECTIONS for m in RETRIEVAL_METRICS]
            n = stats.get("audio_to_text/N", {}).get("mean")
            lines.append(f"| {SYSTEM_TITLES.get(name, name)} | " + " | ".join(cells)
                         + f" | {'—' if n is None else f'{n:.0f}'} |")
        lines += ["", "Shuffled-pair control of R@10 (the same embeddings, the audio–text pairing permuted at random, "
                  "1,000 permutations per fold): the observed R@10, the shuffled mean and 99th percentile (in %), and "
                  "the share of folds where the observed R@10 is above that percentile.", "",
                  "| system | " + " | ".join(f"{d} observed | {d} shuffled mean | {d} shuffled p99 | {d} above p99"
                                             for d in RETRIEVAL_DIRECTIONS.values()) + " |",
                  "|---|" + "---:|" * (4 * len(RETRIEVAL_DIRECTIONS))]
        for name, stats in retrieval.items():
            cells = []
            for d in RETRIEVAL_DIRECTIONS:
                cells += [_pct_cell(stats.get(f"control/{d}/{k}")) for k in ("observed", "mean", "p99")]
                above = stats.get(f"control/{d}/above_p99", {})
                cells.append("—" if above.get("mean") is None else f"{100 * above['mean']:.0f} % of {above['n']}")
            lines.append(f"| {SYSTEM_TITLES.get(name, name)} | " + " | ".join(cells) + " |")
        tags = [tag for tag in ZERO_SHOT_TITLES
                if any((stats.get(f"zero_shot/{tag}/accuracy") or {}).get("mean") is not None
                       for stats in retrieval.values())]
        zero = {name: stats for name, stats in retrieval.items()
                if any((stats.get(f"zero_shot/{tag}/accuracy") or {}).get("mean") is not None for tag in tags)}
        if zero:
            lines += ["", "Zero-shot tags (MusCALL's zero-shot use): each label embedded as a text (the four tempo-tag "
                      "words; the ensemble and instrument-family values of the training rows), each test movement's "
                      "audio given the most similar label, against the release's tag; the majority-class share of the "
                      "same movements beside each (%).", "",
                      "| system | " + " | ".join(f"{ZERO_SHOT_TITLES[t]} accuracy | {ZERO_SHOT_TITLES[t]} majority class"
                                                 for t in tags) + " |",
                      "|---|" + "---:|" * (2 * len(tags))]
            lines += [f"| {SYSTEM_TITLES.get(name, name)} | " + " | ".join(
                f"{_pct_cell(stats.get(f'zero_shot/{t}/accuracy'))} | {_pct_cell(stats.get(f'zero_shot/{t}/majority'))}"
                for t in tags) + " |" for name, stats in zero.items()]
    title: Mapping[str, Mapping[str, Any]] = results.get("title") or {}
    if title:
        lines += ["", "## Song-title prediction", "",
                  "The movement title generated from the spectrogram (model/title.py), on the test rows whose release "
                  "has a title. Title BLEU: sacrebleu corpus BLEU-4 (and BLEU-1) under the scoring rule above; exact "
                  "match, distinct titles per test movement, and the tempo class of the generated title (the "
                  "release's own tempo rules) against the release's tempo tag, beside the majority class; BLEU × 100, "
                  "the rest in %. The epoch kept is chosen on the validation works by the title config's `select_by` "
                  "(the tiny and paper configs: the highest BLEU of the titles it writes greedily for them). Cells: "
                  "mean ± std over folds.", "",
                  "| system | " + " | ".join(TITLE_METRICS.values()) + " |", "|---|" + "---:|" * len(TITLE_METRICS)]
        for name, stats in title.items():
            cells = [_plain_cell(stats.get(m)) if m in ("bleu", "bleu_1") else _pct_cell(stats.get(m))
                     for m in TITLE_METRICS]
            lines.append(f"| {SYSTEM_TITLES.get(name, name)} | " + " | ".join(cells) + " |")
    field: Mapping[str, Sequence[str]] = results.get("field_differences") or {}
    if field:
        lines += ["", "## The field's other systems: what could not be reproduced, and the other differences", "",
                  "From each system's module (its config's hyper-parameters with the paper's values and the reasons "
                  "are there): no pretrained weights are available offline, so every part the papers pretrained is "
                  "trained from scratch on the release's training folds.", ""]
        for name, items in field.items():
            lines += [f"{SYSTEM_TITLES.get(name, name)}:", ""] + [f"- {item}" for item in items] + [""]
    return lines


def differences_lines(results: Mapping[str, Any]) -> list[str]:
    """results.md's differences: the settings rows generated from the run's settings profile (``results
    ["differences"]["settings"]``, :func:`earsense_m2t.model.settings.differences`), then the fixed ones
    (:data:`DIFFERENCES`, with the rows' own from model/systems.py), which hold whichever profile runs."""
    found: Mapping[str, Any] = results.get("differences") or {}
    rows: Sequence[Mapping[str, str]] | None = found.get("settings")
    lines = ["", "## Differences from the paper and the authors' released code", ""]
    config_rows: Sequence[Mapping[str, str]] | None = found.get("config")
    if config_rows:
        lines += [f"Model config `{results.get('config', '?')}` against the paper's (model/config.py says why): "
                  + "; ".join(f"{r['field']} {r['value']} (paper {r['paper']})" for r in config_rows) + ".", ""]
    if rows is not None:
        lines += [f"Settings (profile `{results.get('settings_profile', '?')}`), generated from the run's settings "
                  "(model/settings.py): every field where this run differs from the paper or the authors' code, or that the "
                  "paper does not state.", ""]
        if rows:
            lines += ["| setting | this run | paper | authors' code | differs from | why (the corrected profile) |",
                      "|---|---|---|---|---|---|"]
            lines += [f"| {r['title']} | {r['value']} | {r['paper']} | {r['authors']} | {r['differs_from']} | "
                      f"{r['why']} |" for r in rows]
        else:
            lines.append("- none: every setting is the paper's (where it states one) and the authors' code's.")
        lines += ["", "In the code, whichever settings profile runs:", ""]
    return lines + [f"- {d}" for d in found.get("fixed", DIFFERENCES)]


def plot_losses(histories: Mapping[str, Sequence[Sequence[Mapping[str, float]]]], path: Path) -> Path:
    """Training and validation loss per epoch, one line per system, averaged over its folds and seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharex=True)
    for name, runs in histories.items():
        for ax, key in zip(axes, ("train_total", "validation"), strict=True):
            epochs = sorted({int(h["epoch"]) for run in runs for h in run if key in h})
            means = [_mean([h[key] for run in runs for h in run if int(h["epoch"]) == e and key in h]) for e in epochs]
            if epochs:
                ax.plot(epochs, means, marker="o", label=SYSTEM_TITLES.get(name, name))
    axes[0].set_title("training loss (weighted total)")
    axes[1].set_title("validation: music-to-text cross-entropy")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_json(path: Path, payload: Mapping[str, Any]) -> Path:
    """Write atomically: a killed run leaves the previous file or none, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


__all__ = ["CONTROL_FIGURES", "DIFFERENCES", "EXTRA_SYSTEMS", "METRIC_TITLES", "RETRIEVAL_DIRECTIONS",
           "RETRIEVAL_METRICS", "TITLE_METRICS", "ZERO_SHOT_TITLES", "PAPER_BLEU", "PAPER_METRICS", "PAPER_TABLE1",
           "PAPER_UNREAD", "SCORING_RULE", "SIGNIFICANCE_REFERENCE",
           "SIGNIFICANCE_TEST", "SYSTEM_ORDER", "SYSTEM_TITLES", "Unit", "field_lines", "markdown", "paired_test", "significance",
           "differences_lines", "plot_losses", "retrieval_keys", "retrieval_units", "summarize", "write_json"]
