"""The rows of the paper's Table 1, and the field's other systems, as ``earsense-m2t train --systems …``: names,
order and titles.

Torch-free, so the CLI checks ``--systems`` and the results table orders its rows without the model extra.
Which losses each neural system trains with is :data:`earsense_m2t.model.gtp.SYSTEMS` (a test keeps the two
lists in step); the two TAGS baselines are :mod:`earsense_m2t.model.baselines`.
"""

from __future__ import annotations

#: Kuang et al. (2022), Table 1, in the paper's order: the two baselines without audio, the Encoder-Decoder, Joint
#: and Coordinate models, the Coordinate model with each other loss, and GTP
TABLE1_SYSTEMS = ("tags_knn", "tags_representative", "encoder_decoder", "joint", "coordinate", "coordinate_contrastive",
                  "coordinate_pairwise", "coordinate_triplet_k1", "coordinate_triplet_k32", "coordinate_sentiment",
                  "gtp_no_sentiment", "gtp")
#: the rows' names as the paper's table prints them
TABLE1_TITLES = {"tags_knn": "TAGS kNN", "tags_representative": "TAGS representative",
                 "encoder_decoder": "Encoder-Decoder", "joint": "Joint", "coordinate": "Coordinate",
                 "coordinate_contrastive": "Coordinate + Contrastive loss", "coordinate_pairwise": "Coordinate + Pairwise loss",
                 "coordinate_triplet_k1": "Coordinate + Triplet loss (k = 1)",
                 "coordinate_triplet_k32": "Coordinate + Triplet loss (k = 32)",
                 "coordinate_sentiment": "Coordinate + Sentiment loss", "gtp_no_sentiment": "GTP without sentiment",
                 "gtp": "GTP"}

#: the other systems of the field (issue 26), trained on the same release, folds and seeds when asked for by name;
#: never in the default plan, which stays Table 1's: MusCaps captions (a row of the captioning table), MusCALL
#: retrieves (the retrieval table), song-title prediction writes the movement title (the title table).
#: Their models and hyper-parameters: model/muscaps.py, model/muscall.py, model/title.py; their training and
#: evaluation: model/field.py
FIELD_SYSTEMS = ("muscaps", "muscall", "title")
FIELD_TITLES = {"muscaps": "MusCaps", "muscall": "MusCALL", "title": "Song-title prediction (Bleiweiss)"}
#: the field systems whose texts are captions, scored with the captioning metrics as a row of Table 1's table
CAPTIONING_FIELD_SYSTEMS = ("muscaps",)

#: what the extra rows (:mod:`earsense_m2t.model.losses`) do differently from the authors' code, for the list of
#: differences in results.md
ROW_DIFFERENCES = (
    "Joint: the encoders minimize the modality discriminator's cross-entropy against the uniform distribution "
    "(domain confusion); the released code maximizes its cross-entropy (unbounded).",
    "Pairwise: the paper's loss, (music cosine − text BLEU)² for the sample and the group member with the most "
    "similar text; the released code's pairwise loss is an MSE between softmaxes over one scalar each, always "
    "exactly 0, and its partner is the sample itself.",
    "Triplet and pairwise: the positive/partner is the most text-similar other movement of the GTP queue and the "
    "k negatives the newest other queue entries (momentum-encoder keys, no gradient); the released code took the "
    "sample itself as the positive (argmax of BLEU over all training texts, self included), one random training "
    "sample as the negative, and encoded both with the online encoder.",
    "Contrastive: the four augmentations act on the spectrogram (pitch shift and time stretch separately, each "
    "±5 %, random masking of 5-s chunks, Gaussian noise); the released code augmented the waveform with noise, "
    "a resampling that shifts pitch and tempo together, and chunk dropping.",
)

__all__ = ["CAPTIONING_FIELD_SYSTEMS", "FIELD_SYSTEMS", "FIELD_TITLES", "ROW_DIFFERENCES", "TABLE1_SYSTEMS",
           "TABLE1_TITLES"]
