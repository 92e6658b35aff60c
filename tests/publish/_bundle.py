"""Helpers for the publish tests: a small realistic build (works, recordings, media, movements, segments,
clips, failures, spectrograms with their sidecars) written with the same ``earsense_m2t.schemas.io`` calls
and the same sidecar checksum helper (``describe_file``) the earlier stages use."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from earsense_m2t.schemas import Clip, Failure, Media, Movement, Recording, Segment, Work, WorkText
from earsense_m2t.schemas.io import describe_file, read_records, write_records

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SPEC_PARAMS = {"sample_rate_hz": 16000, "n_fft": 510, "hop_length": 256, "n_bins": 256, "window": "hann",
               "scale": "log-magnitude (dB)"}
CARD_CONTEXT = {
    "site_url": "https://www.earsense.org/chamber-music/",
    "embedded_site": True,
    "tempo_rules": "Tempo words map to classes: Largo/Adagio -> slow, Andante -> medium, Allegro -> fast, "
                   "Presto/Prestissimo -> super_fast.",
    "spectrogram": SPEC_PARAMS,
    "audio": {"sample_rate_hz": 16000, "target_lufs": -23.0, "true_peak_ceiling_dbtp": -1.0},
    "segmentation": {"chapters": 6, "silence": 5},
}

COMPOSERS = ["Bernhard Molique", "Louise Farrenc", "Joseph Haydn", "Fanny Mendelssohn", "Antonín Dvořák",
             "Amy Beach"]
MOVEMENTS = [("Allegro moderato", "fast", "Allegro", "marking"), ("Adagio", "slow", "Adagio", "marking"),
             ("Scherzo", "fast", "Scherzo", "form"), ("Presto", "super_fast", "Presto", "marking"),
             ("Andante con moto", "medium", "Andante", "marking"), ("Finale", None, None, "none")]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def make_build(root: Path, n_works: int = 5, seed: int = 0, fetched_at: str = "2026-01-01T00:00:00+00:00",
               frames: tuple[int, int] = (120, 400)) -> Path:
    """Write a build folder: ``n_works`` works of 2–4 movements (~15 movements for 5 works), one work
    without any recording, one movement whose clip failed, random float16 spectrograms, each with a
    sidecar recording its size, shape and sha256 as the features stage writes it (publish verifies it)."""
    rng = np.random.default_rng(seed)
    build = root / "build"
    spec_dir = root / "derived"
    spec_dir.mkdir(parents=True, exist_ok=True)
    works, recs, media, movs, segs, clips, fails, texts = [], [], [], [], [], [], [], []
    for w in range(n_works):
        wid = f"Composer{w}-String-Quartet-No-{w + 1}-Op-{10 + w}"
        n_mov = [4, 3, 3, 2, 3, 4][w % 6]
        article = "\n\n".join(f"The {['opening', 'second', 'third', 'final'][i]} movement of work {w} "
                              f"is described here at some length with words." for i in range(n_mov))
        works.append(Work(id=wid, url=f"https://www.earsense.org/chamber-music/{wid}/", title=f"String Quartet No. {w + 1}",
                          composer=COMPOSERS[w % len(COMPOSERS)], fetched_at=fetched_at, page_sha256=sha(wid + fetched_at),
                          article=article, biography=f"{COMPOSERS[w % len(COMPOSERS)]} wrote music.",
                          composer_birth_year=1750 + 10 * w, composer_death_year=1810 + 10 * w,
                          genre="String Quartet", number=f"No. {w + 1}", key="A", mode="major" if w % 2 else "minor",
                          catalogue=f"Op. {10 + w}", ensemble="quartet", ensemble_source="genre",
                          instrument_family="strings", instrument_family_source="genre",
                          page_movement_titles=tuple(MOVEMENTS[i][0] for i in range(n_mov))))
        if w % 2 == 0:  # the others' articles are all about movements: they have no WorkText
            texts.append(WorkText(id=wid, work_id=wid, text=f"Work {w} was written for friends.",
                                  excluded=("© A publisher. Used by permission.",)))
        has_recording = w != n_works - 1 or n_works == 1
        source_id = f"vid{w:03d}"
        if has_recording:
            recs.append(Recording(id=f"{wid}@{source_id}", work_id=wid, source_url=f"https://video.example/{source_id}",
                                  source_id=source_id, performers="Some Quartet", duration_s=900.0))
            media.append(Media(source_id=source_id, source_url=f"https://video.example/{source_id}",
                               path=f"/cache/{source_id}.ogg", sha256=sha(source_id), downloaded_at=fetched_at,
                               extractor="generic", title=f"Quartet {w}", uploader="uploader", duration_s=900.0))
        else:
            fails.append(Failure(stage="acquire", item_id=wid, reason="no recording found: page embeds none"))
        start = 0.0
        for i in range(n_mov):
            title, tag, term, source = MOVEMENTS[(w + i) % len(MOVEMENTS)]
            mid = f"{wid}#{i + 1}"
            movs.append(Movement(id=mid, work_id=wid, number=i + 1, title=title, title_source="tracks",
                                 text=f"Movement {i + 1} of work {w}: {title}, with singing lines and a quiet close.",
                                 text_confidence=0.9, tempo_tag=tag, tempo_term=term, tempo_source=source))
            if not has_recording:
                continue
            dur = float(rng.uniform(60, 400))
            segs.append(Segment(id=mid, movement_id=mid, source_id=source_id, media_sha256=sha(source_id),
                                start_s=start, end_s=start + dur, method="chapters" if w % 2 else "silence",
                                confidence=0.8))
            start += dur
            if w == 0 and i == 1:
                fails.append(Failure(stage="features", item_id=mid, reason="decode failed: ffmpeg exit 1"))
                continue
            n = int(rng.integers(*frames))
            arr = rng.standard_normal((n, 256)).astype(np.float16)
            path = spec_dir / f"{sha(mid)[:16]}.npy"
            np.save(path, arr)
            sidecar = {"spectrogram": {**describe_file(path, arr.shape), "frames": n, "bins": 256, "kind": "linear"}}
            path.with_suffix(".json").write_text(json.dumps(sidecar, indent=1, sort_keys=True), encoding="utf-8")
            clips.append(Clip(id=mid, movement_id=mid, sample_rate_hz=16000, duration_s=dur,
                              loudness_before_lufs=float(rng.uniform(-35, -15)), loudness_after_lufs=-23.0,
                              gain_db=1.5, true_peak_dbtp=-2.0, spectrogram_path=str(path), spectrogram_frames=n,
                              flags=("clipped",) if i == 2 else ()))
    for name, records in (("works", works), ("recordings", recs), ("media", media), ("movements", movs),
                          ("segments", segs), ("clips", clips), ("failures", fails), ("work_texts", texts)):
        write_records(build / f"{name}.jsonl", records)
    return build


def edit_records(build: Path, name: str, cls: type, record_id: str, **changes: object) -> None:
    records = read_records(build / f"{name}.jsonl", cls)
    out = [dataclasses.replace(r, **changes) if r.id == record_id else r for r in records]
    if out == records:
        raise KeyError(f"{record_id} not in {name}.jsonl")
    write_records(build / f"{name}.jsonl", out)


def run_publish_subprocess(build: Path, dataset_dir: Path, env: dict[str, str]) -> subprocess.Popen:
    code = ("import sys, json; from pathlib import Path; from publish import publish_dataset; "
            "r = publish_dataset(Path(sys.argv[1]), Path(sys.argv[2]), card_context=json.loads(sys.argv[3])); "
            "print(r.version, r.created)")
    return subprocess.Popen([sys.executable, "-c", code, str(build), str(dataset_dir), json.dumps(CARD_CONTEXT)],
                            cwd=REPO, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
