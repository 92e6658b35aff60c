"""Do the trained systems' texts depend on the music? The learnability experiment (issue 20, item 4).

A corpus whose texts the audio can explain (``offline/learnable.py``: each text names its movement's tempo
with a word of its tempo class, and the synthesized audio plays that tempo) is written as a release
(:func:`write_release`, the published layout the train stage reads). Then:

1. **Training and the real run** go through the train stage itself (:func:`.run.train_release`, the code
   path of ``earsense-m2t train``), with a plan taken from a committed settings file
   (``scripts/learnability.toml``): config, epochs, seed, folds, systems, decoding.
2. **Decoding, twice, with the same trained weights** (each unit's best epoch, read back from the run
   folder): every test movement with its own spectrogram (REAL) and with the spectrogram of another test
   movement of its fold (CONTROL: a seeded permutation that moves every movement). Both decode one
   movement at a time with the plan's beam (deterministic: no sampling), so the two differ only in which
   spectrogram goes in. The REAL texts are also compared with the stage's own (its unit files): equal
   counts say the control scored the very models the stage trained.
3. **Scores per system**, pooled over the experiment's folds: distinct texts / test movements; the share
   of texts whose tempo word (the first word of the lexicon the caller passes) is the movement's tempo
   tag, REAL and CONTROL; the majority-class share (the share of each fold's most common tag among its
   test movements: the best any one constant answer could do); one-sided binomial p-values of the REAL
   agreement against the majority share and against the CONTROL (a sign test on the movements where
   exactly one of the two agrees); sacrebleu BLEU, REAL and CONTROL; the spread of the off-diagonal
   cosines of the uncentred pooled music vectors of the test movements; wall times.

The TAGS baselines read the tags, not the audio: their rows have no control (their texts cannot change).
The field's other systems (issue 26) are scored from the stage's own unit files, without a control: MusCaps'
captions and the title system's generated titles get the same row (distinct outputs per test movement, the tempo
word against the tag and the majority class; the title rows are the test rows with a title), and MusCALL's
retrieval, with the GTP-family rows', is the report's retrieval table (R@10 both ways beside the shuffled-pair
control's mean and 99th percentile, from the run's ``results.json``).
The model package may not import ``offline`` (the pipeline's import rules), so the caller passes the
rows, the audio and the tempo lexicon (``scripts/learnability.py`` does).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from earsense_m2t.features.params import AudioParams
from earsense_m2t.model.results import SYSTEM_TITLES
from earsense_m2t.schemas.published import DEFAULT_CONFIG, SPECTROGRAMS_CONFIG

#: the verdict's thresholds (issue 20): distinct texts for ≥ 80 % of test movements, and tempo agreement
#: ≥ 10 points above both the majority-class share and the control, or binomial p < 0.01 against both
MIN_DISTINCT_SHARE = 0.8
MIN_MARGIN = 0.10
MAX_P = 0.01
CARD = """---
configs:
- config_name: default
  data_files:
  - split: train
    path: data/default/train-*.parquet
  default: true
- config_name: spectrograms
  data_files:
  - split: train
    path: data/spectrograms/train-*.parquet
---
# earsense-m2t learnability corpus ({version})

{description}
"""


# --- the release ---------------------------------------------------------------------------------------

def spectrogram(samples: np.ndarray, params: AudioParams = AudioParams()) -> np.ndarray:
    """The features stage's (frames, bins) float16 log spectrogram of 16 kHz samples normalized to its loudness."""
    from earsense_m2t.features.loudness import measure_loudness
    from earsense_m2t.features.spectrogram import log_spectrogram

    if params.sample_rate_hz != 16_000:
        raise ValueError(f"learnability: the corpus audio is 16 kHz, the params say {params.sample_rate_hz}")
    return log_spectrogram(samples, params, gain=measure_loudness(samples, params).gain)


def write_release(root: Path, rows: Sequence[Mapping[str, Any]], audio: Callable[[str], np.ndarray], *, version: str,
                  description: str = "", log: Callable[[str], None] = print) -> Path:
    """A release at ``root`` (``default`` rows and ``spectrograms``), reused when ``root`` holds ``version``.

    ``rows``: id, work_id, fold, text and the tag columns (tempo_tag as the published ClassLabel);
    ``audio(id)``: the movement's 16 kHz mono samples. Written beside ``root`` and renamed into place, so a
    killed write leaves no half release.
    """
    import datasets
    from datasets import Dataset, Features, Value

    from earsense_m2t.schemas.features import SPECIAL_COLUMNS, spectrogram_feature

    root = Path(root)
    meta = root / "meta" / "publish.json"
    if meta.is_file() and json.loads(meta.read_text(encoding="utf-8")).get("version") == version:
        return root
    if root.exists():
        raise ValueError(f"{root}: another corpus is there (not version {version}); remove it or use another --out")
    if not rows:
        raise ValueError("learnability corpus: no rows")
    tmp = root.with_name(root.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "meta").mkdir(parents=True)
    (tmp / "README.md").write_text(CARD.format(version=version, description=description), encoding="utf-8")
    columns = {k: SPECIAL_COLUMNS.get(k, Value("int64") if k == "fold" else Value("string")) for k in rows[0]}
    (tmp / "data" / DEFAULT_CONFIG).mkdir(parents=True)
    Dataset.from_list([dict(r) for r in rows], features=Features(columns)).to_parquet(
        str(tmp / "data" / DEFAULT_CONFIG / "train-00000-of-00001.parquet"))
    n_bins = AudioParams().n_bins
    feats = Features({"id": Value("string"), "fold": Value("int64"), "spectrogram": spectrogram_feature(n_bins),
                      "spectrogram_frames": Value("int64")})
    started = time.perf_counter()

    def spectrogram_rows() -> Iterable[dict[str, Any]]:
        for i, row in enumerate(rows, 1):
            array = spectrogram(audio(str(row["id"])))
            if i % 100 == 0:
                log(f"learnability: {i}/{len(rows)} spectrograms ({time.perf_counter() - started:.0f} s)")
            yield {"id": row["id"], "fold": row["fold"], "spectrogram": array, "spectrogram_frames": int(array.shape[0])}

    (tmp / "data" / SPECTROGRAMS_CONFIG).mkdir(parents=True)
    was = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        Dataset.from_generator(spectrogram_rows, features=feats, cache_dir=str(tmp / ".cache")).to_parquet(
            str(tmp / "data" / SPECTROGRAMS_CONFIG / "train-00000-of-00001.parquet"))
    finally:
        if was:
            datasets.enable_progress_bars()
    shutil.rmtree(tmp / ".cache", ignore_errors=True)
    (tmp / "meta" / "publish.json").write_text(json.dumps({"version": version}), encoding="utf-8")  # last
    tmp.rename(root)
    return root


# --- settings ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Experiment:
    """One frozen plan: what is trained, on which folds, and how it decodes."""

    name: str
    epochs: int
    folds: tuple[int, ...]
    systems: tuple[str, ...]
    config: str = "tiny"
    seed: int = 0
    beam: int = 1  # 1: greedy; either way deterministic
    max_tokens: int = 64
    shuffle_seed: int = 0
    corpus_seed: int | None = None  # another corpus than the settings file's [corpus] seed (None: that one)
    #: how the corpus titles movements for the title system (the corpus generator's title styles; the script checks)
    titles: str = "marking"

    def plan(self) -> Any:
        from earsense_m2t.model.run import Plan

        return Plan(self.config, self.epochs, seeds=(self.seed,), folds=self.folds, systems=self.systems,
                    beam=self.beam, max_tokens=self.max_tokens, device="cpu")


@dataclass(frozen=True)
class Settings:
    """The settings file: the corpus's parameters and the named experiments."""

    path: Path
    sha256: str
    corpus: dict[str, Any]
    experiments: dict[str, Experiment]


def load_settings(path: Path) -> Settings:
    """``[corpus]`` (passed to the corpus generator as is) and one ``[experiment.<name>]`` table per experiment."""
    path = Path(path)
    raw = path.read_bytes()
    data = tomllib.loads(raw.decode("utf-8"))
    experiments: dict[str, Experiment] = {}
    for name, table in data.get("experiment", {}).items():
        known = {f for f in Experiment.__dataclass_fields__ if f != "name"}
        unknown = sorted(set(table) - known)
        if unknown:
            raise ValueError(f"{path}: experiment {name}: unknown keys {unknown} (known: {sorted(known)})")
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in table.items()}
        experiments[name] = Experiment(name=name, **values)
    if not experiments:
        raise ValueError(f"{path}: no [experiment.<name>] table")
    return Settings(path, hashlib.sha256(raw).hexdigest(), dict(data.get("corpus", {})), experiments)


# --- scoring -------------------------------------------------------------------------------------------

_WORD = re.compile(r"[a-z_]+")


def tempo_of(text: str, words: Mapping[str, Sequence[str]]) -> str | None:
    """The tempo class of the first lexicon word in ``text`` (None: no tempo word)."""
    lookup = {w.lower(): tag for tag, ws in words.items() for w in ws}
    for token in _WORD.findall(text.lower()):
        if token in lookup:
            return lookup[token]
    return None


def derangement(n: int, seed: int) -> list[int]:
    """A seeded permutation of ``range(n)`` that moves every index (n ≥ 2): a cyclic shift of a shuffle."""
    if n < 2:
        raise ValueError(f"a control needs at least 2 test movements per fold, not {n}")
    order = np.random.default_rng(seed).permutation(n).tolist()
    out = [0] * n
    for i, j in enumerate(order):
        out[j] = order[(i + 1) % n]
    return out


def cosine_spread(vectors: np.ndarray) -> dict[str, float]:
    """Mean, std, min and max of the off-diagonal cosines of uncentred row vectors."""
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    sims = unit @ unit.T
    off = sims[~np.eye(len(sims), dtype=bool)]
    return {"mean": float(off.mean()), "std": float(off.std()), "min": float(off.min()), "max": float(off.max())}


def binomial_p(successes: int, trials: int, p0: float) -> float:
    """One-sided P(X ≥ successes) for X ~ Binomial(trials, p0) (1.0 when there are no trials)."""
    if trials == 0:
        return 1.0
    from scipy.stats import binomtest

    return float(binomtest(successes, trials, min(max(p0, 0.0), 1.0), alternative="greater").pvalue)


@dataclass
class FoldOutcome:
    """One system on one test fold: texts per movement id, REAL and CONTROL."""

    fold: int
    ids: list[str]
    references: list[str]
    tags: list[str | None]
    majority: str | None  # the most common tempo tag among the fold's test movements
    real: list[str]
    control: list[str] | None  # None: a system that does not read the audio
    reproduced: int | None  # REAL texts equal to the stage's own unit file (None: not compared)
    cosine: dict[str, float] | None = None


@dataclass
class SystemScore:
    system: str
    n: int
    distinct: int
    agree: int
    agree_control: int | None
    no_tempo_word: int
    majority: int  # test movements whose tag is their fold's training majority
    bleu: float
    bleu_control: float | None
    changed_by_control: int | None
    reproduced: int | None
    p_majority: float
    p_control: float | None
    cosine: dict[str, float] | None
    passed: bool | None  # None: not a neural system
    agreements: list[bool] = field(default_factory=list, repr=False)  # per test movement, folds in order

    @property
    def share(self) -> float:
        return self.agree / self.n if self.n else math.nan


def score(system: str, outcomes: Sequence[FoldOutcome], words: Mapping[str, Sequence[str]]) -> SystemScore:
    """Pooled over folds: every figure of the report's row for one system."""
    from earsense_m2t.model.metrics import corpus_bleu

    n = sum(len(o.ids) for o in outcomes)
    tags = [t for o in outcomes for t in o.tags]
    real = [t for o in outcomes for t in o.real]

    def agrees(texts: Sequence[str]) -> list[bool]:
        return [tag is not None and tempo_of(t, words) == tag for t, tag in zip(texts, tags, strict=True)]

    agree = agrees(real)
    majority = sum(t is not None and t == o.majority for o in outcomes for t in o.tags)
    refs = [r for o in outcomes for r in o.references]
    neural = bool(outcomes) and all(o.control is not None for o in outcomes)
    control = [t for o in outcomes for t in (o.control or [])] if neural else None
    agree_control = agrees(control) if control is not None else None
    p_control = None
    if agree_control is not None:
        only_real = sum(a and not b for a, b in zip(agree, agree_control, strict=True))
        only_control = sum(b and not a for a, b in zip(agree, agree_control, strict=True))
        p_control = binomial_p(only_real, only_real + only_control, 0.5)
    cosines = [o.cosine for o in outcomes if o.cosine is not None]
    cosine = ({k: float(np.mean([c[k] for c in cosines])) for k in cosines[0]} if cosines else None)
    result = SystemScore(
        system=system, n=n, distinct=len(set(real)), agree=sum(agree),
        agree_control=sum(agree_control) if agree_control is not None else None,
        no_tempo_word=sum(tempo_of(t, words) is None for t in real), majority=majority,
        bleu=corpus_bleu(real, refs) if refs else math.nan,
        bleu_control=corpus_bleu(control, refs) if control is not None else None,
        changed_by_control=(sum(a != b for a, b in zip(real, control, strict=True)) if control is not None else None),
        reproduced=(sum(o.reproduced for o in outcomes if o.reproduced is not None)
                    if any(o.reproduced is not None for o in outcomes) else None),
        p_majority=binomial_p(sum(agree), n, majority / n if n else 0.0), p_control=p_control, cosine=cosine,
        passed=None, agreements=agree)
    if neural:
        result.passed = verdict(result)
    return result


def compare(a: SystemScore, b: SystemScore) -> tuple[float, float]:
    """``a``'s tempo agreement minus ``b``'s (points) and the two-sided sign-test p on the movements where they differ."""
    if len(a.agreements) != len(b.agreements) or not a.agreements:
        raise ValueError(f"{a.system} and {b.system} were not scored on the same test movements")
    only_a = sum(x and not y for x, y in zip(a.agreements, b.agreements, strict=True))
    only_b = sum(y and not x for x, y in zip(a.agreements, b.agreements, strict=True))
    from scipy.stats import binomtest

    p = float(binomtest(only_a, only_a + only_b, 0.5).pvalue) if only_a + only_b else 1.0
    return 100.0 * (only_a - only_b) / len(a.agreements), p


def verdict(s: SystemScore) -> bool:
    """Issue 20's bar for a neural system (see :data:`MIN_DISTINCT_SHARE`, :data:`MIN_MARGIN`, :data:`MAX_P`)."""
    if s.n == 0 or s.agree_control is None:
        return False
    distinct = s.distinct >= MIN_DISTINCT_SHARE * s.n
    margins = (s.agree - s.majority >= MIN_MARGIN * s.n) and (s.agree - s.agree_control >= MIN_MARGIN * s.n)
    significant = s.p_majority < MAX_P and s.p_control is not None and s.p_control < MAX_P
    return distinct and (margins or significant)


# --- the experiment ------------------------------------------------------------------------------------

@dataclass
class Report:
    experiment: Experiment
    release: str
    run_dir: str
    scores: list[SystemScore]
    seconds: dict[str, float]
    test_movements: dict[int, int]
    model: dict[str, Any] = field(default_factory=dict)  # the config's sizes and epochs as the run used them
    settings_sha256: str | None = None
    notes: list[str] = field(default_factory=list)
    #: the run's retrieval table (results.json's ``retrieval``: per system, figures keyed "<direction>/<metric>")
    retrieval: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"experiment": asdict(self.experiment), "release": self.release, "run_dir": self.run_dir,
                "settings_sha256": self.settings_sha256, "test_movements": self.test_movements, "model": self.model,
                "seconds": self.seconds, "notes": self.notes, "retrieval": self.retrieval,
                "systems": [{**{k: v for k, v in asdict(s).items() if k != "agreements"}, "share": s.share}
                            for s in self.scores]}


def load_trained(run_dir: Path, system: str, seed: int, fold: int, cfg: Any) -> Any:
    """The unit's best-epoch model, as the stage left it (``checkpoints/<system>/seed<S>/fold<F>/best.pt``)."""
    import torch

    from earsense_m2t.model.gtp import SYSTEMS, GTPModel

    path = run_dir / "checkpoints" / system / f"seed{seed}" / f"fold{fold}" / "best.pt"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no best-epoch weights of {system}, fold {fold}, seed {seed}")
    state = torch.load(path, map_location="cpu", weights_only=True)
    model = GTPModel(cfg, SYSTEMS[system], n_emotions=int(state["n_emotions"]))
    model.load_state_dict(state["model"])
    model.queue.load(state["queue"])
    return model.eval()


def decode_fold(model: Any, items: Sequence[Any], order: Sequence[int], cfg: Any, beam: int, max_tokens: int
                ) -> tuple[list[str], np.ndarray]:
    """Texts and pooled music vectors of ``items[order[i]]``'s spectrogram, one movement at a time."""
    import torch

    from earsense_m2t.model.batch import collate
    from earsense_m2t.model.decode import generate
    from earsense_m2t.model.tokenizer import wordpiece

    tok = wordpiece()
    texts: list[str] = []
    pooled: list[np.ndarray] = []
    with torch.no_grad():
        for i in order:
            batch = collate([items[i]], cfg.time_factor)
            texts.extend(generate(model, batch, tok, beam=beam, max_tokens=max_tokens))
            pooled.append(model.music_segments(batch.spec, batch.frames)[2].flatten(1)[0].numpy())
    return texts, np.stack(pooled)


#: relative cost of one training epoch per system, for sharing the systems between processes (measured on the
#: learnable corpus: the contrastive row encodes four augmented copies of every movement besides the clean one)
SYSTEM_COST = {"coordinate_contrastive": 3.0, "encoder_decoder": 0.7,
               # the field's systems, timed on the development corpus (scripts/learnability.toml, field_systems)
               "muscaps": 1.2, "title": 1.2, "muscall": 0.7}
#: the field's systems that write text, scored from the stage's unit files (no control: module docstring)
TEXT_FIELD_SYSTEMS = ("muscaps", "title")


def share_systems(systems: Sequence[str], jobs: int) -> list[list[str]]:
    """The neural ``systems`` in ``jobs`` groups of about equal cost (the costliest first, each to the lightest
    group); groups keep the plan's order."""
    groups: list[list[str]] = [[] for _ in range(max(1, jobs))]
    load = [0.0] * len(groups)
    for system in sorted(systems, key=lambda s: -SYSTEM_COST.get(s, 1.0)):
        i = load.index(min(load))
        groups[i].append(system)
        load[i] += SYSTEM_COST.get(system, 1.0)
    return [[s for s in systems if s in g] for g in groups if g]


def _train_share(release_dir: str, plan: Any, out: str, systems: list[str], config_changes: dict[str, Any],
                 job: int) -> None:
    """One worker process of :func:`train_in_parallel`: the same plan and run folder, only ``systems``."""
    from earsense_m2t.model import config as model_config
    from earsense_m2t.model.run import train_release
    from earsense_m2t.model.threads import configure_threads

    if config_changes:
        base = model_config.get_config(plan.config)
        model_config.CONFIGS[plan.config] = lambda: base.with_(**config_changes)
    configure_threads(plan.config)
    train_release(Path(release_dir), None, plan, Path(out), only_systems=systems,
                  log=lambda s: print(f"[job {job}] {s}", flush=True))


def train_in_parallel(release_dir: Path, plan: Any, out: Path, jobs: int, config_changes: Mapping[str, Any],
                      log: Callable[[str], None], only: Sequence[str] | None = None) -> None:
    """Pretrain every fold here, then train the plan's neural systems in ``jobs`` processes of one thread each.

    The tiny config's operations are too small to share between cores (:mod:`.threads`), so one process per core
    is what uses a second core. The processes share the run folder: each fold's pretraining is done once, here,
    before they start, and each unit is its own file. They are started fresh (spawn), so a development run's
    config changes are handed to them. ``only``: these of the plan's systems (the rest are left for a later call)."""
    import multiprocessing

    from earsense_m2t.model.gtp import SYSTEMS
    from earsense_m2t.model.run import prepare, pretrained_for
    from earsense_m2t.model.systems import FIELD_SYSTEMS

    prep = prepare(Path(release_dir), None, plan, Path(out))
    if any(s in SYSTEMS for s in plan.systems):
        for fold in prep.folds:
            pretrained_for(prep, fold, "cpu", log)
    trained = [s for s in plan.systems if (s in SYSTEMS or s in FIELD_SYSTEMS) and (only is None or s in only)]
    groups = share_systems(trained, jobs)
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_train_share, args=(str(release_dir), plan, str(out), group, dict(config_changes), i),
                           name=f"learnability-job-{i}") for i, group in enumerate(groups)]
    for i, (worker, group) in enumerate(zip(workers, groups, strict=True)):
        log(f"learnability: job {i} trains {', '.join(group)}")
        worker.start()
    for worker in workers:
        worker.join()
    failed = [w.name for w in workers if w.exitcode != 0]
    if failed:
        raise RuntimeError(f"training processes failed: {', '.join(failed)}")


def run_experiment(release_dir: Path, experiment: Experiment, out: Path, words: Mapping[str, Sequence[str]], *,
                   settings_sha256: str | None = None, jobs: int = 1, config_changes: Mapping[str, Any] | None = None,
                   log: Callable[[str], None] = print) -> Report:
    """Train (through the train stage), decode REAL and CONTROL, score; the report is also ``learnability.json``.

    ``jobs`` > 1: the neural systems train in that many processes (:func:`train_in_parallel`); the train stage then
    finds every unit done and writes the table. ``config_changes``: a development run's model-config changes (the
    caller has applied them in this process; worker processes need them handed over)."""
    from earsense_m2t.model.batch import MovementDataset
    from earsense_m2t.model.gtp import SYSTEMS
    from earsense_m2t.model.run import prepare, read_json, standardizer_for, train_release, unit_path
    from earsense_m2t.model.systems import FIELD_SYSTEMS
    from earsense_m2t.model.tokenizer import wordpiece

    seconds: dict[str, float] = {}
    plan = experiment.plan()
    start = time.perf_counter()
    if jobs > 1:
        train_in_parallel(Path(release_dir), plan, Path(out), jobs, config_changes or {}, log)
    result = train_release(Path(release_dir), None, plan, Path(out), log=log)
    seconds["train_and_stage_evaluation"] = time.perf_counter() - start
    if result.failures:
        raise RuntimeError("training failed: " + "; ".join(f"{f.item_id}: {f.reason}" for f in result.failures))
    prep = prepare(Path(release_dir), None, plan, Path(out))
    start = time.perf_counter()
    tok = wordpiece()
    outcomes: dict[str, list[FoldOutcome]] = {s: [] for s in plan.systems}
    tag_index = 0  # model.data.TAG_FIELDS[0] is the tempo tag
    for fold in prep.folds:
        split = prep.splits[fold]
        tags = [e.tags[tag_index] if e.tags else None for e in split.test]
        counts = Counter(t for t in tags if t is not None)
        majority = min(counts, key=lambda t: (-counts[t], t)) if counts else None
        ids = [e.id for e in split.test]
        references = [e.text for e in split.test]
        shuffled = derangement(len(ids), experiment.shuffle_seed + fold)
        items = None
        for system in plan.systems:
            unit = read_json(unit_path(prep.run_dir, system, experiment.seed, fold)) or {}
            stage_texts = {g["id"]: g["hypothesis"] for g in unit.get("generations", [])}
            if system in FIELD_SYSTEMS:
                if system in TEXT_FIELD_SYSTEMS:  # the stage's texts, on the rows it scored (titles: titled rows)
                    outcomes[system].append(field_outcome(fold, split.test, unit, tag_index, system == "title"))
                continue
            if system not in SYSTEMS:  # a TAGS baseline: its texts are the stage's, and it never reads audio
                outcome = FoldOutcome(fold, ids, references, tags, majority, [stage_texts[i] for i in ids], None, None)
            else:
                if items is None:
                    data = MovementDataset(prep.release, split.test, standardizer_for(prep, fold), tok,
                                           prep.cfg.max_frames, prep.cfg.max_text_tokens)
                    items = [data[i] for i in range(len(data))]
                model = load_trained(prep.run_dir, system, experiment.seed, fold, prep.cfg)
                real, pooled = decode_fold(model, items, range(len(items)), prep.cfg, plan.beam, plan.max_tokens)
                control, _ = decode_fold(model, items, shuffled, prep.cfg, plan.beam, plan.max_tokens)
                outcome = FoldOutcome(fold, ids, references, tags, majority, real, control,
                                      sum(stage_texts.get(i) == t for i, t in zip(ids, real, strict=True)),
                                      cosine_spread(pooled))
                log(f"learnability: {system} fold {fold}: {len(set(real))} distinct texts of {len(real)}, "
                    f"{sum(a != b for a, b in zip(real, control, strict=True))} change with the shuffled spectrograms")
            outcomes[system].append(outcome)
    seconds["control_decoding"] = time.perf_counter() - start
    scores = [score(system, outcomes[system], words) for system in plan.systems if outcomes[system]]
    report = Report(experiment, str(release_dir), str(prep.run_dir), scores, seconds,
                    {f: len(prep.splits[f].test) for f in prep.folds}, asdict(prep.cfg), settings_sha256,
                    retrieval=dict((read_json(prep.run_dir / "results.json") or {}).get("retrieval") or {}))
    (prep.run_dir / "learnability.json").write_text(json.dumps(report.to_dict(), indent=1) + "\n", encoding="utf-8")
    return report


def field_outcome(fold: int, test: Sequence[Any], unit: Mapping[str, Any], tag_index: int, titles: bool
                  ) -> FoldOutcome:
    """A field system's fold from its unit file: its texts on the test rows it scored, their references (the titles
    for the title system) and tempo tags, the majority tag of those rows; no control (it is not decoded again)."""
    texts = {g["id"]: g["hypothesis"] for g in unit.get("generations", [])}
    rows = [e for e in test if e.id in texts]
    tags = [e.tags[tag_index] if e.tags else None for e in rows]
    counts = Counter(t for t in tags if t is not None)
    majority = min(counts, key=lambda t: (-counts[t], t)) if counts else None
    return FoldOutcome(fold, [e.id for e in rows], [str(e.title) if titles else e.text for e in rows], tags, majority,
                       [texts[e.id] for e in rows], None, None)


def retrieval_lines(retrieval: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The retrieval table: R@10 and median rank both ways beside the shuffled-pair control's mean and 99th percentile
    of R@10, and MusCALL's zero-shot tempo and instrument-family accuracy beside the majority class (%, means over
    the folds)."""
    if not retrieval:
        return []

    def pct(stats: Mapping[str, Any], key: str) -> str:
        mean = (stats.get(key) or {}).get("mean")
        return "—" if mean is None else f"{100 * mean:.1f} %"

    def rank(stats: Mapping[str, Any], key: str) -> str:
        mean = (stats.get(key) or {}).get("mean")
        return "—" if mean is None else f"{mean:.1f}"

    lines = ["", "Retrieval on the test folds (one relevant item per query; control: the same embeddings with the "
             "audio–text pairing shuffled, 1,000 times per fold):", "",
             "| system | audio→text R@10 | control mean | control p99 | above p99 | median rank | text→audio R@10 | "
             "control mean | control p99 | above p99 | median rank | zero-shot tempo | majority class | "
             "zero-shot instrument | majority class |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for system, stats in retrieval.items():
        cells = []
        for d in ("audio_to_text", "text_to_audio"):
            cells += [pct(stats, f"{d}/R@10"), pct(stats, f"control/{d}/mean"), pct(stats, f"control/{d}/p99"),
                      pct(stats, f"control/{d}/above_p99"), rank(stats, f"{d}/median_rank")]
        cells += [pct(stats, f"zero_shot/{tag}/{k}") for tag in ("tempo_tag", "instrument_family")
                  for k in ("accuracy", "majority")]
        lines.append(f"| {SYSTEM_TITLES.get(system, system)} | " + " | ".join(cells) + " |")
    return lines


def _pct(part: int | None, n: int) -> str:
    return "—" if part is None else f"{100 * part / n:5.1f} %"


def _p(p: float | None) -> str:
    return "—" if p is None else f"{p:.1e}" if p < 0.001 else f"{p:.3f}"


def markdown(report: Report) -> str:
    """The report as a Markdown table with the settings, the control and the wall time."""
    e = report.experiment
    lines = [
        f"Learnability: experiment `{e.name}`, config {e.config}, {e.epochs} epochs, seed {e.seed}, test folds "
        f"{list(e.folds)} ({', '.join(f'fold {f}: {n}' for f, n in report.test_movements.items())} test movements), "
        f"decoding beam {e.beam}, ≤ {e.max_tokens} tokens.",
        "",
        "| system | distinct / test | tempo agrees | control (shuffled) | majority class | p vs majority | "
        "p vs control | no tempo word | BLEU | BLEU control | changed by shuffle | pooled cosine mean ± std "
        "[min, max] | bar met |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in report.scores:
        cos = ("—" if s.cosine is None else
               f"{s.cosine['mean']:.4f} ± {s.cosine['std']:.4f} [{s.cosine['min']:.3f}, {s.cosine['max']:.3f}]")
        bar = "—" if s.passed is None else ("yes" if s.passed else "no")
        bleu_control = "—" if s.bleu_control is None else f"{s.bleu_control:.2f}"
        lines.append(
            f"| {SYSTEM_TITLES.get(s.system, s.system)} | {s.distinct} / {s.n} | {_pct(s.agree, s.n)} | "
            f"{_pct(s.agree_control, s.n)} | {_pct(s.majority, s.n)} | {_p(s.p_majority)} | {_p(s.p_control)} | "
            f"{_pct(s.no_tempo_word, s.n)} | {s.bleu:.2f} | {bleu_control} | {_pct(s.changed_by_control, s.n)} | "
            f"{cos} | {bar} |")
    by_name = {s.system: s for s in report.scores}
    others = [o for o in ("coordinate", "encoder_decoder") if o in by_name and "gtp" in by_name]
    if others:
        lines.append("")
    for other in others:
        diff, p = compare(by_name["gtp"], by_name[other])
        lines.append(f"GTP against {SYSTEM_TITLES[other]}: tempo agreement {diff:+.1f} points (two-sided sign test "
                     f"p = {_p(p)}), BLEU {by_name['gtp'].bleu - by_name[other].bleu:+.2f}.")
    lines += retrieval_lines(report.retrieval)
    reproduced = [(s.system, s.reproduced, s.n) for s in report.scores if s.reproduced is not None]
    if reproduced:
        lines += ["", "REAL texts equal to the train stage's own decoding: " +
                  ", ".join(f"{system} {r}/{n}" for system, r, n in reproduced)]
    lines += ["", "Wall time: " + ", ".join(f"{k.replace('_', ' ')} {v / 60:.1f} min" for k, v in report.seconds.items())
              + f"; total {sum(report.seconds.values()) / 60:.1f} min."]
    if report.settings_sha256:
        lines.append(f"Settings sha256 {report.settings_sha256[:16]}.")
    lines += [f"Note: {n}" for n in report.notes]
    return "\n".join(lines)


__all__ = ["SYSTEM_COST", "TEXT_FIELD_SYSTEMS", "Experiment", "FoldOutcome", "Report", "Settings", "SystemScore",
           "compare", "cosine_spread", "decode_fold", "derangement", "field_outcome", "load_settings", "load_trained",
           "markdown", "retrieval_lines", "run_experiment", "score", "share_systems", "spectrogram", "tempo_of",
           "train_in_parallel", "verdict", "write_release"]
