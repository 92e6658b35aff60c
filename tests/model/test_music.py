"""The music autoencoder's shapes (frequency 256 → 1, time ÷ 64) and its reconstruction loss."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: install the model extra (bash scripts/setup.sh --model)")

from earsense_m2t.model.config import GTPConfig  # noqa: E402
from earsense_m2t.model.music import MusicDecoder, MusicEncoder, masked_segments, reconstruction_loss  # noqa: E402


def test_tiny_encoder_collapses_frequency_and_divides_time_by_64():
    cfg = GTPConfig.tiny()
    enc = MusicEncoder(cfg)
    spec = torch.randn(2, 256, 320)
    assert enc.convolve(spec).shape == (2, 5, cfg.channels[-1])
    steps, mask = enc(spec, torch.tensor([320, 100]))
    assert steps.shape == (2, 5, cfg.hidden)
    assert mask.tolist() == [[True] * 5, [True, True, False, False, False]]  # 100 frames: 2 steps
    assert MusicDecoder(cfg)(steps).shape == (2, 256, 320)


@pytest.mark.parametrize("conv_norm", ["group", "none"])
def test_a_movements_encoding_does_not_depend_on_how_much_its_batch_is_padded(conv_norm):
    """Padded frames are zeros (the training mean); bias, norm statistics and activation must not carry them into
    real steps."""
    cfg = GTPConfig.tiny().with_(conv_norm=conv_norm)
    enc = MusicEncoder(cfg).eval()
    # a visible bias (the norm's when there is one): padded positions would leak it
    torch.nn.init.normal_(enc.norms[0].bias if conv_norm == "group" else enc.convs[0].bias, std=1.0)
    spec = torch.randn(1, 256, 200)
    padded = torch.cat([spec, torch.zeros(1, 256, 312)], dim=2)
    frames = torch.tensor([200])
    alone, mask = enc(torch.cat([spec, torch.zeros(1, 256, 56)], dim=2), frames)  # 256 frames: 4 steps
    in_batch, mask_b = enc(padded, frames)  # 512 frames: 8 steps, 4 of them padding
    assert mask.sum() == mask_b.sum() == 4
    torch.testing.assert_close(in_batch[:, :4], alone, atol=1e-5, rtol=1e-5)


def test_paper_sizes_give_the_same_shapes():
    cfg = GTPConfig.paper()
    assert (cfg.channels, cfg.hidden, cfg.time_factor, cfg.max_frames) == \
        ((64, 128, 128, 128, 256, 512, 768, 768), 768, 64, 131072)
    with torch.device("meta"):  # shapes only: no memory for the 768-channel weights
        enc = MusicEncoder(cfg)
        dec = MusicDecoder(cfg)
        conv = enc.convolve(torch.empty(1, 256, 640))
        assert conv.shape == (1, 10, 768)
        assert dec(enc.proj(conv)).shape == (1, 256, 640)


def test_reconstruction_loss_is_zero_only_for_a_perfect_copy_and_sees_edges():
    target = torch.randn(1, 256, 64)
    assert float(reconstruction_loss(target, target.clone())) == 0.0
    shifted = target + 0.5  # the same edges at another level: only the level term sees it
    assert float(reconstruction_loss(target, shifted)) == pytest.approx(0.25, rel=1e-5)
    blurred = target.clone()
    blurred[:, :, 1:] = (target[:, :, 1:] + target[:, :, :-1]) / 2
    assert float(reconstruction_loss(target, blurred)) > float(((blurred - target) ** 2).mean())


def test_reconstruction_loss_adds_frequency_and_time_difference_terms():
    target = torch.zeros(1, 8, 8)
    out = torch.zeros(1, 8, 8)
    out[0, 3, 5] = 1.0  # one wrong cell: 1 of 64 levels, 2 of 56 frequency steps, 2 of 56 time steps
    assert float(reconstruction_loss(target, out)) == pytest.approx(1 / 64 + 2 / 56 + 2 / 56, rel=1e-6)
    stripe = torch.zeros(1, 8, 8)
    stripe[0, 3, :] = 1.0  # a whole bin off: no time edge, 2 of 56 frequency edges per frame
    assert float(reconstruction_loss(target, stripe)) == pytest.approx(8 / 64 + 16 / 56, rel=1e-6)
    column = torch.zeros(1, 8, 8)
    column[0, :, 5] = 1.0  # a whole frame off: no frequency edge
    assert float(reconstruction_loss(target, column)) == pytest.approx(8 / 64 + 16 / 56, rel=1e-6)


def test_padding_frames_do_not_count():
    target = torch.zeros(1, 256, 128)
    out = torch.zeros(1, 256, 128)
    out[:, :, 64:] = 3.0
    mask = torch.tensor([[True] * 64 + [False] * 64])
    assert float(reconstruction_loss(target, out, mask)) == 0.0


def test_segments_pool_real_positions_only():
    x = torch.arange(8.0).reshape(1, 8, 1).repeat(1, 1, 2)
    mask = torch.tensor([[True] * 4 + [False] * 4])
    pooled = masked_segments(x, mask, 2)
    assert pooled[0, :, 0].tolist() == [0.5, 2.5]
    assert masked_segments(x, mask, 20).shape == (1, 20, 2)  # short sequences are stretched to 20
