"""Training throughput of the GTP model: samples per second of the tiny and paper configs, side by side.

Each measured cell is optimizer steps of one system (every loss it has, the momentum update and the
queue) on synthetic batches of a fixed shape, after warm-up steps, all in this one process, so the ratios
are measured on the same machine at the same time. Data loading is not in the figure: the release's
spectrograms are memory-mapped and one step reads `batch` rows (the training loop's own samples/s,
printed per epoch by `earsense-m2t train`, includes it).

    # CPU (the figures in the README): tiny and paper, 1-minute movements
    .venv/bin/python benchmarks/train_throughput.py
    # a GPU machine: the paper config at the encoder's cap (2,048 steps = 131,072 frames, ~35 min), fp16 autocast
    .venv/bin/python benchmarks/train_throughput.py --configs paper --device cuda --frames 131072 --steps 20
    # thread counts: the tiny config with the libraries' defaults vs model/threads.py's plan, each in fresh
    # processes taking turns, on this machine as it is and beside one busy process
    .venv/bin/python benchmarks/train_throughput.py --threads-compare

Threads: each cell runs with model/threads.py's plan for its config (tiny 1 thread, paper the cores) unless
``--threads N`` fixes torch's count. ``--threads-compare`` measures the plan against the defaults (torch's
intra-op and inter-op pools and the BLAS sized to the machine, as `earsense-m2t train` ran before the plan):
each (mode, condition, round) cell is its own process, since torch fixes its inter-op pool once per process;
rounds alternate the modes, and a condition "busy" starts one CPU-bound process beside the cell (what a
test worker, a build or a metrics process does to a training run on 2 cores).

Peak memory of a cell: the growth of the process's peak RSS over it on a CPU (resource.getrusage; cells run
from small to large, so each one's growth is its own), or torch.cuda.max_memory_allocated on a GPU: the
model, its gradients and AdamW's two moments, and the activations of one micro-batch.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import torch

from earsense_m2t.model.batch import Batch
from earsense_m2t.model.config import GTPConfig, get_config
from earsense_m2t.model.gtp import SYSTEMS, GTPModel, accumulate, apply_gradients
from earsense_m2t.model.threads import configure_threads, thread_plan
from earsense_m2t.model.tokenizer import VOCAB_SIZE
from earsense_m2t.model.train import autocast_for, resolve_device


def synthetic_batch(cfg: GTPConfig, size: int, frames: int, tokens: int, step: int) -> Batch:
    """Random standardized spectrograms and token ids of the given shape; distinct ids so the queue fills."""
    g = torch.Generator().manual_seed(step)
    frames = min(frames, cfg.max_frames)
    width = -(-frames // cfg.time_factor) * cfg.time_factor
    tokens = min(tokens, cfg.max_text_tokens)
    ids = torch.randint(1000, VOCAB_SIZE, (size, tokens), generator=g)
    ids[:, 0], ids[:, -1] = 101, 102  # [CLS] … [SEP]
    texts = [f"movement {step}-{b} in a synthetic key with a melody number {step * size + b}" for b in range(size)]
    return Batch([f"s{step}-{b}" for b in range(size)], texts, torch.randn(size, cfg.n_bins, width, generator=g),
                 torch.full((size,), frames), ids, torch.ones_like(ids, dtype=torch.bool))


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(config: str, system: str, device: torch.device, micro_batch: int, frames: int, tokens: int, steps: int,
            warmup: int) -> dict[str, float]:
    cfg = get_config(config)
    torch.manual_seed(0)
    model = GTPModel(cfg, SYSTEMS[system]).to(device)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)
    amp = device.type == "cuda"  # the training loop's rule (model/train.py): fp16 autocast and a scaler on CUDA only
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    batches = [synthetic_batch(cfg, micro_batch, frames, tokens, s).to(device) for s in range(warmup + steps)]
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    rss_before = peak_rss_mib()
    model.train()
    for i, batch in enumerate(batches):
        if i == warmup:
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        accumulate(model, batch, 1.0, autocast=autocast_for(device, amp), scaler=scaler)
        apply_gradients(model, optimizer, scaler)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    peak = (torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda"
            else max(peak_rss_mib() - rss_before, 0.0))
    params = sum(p.numel() for p in model.parameters() if p.requires_grad) / 1e6
    return {"samples_per_s": steps * micro_batch / seconds, "ms_per_step": 1000 * seconds / steps,
            "peak_mib": peak, "params_m": params}


def cell_in_process(config: str, system: str, mode: str, args: argparse.Namespace) -> dict[str, float]:
    """One measurement in a fresh process: ``default`` (no thread settings) or ``plan`` (model/threads.py)."""
    cmd = [sys.executable, __file__, "--cell", f"{config}:{system}:{mode}", "--frames", str(args.frames),
           "--tokens", str(args.tokens), "--micro-batch", str(args.micro_batch), "--steps", str(args.steps),
           "--warmup", str(args.warmup)]
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS") and k != "JAVA_TOOL_OPTIONS"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    return dict(json.loads(proc.stdout.splitlines()[-1]))


def busy_process() -> subprocess.Popen[bytes]:
    """One CPU-bound process (a stand-in for a test worker, a build or a metrics process on the same cores)."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def threads_compare(args: argparse.Namespace, configs: list[str], systems: list[str]) -> None:
    plan = {c: thread_plan(c) for c in configs}
    print(f"thread counts, {args.rounds} rounds of fresh processes per cell, modes alternating; {args.frames} frames, "
          f"micro-batch {args.micro_batch}, {args.steps} steps after {args.warmup} warm-up; cores {os.cpu_count()}")
    for config in configs:
        print(f"  {config}: default = torch {torch.get_num_threads()} intra-op / {torch.get_num_interop_threads()} "
              f"inter-op, BLAS sized to the machine; plan = {plan[config].describe().removeprefix('threads: ')}")
    for condition in ("as is", "busy"):
        helper = busy_process() if condition == "busy" else None
        try:
            print(f"condition: {condition}" + (" (one CPU-bound process beside each cell)" if helper else "") +
                  f"; load average before: {os.getloadavg()[0]:.2f}", flush=True)
            for config in configs:
                for system in systems:
                    got: dict[str, list[float]] = {"default": [], "plan": []}
                    for r in range(args.rounds):
                        for mode in (("default", "plan") if r % 2 == 0 else ("plan", "default")):
                            got[mode].append(cell_in_process(config, system, mode, args)["samples_per_s"])
                    d, p = statistics.median(got["default"]), statistics.median(got["plan"])
                    print(f"  {config:6s} {system:17s} default {d:7.2f} samples/s  plan {p:7.2f} samples/s  "
                          f"plan / default = {p / d:.2f}   (rounds: default {', '.join(f'{v:.2f}' for v in got['default'])};"
                          f" plan {', '.join(f'{v:.2f}' for v in got['plan'])})", flush=True)
        finally:
            if helper is not None:
                helper.kill()
                helper.wait()


def run_cell(spec: str, args: argparse.Namespace) -> int:
    config, system, mode = spec.split(":")
    if mode == "plan":
        configure_threads(config)
    elif mode != "default":
        raise SystemExit(f"error: --cell {spec}: mode must be 'default' or 'plan'")
    r = measure(config, system, torch.device("cpu"), args.micro_batch, args.frames, args.tokens, args.steps, args.warmup)
    print(json.dumps({**r, "threads": torch.get_num_threads(), "interop": torch.get_num_interop_threads()}))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--configs", help="comma-separated: tiny, paper (default: both; --threads-compare: tiny)")
    ap.add_argument("--systems", default="encoder_decoder,gtp", help=f"comma-separated of {', '.join(SYSTEMS)}")
    ap.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    ap.add_argument("--frames", type=int, default=3750, help="frames per movement (62.5/s: 3,750 = 1 minute)")
    ap.add_argument("--tokens", type=int, default=256, help="tokens per text (capped by the config)")
    ap.add_argument("--micro-batch", type=int, default=2)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, help="torch intra-op threads for every cell (default: model/threads.py's "
                                                "plan per config)")
    ap.add_argument("--threads-compare", action="store_true", help="the libraries' default thread counts vs the "
                                                                    "plan, side by side (CPU; default configs: tiny)")
    ap.add_argument("--rounds", type=int, default=2, help="--threads-compare: processes per (mode, condition)")
    ap.add_argument("--cell", help=argparse.SUPPRESS)  # CONFIG:SYSTEM:MODE, one cell of --threads-compare
    args = ap.parse_args(argv)
    if args.cell:
        return run_cell(args.cell, args)
    try:
        device = resolve_device(args.device)
    except ValueError as exc:
        print(f"error: --device {args.device}: {str(exc).removeprefix(f'device {args.device!r}: ')}", file=sys.stderr)
        return 2
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    if args.threads_compare:
        if device.type != "cpu":
            print("error: --threads-compare measures CPU thread pools: use --device cpu", file=sys.stderr)
            return 2
        threads_compare(args, [c.strip() for c in (args.configs or "tiny").split(",") if c.strip()], systems)
        return 0
    configs = [c.strip() for c in (args.configs or "tiny,paper").split(",") if c.strip()]
    if device.type == "cuda":
        print(f"torch {torch.__version__}, device {device} ({torch.cuda.get_device_name(device)}), fp16 autocast; "
              f"{args.frames} frames ({args.frames / 62.5:.0f} s), {args.tokens} tokens, micro-batch {args.micro_batch}, "
              f"{args.steps} steps after {args.warmup} warm-up; peak = torch.cuda.max_memory_allocated")
    else:
        print(f"torch {torch.__version__}, device {device}; {args.frames} frames ({args.frames / 62.5:.0f} s), "
              f"{args.tokens} tokens, micro-batch {args.micro_batch}, {args.steps} steps after {args.warmup} warm-up; "
              "peak = growth of the peak RSS")
    rows = {}
    for config in configs:
        if args.threads:
            torch.set_num_threads(args.threads)
        else:
            configure_threads(config)
        for system in systems:
            rows[(config, system)] = r = measure(config, system, device, args.micro_batch, args.frames, args.tokens,
                                                 args.steps, args.warmup)
            print(f"  {config:6s} {system:17s} {r['params_m']:8.2f} M params  {r['samples_per_s']:8.2f} samples/s  "
                  f"{r['ms_per_step']:9.1f} ms/step  peak {'' if device.type == 'cuda' else '+'}{r['peak_mib']:8.1f} MiB"
                  f"  ({torch.get_num_threads()} threads)", flush=True)
    print("ratios (same run):")
    for config in configs:
        if (config, "encoder_decoder") in rows and (config, "gtp") in rows:
            print(f"  {config}: gtp / encoder_decoder samples/s = "
                  f"{rows[(config, 'gtp')]['samples_per_s'] / rows[(config, 'encoder_decoder')]['samples_per_s']:.2f}")
    if "tiny" in configs and "paper" in configs:
        for system in systems:
            print(f"  {system}: paper / tiny samples/s = "
                  f"{rows[('paper', system)]['samples_per_s'] / rows[('tiny', system)]['samples_per_s']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
