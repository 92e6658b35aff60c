"""GTP model (music-to-text with a group topology-preservation loss): training and evaluation.

Not built yet: this package is the last stage of the pipeline (crawl → acquire → movements → segment
→ features → publish → annotate → train) and gets its code with the model issue. It will read a
published dataset version as windows over manifest records and attach its evaluation report to that version. Its dependencies
(CPU PyTorch) are the optional extra ``model``: ``bash scripts/setup.sh --model``.
"""
