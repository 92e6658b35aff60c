"""The CUDA/AMP code path of training, run on this CPU: the same calls, with autocast off.

On CUDA, ``train_system`` creates an *enabled* ``GradScaler`` and runs each forward under fp16 autocast
(``autocast_for``); on a CPU the scaler is created disabled, so a CPU machine never ran the scaler's
half of the GPU path: the loss scaled before backward, gradients unscaled and checked for inf/NaN in
``scaler.step``, a skipped step and a lower scale after an overflow, the scaler's state written into
each epoch checkpoint and loaded again on resume. Here ``torch.amp.GradScaler`` is replaced, for the
test only, by an enabled CPU scaler (torch ≥ 2.3 has one): everything else is train.py's own code.
Autocast stays off (CPU fp16 autocast is not what a GPU computes); ``autocast_for`` is checked apart.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: install the model extra (bash scripts/setup.sh --model)")

from earsense_m2t.model.batch import MovementDataset, collate  # noqa: E402
from earsense_m2t.model.config import GTPConfig  # noqa: E402
from earsense_m2t.model.gtp import SYSTEMS, GTPModel, accumulate, apply_gradients  # noqa: E402
from earsense_m2t.model.tokenizer import wordpiece  # noqa: E402
from earsense_m2t.model.train import TrainSettings, autocast_for, newest_checkpoint, resolve_device, train_system  # noqa: E402
from tests._scripts import load_script  # noqa: E402
from tests.model._release import small_fold  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
CFG = GTPConfig.tiny()
TEXTS = ["A lively allegro where the violins race ahead.", "A slow and sad adagio for cello.",
         "A playful minuet with a rustic trio.", "The finale dances in a joyful rondo."]
REAL_SCALER = torch.amp.GradScaler


class CPUScaler(REAL_SCALER):
    """An enabled scaler on the CPU, whatever device train.py names (it names "cuda"); records what it was asked."""

    made: list[CPUScaler] = []

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("enabled", None)
        super().__init__("cpu", init_scale=init_scale, enabled=True)
        self.asked_device = device
        self.loaded: list[dict] = []
        CPUScaler.made.append(self)

    def load_state_dict(self, state_dict: dict) -> None:
        self.loaded.append(dict(state_dict))
        super().load_state_dict(state_dict)


@pytest.fixture
def amp_on_cpu(monkeypatch):
    CPUScaler.made = []
    monkeypatch.setattr(torch.amp, "GradScaler", CPUScaler)
    return CPUScaler


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    rows = [{"id": f"w{w}#{m}", "work_id": f"w{w}", "fold": w % 2, "text": TEXTS[(w + m) % len(TEXTS)]}
            for w in range(8) for m in (1, 2)]
    rng = np.random.default_rng(0)
    arrays = {r["id"]: rng.normal(-40.0, 10.0, (128, 256)).astype(np.float32) for r in rows}
    root = tmp_path_factory.mktemp("gpu-path")
    return small_fold(root, rows, arrays, CFG.max_frames)


def train(data, path: Path, epochs: int, system: str = "gtp"):
    release, split, standardizer = data
    settings = TrainSettings(epochs=epochs, batch_size=2, micro_batch=1, device="cpu")  # 2 micro-batches per step
    return train_system(release, split, standardizer, CFG, system, 0, settings, path)


def test_the_scaled_path_trains_exactly_as_the_plain_one(data, tmp_path, amp_on_cpu):
    """Scaling by 2^16 and unscaling are exact in float32: with no overflow the AMP path changes nothing."""
    scaled = train(data, tmp_path / "amp", epochs=2)
    [scaler] = amp_on_cpu.made
    assert scaler.asked_device == "cuda" and scaler.is_enabled() and scaler.get_scale() == 2.0 ** 16
    epoch = torch.load(newest_checkpoint(tmp_path / "amp"), map_location="cpu", weights_only=True)
    assert epoch["scaler"] and epoch["scaler"]["scale"] == 2.0 ** 16  # a disabled scaler saves {}

    torch.amp.GradScaler = REAL_SCALER  # the plain CPU path (monkeypatch restores its own value after the test)
    plain = train(data, tmp_path / "plain", epochs=2)
    assert [h["train_total"] for h in scaled.history] == [h["train_total"] for h in plain.history]
    assert [h["validation"] for h in scaled.history] == [h["validation"] for h in plain.history]
    a, b = scaled.model.state_dict(), plain.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_a_resumed_run_loads_its_scaler_state(data, tmp_path, amp_on_cpu):
    train(data, tmp_path / "run", epochs=1)
    again = train(data, tmp_path / "run", epochs=2)  # more epochs: continues from the epoch file
    assert again.resumed_from == 1
    assert amp_on_cpu.made[-1].loaded and amp_on_cpu.made[-1].loaded[0]["scale"] == 2.0 ** 16


def test_an_overflow_skips_the_step_and_halves_the_scale(data):
    """What fp16 does on a GPU: an inf gradient leaves the weights as they were, and the next step scales less."""
    release, split, standardizer = data
    dataset = MovementDataset(release, split.train[:2], standardizer, wordpiece(), CFG.max_frames, CFG.max_text_tokens)
    batch = collate([dataset[0], dataset[1]], CFG.time_factor)
    model = GTPModel(CFG, SYSTEMS["coordinate"])
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=CFG.lr)
    scaler = REAL_SCALER("cpu", init_scale=3.0e38, enabled=True)  # scaled loss overflows float32
    before = {k: v.clone() for k, v in model.music_encoder.state_dict().items()}
    device = torch.device("cpu")
    optimizer.zero_grad(set_to_none=True)
    accumulate(model, batch, 1.0, autocast=autocast_for(device, True), scaler=scaler)
    apply_gradients(model, optimizer, scaler)
    assert all(torch.equal(before[k], v) for k, v in model.music_encoder.state_dict().items())
    assert scaler.get_scale() == pytest.approx(1.5e38)
    optimizer.zero_grad(set_to_none=True)
    scaler.update(2.0 ** 10)  # a scale that fits: the next step is taken
    accumulate(model, batch, 1.0, scaler=scaler)
    apply_gradients(model, optimizer, scaler)
    assert any(not torch.equal(before[k], v) for k, v in model.music_encoder.state_dict().items())


@pytest.mark.filterwarnings("ignore:CUDA is not available:UserWarning")  # made, not entered, on a machine without it
def test_autocast_is_fp16_on_cuda_only():
    cuda = autocast_for(torch.device("cuda"), True)
    assert isinstance(cuda, torch.autocast) and cuda.fast_dtype == torch.float16 and cuda.device == "cuda"
    assert not isinstance(autocast_for(torch.device("cuda"), False), torch.autocast)
    assert not isinstance(autocast_for(torch.device("cpu"), True), torch.autocast)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_a_gpu_is_an_error_naming_the_device():
    with pytest.raises(ValueError, match="device 'cuda': torch sees no CUDA device"):
        resolve_device("cuda")


def benchmark_module():
    return load_script("benchmarks/train_throughput.py")


def test_the_throughput_benchmark_measures_a_step_with_the_gpu_code(amp_on_cpu):
    """The cell `--device cuda` runs (scaler, autocast rule, accumulate/apply_gradients), here on the CPU."""
    result = benchmark_module().measure("tiny", "gtp", torch.device("cpu"), 1, 128, 16, steps=1, warmup=1)
    assert result["samples_per_s"] > 0 and result["params_m"] > 0
    assert amp_on_cpu.made and amp_on_cpu.made[0].asked_device == "cuda"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_the_benchmark_on_cuda_without_a_gpu_is_one_line():
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "train_throughput.py"), "--configs", "paper",
                           "--device", "cuda"], capture_output=True, text=True, timeout=120, cwd=REPO)
    lines = [line for line in proc.stderr.splitlines() if line.strip() and "Warning" not in line]
    assert proc.returncode == 2 and lines == ["error: --device cuda: torch sees no CUDA device here (use 'auto' or 'cpu')"], \
        proc.stderr
