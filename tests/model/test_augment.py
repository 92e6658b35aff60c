"""The four spectrogram augmentations of the contrastive loss: shapes, padding, seeding, and what each changes."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: install the model extra (bash scripts/setup.sh --model)")

from earsense_m2t.model.augment import AUGMENTATIONS, AugmentSettings, augment, interpolate  # noqa: E402

TIME_FACTOR, MAX_FRAMES = 64, 256


def padded_batch():
    """Two movements of 150 and 90 real frames, padded with 0 to 192."""
    gen = torch.Generator().manual_seed(3)
    spec = torch.randn(2, 256, 192, generator=gen)
    frames = torch.tensor([150, 90])
    spec[1, :, 90:] = 0.0
    spec[0, :, 150:] = 0.0
    return spec, frames


def run(name, seed=0, settings=None, spec=None, frames=None):
    if spec is None:
        spec, frames = padded_batch()
    return augment(name, spec, frames, torch.Generator().manual_seed(seed), time_factor=TIME_FACTOR,
                   max_frames=MAX_FRAMES, settings=settings)


@pytest.mark.parametrize("name", list(AUGMENTATIONS))
def test_each_augmentation_is_seeded_keeps_padding_zero_and_changes_the_input(name):
    spec, frames = padded_batch()
    out, out_frames = run(name)
    again, again_frames = run(name)
    other, _ = run(name, seed=1)
    assert torch.equal(out, again) and torch.equal(out_frames, again_frames)
    assert out.shape[0] == 2 and out.shape[1] == 256 and out.shape[2] % TIME_FACTOR == 0
    for b, n in enumerate(out_frames.tolist()):
        assert float(out[b, :, n:].abs().sum()) == 0.0, (name, b)  # padding stays the training mean
    if name != "random_mask":  # a mask may drop nothing in one draw; its own test below
        assert not torch.equal(out, other)
        assert out.shape != spec.shape or not torch.allclose(out, spec)


@pytest.mark.parametrize("name, settings, unchanged", [
    ("pitch_shift", AugmentSettings(pitch_range=0.0), True),
    ("time_stretch", AugmentSettings(stretch_range=0.0), True),
    ("random_mask", AugmentSettings(mask_p=0.0), True),
    ("added_noise", AugmentSettings(noise_max=0.0), True),
    ("random_mask", AugmentSettings(mask_p=1.0), False),
])
def test_a_zero_range_is_the_identity(name, settings, unchanged):
    spec, frames = padded_batch()
    out, out_frames = run(name, settings=settings)
    assert torch.equal(out_frames, frames)
    assert torch.allclose(out, spec, atol=1e-5) is unchanged
    if not unchanged:
        assert float(out.abs().sum()) == 0.0  # every chunk masked


@pytest.mark.parametrize("name, frames_change", [
    ("pitch_shift", False), ("time_stretch", True), ("random_mask", False), ("added_noise", False)])
def test_only_time_stretch_changes_the_length(name, frames_change):
    _, frames = padded_batch()
    _, out_frames = run(name)
    assert (not torch.equal(out_frames, frames)) is frames_change
    if frames_change:  # within ±5 %
        assert all(abs(n - m) <= 0.05 * m + 1 for n, m in zip(out_frames.tolist(), frames.tolist(), strict=True))


def test_time_stretch_is_cut_at_max_frames():
    spec = torch.randn(1, 256, 256)
    out, frames = run("time_stretch", settings=AugmentSettings(stretch_range=0.0001), spec=spec,
                      frames=torch.tensor([256]))
    assert int(frames[0]) <= MAX_FRAMES and out.shape[2] == MAX_FRAMES


def test_pitch_shift_moves_a_partial_by_its_factor():
    """A single lit bin f moves to about r · f (bins are linear in frequency)."""
    spec = torch.zeros(1, 256, 64)
    spec[0, 100, :] = 1.0
    for seed in range(4):
        out, _ = run("pitch_shift", seed=seed, spec=spec, frames=torch.tensor([64]))
        r = 0.95 + 0.1 * float(torch.rand(1, generator=torch.Generator().manual_seed(seed)))  # the same draw
        assert abs(float((out[0, :, 0] * torch.arange(256)).sum() / out[0, :, 0].sum()) - 100 * r) < 0.5, seed


def test_random_mask_zeroes_whole_chunks():
    spec = torch.ones(1, 4, 1000)
    out, _ = run("random_mask", settings=AugmentSettings(mask_chunk=100, mask_p=0.5), spec=spec,
                 frames=torch.tensor([1000]))
    per_chunk = out[0, 0].reshape(10, 100)
    assert set(per_chunk.sum(dim=1).tolist()) <= {0.0, 100.0} and 0 < float(per_chunk.sum()) < 1000


@pytest.mark.parametrize("src, expected", [
    ([0.0, 1.0, 2.0], [0.0, 10.0, 20.0]),
    ([0.5, 2.5], [5.0, 25.0]),
    ([-1.0, 3.0, 3.5], [0.0, 30.0, 0.0]),
])
def test_interpolate(src, expected):
    x = torch.tensor([0.0, 10.0, 20.0, 30.0])
    assert interpolate(x, torch.tensor(src)).tolist() == pytest.approx(expected)


def test_an_unknown_augmentation_is_named():
    spec, frames = padded_batch()
    with pytest.raises(ValueError, match="unknown augmentation 'reverse'; known: pitch_shift"):
        augment("reverse", spec, frames, time_factor=TIME_FACTOR, max_frames=MAX_FRAMES)
