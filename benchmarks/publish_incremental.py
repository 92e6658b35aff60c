"""Incremental publish, side by side: a full publish, a republish with nothing changed, one work changed.

    .venv/bin/python benchmarks/publish_incremental.py               # 2,000 one-minute movements (~3.8 GB)
    .venv/bin/python benchmarks/publish_incremental.py --rows 200    # quicker

Uses the build ``benchmarks/publish_scale.py`` generates (reused when already there). Each publish runs in
its own child process into one fresh dataset folder, in this order:
1. full publish (first version: every parquet file written);
2. republish of the same build (nothing changed: no version, no parquet file written);
3. one work changed: every movement text of one work and one of its spectrograms (a new array with its
   sidecar, as the features stage writes them); only the files holding that work's rows are written,
   the others are hard links to the previous version's files.
Then the new version is loaded with ``datasets.load_dataset`` (default config whole, spectrograms by row
count) to show it is complete, and its files are compared with the previous version's (same inode).
With ``--compare-ref REF`` the same three publishes run again with the package as of git ``REF`` (exported
to a temporary wheel layout), into a second dataset folder, and both tables are printed with the ratios.
Parquet files written are counted in every child by wrapping ``pyarrow.parquet.ParquetWriter``, so both
codes are counted the same way (staging files that a no-op publish discards included).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from publish_scale import N_BINS, REPO, SPEC_PARAMS

from earsense_m2t.config import OUTPUT_ROOT
from earsense_m2t.schemas.layout import OutputLayout
from earsense_m2t.schemas.manifests import CLIPS, MOVEMENTS

CHANGED_WORK = "Bench-Composer-0-Quartet-Op-0"


def changed_build(build: Path, out: Path) -> Path:
    """A copy of the build's manifests in which one work's texts and one of its spectrograms changed."""
    import numpy as np

    from earsense_m2t.schemas import Clip, Movement
    from earsense_m2t.schemas.io import describe_file, read_records, write_records

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for manifest in build.glob("*.jsonl"):
        shutil.copy2(manifest, out / manifest.name)
    movements = read_records(MOVEMENTS.path(out), Movement)
    write_records(MOVEMENTS.path(out), [
        dataclasses.replace(m, text=f"A rewritten description of movement {m.number}.") if m.work_id == CHANGED_WORK else m
        for m in movements])
    clips = read_records(CLIPS.path(out), Clip)
    target = next(c for c in clips if c.movement_id.startswith(f"{CHANGED_WORK}#"))
    array = np.random.default_rng(1).standard_normal((target.spectrogram_frames, N_BINS)).astype(np.float16)
    path = out / "changed.npy"
    np.save(path, array)
    sidecar = {"spectrogram": {**describe_file(path, array.shape), "frames": array.shape[0], "bins": N_BINS}}
    path.with_suffix(".json").write_text(json.dumps(sidecar), encoding="utf-8")
    write_records(CLIPS.path(out), [dataclasses.replace(c, spectrogram_path=str(path)) if c.id == target.id else c
                                        for c in clips])
    return out


# ------------------------------------------------------------------------------------------ child steps

def count_parquet_writes() -> dict[str, int]:
    """Every parquet file opened for writing in this process (path -> bytes at close), whatever code opens it."""
    import pyarrow.parquet as pq

    opened: dict[str, int] = {}
    init, close = pq.ParquetWriter.__init__, pq.ParquetWriter.close

    def counting_init(self: pq.ParquetWriter, where: object, *args: object, **kwargs: object) -> None:
        self._bench_path = str(where)
        opened[self._bench_path] = 0
        init(self, where, *args, **kwargs)

    def counting_close(self: pq.ParquetWriter) -> None:
        close(self)
        path = getattr(self, "_bench_path", None)
        if path and os.path.exists(path):
            opened[path] = os.path.getsize(path)

    pq.ParquetWriter.__init__ = counting_init  # type: ignore[method-assign]
    pq.ParquetWriter.close = counting_close  # type: ignore[method-assign]
    return opened


def child_publish(args: argparse.Namespace) -> dict:
    from earsense_m2t.publish import publish_dataset

    opened = count_parquet_writes()
    t0 = time.perf_counter()
    result = publish_dataset(Path(args.build), Path(args.dataset), card_context={
        "spectrogram": SPEC_PARAMS, "audio": {"sample_rate_hz": 16000, "target_lufs": -23.0}})
    seconds = time.perf_counter() - t0
    reused = getattr(result, "reused", None)  # None: code from before files were reused
    return {"seconds": seconds, "version": result.version, "created": result.created, "bump": result.bump,
            "written": len(opened), "reused": len(reused) if reused is not None else 0,
            "written_mb": sum(opened.values()) / 2**20, "changed": {k: len(v) for k, v in result.changed.items()}}


def child_check(args: argparse.Namespace) -> dict:
    """Load the live version and compare its files with the version before it."""
    import datasets
    import pyarrow.parquet as pq

    dataset = Path(args.dataset)
    cache = dataset.parent / "hf-cache-incremental"
    shutil.rmtree(cache, ignore_errors=True)
    t0 = time.perf_counter()
    rows = datasets.load_dataset(str(dataset), split="train", cache_dir=str(cache))
    texts = {r["id"]: r["text"] for r in rows if r["work_id"] == CHANGED_WORK}
    specs = datasets.load_dataset(str(dataset), "spectrograms", split="train", streaming=True)
    next(iter(specs.with_format("arrow")))  # streams: the first row reads
    spec_rows = sum(pq.ParquetFile(p).metadata.num_rows for p in (dataset / "data" / "spectrograms").glob("*.parquet"))
    seconds = time.perf_counter() - t0
    shutil.rmtree(cache, ignore_errors=True)
    live = dataset.resolve()
    from earsense_m2t.publish.versions import Version

    older = max((p for p in live.parent.glob("v*") if p != live), key=lambda p: Version.parse(p.name))
    files = sorted((live / "data").glob("*/*.parquet"))
    same = sum(1 for p in files if (older / p.relative_to(live)).exists() and os.path.samefile(p, older / p.relative_to(live)))
    return {"rows": len(rows), "spectrogram_rows": spec_rows,
            "rewritten_texts": sum(t.startswith("A rewritten") for t in texts.values()), "load_s": seconds,
            "files": len(files), "hard_linked": same}


CHILDREN = {"publish": child_publish, "check": child_check}


def run_child(step: str, build: Path, dataset: Path, code: Path | None = None) -> dict:
    """Run one step in a child process; ``code``: a wheel-layout folder whose ``earsense_m2t`` is imported instead."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    if code is not None:
        env["PYTHONPATH"] = str(code)
    proc = subprocess.run([sys.executable, __file__, "--child", step, "--build", str(build), "--dataset", str(dataset)],
                          cwd=REPO if code is None else code, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"step {step} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def export_code(ref: str, dest: Path) -> Path:
    """The package as of git ``ref``, laid out as the wheel installs it (``dest/lay/earsense_m2t/<stage>``)."""
    shutil.rmtree(dest, ignore_errors=True)
    src, package = dest / "src", dest / "lay" / "earsense_m2t"
    src.mkdir(parents=True)
    package.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    for module in (src / "earsense_m2t").glob("*.py"):
        (package / module.name).symlink_to(module)
    for folder in sorted(p for p in src.iterdir() if p.is_dir() and (p / "__init__.py").exists() and p.name != "earsense_m2t"):
        (package / folder.name).symlink_to(folder, target_is_directory=True)
    return dest / "lay"


def print_table(title: str, results: list[tuple[str, dict]], full: float) -> None:
    print(f"  {title}")
    print(f"    {'':20}{'time':>9}{'/ full':>8}{'version':>14}{'files written':>15}{'reused':>8}{'MB written':>12}"
          f"{'peak RSS':>11}")
    for label, r in results:
        version = f"v{r['version']}" + ("" if r["created"] else " (kept)")
        print(f"    {label:20}{r['seconds']:>7.1f} s{r['seconds'] / full:>8.3f}{version:>14}{r['written']:>15}"
              f"{r['reused']:>8}{r['written_mb']:>12.1f}{r['peak_rss_mb']:>8.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--frames", type=int, default=3750, help="frames per spectrogram (3,750 = 1 min)")
    parser.add_argument("--out", type=Path, default=REPO / OUTPUT_ROOT / "bench" / "publish_scale")
    parser.add_argument("--keep", action="store_true", help="keep the published dataset afterwards")
    parser.add_argument("--compare-ref", metavar="REF",
                        help="also run the three publishes with the code of this git ref (e.g. the commit before "
                             "incremental publish), side by side")
    parser.add_argument("--child", choices=sorted(CHILDREN))
    parser.add_argument("--build")
    parser.add_argument("--dataset")
    args = parser.parse_args()
    if args.child:
        out = CHILDREN[args.child](args)
        out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        print(json.dumps(out))
        return

    total_t0 = time.perf_counter()
    mb = args.frames * N_BINS * 2 / 2**20
    print(f"publish_incremental: {args.rows} rows x {args.frames} frames x {N_BINS} bins float16 "
          f"({args.rows * mb / 1024:.2f} GB of spectrograms)")
    subprocess.run([sys.executable, str(Path(__file__).with_name("publish_scale.py")), "--generate", str(args.rows),
                    "--frames", str(args.frames), "--out", str(args.out)], check=True)
    root = args.out / f"rows-{args.rows}"
    build = OutputLayout(root).build_dir
    changed = changed_build(build, root / "build-one-work-changed")
    dataset = OutputLayout(args.out / "ds-incremental").dataset_dir
    shutil.rmtree(dataset.parent, ignore_errors=True)

    steps = [("full publish", build), ("no-op republish", build), ("one work changed", changed)]
    results = [(label, run_child("publish", b, dataset)) for label, b in steps]
    check = run_child("check", changed, dataset)
    full = results[0][1]["seconds"]
    print_table("incremental publish (this code)", results, full)
    noop, one = results[1][1], results[2][1]
    print(f"    rows changed per config when one work changed: {one['changed']}")
    print(f"    ratios: full / no-op {full / noop['seconds']:.1f}x, full / one work changed {full / one['seconds']:.1f}x")
    print(f"    v{one['version']} loads: {check['rows']} default rows ({check['rewritten_texts']} rewritten texts of "
          f"{CHANGED_WORK}), {check['spectrogram_rows']} spectrogram rows, in {check['load_s']:.1f} s; "
          f"{check['hard_linked']} of {check['files']} parquet files are the previous version's (same inode)")
    if args.compare_ref:
        code = export_code(args.compare_ref, args.out / "code-compare")
        before_dataset = OutputLayout(args.out / "ds-incremental-before").dataset_dir
        shutil.rmtree(before_dataset.parent, ignore_errors=True)
        before = [(label, run_child("publish", b, before_dataset, code)) for label, b in steps]
        print_table(f"the same three publishes with the code of {args.compare_ref}", before, before[0][1]["seconds"])
        print("    time before / time now: " + ", ".join(
            f"{label} {old['seconds'] / new['seconds']:.1f}x"
            for (label, new), (_, old) in zip(results, before, strict=True)))
        if not args.keep:
            shutil.rmtree(before_dataset.parent, ignore_errors=True)
            shutil.rmtree(code.parent, ignore_errors=True)
    if not args.keep:
        shutil.rmtree(dataset.parent, ignore_errors=True)
    print(f"  total: {time.perf_counter() - total_t0:.1f} s")


if __name__ == "__main__":
    main()
