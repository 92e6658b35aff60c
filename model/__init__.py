"""GTP model (music-to-text with a group topology-preservation loss; Kuang et al., 2022): its core.

The last stage of the pipeline (crawl → acquire → movements → segment → features → publish → annotate →
train). It reads a published version as examples (``data``: movement rows joined with their
spectrograms, checked before training), tokenizes with the packaged bert-base-uncased vocabulary
(``tokenizer``), and holds the model (``config``: paper and tiny sizes; ``music``, ``text``: the two
autoencoders; ``gtp``: coordination, the GTP loss with its momentum encoder and queue, the ablations;
``sentiment``: the emotion head). Training, evaluation and the baselines table are not built yet (issue 13).
Its dependencies (CPU PyTorch, the vocabulary, sacrebleu) are the optional extra ``model``:
``bash scripts/setup.sh --model``.
"""
