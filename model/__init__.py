"""GTP model (music-to-text with a group topology-preservation loss; Kuang et al., 2022): its core.

The last stage of the pipeline (crawl → acquire → movements → segment → features → annotate → publish →
train: :data:`earsense_m2t.schemas.stages.PIPELINE`), run by the ``train-gtp`` flow on a published version.
It reads that version as examples (``data``: movement rows joined with their spectrograms, checked before
training), tokenizes with the packaged bert-base-uncased vocabulary
(``tokenizer``), and holds the model (``config``: paper and tiny sizes; ``music``, ``text``: the two
autoencoders; ``gtp``: coordination, the GTP loss with its momentum encoder and queue, the table of which losses each
system uses; ``systems``: the twelve rows of the paper's Table 1; ``losses``, ``augment``: the extra rows'
losses (Joint, Contrastive with its spectrogram augmentations, Pairwise, Triplet); ``sentiment``: the emotion
head; ``pretrain``: the per-fold autoencoder pretraining; ``representation``: the
non-degeneracy check and tempo probe of the pooled music), trains it (``train``), decodes (``decode``),
scores (``metrics``, ``baselines``) and writes the table (``run``, ``results``). The field's other systems
(``field``: MusCaps ``muscaps``, MusCALL ``muscall`` with ``sentence_similarity``, song-title prediction
``title``) train on the same data path, and ``retrieval`` scores cross-modal retrieval for MusCALL and the
Table 1 systems' pooled vectors.
Its dependencies (CPU PyTorch, the vocabulary, sacrebleu) are the optional extra ``model``:
``bash scripts/setup.sh --model``.
"""
