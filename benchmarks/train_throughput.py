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

Peak memory of a cell: the growth of the process's peak RSS over it on a CPU (resource.getrusage; cells run
from small to large, so each one's growth is its own), or torch.cuda.max_memory_allocated on a GPU: the
model, its gradients and AdamW's two moments, and the activations of one micro-batch.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from contextlib import nullcontext

import torch

from earsense_m2t.model.batch import Batch
from earsense_m2t.model.config import GTPConfig, get_config
from earsense_m2t.model.gtp import SYSTEMS, GTPModel, accumulate, apply_gradients
from earsense_m2t.model.tokenizer import VOCAB_SIZE


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
    amp = device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda") if amp else None
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
        autocast = torch.autocast("cuda", dtype=torch.float16) if amp else nullcontext()
        accumulate(model, batch, 1.0, autocast=autocast, scaler=scaler)
        apply_gradients(model, optimizer, scaler)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    peak = (torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda"
            else max(peak_rss_mib() - rss_before, 0.0))
    params = sum(p.numel() for p in model.parameters() if p.requires_grad) / 1e6
    return {"samples_per_s": steps * micro_batch / seconds, "ms_per_step": 1000 * seconds / steps,
            "peak_mib": peak, "params_m": params}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--configs", default="tiny,paper", help="comma-separated: tiny, paper")
    ap.add_argument("--systems", default="encoder_decoder,gtp", help=f"comma-separated of {', '.join(SYSTEMS)}")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--frames", type=int, default=3750, help="frames per movement (62.5/s: 3,750 = 1 minute)")
    ap.add_argument("--tokens", type=int, default=256, help="tokens per text (capped by the config)")
    ap.add_argument("--micro-batch", type=int, default=2)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    print(f"torch {torch.__version__}, device {device}, {args.threads} threads; {args.frames} frames "
          f"({args.frames / 62.5:.0f} s), {args.tokens} tokens, micro-batch {args.micro_batch}, "
          f"{args.steps} steps after {args.warmup} warm-up")
    rows = {}
    for config in configs:
        for system in systems:
            rows[(config, system)] = r = measure(config, system, device, args.micro_batch, args.frames, args.tokens,
                                                 args.steps, args.warmup)
            print(f"  {config:6s} {system:17s} {r['params_m']:8.2f} M params  {r['samples_per_s']:8.2f} samples/s  "
                  f"{r['ms_per_step']:9.1f} ms/step  peak +{r['peak_mib']:8.1f} MiB", flush=True)
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
