"""Compare two published datasets config by config, row by row, apart from fetch provenance.

    .venv/bin/python scripts/compare_datasets.py OLD_DATASET_DIR NEW_DATASET_DIR

For a change that must not change the data (a refactoring): build before and after into two output
roots and compare the two datasets. Exit code 0 when they hold the same rows and values.

Fetch provenance is what publish itself treats as volatile (fetch times, page and media hashes, URLs,
ETags): the mini site runs on a new free port in every build, so its URLs and raw page bytes differ.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

from earsense_m2t.publish.rows import DEFAULT_VOLATILE, WORKS_VOLATILE

VOLATILE = {*DEFAULT_VOLATILE, *WORKS_VOLATILE}


def read_config(dataset: Path, name: str) -> pl.DataFrame:
    return pl.concat([pl.read_parquet(p) for p in sorted((dataset / "data" / name).glob("*.parquet"))])


def compare_config(old: pl.DataFrame, new: pl.DataFrame, name: str) -> bool:
    """Print how one config differs; True when it does not."""
    if set(old.columns) != set(new.columns):
        print(f"{name}: columns differ: {sorted(set(old.columns) ^ set(new.columns))}")
        return False
    columns = [c for c in old.columns if c not in VOLATILE]
    a, b = old.select(columns).sort("id"), new.select(columns).sort("id")
    if a.shape != b.shape:
        print(f"{name}: {a.height} rows before, {b.height} after")
        return False
    differing = [c for c in columns if not a[c].equals(b[c])]
    print(f"{name}: {a.height} rows, {len(columns)} columns compared ({len(old.columns) - len(columns)} "
          f"fetch-provenance columns skipped); differing: {differing or 'none'}")
    for column in differing:
        print(pl.DataFrame({"id": a["id"], "before": a[column], "after": b[column]})
              .filter(pl.col("before").ne_missing(pl.col("after"))))
    return not differing


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    old, new = (Path(a) for a in argv)
    names = sorted(p.name for p in (old / "data").iterdir())
    same = all([compare_config(read_config(old, n), read_config(new, n), n) for n in names])
    print("IDENTICAL apart from fetch provenance" if same else "DIFFERENT")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
