"""How peaked is the GTP loss's text side? The target distribution softmax(t · BLEU) over random groups of a corpus.

The GTP loss asks each movement's music to be as close to the group's entries as its text is (softmax of the
similarities at temperature t, compared by MSE). When one group member's text shares far more n-grams than
the rest, the target puts most of its mass there; if what makes that text close (a key, an instrumentation, a
stock sentence) cannot be heard, the music side's best answer under MSE is to spread its mass, i.e. to make
every cosine of the group alike — the collapse the learnability run measures for the GTP systems.

    .venv/bin/python scripts/gtp_targets.py --corpus-seed 0 --groups 200
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus-seed", type=int, default=0, help="offline/learnable.py corpus seed")
    ap.add_argument("--works", type=int, default=160)
    ap.add_argument("--groups", type=int, default=200, help="random (query, group) draws per group size")
    ap.add_argument("--sizes", default="8,32", help="group sizes: the tiny config's and the paper's")
    ap.add_argument("--temperature", type=float, default=32.0)
    args = ap.parse_args(argv)

    import torch

    from earsense_m2t.model.similarity import group_similarities
    from earsense_m2t.offline.learnable import learnable_corpus

    rows = [m.row() for m in learnable_corpus(n_works=args.works, seed=args.corpus_seed)]
    texts, tempo = [r["text"] for r in rows], [r["tempo_tag"] for r in rows]
    rng = random.Random(0)
    print(f"{len(texts)} texts (corpus seed {args.corpus_seed}), temperature {args.temperature}, {args.groups} groups each")
    print("| group size | BLEU in group (mean ± std) | target's largest share | target entropy | uniform entropy | "
          "top member has the query's tempo | a random member has it |")
    print("|---|---|---|---|---|---|---|")
    for k in (int(s) for s in args.sizes.split(",")):
        sims, top, entropy, same_top, same_any = [], [], [], [], []
        for _ in range(args.groups):
            query = rng.randrange(len(texts))
            group = rng.sample([i for i in range(len(texts)) if i != query], k)
            s = torch.tensor(group_similarities([texts[query]], [texts[i] for i in group])[0], dtype=torch.float64)
            p = torch.softmax(args.temperature * s, dim=0)
            sims += s.tolist()
            top.append(float(p.max()))
            entropy.append(float(-(p * p.clamp_min(1e-300).log()).sum()))
            same_top.append(tempo[group[int(p.argmax())]] == tempo[query])
            same_any.append(statistics.mean(tempo[i] == tempo[query] for i in group))
        print(f"| {k} | {statistics.mean(sims):.3f} ± {statistics.pstdev(sims):.3f} | {statistics.mean(top):.2f} | "
              f"{statistics.mean(entropy):.2f} | {math.log(k):.2f} | {statistics.mean(same_top):.2f} | "
              f"{statistics.mean(same_any):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
