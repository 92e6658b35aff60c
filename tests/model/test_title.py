"""Song-title prediction (model/title.py): shapes, padding, gradients, decoding rules, hand-computed metrics, and a
tiny model that learns two titles. One thread, a few seconds in all."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: install the model extra (bash scripts/setup.sh --model)")

from earsense_m2t.model.decode import PAD_ID  # noqa: E402
from earsense_m2t.model.metrics import normalize_text  # noqa: E402
from earsense_m2t.model.title import (  # noqa: E402
    DIFFERENCES,
    PAPER_VALUES,
    TitleConfig,
    TitleModel,
    get_title_config,
    hyperparameters,
    tempo_agreement,
    title_metrics,
)
from earsense_m2t.model.tokenizer import VOCAB_SIZE, wordpiece  # noqa: E402

TOK = wordpiece()
CLS, SEP = TOK.cls_id, TOK.sep_id
SMALL_VOCAB = 200  # room for [CLS] = 101 and [SEP] = 102; keeps the output layer small where ids do not matter
BINS = 16


def model(vocab: int = SMALL_VOCAB, seed: int = 0) -> TitleModel:
    torch.manual_seed(seed)
    return TitleModel(TitleConfig.tiny(), vocab)


def music(frames: list[int], width: int, seed: int = 0, pad_value: float = 0.0):
    """(B, BINS, width) random spectrograms with ``frames`` real frames each, the rest ``pad_value``."""
    gen = torch.Generator().manual_seed(seed)
    spec = torch.randn(len(frames), BINS, max(frames), generator=gen)
    out = torch.full((len(frames), BINS, width), pad_value)
    for b, n in enumerate(frames):
        out[b, :, :n] = spec[b, :, :n]
    return out, torch.tensor(frames)


def token_batch(rows: list[list[int]], length: int | None = None):
    length = length or max(len(r) for r in rows)
    out = torch.full((len(rows), length), PAD_ID, dtype=torch.long)
    for b, r in enumerate(rows):
        out[b, : len(r)] = torch.tensor(r)
    return out


def argmax_rollout(m: TitleModel, spec, frames, steps: int) -> list[int]:
    """Title ids of one movement by the teacher-forced model's argmax at each step ([PAD] and [CLS] excluded)."""
    prefix = [CLS]
    with torch.no_grad():
        for _ in range(steps):
            logits = m(spec, frames, torch.tensor([[*prefix, PAD_ID]]))[0, -1]
            logits[[PAD_ID, CLS]] = -math.inf
            token = int(logits.argmax())
            if token == SEP:
                break
            prefix.append(token)
    return prefix[1:]


TOKENS = token_batch([[CLS, 150, 151, 152, SEP], [CLS, 160, SEP]])


def test_both_tables_cover_every_hyperparameter_and_configs_validate():
    assert set(PAPER_VALUES) == set(DIFFERENCES) == set(hyperparameters())
    assert all(DIFFERENCES[k].strip() for k in DIFFERENCES)
    assert get_title_config("tiny") == TitleConfig.tiny() and get_title_config("paper").name == "paper"
    with pytest.raises(ValueError, match="known: paper, tiny"):
        get_title_config("huge")
    with pytest.raises(ValueError, match="kernel"):
        TitleConfig.tiny().with_(kernel=4)
    with pytest.raises(ValueError, match="no room"):
        TitleModel(TitleConfig.tiny(), 100)


def test_logits_and_loss_have_the_expected_shapes():
    m = model()
    spec, frames = music([70, 41], 80)
    logits = m(spec, frames, TOKENS)
    assert logits.shape == (2, TOKENS.shape[1] - 1, SMALL_VOCAB)
    assert m.encode(spec, frames).shape == (2, TitleConfig.tiny().feature_dim)
    loss = m.loss(spec, frames, TOKENS)
    assert loss.shape == () and math.isfinite(loss.item())
    with pytest.raises(ValueError, match="frames"):
        m.encode(spec, torch.tensor([81, 10]))


def test_padding_changes_neither_the_feature_nor_the_loss():
    """A movement's feature is the same alone, in a wider batch, and with garbage in its padding."""
    m = model()
    m.eval()
    tight, frames = music([70, 41], 70)
    wide, _ = music([70, 41], 200, pad_value=7.5)
    alone = tight[1:, :, :41]
    f_tight, f_wide = m.encode(tight, frames), m.encode(wide, frames)
    torch.testing.assert_close(f_tight, f_wide, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(m.encode(alone, frames[1:]), f_tight[1:], atol=1e-5, rtol=1e-5)
    # and [PAD] columns after [SEP] change no target: the loss over a longer padded token batch is the same
    longer = token_batch([[CLS, 150, 151, 152, SEP], [CLS, 160, SEP]], length=9)
    torch.testing.assert_close(m.loss(wide, frames, longer), m.loss(tight, frames, TOKENS), atol=1e-5, rtol=1e-5)


def test_the_gradient_reaches_the_first_convolution():
    m = model()
    spec, frames = music([70, 41], 80)
    m.loss(spec, frames, TOKENS).backward()
    first = m.convs[0].weight.grad
    assert first is not None and float(first.abs().sum()) > 0


def test_generation_is_deterministic_bounded_and_never_writes_pad_or_cls():
    m = model()
    m.train()
    spec, frames = music([70, 41, 64], 80, seed=3)
    for beam in (1, 3):
        first = m.generate(spec, frames, beam=beam, max_tokens=6)
        assert first == m.generate(spec, frames, beam=beam, max_tokens=6)
        assert len(first) == 3
        for ids in first:
            assert len(ids) <= 6 and not {PAD_ID, CLS, SEP} & set(ids)
    assert m.training  # left in the mode it had
    assert m.generate(spec, frames, beam=2, max_tokens=0) == [[], [], []]
    with pytest.raises(ValueError, match="beam"):
        m.generate(spec, frames, beam=0, max_tokens=5)


def test_greedy_search_is_the_argmax_rollout_of_the_teacher_forced_model():
    """beam = 1 must pick, at every step, the most likely token that is neither [PAD] nor [CLS]."""
    m = model(seed=4)
    m.eval()
    spec, frames = music([64], 64, seed=5)
    [greedy] = m.generate(spec, frames, beam=1, max_tokens=8)
    assert greedy == argmax_rollout(m, spec, frames, steps=8)


def test_title_metrics_on_a_hand_computed_example():
    predicted = ["Allegro ma non troppo", "Adagio", "presto"]
    reference = ["Allegro ma non troppo", "Largo", "Scherzo. Presto"]
    scores = title_metrics(predicted, reference)
    # after the case rule and 13a: hypotheses 4 + 1 + 1 = 6 tokens, references 4 + 1 + 3 = 8 ("scherzo . presto")
    # unigrams: 4 + 0 + 1 ("presto") = 5 of 6; bigrams 3/3, trigrams 2/2, 4-grams 1/1 (all from the first title)
    brevity = math.exp(1 - 8 / 6)
    assert scores["bleu"] == pytest.approx(100 * brevity * (5 / 6) ** 0.25, abs=1e-6)
    assert scores["bleu_1"] == pytest.approx(100 * brevity * 5 / 6, abs=1e-6)
    assert scores["exact_match"] == pytest.approx(1 / 3)
    assert title_metrics(["scherzo. presto"], ["Scherzo. Presto"])["exact_match"] == 1.0  # one case rule
    with pytest.raises(ValueError, match="2 generated titles for 1"):
        title_metrics(["a", "b"], ["a"])


def test_tempo_agreement_on_a_hand_computed_example():
    # classes read from tagging/tempo_terms.py: "allegro ma non troppo" is a fast phrase, "adagio" a slow word,
    # "presto" super_fast, "Finale" one of NO_TEMPO_FORMS (no tag), "andante" medium
    predicted = ["Allegro ma non troppo", "adagio", "Scherzo. Presto", "Finale", "Andante"]
    reference = ["fast", "medium", "super_fast", "fast", None]
    out = tempo_agreement(predicted, reference)
    assert out["movements"] == 5 and out["judged"] == 4  # the release does not tag the last movement
    assert out["agreement"] == pytest.approx(2 / 4)  # fast = fast, super_fast = super_fast; slow ≠ medium, none ≠ fast
    assert out["untagged"] == pytest.approx(1 / 5)  # "Finale"
    assert out["majority_tag"] == "fast" and out["majority"] == pytest.approx(2 / 4)
    tie = tempo_agreement(["Largo", "Presto"], ["slow", "super_fast"])
    assert tie["majority_tag"] == "slow" and tie["agreement"] == 1.0  # a tie goes to the slower class
    nothing = tempo_agreement(["Largo"], [None])
    assert nothing["agreement"] is None and nothing["majority"] is None
    with pytest.raises(ValueError, match="'quick' of movement 0"):
        tempo_agreement(["Largo"], ["quick"])


def test_a_tiny_model_learns_two_titles_from_two_spectrograms():
    titles = ["Allegro ma non troppo", "Adagio sostenuto"]
    torch.manual_seed(0)
    m = TitleModel(TitleConfig.tiny(), VOCAB_SIZE)
    # two spectrograms whose difference survives global pooling: energy in the low bins, or in the high ones
    spec, frames = music([64, 50], 64, seed=7)
    spec[0, : BINS // 2, :64] += 2.0
    spec[1, BINS // 2 :, :50] += 2.0
    tokens = token_batch([TOK.encode(t, 24) for t in titles])
    opt = torch.optim.Adam(m.parameters(), lr=2e-2)
    for _ in range(300):
        opt.zero_grad()
        loss = m.loss(spec, frames, tokens)
        loss.backward()
        opt.step()
        if loss.item() < 0.01:
            break
    assert loss.item() < 0.01
    written = [TOK.decode(ids) for ids in m.generate(spec, frames, beam=3, max_tokens=16)]
    assert written == [normalize_text(t) for t in titles]


def test_an_unknown_feature_norm_is_refused_by_name():
    with pytest.raises(ValueError, match="feature_norm 'layer'; known: batch, none"):
        TitleConfig.tiny().with_(feature_norm="layer")


def test_a_training_batch_of_one_movement_is_normalized_as_at_evaluation():
    m = model()
    spec, frames = music([70, 41], 80)
    m.train()
    m.loss(spec, frames, TOKENS)  # a batch of two: its statistics move the running ones
    alone = spec[1:, :, :41]
    trained = m.encode(alone, frames[1:])  # one movement has no spread to normalize by
    m.eval()
    torch.testing.assert_close(trained, m.encode(alone, frames[1:]))


def test_batch_normalization_spreads_the_movements_features_before_training():
    """Why the pooled feature is normalized: from a CNN trained from scratch, movements' features hardly differ at
    first, so the LSTM learns the commonest title before the audio can tell it anything."""
    spec, frames = music([64] * 8, 64, seed=3)
    spread = {}
    for norm in ("batch", "none"):
        torch.manual_seed(0)
        m = TitleModel(TitleConfig.tiny().with_(feature_norm=norm), SMALL_VOCAB)
        m.train()
        spread[norm] = float(m.encode(spec, frames).detach().std(dim=0).mean())
    assert spread["batch"] > 5 * spread["none"], spread


def test_an_unknown_inject_is_refused_by_name():
    with pytest.raises(ValueError, match="inject 'merge'; known: init, par"):
        TitleConfig.tiny().with_(inject="merge")


def test_with_par_inject_every_word_sees_the_music_and_greedy_search_is_still_the_argmax_rollout():
    """``inject="par"``: the image feature goes beside every input word, so the logits after the first word depend
    on the music even with the LSTM's initial state held fixed; generation feeds it the same way as training."""
    torch.manual_seed(4)
    m = TitleModel(TitleConfig.tiny().with_(inject="par"), SMALL_VOCAB)
    m.eval()
    assert m.lstm.input_size == m.cfg.embed_dim + m.cfg.feature_dim
    spec, frames = music([64, 64], 64, seed=5)
    feature = m.encode(spec, frames)
    state = m.initial_state(feature[:1].expand(2, -1))  # both from movement 0's initial state ...
    embedded = m.embed(TOKENS[:1, :-1].expand(2, -1))
    with torch.no_grad():
        output, _ = m.lstm(m._inputs(embedded, feature), (state[0].contiguous(), state[1].contiguous()))
    assert not torch.allclose(output[0, 1:], output[1, 1:])  # ... yet each word sees its own movement's feature
    [greedy] = m.generate(spec[:1], frames[:1], beam=1, max_tokens=8)
    assert greedy == argmax_rollout(m, spec[:1], frames[:1], steps=8)


@pytest.mark.parametrize(("freq_pools", "rows"), [(None, BINS // 8), (3, BINS // 8), (1, BINS // 2), (0, BINS)])
def test_freq_pools_sets_how_many_blocks_halve_frequency_and_padding_still_changes_nothing(freq_pools, rows):
    """Time halves in every block; frequency only in the first ``freq_pools`` (None: all), so the last map keeps
    ``bins / 2 ** freq_pools`` rows for the bands; a movement's feature is the same in a wider, garbage-padded batch."""
    torch.manual_seed(0)
    m = TitleModel(TitleConfig.tiny().with_(freq_pools=freq_pools, freq_bands=rows), SMALL_VOCAB)
    m.eval()
    maps: list[tuple[int, ...]] = []
    m.pools[-1].register_forward_hook(lambda _module, _inputs, out: maps.append(tuple(out.shape)))
    tight, frames = music([70, 41], 72)
    wide, _ = music([70, 41], 200, pad_value=7.5)
    torch.testing.assert_close(m.encode(tight, frames), m.encode(wide, frames), atol=1e-5, rtol=1e-5)
    assert maps[0] == (2, m.cfg.channels[-1], rows, 72 // 8)


def test_a_freq_pools_beyond_the_blocks_is_refused_by_name():
    with pytest.raises(ValueError, match=r"TitleConfig tiny: freq_pools 4 must lie in 0..3"):
        TitleConfig.tiny().with_(freq_pools=4)
    with pytest.raises(ValueError, match="freq_pools -1"):
        TitleConfig.tiny().with_(freq_pools=-1)
