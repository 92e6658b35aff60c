"""Text from music: beam search over the shared text decoder, as the paper decodes (beam 3, at most 200 tokens).

A movement's spectrogram is encoded and pooled to the 20 segments (:meth:`GTPModel.music_segments`);
the text decoder, the same one the text autoencoder trains, then writes from [CLS] until [SEP].

The search is the usual one (fairseq's): each step extends every live hypothesis by every token and
keeps the ``2 × beam`` best continuations; an end-of-text among the first ``beam`` of them finishes a
hypothesis, the best ``beam`` others stay live; the search ends when ``beam`` hypotheses have finished
or after ``max_tokens`` steps (live ones then count as finished). Finished hypotheses are ranked by
log-probability / length ** ``length_penalty`` (length = tokens generated, the end token included), so
1.0 is the plain per-token mean and 0 the raw sum. With ``beam = 1`` this is greedy decoding.

[PAD] and [CLS] are never generated: neither is ever a target in training (padding is ignored by the
loss and [CLS] only starts a text), so an untrained or odd model must not emit them mid-text.
Each step recomputes the decoder over the whole prefix (the decoder has no cache); at 200 tokens that
is cheap next to the music encoder.

The ``authors`` settings profile (:mod:`.settings`) samples instead (:func:`sample`): ``outputs`` texts per
movement, each token drawn from the ``top_k`` most likely ones, with a CPU generator seeded by the unit's seed
and the movement's id (:func:`movement_seed`), so a movement's texts do not depend on its batch or device order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from earsense_m2t.model.batch import Batch
from earsense_m2t.model.gtp import GTPModel
from earsense_m2t.model.tokenizer import WordPiece

#: [PAD]: padding in every batch (the tokenizer checks that bert-base-uncased's vocabulary puts it at 0)
PAD_ID = 0


@dataclass(frozen=True)
class Hypothesis:
    tokens: tuple[int, ...]  # generated ids after [CLS], the end token not included
    logprob: float
    length: int  # tokens generated, the end token included

    def score(self, length_penalty: float) -> float:
        return self.logprob / max(self.length, 1) ** length_penalty


def next_logprobs(model: GTPModel, prefixes: Tensor, memory: Tensor, banned: Sequence[int]) -> Tensor:
    """(n, vocab) log-probabilities of the token after each prefix (n, L), ``banned`` ids at -inf."""
    mask = torch.ones_like(prefixes, dtype=torch.bool)
    # only the last position is projected onto the 30,522 words: projecting every position of the prefix at
    # every step made decoding quadratic in the vocabulary's cost
    decoder = model.text_decoder
    logits = decoder.project(decoder.hidden(prefixes, mask, memory)[:, -1]).float()
    logits[:, list(banned)] = float("-inf")
    return torch.log_softmax(logits, dim=-1)


def beam_search_one(model: GTPModel, memory: Tensor, *, bos: int, eos: int, beam: int, steps: int,
                    length_penalty: float) -> list[int]:
    """The best hypothesis for one movement's pooled music ``memory`` (segments, hidden)."""
    banned = sorted({PAD_ID, bos} - {eos})
    live = [Hypothesis((), 0.0, 0)]
    finished: list[Hypothesis] = []
    for _ in range(steps):
        prefixes = torch.tensor([[bos, *h.tokens] for h in live], dtype=torch.long, device=memory.device)
        logp = next_logprobs(model, prefixes, memory.expand(len(live), -1, -1), banned)
        totals = torch.tensor([h.logprob for h in live], device=logp.device)[:, None] + logp
        k = min(2 * beam, totals.numel())
        values, flat = totals.flatten().topk(k)
        vocab = logp.shape[1]
        survivors: list[Hypothesis] = []
        for rank, (value, index) in enumerate(zip(values.tolist(), flat.tolist(), strict=True)):
            if value == float("-inf"):
                break
            parent, token = live[index // vocab], index % vocab
            if token == eos:
                if rank < beam:  # an end further down would finish a hypothesis the beam did not keep
                    finished.append(Hypothesis(parent.tokens, value, parent.length + 1))
            elif len(survivors) < beam:
                survivors.append(Hypothesis((*parent.tokens, token), value, parent.length + 1))
        live = survivors
        if len(finished) >= beam or not live:
            break
    else:
        finished.extend(live)  # out of steps: the live hypotheses end here, without an end token
    best = max(finished or live, key=lambda h: h.score(length_penalty))
    return list(best.tokens)


@torch.no_grad()
def beam_search(model: GTPModel, spec: Tensor, frames: Tensor, *, bos: int, eos: int, beam: int = 3,
                max_tokens: int = 200, length_penalty: float = 1.0) -> list[list[int]]:
    """Token ids (no [CLS], no [SEP]) for each movement of a (B, bins, T) batch, at most ``max_tokens`` each.

    ``max_tokens`` is capped at the decoder's position table (``cfg.max_text_tokens``): it has never seen
    a longer prefix, and training texts were truncated to it. The model is run in eval mode and left in
    the mode it had.
    """
    if beam < 1 or max_tokens < 0:
        raise ValueError(f"beam search: beam {beam} must be ≥ 1 and max_tokens {max_tokens} ≥ 0")
    steps = min(max_tokens, model.cfg.max_text_tokens)
    was_training = model.training
    model.eval()
    try:
        _, _, memory = model.music_segments(spec, frames)
        return [beam_search_one(model, m[None], bos=bos, eos=eos, beam=beam, steps=steps, length_penalty=length_penalty)
                for m in memory]
    finally:
        model.train(was_training)


def movement_seed(seed: int, movement_id: str) -> int:
    """The sampling seed of one movement in a unit of ``seed``: the same whatever batch or order it is decoded in."""
    digest = hashlib.sha256(movement_id.encode("utf-8")).digest()
    return int(np.random.SeedSequence([seed, int.from_bytes(digest[:8], "big")]).generate_state(1)[0])


def sample_one(model: GTPModel, memory: Tensor, *, bos: int, eos: int, top_k: int, outputs: int, steps: int,
               generator: torch.Generator) -> list[list[int]]:
    """``outputs`` texts for one movement's pooled music ``memory`` (segments, hidden), each token drawn from the
    ``top_k`` most likely (renormalised, temperature 1) with ``generator`` (on the CPU), until [SEP] or ``steps``."""
    banned = sorted({PAD_ID, bos} - {eos})
    tokens: list[list[int]] = [[] for _ in range(outputs)]
    live = list(range(outputs))
    for _ in range(steps):
        prefixes = torch.tensor([[bos, *tokens[i]] for i in live], dtype=torch.long, device=memory.device)
        logp = next_logprobs(model, prefixes, memory.expand(len(live), -1, -1), banned)
        values, index = logp.topk(min(top_k, logp.shape[1]), dim=-1)
        probs = torch.softmax(values, dim=-1).cpu()
        picks = torch.multinomial(probs, 1, generator=generator)[:, 0]
        chosen = index.cpu().gather(1, picks[:, None])[:, 0].tolist()
        still = []
        for i, token in zip(live, chosen, strict=True):
            if token != eos:
                tokens[i].append(token)
                still.append(i)
        live = still
        if not live:
            break
    return tokens


@torch.no_grad()
def sample(model: GTPModel, spec: Tensor, frames: Tensor, ids: Sequence[str], *, bos: int, eos: int, seed: int,
           top_k: int = 50, outputs: int = 3, max_tokens: int = 200) -> list[list[list[int]]]:
    """``outputs`` sampled token-id lists per movement of a (B, bins, T) batch; movement ``ids[b]`` is sampled with a
    generator seeded by :func:`movement_seed` (``seed``, its id), so the same seed gives the same texts."""
    if top_k < 1 or outputs < 1 or max_tokens < 0:
        raise ValueError(f"sampling: top_k {top_k} and outputs {outputs} must be ≥ 1, max_tokens {max_tokens} ≥ 0")
    steps = min(max_tokens, model.cfg.max_text_tokens)
    was_training = model.training
    model.eval()
    try:
        _, _, memory = model.music_segments(spec, frames)
        return [sample_one(model, m[None], bos=bos, eos=eos, top_k=top_k, outputs=outputs, steps=steps,
                           generator=torch.Generator().manual_seed(movement_seed(seed, i)))
                for m, i in zip(memory, ids, strict=True)]
    finally:
        model.train(was_training)


def generate_streams(model: GTPModel, batch: Batch, tokenizer: WordPiece, *, decoding: str = "beam", beam: int = 3,
                     top_k: int | None = None, outputs: int = 1, max_tokens: int = 200, seed: int = 0
                     ) -> list[tuple[str, ...]]:
    """The texts of each movement of ``batch``, in its order: one by beam search, or ``outputs`` sampled ones."""
    if decoding == "beam":
        return [(text,) for text in generate(model, batch, tokenizer, beam=beam, max_tokens=max_tokens)]
    if decoding != "sample" or top_k is None:
        raise ValueError(f"decoding {decoding!r} (top_k {top_k}): 'beam', or 'sample' with a top_k")
    device = next(model.parameters()).device
    batch = batch.to(device)
    ids = sample(model, batch.spec, batch.frames, batch.ids, bos=tokenizer.cls_id, eos=tokenizer.sep_id, seed=seed,
                 top_k=top_k, outputs=outputs, max_tokens=max_tokens)
    return [tuple(tokenizer.decode(t) for t in streams) for streams in ids]


def generate(model: GTPModel, batch: Batch, tokenizer: WordPiece, beam: int = 3, max_tokens: int = 200) -> list[str]:
    """One text per movement of ``batch`` (moved to the model's device), in the batch's order."""
    device = next(model.parameters()).device
    batch = batch.to(device)
    ids = beam_search(model, batch.spec, batch.frames, bos=tokenizer.cls_id, eos=tokenizer.sep_id, beam=beam,
                      max_tokens=max_tokens)
    return [tokenizer.decode(i) for i in ids]


__all__ = ["PAD_ID", "beam_search", "generate", "generate_streams", "movement_seed", "sample"]
