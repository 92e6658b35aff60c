"""Do the trained systems' texts depend on the music? Trains the tiny config on a learnable corpus and scores
the same models with each test movement's own spectrogram and with shuffled ones (issue 20, item 4).

    # the frozen experiments of scripts/learnability.toml (each up to 2 hours on 2 CPU cores)
    .venv/bin/python scripts/learnability.py --experiment one_fold      # one fold, all six systems
    .venv/bin/python scripts/learnability.py --experiment five_folds    # five folds: encoder_decoder, coordinate, gtp
    .venv/bin/python scripts/learnability.py --experiment field_systems  # MusCaps, MusCALL, title (issue 26)

The corpus (``offline/learnable.py``) and its release are made once under ``--out`` and reused; the run folder
is ``<out>/runs/<experiment>/v<corpus version>-<config>/`` (a killed run resumes there). The table is printed and
written beside the run (``learnability.md``, ``learnability.json``).

Development overrides (``--corpus-seed``, ``--works``, ``--epochs``, ``--folds``, ``--systems``, ``--set FIELD=VALUE``
for a field of the model config) make a run that is
*not* the frozen plan: it goes to its own folder and the table says so. Tune on another corpus seed than the
frozen one, so no test fold of the frozen corpus is scored before the settings are committed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SETTINGS = REPO / "scripts" / "learnability.toml"


def settings_state(path: Path) -> str:
    """Whether the settings file is committed as it is (git), for the report."""
    try:
        tracked = subprocess.run(["git", "ls-files", "--error-unmatch", str(path)], cwd=REPO, capture_output=True)
        clean = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", str(path)], cwd=REPO, capture_output=True)
    except OSError:
        return "git not available"
    if tracked.returncode != 0:
        return "NOT committed"
    return "committed, unchanged" if clean.returncode == 0 else "committed, CHANGED since (not the frozen plan)"


def config_changes(items: list[str]) -> dict[str, object]:
    """``FIELD=VALUE`` pairs as config changes, each value read as JSON (``32``, ``1e-3``, ``true``) or else a string."""
    from earsense_m2t.model.config import GTPConfig

    fields = set(GTPConfig.__dataclass_fields__) - {"name"}
    changes: dict[str, object] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or name not in fields:
            raise ValueError(f"{item!r} is not FIELD=VALUE with a field of the model config ({', '.join(sorted(fields))})")
        try:
            changes[name] = json.loads(raw)
        except json.JSONDecodeError:
            changes[name] = raw
    return changes


def override_config(name: str, changes: dict[str, object]) -> None:
    """Make the named config carry ``changes`` for this process (a development run only: the run records them)."""
    from earsense_m2t.model import config

    base = config.get_config(name)
    base.with_(**changes)  # validated now, not halfway through a run
    config.CONFIGS[name] = lambda: base.with_(**changes)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--experiment", default="one_fold", help="a [experiment.<name>] of the settings file")
    ap.add_argument("--settings", type=Path, default=SETTINGS)
    ap.add_argument("--out", type=Path, default=REPO / "local" / "learnability")
    ap.add_argument("--corpus-seed", type=int, help="development: another corpus than the frozen one")
    ap.add_argument("--works", type=int, help="development: this many works")
    ap.add_argument("--epochs", type=int, help="development: this many epochs")
    ap.add_argument("--folds", help="development: comma-separated test folds")
    ap.add_argument("--systems", help="development: comma-separated systems")
    ap.add_argument("--titles", help="development: how the release titles movements (marking | metronome | metronome_key)")
    ap.add_argument("--jobs", type=int, default=1,
                    help="train the neural systems in this many processes of one thread (one per core); "
                         "the results do not depend on it")
    ap.add_argument("--only", help="train only these comma-separated systems of the plan and stop (no report); the "
                                   "same command without it later trains the rest and reports every row")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                    help="development: change one field of the model config (repeatable), e.g. --set group_k=32")
    args = ap.parse_args(argv)

    from earsense_m2t.model.learnability import load_settings

    settings = load_settings(args.settings)
    if args.experiment not in settings.experiments:
        ap.error(f"--experiment {args.experiment!r}: the settings file has {', '.join(settings.experiments)}")
    experiment = settings.experiments[args.experiment]
    corpus_args = dict(settings.corpus)
    if experiment.corpus_seed is not None:
        corpus_args["seed"] = experiment.corpus_seed
    if args.jobs < 1:
        ap.error(f"--jobs {args.jobs}: at least 1")
    overrides = {}
    if args.corpus_seed is not None:
        corpus_args["seed"] = overrides["corpus seed"] = args.corpus_seed
    if args.works is not None:
        corpus_args["n_works"] = overrides["works"] = args.works
    if args.epochs is not None:
        experiment = replace(experiment, epochs=args.epochs)
        overrides["epochs"] = args.epochs
    if args.folds:
        experiment = replace(experiment, folds=tuple(int(f) for f in args.folds.split(",")))
        overrides["folds"] = experiment.folds
    if args.systems:
        experiment = replace(experiment, systems=tuple(s.strip() for s in args.systems.split(",")))
        overrides["systems"] = experiment.systems
    if args.titles:
        experiment = replace(experiment, titles=args.titles)
        overrides["titles"] = args.titles
    from earsense_m2t.offline.learnable import TITLE_STYLES

    if experiment.titles not in TITLE_STYLES:
        ap.error(f"experiment {experiment.name}: titles {experiment.titles!r}; known: {', '.join(TITLE_STYLES)}")
    changes: dict[str, object] = {}
    if args.set:
        try:
            changes = config_changes(args.set)
            override_config(experiment.config, changes)
        except ValueError as exc:
            ap.error(f"--set: {exc}")
        overrides["config"] = changes

    from earsense_m2t.model.threads import configure_threads

    print(configure_threads(experiment.config).describe(), flush=True)
    import datasets

    datasets.disable_progress_bars()
    from earsense_m2t.model.learnability import markdown, run_experiment, write_release
    from earsense_m2t.offline.learnable import (
        TEMPO_WORDS,
        fold_counts,
        learnable_corpus,
        movement_audio,
        movement_title,
    )
    from earsense_m2t.offline.minisite.synth import SYNTH_VERSION

    started = time.perf_counter()
    corpus = learnable_corpus(**{k: tuple(v) if isinstance(v, list) else v for k, v in corpus_args.items()})
    rows = [m.row() for m in corpus]
    if "title" in experiment.systems:
        # the song-title system's target: the title the corpus gives each movement (the experiment's style); only a run
        # with that system has the column, so the other experiments' corpora (and their versions) stay as they were
        rows = [{**row, "movement_title": movement_title(m, experiment.titles)} for row, m in zip(rows, corpus, strict=True)]
    identity = json.dumps({"rows": rows, "durations": [m.duration_s for m in corpus], "synth": SYNTH_VERSION,
                           "corpus": corpus_args}, sort_keys=True)
    version = "learnable-" + hashlib.sha256(identity.encode()).hexdigest()[:12]
    by_id = {m.id: m for m in corpus}
    print(f"corpus {version}: {len(corpus)} movements of {len({m.work_id for m in corpus})} works, per fold "
          f"{fold_counts(corpus)}", flush=True)
    release = write_release(args.out / "releases" / version, rows, lambda i: movement_audio(by_id[i]), version=version,
                            description=f"Made by scripts/learnability.py from offline/learnable.py with {corpus_args}.",
                            log=lambda s: print(s, flush=True))
    corpus_seconds = time.perf_counter() - started
    if args.only:
        only = [s.strip() for s in args.only.split(",")]
        unknown = [s for s in only if s not in experiment.systems]
        if unknown:
            ap.error(f"--only {', '.join(unknown)}: not systems of experiment {experiment.name}")
    name = experiment.name if not overrides else (
        f"{experiment.name}-dev-{hashlib.sha256(json.dumps(overrides, sort_keys=True).encode()).hexdigest()[:8]}")
    if args.only:
        from earsense_m2t.model.learnability import train_in_parallel

        train_in_parallel(release, experiment.plan(), args.out / "runs" / name, args.jobs, changes,
                          lambda s: print(s, flush=True), only=only)
        print(f"trained {', '.join(only)}; run the same command without --only for the rest and the report")
        return 0
    report = run_experiment(release, experiment, args.out / "runs" / name, TEMPO_WORDS,
                            settings_sha256=settings.sha256, jobs=args.jobs, config_changes=changes,
                            log=lambda s: print(s, flush=True))
    report.seconds = {"corpus_and_release": corpus_seconds, **report.seconds}
    report.notes.append(f"settings file {args.settings.name}: {settings_state(args.settings)}")
    if overrides:
        report.notes.append(f"DEVELOPMENT RUN, not the frozen plan: {overrides}")
    text = markdown(report)
    run_dir = Path(report.run_dir)
    (run_dir / "learnability.md").write_text(text + "\n", encoding="utf-8")
    (run_dir / "learnability.json").write_text(json.dumps({**report.to_dict(), "corpus": corpus_args,
                                                           "overrides": {k: list(v) if isinstance(v, tuple) else v
                                                                         for k, v in overrides.items()},
                                                           "experiment": asdict(experiment)}, indent=1) + "\n",
                                               encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
