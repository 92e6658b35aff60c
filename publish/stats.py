"""Statistics for the dataset card, computed with polars on the published tables.

Every number in the card comes from here, from the same rows that were written, so the card cannot
describe a different dataset than the one next to it. Tokens are whitespace-separated words (a
tokenizer-free count that anyone can reproduce; say so wherever it is shown).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import polars as pl

from earsense_m2t.schemas import TEMPO_CLASSES, Failure

NO_TAG = "none"


_EMPTY = pl.Series([], dtype=pl.Float64)


def _summary(series: pl.Series, digits: int = 1) -> dict[str, float | None]:
    s = series.drop_nulls()
    if s.is_empty():
        return {"min": None, "median": None, "mean": None, "max": None, "count": 0}
    return {"min": round(float(s.min()), digits), "median": round(float(s.median()), digits),  # type: ignore[arg-type]
            "mean": round(float(s.mean()), digits), "max": round(float(s.max()), digits),  # type: ignore[arg-type]
            "count": s.len()}


def _counts(df: pl.DataFrame, column: str, null_label: str = "unknown") -> dict[str, int]:
    """Value counts, largest first, ties by name (a stable order keeps the card stable)."""
    if df.is_empty():
        return {}
    vc = (df.select(pl.col(column).cast(pl.String).fill_null(null_label)).to_series().value_counts()
          .sort(["count", column], descending=[True, False]))
    return dict(zip(vc[column].to_list(), vc["count"].to_list(), strict=False))


def text_tokens(df: pl.DataFrame) -> pl.Series:
    return df.select(pl.col("text").str.count_matches(r"\S+").alias("tokens")).to_series()


def dataset_stats(default: pl.DataFrame, works: pl.DataFrame) -> dict[str, Any]:
    """The numbers the card shows, from the decoded ``default`` and ``works`` tables."""
    audio = default.filter(pl.col("has_audio"))
    with_text = default.filter(pl.col("text").is_not_null() & (pl.col("text").str.strip_chars() != ""))
    tags = _counts(default, "tempo_tag", NO_TAG)
    tag_order = [t for t in (*TEMPO_CLASSES, NO_TAG) if t in tags]
    flags = (audio.select(pl.col("quality_flags").explode().drop_nulls().alias("flag"))
             if not audio.is_empty() else pl.DataFrame({"flag": []}, schema={"flag": pl.String}))
    folds = (default.group_by("fold").agg(rows=pl.len(), works=pl.col("work_id").n_unique()).sort("fold")
             if not default.is_empty() else pl.DataFrame())
    # folds are grouped by work, not by composer: how many composers have works in more than one fold
    composers_in_folds = (default.drop_nulls("composer").group_by("composer").agg(pl.col("fold").n_unique())
                          .filter(pl.col("fold") > 1).height if not default.is_empty() else 0)
    return {
        "rows": default.height,
        "rows_with_text": with_text.height,
        "rows_with_audio": audio.height,
        "rows_without_audio": default.height - audio.height,
        "works": works.height,
        "works_with_movements": works.filter(pl.col("n_movements") > 0).height if not works.is_empty() else 0,
        "composers": default.select(pl.col("composer").n_unique()).item() if not default.is_empty() else 0,
        "hours_of_audio": round(float(audio["duration_s"].sum() or 0.0) / 3600.0, 2) if not audio.is_empty() else 0.0,
        "duration_s": _summary(audio["duration_s"]) if not audio.is_empty() else _summary(pl.Series([], dtype=pl.Float64)),
        "tokens": _summary(text_tokens(with_text), 0) if not with_text.is_empty() else _summary(pl.Series([], dtype=pl.Int64)),
        "text_confidence": _summary(with_text["text_confidence"], 2) if not with_text.is_empty() else _summary(_EMPTY),
        "tempo_tags": {t: tags[t] for t in tag_order},
        "tempo_sources": _counts(default, "tempo_source"),
        "title_sources": _counts(default, "movement_title_source"),
        "ensembles": _counts(works, "ensemble"),
        "instrument_families": _counts(works, "instrument_family"),
        "modes": _counts(works, "mode"),
        "segment_methods": _counts(audio, "segment_method"),
        "quality_flags": _counts(flags, "flag") if not flags.is_empty() else {},
        "loudness_before_lufs": _summary(audio["loudness_before_lufs"]) if not audio.is_empty() else _summary(_EMPTY),
        "gain_db": _summary(audio["gain_db"]) if not audio.is_empty() else _summary(pl.Series([], dtype=pl.Float64)),
        "folds": folds.to_dicts(),
        "composers_in_several_folds": composers_in_folds,
        "page_hosts": page_hosts(works),
    }


def page_hosts(works: pl.DataFrame) -> dict[str | None, int]:
    """Works per host of their page (``url``; who wrote a text follows from the site it was published on)."""
    if works.is_empty() or "url" not in works.columns:
        return {}
    hosts = [urlsplit(u).hostname if u else None for u in works["url"].to_list()]
    return {h: hosts.count(h) for h in sorted(set(hosts), key=str)}


#: a loopback server (the mini site, a local API) takes a free port on each start: the card names it
#: without the port, so the same failure on a rebuild renders the same card (the rule of media identity)
_LOOPBACK_PORT_RE = r"(https?://(?:127(?:\.\d{1,3}){3}|localhost|\[::1\])):\d+"


def failure_stats(failures: Sequence[Failure], top: int = 30) -> dict[str, Any]:
    """Failures counted per stage and per (stage, reason code), each group with one example item and
    its reason, so one broken host is one line of the card however many items it cost."""
    if not failures:
        return {"total": 0, "by_stage": {}, "by_reason": []}
    df = (pl.DataFrame([f.to_dict() for f in failures])
          .with_columns(pl.col("item_id", "reason").str.replace_all(_LOOPBACK_PORT_RE, "${1}"))
          .sort("item_id"))
    by_reason = (df.group_by("stage", "code")
                 .agg(count=pl.len(), example=pl.col("item_id").first(),
                      example_reason=pl.col("reason").first().str.slice(0, 160))
                 .sort(["count", "stage", "code"], descending=[True, False, False]))
    return {"total": df.height, "by_stage": _counts(df, "stage"),
            "by_reason": by_reason.head(top).to_dicts(), "more_reasons": max(0, by_reason.height - top)}


def size_category(n: int) -> str:
    """The Hub's ``size_categories`` bucket."""
    for bound, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                         (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if n < bound:
            return label
    return "n>10M"
