"""Publish at scale: memory stays bounded (streaming writer) and the default config loads fast.

    .venv/bin/python benchmarks/publish_scale.py                 # 2,000 one-minute movements (~3.8 GB)
    .venv/bin/python benchmarks/publish_scale.py --rows 200      # quicker

What it does, each measured step in its own child process so peak RSS (``ru_maxrss``) is that step's alone:
1. generates a build of ``--rows`` movements (4 per work) with ``--frames`` x 256 float16 spectrograms
   (3,750 frames = 1 minute at hop 256 @ 16 kHz); files are written once and reused by later runs;
2. publishes it with :func:`publish.publish_dataset` (peak RSS, wall time, parquet size);
3. loads the default config with ``datasets.load_dataset`` (first load, then cached) and prints the time;
4. on ``--naive-rows`` of the same rows, compares the streaming publish with a naive in-memory
   ``Dataset.from_list`` + ``to_parquet`` of the spectrograms config, side by side, with the ratio.
RSS excludes the ``git`` child processes (they stream files and stay small).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from earsense_m2t.config import OUTPUT_ROOT
from earsense_m2t.schemas.layout import OutputLayout, VersionStore
from earsense_m2t.schemas.manifests import CHOSEN_RECORDINGS, CLIPS, FAILURES, MEDIA, MOVEMENTS, SEGMENTS, WORKS

REPO = Path(__file__).resolve().parents[1]
N_BINS = 256
MOVEMENTS_PER_WORK = 4
SPEC_PARAMS = {"sample_rate_hz": 16000, "n_fft": 510, "hop_length": 256, "n_bins": N_BINS,
               "frames_per_s": 62.5, "scale": "log-magnitude (dB)"}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def generate(root: Path, rows: int, frames: int) -> Path:
    """A build of ``rows`` movements with spectrograms; a finished build is reused (marker file)."""
    import numpy as np

    from earsense_m2t.schemas import Clip, Media, Movement, Recording, Segment, Work
    from earsense_m2t.schemas.io import describe_file, write_records

    build = OutputLayout(root).build_dir
    marker = build / f".complete-sidecars-{rows}-{frames}"  # builds before sidecars are regenerated
    if marker.exists():
        return build
    shutil.rmtree(root, ignore_errors=True)
    spec_dir = root / "spectrograms"
    spec_dir.mkdir(parents=True)
    rng = np.random.default_rng(0)
    # a few random bases shifted per file: realistic size and entropy, generated at disk speed
    bases = [rng.standard_normal((frames, N_BINS)).astype(np.float16) for _ in range(8)]
    tags = ["slow", "medium", "fast", "super_fast", None]
    works, recs, media, movs, segs, clips = [], [], [], [], [], []
    for w in range((rows + MOVEMENTS_PER_WORK - 1) // MOVEMENTS_PER_WORK):
        wid = f"Bench-Composer-{w}-Quartet-Op-{w}"
        src = f"src{w:05d}"
        works.append(Work(id=wid, url=f"https://www.earsense.org/chamber-music/{wid}/", title=f"Quartet {w}",
                          composer=f"Composer {w % 97}", fetched_at="2026-01-01T00:00:00+00:00",
                          page_sha256=_sha(wid), article=" ".join(["words"] * 400), ensemble="quartet"))
        recs.append(Recording(id=f"{wid}@{src}", work_id=wid, source_url=f"https://video.example/{src}", source_id=src))
        media.append(Media(source_id=src, source_url=f"https://video.example/{src}", path=f"/cache/{src}",
                           sha256=_sha(src), downloaded_at="2026-01-01T00:00:00+00:00"))
        for i in range(MOVEMENTS_PER_WORK):
            n = w * MOVEMENTS_PER_WORK + i
            if n >= rows:
                break
            mid = f"{wid}#{i + 1}"
            tag = tags[n % len(tags)]
            movs.append(Movement(id=mid, work_id=wid, number=i + 1, title=f"Movement {i + 1}", title_source="tracks",
                                 text=" ".join(["music"] * (80 + n % 120)), text_confidence=0.9, tempo_tag=tag,
                                 tempo_term=tag and "term", tempo_source="marking" if tag else "none"))
            segs.append(Segment(id=mid, movement_id=mid, source_id=src, media_sha256=_sha(src), start_s=60.0 * i,
                                end_s=60.0 * (i + 1), method="chapters", confidence=1.0))
            path = spec_dir / f"{n:06d}.npy"
            array = bases[n % len(bases)] + np.float16(n % 251) * np.float16(0.001)
            np.save(path, array)
            # the sidecar the features stage writes: publish verifies every array against it
            sidecar = {"spectrogram": {**describe_file(path, array.shape), "frames": frames, "bins": N_BINS}}
            path.with_suffix(".json").write_text(json.dumps(sidecar), encoding="utf-8")
            clips.append(Clip(id=mid, movement_id=mid, sample_rate_hz=16000, duration_s=frames / 62.5,
                              loudness_before_lufs=-30.0 + n % 15, loudness_after_lufs=-23.0, gain_db=7.0 - n % 15,
                              true_peak_dbtp=-2.0, spectrogram_path=str(path), spectrogram_frames=frames))
    for manifest, records in ((WORKS, works), (CHOSEN_RECORDINGS, recs), (MEDIA, media), (MOVEMENTS, movs),
                              (SEGMENTS, segs), (CLIPS, clips), (FAILURES, [])):
        write_records(manifest.path(build), records)
    marker.touch()
    return build


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


# ------------------------------------------------------------------------------------------ child steps

def child_baseline(_args: argparse.Namespace) -> dict:
    import datasets  # noqa: F401
    import polars  # noqa: F401

    import earsense_m2t.publish  # noqa: F401
    return {}


def child_publish(args: argparse.Namespace) -> dict:
    from earsense_m2t.publish import publish_dataset

    t0 = time.perf_counter()
    result = publish_dataset(Path(args.build), Path(args.dataset), card_context={"spectrogram": SPEC_PARAMS,
                             "audio": {"sample_rate_hz": 16000, "target_lufs": -23.0}})
    seconds = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in (Path(args.dataset) / "data").rglob("*.parquet"))
    return {"seconds": seconds, "version": result.version, "created": result.created, "counts": result.counts,
            "parquet_mb": size / 2**20}


def child_naive(args: argparse.Namespace) -> dict:
    """What the streaming writer replaces: every spectrogram in a Python list, then one Dataset."""
    import numpy as np
    from datasets import Dataset

    from earsense_m2t.publish.rows import Inputs, load_bundle, spectrogram_features

    t0 = time.perf_counter()
    bundle = load_bundle(Path(args.build))
    features = spectrogram_features(Inputs(bundle=bundle, folds={}, spectrogram_parameters=SPEC_PARAMS))
    params = json.dumps(SPEC_PARAMS, sort_keys=True)
    rows = []
    for clip in bundle.clips:
        arr = np.load(clip.spectrogram_path)
        rows.append({"id": clip.id, "fold": 0, "spectrogram": arr, "spectrogram_frames": arr.shape[0],
                     "spectrogram_sha256": hashlib.sha256(arr.tobytes()).hexdigest(), "parameters": params})
    ds = Dataset.from_list(rows, features=features)
    out = Path(args.dataset) / "naive.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    ds.to_parquet(str(out))
    return {"seconds": time.perf_counter() - t0, "rows": len(ds)}


def child_load(args: argparse.Namespace) -> dict:
    import datasets

    cache = Path(args.dataset).parent / "hf-cache"
    shutil.rmtree(cache, ignore_errors=True)
    t0 = time.perf_counter()
    ds = datasets.load_dataset(args.dataset, split="train", cache_dir=str(cache))
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    datasets.load_dataset(args.dataset, split="train", cache_dir=str(cache))
    second = time.perf_counter() - t0
    shutil.rmtree(cache, ignore_errors=True)
    return {"first_s": first, "cached_s": second, "rows": len(ds), "tempo_tag": str(ds.features["tempo_tag"])}


CHILDREN = {"baseline": child_baseline, "publish": child_publish, "naive": child_naive, "load": child_load}


def run_child(step: str, build: Path, dataset: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", step, "--build", str(build), "--dataset", str(dataset)],
                          cwd=REPO, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if proc.returncode != 0:
        raise SystemExit(f"step {step} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--frames", type=int, default=3750, help="frames per spectrogram (3,750 = 1 min)")
    parser.add_argument("--naive-rows", type=int, default=200, help="rows for the naive side-by-side comparison")
    parser.add_argument("--out", type=Path, default=REPO / OUTPUT_ROOT / "bench" / "publish_scale")
    parser.add_argument("--keep", action="store_true", help="keep the published datasets afterwards")
    parser.add_argument("--child", choices=sorted(CHILDREN))
    parser.add_argument("--build")
    parser.add_argument("--dataset")
    parser.add_argument("--generate", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(args.out / f"rows-{args.generate}", args.generate, args.frames)
        return
    if args.child:
        out = CHILDREN[args.child](args)
        out["peak_rss_mb"] = _peak_rss_mb()
        print(json.dumps(out))
        return

    total_t0 = time.perf_counter()
    mb = args.frames * N_BINS * 2 / 2**20
    print(f"publish_scale: {args.rows} rows x {args.frames} frames x {N_BINS} bins float16 "
          f"({mb:.2f} MB each, {args.rows * mb / 1024:.2f} GB of spectrograms)")
    t0 = time.perf_counter()
    # generated in a child: a child's ru_maxrss starts at its parent's peak (Linux keeps the high-water
    # mark across fork and exec), so the parent must never hold the generated arrays
    big, small = (OutputLayout(args.out / f"rows-{n}").build_dir for n in (args.rows, args.naive_rows))
    for rows in (args.rows, args.naive_rows):
        subprocess.run([sys.executable, __file__, "--generate", str(rows), "--frames", str(args.frames), "--out",
                        str(args.out)], check=True)
    print(f"  generate builds:              {time.perf_counter() - t0:7.1f} s (reused when already there)")

    base = run_child("baseline", big, args.out / "none")["peak_rss_mb"]
    print(f"  baseline (imports only):      peak RSS {base:7.0f} MB")

    for tag in ("big", "small-stream", "small-naive"):
        shutil.rmtree(args.out / f"ds-{tag}", ignore_errors=True)
        shutil.rmtree(VersionStore(args.out / f"ds-{tag}").dir, ignore_errors=True)
    pub = run_child("publish", big, OutputLayout(args.out / "ds-big").dataset_dir)
    print(f"  publish {args.rows:>5} rows (stream): {pub['seconds']:7.1f} s, peak RSS {pub['peak_rss_mb']:7.0f} MB, "
          f"parquet {pub['parquet_mb']:.0f} MB, v{pub['version']} {pub['counts']}")
    again = run_child("publish", big, OutputLayout(args.out / "ds-big").dataset_dir)
    print(f"  republish, nothing changed:   {again['seconds']:7.1f} s, created={again['created']}, v{again['version']}")
    load = run_child("load", big, OutputLayout(args.out / "ds-big").dataset_dir)
    print(f"  load default config:          {load['first_s']:7.2f} s first load, {load['cached_s']:.2f} s cached "
          f"({load['rows']} rows, tempo_tag {load['tempo_tag'][:40]}…)  "
          f"[{'OK' if load['first_s'] < 2 else 'SLOW'}: target < 2 s]")

    stream = run_child("publish", small, OutputLayout(args.out / "ds-small-stream").dataset_dir)
    naive = run_child("naive", small, args.out / "ds-small-naive")
    s_mem, n_mem = stream["peak_rss_mb"] - base, naive["peak_rss_mb"] - base
    print(f"  side by side on {args.naive_rows} rows (peak RSS above the {base:.0f} MB import baseline):")
    print(f"    {'':24}{'peak RSS':>12}{'above base':>12}{'time':>10}")
    print(f"    {'streaming publish':24}{stream['peak_rss_mb']:>9.0f} MB{s_mem:>9.0f} MB{stream['seconds']:>8.1f} s")
    print(f"    {'naive Dataset.from_list':24}{naive['peak_rss_mb']:>9.0f} MB{n_mem:>9.0f} MB{naive['seconds']:>8.1f} s")
    print(f"    ratio naive / streaming (above base): {n_mem / max(s_mem, 1):.1f}x; "
          f"streaming at {args.rows} rows vs {args.naive_rows} rows: "
          f"{(pub['peak_rss_mb'] - base) / max(s_mem, 1):.2f}x the memory for {args.rows / args.naive_rows:.0f}x the rows")
    if not args.keep:
        for tag in ("big", "small-stream", "small-naive"):
            shutil.rmtree(args.out / f"ds-{tag}", ignore_errors=True)
            shutil.rmtree(VersionStore(args.out / f"ds-{tag}").dir, ignore_errors=True)
    print(f"  total:                        {time.perf_counter() - total_t0:7.1f} s")


if __name__ == "__main__":
    main()
