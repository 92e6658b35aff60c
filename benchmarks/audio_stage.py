"""Features-stage cost on a generated recording, side by side with a decode floor and a naive pipeline.

    python benchmarks/audio_stage.py [--minutes 10] [--long-minutes 60] [--repeat 3]

A music-like stereo signal (plucked two-voice melody with harmonics, a bass line, phrase-level
dynamics from pp to ff over 47 s, a hiss floor) is synthesized with numpy, streamed into
ffmpeg and encoded as 128 kb/s Opus, as YouTube serves it. Three cases then process it, each in a
fresh Python process:

  (a) floor    ``ffmpeg -i f -f null -``: decoding alone
  (b) naive    pydub ``AudioSegment.from_file`` + pyloudnorm on the full-rate stereo signal + gain +
               librosa resample to 16 kHz + ``librosa.stft`` (510/256) in dB, saved as float16
               (scipy.signal.stft if librosa is not installed: ``pip install -e ".[bench]"``)
  (c) project  ``earsense_m2t.features.prepare_clips``: decode -> loudness -> gain -> spectrogram -> write
  (d) build    (c) as a build runs it: the same decode also cuts the 30 s listening excerpt (an ffmpeg tap at
               48 kHz), which pydub renders to Ogg/Opus (before issue 25 the annotate stage decoded it again)
  (e) --audio  (d) and the normalized movement written as 16 kHz mono FLAC (``build --audio``)

CPU is user + system time of the worker process and all its children (ffmpeg), from
``getrusage(RUSAGE_SELF)`` + ``getrusage(RUSAGE_CHILDREN)`` taken just before and after the case (the
interpreter start and imports are outside the window, the same for all cases). (a) and (c) run
``--repeat`` times and the median is shown. Peak memory of (c) and (d) is measured on a ``--long-minutes``
file (the short file concatenated without re-encoding): the largest sum of the resident sizes of the worker and its
ffmpeg children, sampled every 5 ms (``psutil``). The max RSS of each is printed beside it but is not summed: a
child started after the worker's peak (pydub's export) inherits that peak as its own max RSS at exec, so the sum
counted the worker twice.

Movements longer than ``earsense_m2t.features.features.IN_MEMORY_MAX_S`` (15 minutes) are decoded to a file and read
back by slices instead of held in memory: the long file's runs take that path, the 10-minute runs do not; the CPU of
both is printed.

``--compare-ref REF`` also runs (c) with REF's code (``git archive``, wheel layout, first on ``PYTHONPATH``) on
the long file and prints its peak memory beside (d)'s: issue 25's "peak memory on 60 minutes not above today's".

Targets: (c) >= 150 audio-s per CPU-s, (c) >= 0.8 x (a) (issue 25; was 0.7), (c) >= 5 x (b), (c) peak memory
< 600 MB on the long file, and (d) peak memory not above (c)'s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SAMPLE_RATE = 48000
TARGETS = {"audio_s_per_cpu_s": 150.0, "vs_floor": 0.8, "vs_naive": 5.0, "peak_mb": 600.0}


# --- the signal ------------------------------------------------------------------------------------

def synthesize(seconds: float, chunk_s: float = 10.0):  # noqa: ANN201 - yields float32 (n, 2) chunks
    """Yield interleaved stereo float32 chunks of a deterministic, music-like signal."""
    import numpy as np

    rng = np.random.default_rng(7)
    total = int(seconds * SAMPLE_RATE)
    for s0 in range(0, total, int(chunk_s * SAMPLE_RATE)):
        n = min(int(chunk_s * SAMPLE_RATE), total - s0)
        t = (s0 + np.arange(n)) / SAMPLE_RATE
        dynamics = 0.08 + 0.92 * (0.5 + 0.5 * np.sin(2 * np.pi * t / 47.0)) ** 2  # pp .. ff phrases

        def voice(base: float, step: int, offset: float, harmonics: tuple[float, ...], t: np.ndarray = t) -> np.ndarray:
            pos = t * 2 + offset  # two notes a second
            pitch = base * 2 ** (np.mod(np.floor(pos) * step, 12) / 12)
            tau = np.mod(pos, 1.0) / 2
            env = np.exp(-3 * tau) * (1 - np.exp(-300 * tau))
            return env * sum(a * np.sin(2 * np.pi * (k + 1) * pitch * t) for k, a in enumerate(harmonics))

        bass_pitch = 110 * 2 ** (np.mod(np.floor(t) * 5, 12) / 12)
        bass = 0.2 * np.exp(-2 * np.mod(t, 1.0)) * np.sin(2 * np.pi * bass_pitch * t)
        left = 0.3 * voice(220, 7, 0.0, (1.0, 0.5, 0.25)) + bass
        right = 0.3 * voice(330, 5, 0.5, (1.0, 0.4)) + bass
        noise = 0.003 * rng.standard_normal((n, 2))  # a hiss floor around -50 dBFS
        stereo = np.stack([left, right], axis=1) * dynamics[:, None] + noise
        yield stereo.astype(np.float32)


def generate_opus(path: Path, seconds: float) -> None:
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "f32le", "-ar", str(SAMPLE_RATE),
           "-ac", "2", "-i", "pipe:0", "-c:a", "libopus", "-b:a", "128k", str(path)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    if proc.stdin is None:
        raise RuntimeError("ffmpeg started without stdin")
    for chunk in synthesize(seconds):
        proc.stdin.write(chunk.tobytes())
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError(f"ffmpeg could not encode {path}")


def concatenate(source: Path, times: int, target: Path) -> None:
    """A long file without re-encoding: the short one, ``times`` times over."""
    listing = target.with_suffix(".txt")
    listing.write_text("".join(f"file '{source}'\n" for _ in range(times)))
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0",
                    "-i", str(listing), "-c", "copy", str(target)], check=True)


def duration_s(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
                         check=True, capture_output=True, text=True).stdout
    return float(out.strip())


# --- the cases (run inside a worker process) ------------------------------------------------------

def case_floor(path: Path, seconds: float, work: Path, sha256: str) -> dict[str, object]:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(path), "-f", "null", "-"],
                   check=True)
    return {}


def case_naive(path: Path, seconds: float, work: Path, sha256: str) -> dict[str, object]:
    import numpy as np
    import pyloudnorm
    from pydub import AudioSegment

    seg = AudioSegment.from_file(str(path))
    rate = seg.frame_rate
    scale = 2.0 ** (8 * seg.sample_width - 1)
    full = np.array(seg.get_array_of_samples(), dtype=np.float64).reshape(-1, seg.channels) / scale
    lufs = pyloudnorm.Meter(rate).integrated_loudness(full)
    normalized = pyloudnorm.normalize.loudness(full, lufs, -23.0)
    mono = normalized.mean(axis=1)
    try:
        import librosa

        mono16 = librosa.resample(mono, orig_sr=rate, target_sr=16000)
        spec = librosa.amplitude_to_db(np.abs(librosa.stft(mono16, n_fft=510, hop_length=256)), ref=1.0, top_db=None)
        how = "librosa"
    except ImportError:
        import scipy.signal

        mono16 = scipy.signal.resample_poly(mono, 16000, rate)
        _, _, z = scipy.signal.stft(mono16, fs=16000, nperseg=510, noverlap=510 - 256)
        spec = 20 * np.log10(np.maximum(np.abs(z), 1e-5))
        how = "scipy (librosa not installed)"
    np.save(work / "naive.npy", spec.T.astype(np.float16))
    return {"lufs": round(float(lufs), 2), "stft": how}


def case_project(path: Path, seconds: float, work: Path, sha256: str, *, excerpt: bool = False,
                 audio: bool = False) -> dict[str, object]:
    from earsense_m2t.features import AudioExport, prepare_clips
    from earsense_m2t.features.params import AudioParams
    from earsense_m2t.schemas import Media, Segment
    from earsense_m2t.schemas.layout import OutputLayout

    media = Media(source_id="bench", source_url="file://" + str(path), path=str(path), sha256=sha256,
                  downloaded_at="1970-01-01T00:00:00+00:00")
    segment = Segment(id="bench#1", movement_id="bench#1", source_id="bench", media_sha256=sha256, start_s=0.0,
                      end_s=seconds, method="per_movement", confidence=1.0)
    layout = OutputLayout(work)
    result = prepare_clips([segment], [media], derived_dir=layout.derived_cache, params=AudioParams(),
                           excerpts_dir=layout.annotation.excerpts if excerpt else None,
                           audio=AudioExport() if audio else None)
    if result.counts["computed"] != 1:
        raise RuntimeError(f"the project case did not compute (counts {dict(result.counts)}, failures "
                           f"{result.failures}); is the derived dir fresh?")
    clip = result.records[0]
    if excerpt and len(result.records) != 2:
        raise RuntimeError("the build case cut no excerpt")
    return {"lufs_before": clip.loudness_before_lufs, "lufs_after": clip.loudness_after_lufs,
            "true_peak_dbtp": clip.true_peak_dbtp, "frames": clip.spectrogram_frames}


def case_ref(path: Path, seconds: float, work: Path, sha256: str) -> dict[str, object]:
    """(c) as ``--compare-ref``'s code runs it: only the arguments every version of ``prepare_clips`` takes."""
    from earsense_m2t.features import prepare_clips
    from earsense_m2t.features.params import AudioParams
    from earsense_m2t.schemas import Media, Segment
    from earsense_m2t.schemas.layout import OutputLayout

    media = Media(source_id="bench", source_url="file://" + str(path), path=str(path), sha256=sha256,
                  downloaded_at="1970-01-01T00:00:00+00:00")
    segment = Segment(id="bench#1", movement_id="bench#1", source_id="bench", media_sha256=sha256, start_s=0.0,
                      end_s=seconds, method="per_movement", confidence=1.0)
    result = prepare_clips([segment], [media], derived_dir=OutputLayout(work).derived_cache, params=AudioParams())
    if result.counts["computed"] != 1:
        raise RuntimeError(f"the ref case did not compute (counts {dict(result.counts)}, failures {result.failures})")
    return {"frames": result.records[0].spectrogram_frames}


def case_build(path: Path, seconds: float, work: Path, sha256: str) -> dict[str, object]:
    return case_project(path, seconds, work, sha256, excerpt=True)


def case_audio(path: Path, seconds: float, work: Path, sha256: str) -> dict[str, object]:
    return case_project(path, seconds, work, sha256, excerpt=True, audio=True)


CASES = {"floor": case_floor, "naive": case_naive, "project": case_project, "build": case_build, "audio": case_audio,
         "ref": case_ref}


def _usage() -> tuple[float, float]:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime, time.perf_counter()


def worker(case: str, path: Path, seconds: float, work: Path) -> None:
    # imports of every case happen before the window opens, so no case pays for them
    import numpy  # noqa: F401
    import pyloudnorm  # noqa: F401
    import scipy.signal  # noqa: F401

    if case == "naive":
        import pydub  # noqa: F401

        try:
            import librosa  # noqa: F401
        except ImportError:
            pass
    sha256 = ""
    if case in ("project", "build", "audio", "ref"):
        import earsense_m2t.features.features  # noqa: F401
        from earsense_m2t.schemas.io import sha256_file

        sha256 = sha256_file(path)  # before the window: in the pipeline the acquire stage hashed the file
    cpu0, wall0 = _usage()
    extra = CASES[case](path, seconds, work, sha256)
    cpu1, wall1 = _usage()
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"case": case, "cpu_s": cpu1 - cpu0, "wall_s": wall1 - wall0, "audio_s": seconds,
                      "maxrss_self_mb": me.ru_maxrss / 1024, "maxrss_child_mb": kids.ru_maxrss / 1024, **extra}))


def checkout(ref: str, into: Path) -> Path:
    """``ref``'s package as the wheel lays it out (the same helper ``refresh_scale.py --compare-ref`` uses)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from refresh_scale import checkout as wheel_layout

    return wheel_layout(ref, into)


def run_case(case: str, path: Path, seconds: float, code: Path | None = None) -> dict[str, object]:
    """One case in a fresh process; with ``code``, that folder's package comes first on ``PYTHONPATH``.

    Adds ``tree_peak_mb``: the largest sum of the resident sizes of the worker and its children (ffmpeg), sampled
    every :data:`SAMPLE_EVERY_S` while it runs. ``ru_maxrss`` cannot give that sum: a child started by fork/vfork +
    exec keeps the parent's high-water mark as its own maximum (Linux sets it from the old address space at exec),
    so an ffmpeg started after the worker's peak reports the worker's peak as its own."""
    import psutil

    env = {**os.environ, "PYTHONPATH": str(code)} if code else None
    with tempfile.TemporaryDirectory(prefix=f"bench-{case}-") as work:
        proc = subprocess.Popen([sys.executable, __file__, "--worker", case, "--file", str(path), "--seconds",
                                 str(seconds), "--work", work], stdout=subprocess.PIPE, text=True, env=env)
        tree_peak = _sample_tree_peak(psutil.Process(proc.pid), proc)
        stdout, _ = proc.communicate()
        if proc.returncode != 0:
            raise subprocess.CalledProcessError(proc.returncode, proc.args)
    return {**json.loads(stdout.strip().splitlines()[-1]), "tree_peak_mb": tree_peak / 2**20}


#: how often the process tree's resident size is read (a decode's buffers live for seconds, not milliseconds)
SAMPLE_EVERY_S = 0.005


def _sample_tree_peak(root: object, proc: subprocess.Popen[str]) -> int:
    """The largest sum of RSS over ``root`` and its descendants until ``proc`` ends (bytes).

    A child that has not exec'd yet (``subprocess`` forks or vforks the worker, then execs ffmpeg) still runs the
    worker's own image and shares its pages, so its RSS is the worker's counted a second time: such a child (its
    command line is the worker's) is left out; after exec it counts with its own pages."""
    import psutil

    peak = 0
    try:
        own = root.cmdline()  # type: ignore[attr-defined]
    except psutil.Error:
        return 0
    while proc.poll() is None:
        total = 0
        try:
            members = [root, *root.children(recursive=True)]  # type: ignore[attr-defined]
        except psutil.Error:
            break
        for member in members:
            try:
                if member is not root and member.cmdline() == own:
                    continue
                total += member.memory_info().rss
            except psutil.Error:
                pass
        peak = max(peak, total)
        time.sleep(SAMPLE_EVERY_S)
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--long-minutes", type=int, default=60, help="for peak memory (a multiple of --minutes)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-naive", action="store_true", help="leave out (b) (slow; for a quick check)")
    parser.add_argument("--compare-ref", default=None, help="also run (c) with this git ref's code on the long file: "
                        "its peak memory beside (d)'s (issue 25: not above the earlier code's)")
    parser.add_argument("--worker", choices=sorted(CASES), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.file, args.seconds, args.work)
        return

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-audio-") as tmp:
        short = Path(tmp) / "short.opus"
        generate_opus(short, args.minutes * 60)
        seconds = duration_s(short)
        print(f"input: {seconds:.1f} s stereo 48 kHz Opus 128 kb/s, music-like synthetic signal "
              f"({short.stat().st_size / 1e6:.1f} MB); {args.repeat} runs of (a) and (c), median shown")

        results: dict[str, dict[str, object]] = {}
        cases = [("floor", args.repeat), ("naive", 0 if args.skip_naive else 1), ("project", args.repeat),
                 ("build", args.repeat), ("audio", args.repeat)]
        for case, repeat in cases:
            if not repeat:
                results[case] = {"cpu_s": float("nan"), "all_cpu_s": []}
                continue
            runs = [run_case(case, short, seconds) for _ in range(repeat)]
            cpu = statistics.median(float(r["cpu_s"]) for r in runs)  # type: ignore[arg-type]
            results[case] = {**runs[-1], "cpu_s": cpu, "all_cpu_s": [round(float(r["cpu_s"]), 3) for r in runs]}  # type: ignore[arg-type]

        def rate(case: str) -> float:
            return seconds / float(results[case]["cpu_s"])  # type: ignore[arg-type]

        labels = {"floor": "(a) ffmpeg -f null (floor)", "naive": "(b) naive pydub+pyloudnorm+librosa",
                  "project": "(c) prepare_clips", "build": "(d) (c) + the excerpt from its decode",
                  "audio": "(e) (d) + --audio (16 kHz FLAC)"}
        print(f"\n{'case':38} {'CPU s':>7} {'audio-s/CPU-s':>14}  runs (CPU s)")
        for case, label in labels.items():
            r = results[case]
            print(f"{label:38} {float(r['cpu_s']):7.3f} {rate(case):14.1f}  {r['all_cpu_s']}")  # type: ignore[arg-type]
        c_vs_a, c_vs_b = rate("project") / rate("floor"), rate("project") / rate("naive")
        naive_note = results["naive"].get("stft")
        print(f"\n(b) STFT by: {naive_note}; (b) measured {results['naive'].get('lufs')} LUFS at 48 kHz stereo, "
              f"(c) {results['project'].get('lufs_before')} LUFS at 16 kHz mono -> {results['project'].get('lufs_after')} "
              f"LUFS, true peak {results['project'].get('true_peak_dbtp')} dBTP")
        print(f"c/a = {c_vs_a:.2f}   (target >= {TARGETS['vs_floor']})")
        print(f"c/b = {c_vs_b:.1f}   (target >= {TARGETS['vs_naive']})")
        print(f"c   = {rate('project'):.1f} audio-s per CPU-s   (target >= {TARGETS['audio_s_per_cpu_s']:.0f})")
        print(f"d/a = {rate('build') / rate('floor'):.2f}   (the features stage as a build runs it, excerpt included)")
        print(f"e/d = {float(results['audio']['cpu_s']) / float(results['build']['cpu_s']):.2f}x CPU   "  # type: ignore[arg-type]
              "(what --audio adds to the stage)")

        times = max(1, round(args.long_minutes / args.minutes))
        long = Path(tmp) / "long.opus"
        concatenate(short, times, long)
        long_s = duration_s(long)
        mem = run_case("project", long, long_s)
        peak = float(mem["tree_peak_mb"])  # type: ignore[arg-type]
        mem_build = run_case("build", long, long_s)
        peak_build = float(mem_build["tree_peak_mb"])  # type: ignore[arg-type]
        print(f"(d) on {long_s / 60:.1f} min: peak memory {peak_build:.0f} MB (worker and ffmpeg together, sampled; "
              f"max RSS: worker {float(mem_build['maxrss_self_mb']):.0f} MB, largest child "  # type: ignore[arg-type]
              f"{float(mem_build['maxrss_child_mb']):.0f} MB)")  # type: ignore[arg-type]
        if args.compare_ref:
            ref = run_case("ref", long, long_s, code=checkout(args.compare_ref, Path(tmp) / "ref"))
            peak_ref = float(ref["tree_peak_mb"])  # type: ignore[arg-type]
            print(f"(c) of {args.compare_ref} on {long_s / 60:.1f} min: peak memory {peak_ref:.0f} MB (sampled; max "
                  f"RSS: worker {float(ref['maxrss_self_mb']):.0f} MB, largest child "  # type: ignore[arg-type]
                  f"{float(ref['maxrss_child_mb']):.0f} MB), "  # type: ignore[arg-type]
                  f"{long_s / float(ref['cpu_s']):.1f} audio-s per CPU-s; (d) / ref peak = {peak_build / peak_ref:.2f}")  # type: ignore[arg-type]
        print(f"\n(c) on {long_s / 60:.1f} min: {long_s / float(mem['cpu_s']):.1f} audio-s per CPU-s "  # type: ignore[arg-type]
              f"({float(mem['cpu_s']):.2f} CPU s), peak memory {peak:.0f} MB (sampled; max RSS: worker "  # type: ignore[arg-type]
              f"{float(mem['maxrss_self_mb']):.0f} MB, largest child {float(mem['maxrss_child_mb']):.0f} MB) "  # type: ignore[arg-type]
              f"(target < {TARGETS['peak_mb']:.0f} MB)")

        verdicts = {
            "c >= 150 audio-s/CPU-s": rate("project") >= TARGETS["audio_s_per_cpu_s"],
            "c >= 0.8 x a": c_vs_a >= TARGETS["vs_floor"],
            "c >= 5 x b": args.skip_naive or c_vs_b >= TARGETS["vs_naive"],
            "peak < 600 MB": peak < TARGETS["peak_mb"],
            "peak(d) <= peak(c) + 50 MB": peak_build <= peak + 50,
        }
        if args.compare_ref:
            verdicts[f"peak(d) <= {args.compare_ref}'s peak(c)"] = peak_build <= peak_ref
        print("\n" + "   ".join(f"{name}: {'met' if ok else 'NOT MET'}" for name, ok in verdicts.items()))
    print(f"(benchmark took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
