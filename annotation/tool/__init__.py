"""The annotation tool: the page people judge pairs on, its judgment store, and its command line.

Used by people, not by the build: the web app (:mod:`.webapp`, its page in ``static/``), the SQLite
store of judgments (:mod:`.store`, which the annotate stage reads), ``earsense-m2t annotations ...``
(:mod:`.cli`) and the files exchanged with MusAV (:mod:`.musav`) and Label Studio (:mod:`.label_studio`).
"""
