"""MusCaps (Manco et al., IJCNN 2021): music captioning with an encoder-decoder and temporal attention.

A comparison system for issue 26: researchers who pick the release up will ask how the captioning model
they already know does on it. The architecture, as this module builds it:

- **audio feature extractor**: a small CNN applied to each fixed-length chunk (``chunk_frames`` frames) of a
  movement's standardized spectrogram, giving one feature vector per chunk. The paper uses musicnn or the
  Harmonic CNN pretrained on music tagging and kept frozen; no such weights can be downloaded here, so the
  CNN is trained from scratch, jointly with the rest (:data:`DIFFERENCES`);
- **encoder**: a 1-layer LSTM (bidirectional by default) over the sequence of chunk features, so each
  chunk's vector also carries its neighbours';
- **temporal attention**: additive (Bahdanau) attention over the encoded chunks at every decoding step;
  chunks made only of padding are masked out, so their weights are exactly 0;
- **decoder**: a 1-layer LSTM over WordPiece ids, teacher-forced in training, beam search at inference.
  ``fusion`` says where the audio meets the words, the two options the paper compares: ``"early"``
  concatenates the attended audio context with the word embedding at every decoder input (the query is
  the previous hidden state); ``"late"`` runs the LSTM on words alone and combines its hidden state with
  the context (queried by that same hidden state) before the output layer.

Padding never reaches a real output: frames beyond a movement's ``frames`` are zeroed before chunking,
chunks beyond its last real one are neither computed nor seen by the LSTM (packed sequences) nor attended
to, so the same movement padded more gives the same loss and the same text (tests/model/test_muscaps.py).

Only the first ``max_chunks`` chunks of a movement are used (``max_frames`` is that cap, for the data
loader), as the GTP model reads only the first 2,048 encoder steps.

The token conventions are the project's (:mod:`.tokenizer`, :mod:`.decode`): [PAD] = 0, a text is
[CLS] pieces [SEP]; [PAD] and [CLS] are never generated, [SEP] ends a text.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from earsense_m2t.model.batch import Batch
from earsense_m2t.model.decode import PAD_ID, Hypothesis
from earsense_m2t.model.tokenizer import VOCAB_SIZE, wordpiece

#: where the audio context enters the decoder (module docstring)
FUSIONS = ("early", "late")
TIME_POOLINGS = ("max", "mean_max")


@dataclass(frozen=True)
class MusCapsConfig:
    """Every hyper-parameter of MusCaps in one place; :meth:`paper` and :meth:`tiny` are the two named sets.

    :data:`PAPER_VALUES` gives the paper's value of each field (or "not stated"), :data:`AUTHORS_CODE_VALUES`
    the authors' released configuration where the paper gives none, :data:`DIFFERENCES` why ours differ.
    """

    name: str
    n_bins: int = 256  # the release's spectrogram bins
    chunk_frames: int = 320  # frames per chunk: 320 × 256 / 16 kHz ≈ 5.1 s, the Harmonic CNN's 5 s input
    max_chunks: int = 128  # chunks of a movement used (the first ones): ≈ 11 minutes
    cnn_channels: tuple[int, ...] = (64, 128, 128, 256, 256)  # one 3×3 conv + norm + ReLU + 2×2 max-pool each
    feature_dim: int = 256  # one vector per chunk (the Harmonic CNN's embedding size)
    encoder_hidden: int = 256  # per direction
    bidirectional: bool = True
    word_dim: int = 300
    decoder_hidden: int = 256
    attention_dim: int = 256
    fusion: str = "early"
    #: how a chunk's last feature map is pooled over time: "max" (the Harmonic CNN's global max) or "mean_max" (the
    #: mean and the max side by side, as musicnn's back end): a maximum says that an event happened, a mean how often
    time_pooling: str = "max"
    dropout: float = 0.25  # on word embeddings and before the output layer
    max_text_tokens: int = 64  # texts are truncated to this many ids ([CLS] and [SEP] included)
    lr: float = 1e-4  # Adam
    batch_size: int = 8
    epochs: int = 300  # at most; selection on the validation loss stops earlier
    patience: int = 5  # epochs without a better validation loss before stopping
    clip_grad_norm: float = 1.0
    beam: int = 2
    length_penalty: float = 1.0

    def __post_init__(self) -> None:
        if self.fusion not in FUSIONS:
            raise ValueError(f"MusCapsConfig {self.name}: fusion {self.fusion!r}; known: {', '.join(FUSIONS)}")
        if self.time_pooling not in TIME_POOLINGS:
            raise ValueError(f"MusCapsConfig {self.name}: time_pooling {self.time_pooling!r}; known: "
                             f"{', '.join(TIME_POOLINGS)}")
        sizes = {"n_bins": self.n_bins, "chunk_frames": self.chunk_frames, "max_chunks": self.max_chunks,
                 "feature_dim": self.feature_dim, "encoder_hidden": self.encoder_hidden, "word_dim": self.word_dim,
                 "decoder_hidden": self.decoder_hidden, "attention_dim": self.attention_dim,
                 "max_text_tokens": self.max_text_tokens, "batch_size": self.batch_size, "beam": self.beam}
        bad = {k: v for k, v in sizes.items() if v < 1}
        if bad or not self.cnn_channels or min(self.cnn_channels) < 1:
            raise ValueError(f"MusCapsConfig {self.name}: sizes must be ≥ 1, got {bad or {'cnn_channels': self.cnn_channels}}")
        pools = 2 ** len(self.cnn_channels)
        if self.n_bins < pools or self.chunk_frames < pools:
            raise ValueError(f"MusCapsConfig {self.name}: {len(self.cnn_channels)} 2×2 poolings need at least {pools} "
                             f"bins and chunk frames, got {self.n_bins} × {self.chunk_frames}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"MusCapsConfig {self.name}: dropout {self.dropout} outside [0, 1)")

    @property
    def encoder_dim(self) -> int:
        """Width of an encoded chunk: both directions' hidden states side by side when bidirectional."""
        return self.encoder_hidden * (2 if self.bidirectional else 1)

    @property
    def max_frames(self) -> int:
        """Frames of a movement the model reads: the data loader may cut the rest."""
        return self.max_chunks * self.chunk_frames

    @property
    def time_factor(self) -> int:
        """Frames a batch is padded to a multiple of (:func:`earsense_m2t.model.batch.collate`): one chunk."""
        return self.chunk_frames

    @classmethod
    def paper(cls) -> MusCapsConfig:
        return cls(name="paper")

    @classmethod
    def tiny(cls) -> MusCapsConfig:
        """Small widths for 2 CPU cores; every structural choice (chunks, biLSTM, attention, fusion) is kept.

        The learning rate is 30 times the authors' so that such a small model learns within a CPU run.
        """
        return cls(name="tiny", chunk_frames=32, max_chunks=16, cnn_channels=(8, 16, 16), feature_dim=32,
                   encoder_hidden=32, word_dim=32, decoder_hidden=64, attention_dim=32, dropout=0.0, lr=3e-3,
                   batch_size=2, epochs=30, patience=5, beam=2, time_pooling="mean_max")

    def with_(self, **changes: object) -> MusCapsConfig:
        """A copy with some values changed (validated again)."""
        return replace(self, **changes)  # type: ignore[arg-type]


MUSCAPS_CONFIGS = {"paper": MusCapsConfig.paper, "tiny": MusCapsConfig.tiny}

#: the paper's value of each field, as far as this module's author knows the paper's text; "not stated" where
#: that is not known (the value may be in the paper, or only in the authors' code: :data:`AUTHORS_CODE_VALUES`)
PAPER_VALUES: dict[str, object] = {
    "n_bins": "not applicable: the pretrained extractors read raw 16 kHz audio (their own front end)",
    "chunk_frames": "chunks of the extractor's input length (3 s musicnn, 5 s Harmonic CNN: lengths from the code)",
    "max_chunks": "not stated",
    "cnn_channels": "musicnn or Harmonic CNN pretrained on music tagging (MagnaTagATune / MSD), not fine-tuned",
    "feature_dim": "the extractor's embedding (not stated in the text as a number)",
    "encoder_hidden": "not stated",
    "bidirectional": "not stated",
    "word_dim": "not stated",
    "decoder_hidden": "not stated",
    "attention_dim": "not stated",
    "fusion": "early and late fusion both evaluated",
    "time_pooling": "the pretrained extractor's own (the Harmonic CNN ends in a global max; musicnn's back end "
                    "pools mean and max)",
    "dropout": "not stated",
    "max_text_tokens": "not stated",
    "lr": "not stated",
    "batch_size": "not stated",
    "epochs": "not stated",
    "patience": "not stated",
    "clip_grad_norm": "not stated",
    "beam": "beam search (size not stated)",
    "length_penalty": "not stated",
}

#: values of the authors' released code (its default and attention-model configs), for the fields where it sets one
AUTHORS_CODE_VALUES: dict[str, object] = {
    "chunk_frames": "5 s × 16 kHz (Harmonic CNN) or 3 s (musicnn) of raw audio",
    "cnn_channels": "Harmonic CNN pretrained on MagnaTagATune (feature_extractor_type hcnn, finetune false)",
    "feature_dim": "256 (Harmonic CNN); 753 (musicnn MTT) or 2097 (musicnn MSD)",
    "encoder_hidden": 256,
    "word_dim": "300 (GloVe vectors, from the vocabulary)",
    "decoder_hidden": 256,
    "attention_dim": 256,
    "fusion": "early",
    "dropout": "0.25 (decoder), 0.25 (attention)",
    "max_text_tokens": "22 words (max_caption_len)",
    "lr": 1e-4,
    "batch_size": 8,
    "epochs": 300,
    "patience": 5,
    "clip_grad_norm": "gradients clipped (clip_gradients: true)",
    "beam": "2 (beam_size; the attention model's config sets inference_type greedy, the baseline's beam_search)",
}

#: one line for each field where ours differs from the paper (or its code), saying why
DIFFERENCES: dict[str, str] = {
    "cnn_channels": "pretrained musicnn / Harmonic CNN weights cannot be downloaded here: a small CNN of the same "
                    "kind (conv, norm, pooling) is trained from scratch, jointly with the captioner",
    "n_bins": "the extractor reads the release's standardized 256-bin log spectrograms, not raw audio",
    "chunk_frames": "320 frames at the release's 16 kHz / hop 256 is ≈ 5.1 s, the Harmonic CNN's 5 s input",
    "max_chunks": "classical movements run to 35 minutes: the first 128 chunks (≈ 11 min) bound memory and time",
    "feature_dim": "256, the Harmonic CNN's embedding size, for a from-scratch extractor",
    "bidirectional": "the encoder LSTM runs over the chunk features (issue 26's design); bidirectional so every "
                     "chunk sees its context both ways",
    "fusion": "as the paper's two options, but the audio that is fused is the attention context at each step; the "
              "authors' attention model instead feeds a first LSTM cell [word; pooled audio; decoder state] and a "
              "second (decoder) cell [attended audio; first cell's state]: one decoder LSTM here keeps one design "
              "for both fusions",
    "word_dim": "300 as the authors' GloVe vectors, but learned from scratch over WordPiece ids: the project's "
                "one vocabulary (bert-base-uncased), no GloVe download",
    "max_text_tokens": "the release's texts are paragraphs, not 22-word captions; 64 WordPiece ids",
    "dropout": "one dropout (0.25) on embeddings and before the output layer; no separate attention dropout",
    "clip_grad_norm": "the authors' clip value is not taken from their code; norm 1.0",
    "length_penalty": "the project's beam search ranks by log-probability / length (as model/decode.py)",
    "time_pooling": "the paper config keeps the Harmonic CNN's max over time; the tiny config's chunks are 0.5 s, "
                    "where a max says whether a note started, not how many: it pools mean and max (musicnn's back "
                    "end). On the development corpus (learnable seed 1, fold 0, 20 epochs) tempo agreement was 41.5 % "
                    "with the max and 75.6 % with mean and max (majority 33.3 %); distinct captions 57 and 13 of 123",
}


class ChunkCNN(nn.Module):
    """Spectrogram chunks (N, bins, frames) → one feature vector each (N, feature_dim).

    Blocks of 3×3 convolution, batch norm (as musicnn and the Harmonic CNN), ReLU and 2×2 max-pooling;
    then the maximum over time (a salient event anywhere in the chunk counts) and a linear layer over every
    channel at every remaining frequency band, layer-normalized. Frequency is not pooled away: convolutions are blind to
    where in frequency a pattern sits, so a mean over frequency made a low-register and a high-register
    chunk with the same texture look alike (the tests' two spectrograms were indistinguishable).
    """

    def __init__(self, cfg: MusCapsConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        inputs = 1
        for channels in cfg.cnn_channels:
            layers += [nn.Conv2d(inputs, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU(), nn.MaxPool2d(2)]
            inputs = channels
        self.blocks = nn.Sequential(*layers)
        bands = cfg.n_bins >> len(cfg.cnn_channels)  # frequency bands left after the poolings
        self.time_pooling = cfg.time_pooling
        pooled = inputs * bands * (2 if cfg.time_pooling == "mean_max" else 1)
        # layer norm: the projection of hundreds of pooled maxima came out at ~20 per unit, which saturated the
        # encoder LSTM's gates until two different movements had the same encoding
        self.project = nn.Sequential(nn.Linear(pooled, cfg.feature_dim), nn.LayerNorm(cfg.feature_dim))

    def forward(self, chunks: Tensor) -> Tensor:
        x = self.blocks(chunks[:, None])  # (N, C, bins', frames')
        peak = x.amax(dim=3).flatten(1)
        if self.time_pooling == "max":
            return self.project(peak)
        return self.project(torch.cat([x.mean(dim=3).flatten(1), peak], dim=1))


@dataclass
class Encoded:
    """A batch's encoded chunks (B, chunks, encoder_dim), which are real (B, chunks), and how many (B,)."""

    memory: Tensor
    mask: Tensor
    counts: Tensor


class MusCapsModel(nn.Module):
    """Chunk CNN, chunk LSTM encoder, additive attention and an LSTM decoder (module docstring)."""

    def __init__(self, cfg: MusCapsConfig, vocab_size: int = VOCAB_SIZE, *, cls_id: int | None = None,
                 sep_id: int | None = None) -> None:
        super().__init__()
        if cls_id is None or sep_id is None:  # the project's WordPiece ids, not numbers spelled out here
            tok = wordpiece()
            cls_id, sep_id = tok.cls_id if cls_id is None else cls_id, tok.sep_id if sep_id is None else sep_id
        if not {cls_id, sep_id, PAD_ID} <= set(range(vocab_size)) or len({cls_id, sep_id, PAD_ID}) != 3:
            raise ValueError(f"MusCaps: [CLS] {cls_id}, [SEP] {sep_id} and [PAD] {PAD_ID} must be distinct ids below "
                             f"the vocabulary size {vocab_size}")
        self.cfg, self.vocab_size, self.cls_id, self.sep_id = cfg, vocab_size, cls_id, sep_id
        self.extractor = ChunkCNN(cfg)
        self.encoder = nn.LSTM(cfg.feature_dim, cfg.encoder_hidden, num_layers=1, batch_first=True,
                               bidirectional=cfg.bidirectional)
        self.embed = nn.Embedding(vocab_size, cfg.word_dim, padding_idx=PAD_ID)
        # the decoder's first state from the mean of the real encoded chunks (Show, Attend and Tell's start)
        self.init_state = nn.Linear(cfg.encoder_dim, 2 * cfg.decoder_hidden)
        self.att_memory = nn.Linear(cfg.encoder_dim, cfg.attention_dim, bias=False)
        self.att_query = nn.Linear(cfg.decoder_hidden, cfg.attention_dim)
        self.att_score = nn.Linear(cfg.attention_dim, 1, bias=False)
        early = cfg.fusion == "early"
        self.cell = nn.LSTMCell(cfg.word_dim + (cfg.encoder_dim if early else 0), cfg.decoder_hidden)
        self.combine = None if early else nn.Linear(cfg.decoder_hidden + cfg.encoder_dim, cfg.decoder_hidden)
        self.dropout = nn.Dropout(cfg.dropout)
        self.out = nn.Linear(cfg.decoder_hidden, vocab_size)

    # -- audio side ------------------------------------------------------------------------------------------
    def encode(self, spec: Tensor, frames: Tensor) -> Encoded:
        """Chunk, extract and encode a (B, bins, T) batch; ``frames`` (B,) are each movement's real frames."""
        cfg = self.cfg
        b, bins, width = spec.shape
        if bins != cfg.n_bins:
            raise ValueError(f"MusCaps {cfg.name}: spectrograms have {bins} bins, the config {cfg.n_bins}")
        frames = frames.to(spec.device).clamp(min=0, max=cfg.max_frames)
        counts = (-(-frames // cfg.chunk_frames)).clamp(min=1)  # a partial last chunk counts; ≥ 1 even when empty
        n = int(counts.max())
        span = n * cfg.chunk_frames
        x = spec[:, :, :span] if width >= span else F.pad(spec, (0, span - width))
        # frames past a movement's end are zeroed whatever the padding held: its last chunk is then the same
        # however much the batch was padded
        x = x * (torch.arange(span, device=spec.device)[None, :] < frames[:, None])[:, None, :].to(x.dtype)
        chunks = x.reshape(b, bins, n, cfg.chunk_frames).permute(0, 2, 1, 3)  # (B, n, bins, chunk)
        mask = torch.arange(n, device=spec.device)[None, :] < counts[:, None]
        real = self.extractor(chunks[mask])  # only real chunks: padding never enters batch norm
        features = real.new_zeros(b, n, cfg.feature_dim)  # the extractor's dtype (autocast may lower it)
        features[mask] = real
        packed = nn.utils.rnn.pack_padded_sequence(features, counts.cpu(), batch_first=True, enforce_sorted=False)
        memory, _ = nn.utils.rnn.pad_packed_sequence(self.encoder(packed)[0], batch_first=True, total_length=n)
        return Encoded(memory, mask, counts)

    def start(self, enc: Encoded) -> tuple[Tensor, Tensor]:
        """The decoder's first (h, c) from the mean of each movement's real encoded chunks."""
        mean = (enc.memory * enc.mask[..., None]).sum(dim=1) / enc.counts[:, None].to(enc.memory.dtype)
        h, c = torch.tanh(self.init_state(mean)).chunk(2, dim=1)
        return h.contiguous(), c.contiguous()

    def attend(self, query: Tensor, memory: Tensor, keys: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """Additive attention: the (n, encoder_dim) context and the (n, chunks) weights, 0 on padded chunks."""
        scores = self.att_score(torch.tanh(keys + self.att_query(query)[:, None, :]))[..., 0]
        weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)
        return torch.bmm(weights[:, None, :], memory)[:, 0], weights

    # -- text side -------------------------------------------------------------------------------------------
    def step(self, tokens: Tensor, state: tuple[Tensor, Tensor], memory: Tensor, keys: Tensor, mask: Tensor
             ) -> tuple[Tensor, tuple[Tensor, Tensor], Tensor]:
        """One decoder step for (n,) previous tokens: the (n, decoder_hidden) output before the vocabulary
        projection (:meth:`logits`), the new state, the (n, chunks) attention weights.

        Training and generation both go through here, so beam search decodes exactly the model that was trained.
        The projection onto the vocabulary is left out so that training applies it once to every step together:
        step by step, its weight gradient (vocabulary × hidden) was computed and summed once per token.
        """
        words = self.dropout(self.embed(tokens))
        h, c = state
        if self.combine is None:  # early: the context, queried by the previous state, joins the word
            context, weights = self.attend(h, memory, keys, mask)
            h, c = self.cell(torch.cat([words, context], dim=1), (h, c))
            out = h
        else:  # late: the LSTM reads words only; its state queries the audio and is combined with it
            h, c = self.cell(words, (h, c))
            context, weights = self.attend(h, memory, keys, mask)
            out = torch.tanh(self.combine(torch.cat([h, context], dim=1)))
        return out, (h, c), weights

    def logits(self, outputs: Tensor) -> Tensor:
        """Decoder outputs (…, decoder_hidden) → (…, vocab) logits."""
        return self.out(self.dropout(outputs))

    def teacher_forced(self, batch: Batch) -> tuple[Tensor, Tensor]:
        """(B, L-1, vocab) logits of tokens[1:] given tokens[:-1], and the (B, L-1, chunks) attention weights."""
        enc = self.encode(batch.spec, batch.frames)
        keys = self.att_memory(enc.memory)
        state = self.start(enc)
        tokens = batch.tokens.to(enc.memory.device)
        outputs, weights = [], []
        for t in range(tokens.shape[1] - 1):
            out, state, w = self.step(tokens[:, t], state, enc.memory, keys, enc.mask)
            outputs.append(out)
            weights.append(w)
        if not outputs:
            raise ValueError(f"MusCaps: texts of {tokens.shape[1]} token(s) leave nothing to predict")
        return self.logits(torch.stack(outputs, dim=1)), torch.stack(weights, dim=1)

    def forward(self, batch: Batch) -> Tensor:
        return self.teacher_forced(batch)[0]

    def loss(self, batch: Batch) -> Tensor:
        """Teacher-forced cross-entropy over the real tokens after [CLS] ([PAD] targets ignored)."""
        logits = self.forward(batch)
        targets = batch.tokens.to(logits.device)[:, 1:]
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1), ignore_index=PAD_ID)

    # -- generation ------------------------------------------------------------------------------------------
    @torch.no_grad()
    def generate(self, batch: Batch, beam: int, max_tokens: int, length_penalty: float = 1.0) -> list[list[int]]:
        """Token ids (no [CLS], no [SEP]) for each movement of ``batch``, in its order, at most ``max_tokens`` each.

        Deterministic beam search as :mod:`.decode` runs it: every live hypothesis is extended by every token,
        the ``2 × beam`` best continuations are looked at, an end ([SEP]) among the first ``beam`` finishes a
        hypothesis and the best ``beam`` others stay live, until ``beam`` have finished or ``max_tokens``
        steps; finished ones are ranked by log-probability / length ** ``length_penalty``. ``beam = 1`` is
        greedy. The model runs in eval mode and is left in the mode it had.
        """
        if beam < 1 or max_tokens < 0:
            raise ValueError(f"MusCaps beam search: beam {beam} must be ≥ 1 and max_tokens {max_tokens} ≥ 0")
        was_training = self.training
        self.eval()
        try:
            device = next(self.parameters()).device
            enc = self.encode(batch.spec.to(device), batch.frames.to(device))
            keys = self.att_memory(enc.memory)
            h0, c0 = self.start(enc)
            return [self._beam_one(enc.memory[i:i + 1], keys[i:i + 1], enc.mask[i:i + 1], (h0[i:i + 1], c0[i:i + 1]),
                                   beam, max_tokens, length_penalty) for i in range(len(h0))]
        finally:
            self.train(was_training)

    def _beam_one(self, memory: Tensor, keys: Tensor, mask: Tensor, state: tuple[Tensor, Tensor], beam: int,
                  steps: int, length_penalty: float) -> list[int]:
        """The best hypothesis for one movement; the LSTM states of the live hypotheses travel with them."""
        banned = [PAD_ID, self.cls_id]
        live = [Hypothesis((), 0.0, 0)]
        last = [self.cls_id]
        finished: list[Hypothesis] = []
        for _ in range(steps):
            n = len(live)
            out, (h, c), _ = self.step(torch.tensor(last, device=memory.device), state, memory.expand(n, -1, -1),
                                       keys.expand(n, -1, -1), mask.expand(n, -1))
            logits = self.logits(out).float()
            logits[:, banned] = float("-inf")
            logp = torch.log_softmax(logits, dim=-1)
            totals = torch.tensor([hyp.logprob for hyp in live], device=logp.device)[:, None] + logp
            values, flat = totals.flatten().topk(min(2 * beam, totals.numel()))
            vocab = logp.shape[1]
            survivors: list[Hypothesis] = []
            parents: list[int] = []
            for rank, (value, index) in enumerate(zip(values.tolist(), flat.tolist(), strict=True)):
                if value == float("-inf"):
                    break
                parent, token = index // vocab, index % vocab
                if token == self.sep_id:
                    if rank < beam:  # an end further down would finish a hypothesis the beam did not keep
                        finished.append(Hypothesis(live[parent].tokens, value, live[parent].length + 1))
                elif len(survivors) < beam:
                    survivors.append(Hypothesis((*live[parent].tokens, token), value, live[parent].length + 1))
                    parents.append(parent)
            live, last = survivors, [hyp.tokens[-1] for hyp in survivors]
            if len(finished) >= beam or not live:
                break
            keep = torch.tensor(parents, device=memory.device)
            state = (h[keep], c[keep])
        else:
            finished.extend(live)  # out of steps: the live hypotheses end here, without an end token
        best = max(finished or live, key=lambda hyp: hyp.score(length_penalty), default=Hypothesis((), 0.0, 0))
        return list(best.tokens)


__all__ = ["AUTHORS_CODE_VALUES", "DIFFERENCES", "FUSIONS", "MUSCAPS_CONFIGS", "PAPER_VALUES", "TIME_POOLINGS",
           "ChunkCNN", "Encoded", "MusCapsConfig", "MusCapsModel"]
