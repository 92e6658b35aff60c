"""``earsense-m2t annotations ...``: aggregate, evaluate, and move judgments to and from MusAV and Label Studio.

Every command reads files and writes files; a bad file or option ends with one line on stderr naming
the file, line or field, and exit code 2. The heavy imports (numpy, krippendorff, pyarrow) happen
inside the commands, so ``earsense-m2t --help`` stays fast.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from earsense_m2t.config import OUTPUT_ROOT
from earsense_m2t.escape import for_terminal
from earsense_m2t.schemas.layout import TRIPLETS_FILE, OutputLayout
from earsense_m2t.schemas.published import RELATIVE_ANNOTATIONS_CONFIG

if TYPE_CHECKING:  # the store is imported by the commands that use it (the CLI starts without it)
    from earsense_m2t.annotation.tool.store import Submitted

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Relative arousal/valence annotations (MusAV's method): aggregate judgments, evaluate "
                       "predictions, exchange files with MusAV and Label Studio.")

Question = Annotated[str, typer.Option("--type", help="Which question: arousal or valence.")]


def fail(message: str) -> NoReturn:
    """One line on stderr and exit code 2 (bad input), never a traceback; the file's text in it is escaped."""
    typer.echo(f"error: {for_terminal(message, newlines=True)}", err=True)
    raise typer.Exit(2)


def _question(value: str) -> str:
    from earsense_m2t.schemas.annotation import QUESTIONS

    if value not in QUESTIONS:
        fail(f"--type {value!r}: expected one of {', '.join(QUESTIONS)}")
    return value


def _alpha(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.6f}"


@app.command()
def aggregate(
    raw: Annotated[Path, typer.Option(help="MusAV raw judgments (JSON Lines: tripletid, songid_a, songid_b, "
                                           "annotator, type, higher_value).")],
    triplets: Annotated[Path, typer.Option(help="MusAV triplets file (JSON Lines: tripletid, songids, triplet_type).")],
    out: Annotated[Path, typer.Option(help="Folder for annotations.<type>.all.agreement and its four gt files.")],
    question: Question = "arousal",
    n_required: Annotated[int, typer.Option(min=1, help="Annotators a pair needs to be complete (MusAV: 3).")] = 3,
) -> None:
    """Aggregate raw judgments exactly as MusAV does; print the counts and Krippendorff's alpha."""
    from earsense_m2t.annotation.aggregate import aggregate as aggregate_rows
    from earsense_m2t.annotation.aggregate import counts
    from earsense_m2t.annotation.metrics.agreement import krippendorff_alpha
    from earsense_m2t.annotation.tool.musav import MusavFormatError, read_raw, read_triplets, write_aggregated

    question = _question(question)
    try:
        judgments = read_raw(raw, question)
        rows = aggregate_rows(judgments, read_triplets(triplets), question, n_required=n_required)
    except MusavFormatError as exc:
        fail(str(exc))
    except ValueError as exc:  # a judgment of a triplet or pair the triplets file does not have
        fail(f"{raw}: {exc}")
    try:
        written = write_aggregated(rows, out, question)
    except OSError as exc:
        fail(f"--out {out}: cannot write there ({exc.strerror or exc})")
    typer.echo(f"{question}: {len(judgments)} judgments of {len(rows)} pairs")
    for name, number in counts(rows).items():
        typer.echo(f"  {name:20s} {number}")
    for level in ("nominal", "ordinal"):
        typer.echo(f"  alpha ({level}){'':{11 - len(level)}s} {_alpha(krippendorff_alpha(judgments, question, level))}")
    for name, number in written.items():
        typer.echo(f"wrote {out / name} ({number} lines)")


def _published_annotations(path: Path) -> list | None:
    """The relative_annotations rows of a published dataset folder, or None if it has none."""
    import pyarrow.parquet as pq

    from earsense_m2t.schemas.annotation import RelativeAnnotation

    files = sorted((path / "data" / RELATIVE_ANNOTATIONS_CONFIG).glob("*.parquet"))
    if not files:
        return None
    names = set(RelativeAnnotation.__dataclass_fields__)
    rows = []
    for file in files:
        for record in pq.read_table(file).to_pylist():
            values = {k: v for k, v in record.items() if k in names}
            values["subsets"] = tuple(values.get("subsets") or ())
            rows.append(RelativeAnnotation(**values))
    return rows


@app.command()
def evaluate(
    predictions: Annotated[Path, typer.Option(help="Predictions per movement: JSON Lines or CSV with id, arousal, "
                                                   "valence.")],
    annotations: Annotated[Path, typer.Option(help="A published dataset (its relative_annotations config) or a "
                                                   "folder of aggregated gt files in MusAV's format.")]
    = OutputLayout().dataset_dir,
) -> None:
    """% of correctly ordered pairs on each ground-truth subset (ab ground truth and tied predictions skipped)."""
    from earsense_m2t.annotation.metrics.evaluate import PredictionsError, format_results, read_predictions
    from earsense_m2t.annotation.metrics.evaluate import evaluate as evaluate_rows
    from earsense_m2t.annotation.tool.musav import MusavFormatError, aggregated_name, annotations_from_dir
    from earsense_m2t.schemas.annotation import QUESTIONS

    try:
        predicted = read_predictions(predictions)
    except PredictionsError as exc:
        fail(str(exc))
    if not annotations.is_dir():
        fail(f"--annotations {annotations}: no such folder (a published dataset, or aggregated gt files)")
    rows = None
    try:
        rows = _published_annotations(annotations)
    except (OSError, ValueError, TypeError) as exc:
        fail(f"--annotations {annotations}: cannot read its relative_annotations config ({exc})")
    questions = list(QUESTIONS)
    if rows is None:
        questions = [q for q in QUESTIONS if (annotations / aggregated_name(q, "gt")).is_file()]
        if not questions:
            fail(f"--annotations {annotations}: neither a published dataset (data/relative_annotations/) nor a folder "
                 f"of aggregated files ({aggregated_name('arousal', 'gt')}, ...)")
        rows = []
        try:
            for q in questions:
                rows += annotations_from_dir(annotations, q, predicted)
        except MusavFormatError as exc:
            fail(str(exc))
    for line in format_results(evaluate_rows(predicted, rows), questions):
        typer.echo(line)


@app.command("export-label-studio")
def export_label_studio(
    audio_base_url: Annotated[str, typer.Option(help="URL the excerpt files are served under; a task's audio is "
                                                     "this URL + the excerpt's file name.")],
    dest: Annotated[Path, typer.Option(help="Folder for tasks.json and labeling_config.xml.")],
    out: Annotated[Path, typer.Option(help="Output root of a build (its annotation/ folder has the pool and "
                                           "the triplets).")] = OUTPUT_ROOT,
) -> None:
    """Label Studio tasks (one per pair, both excerpts' URLs) and the labeling config with the two questions."""
    from earsense_m2t.annotation.paths import AnnotationPaths
    from earsense_m2t.annotation.tool.label_studio import LabelStudioError, export_tasks, write_export
    from earsense_m2t.schemas.annotation import PoolExcerpt, Triplet
    from earsense_m2t.schemas.io import read_records

    paths = AnnotationPaths(out)
    for path in (paths.pool, paths.triplets):
        if not path.is_file():
            fail(f"{path}: missing (build the dataset first: the annotation stage writes it)")
    try:
        pool = {p.movement_id: p.excerpt_file for p in read_records(paths.pool, PoolExcerpt)}
        triplets = read_records(paths.triplets, Triplet)
        base = audio_base_url if audio_base_url.endswith("/") else audio_base_url + "/"
        tasks = export_tasks(triplets, {m: base + name for m, name in pool.items()})
        tasks_path, config_path = write_export(tasks, dest)
    except (LabelStudioError, ValueError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"--dest {dest}: cannot write there ({exc.strerror or exc})")
    typer.echo(f"wrote {tasks_path} ({len(tasks)} tasks) and {config_path}")


@app.command("import-label-studio")
def import_label_studio(
    export: Annotated[Path, typer.Argument(help="Label Studio's JSON export of a project made from export-label-studio.")],
    out: Annotated[Path, typer.Option(help="Output root of a build (the judgments go to its annotation/ folder).")]
    = OUTPUT_ROOT,
) -> None:
    """Store the judgments of a Label Studio JSON export (annotators pseudonymized); a bad export stores nothing."""
    from functools import partial

    from earsense_m2t.annotation.paths import AnnotationPaths
    from earsense_m2t.annotation.tool.label_studio import LabelStudioError
    from earsense_m2t.annotation.tool.label_studio import import_label_studio as read_export
    from earsense_m2t.annotation.tool.store import BadAnnotatorId, StoreError, open_store, pseudonymize
    from earsense_m2t.schemas.annotation import Triplet
    from earsense_m2t.schemas.io import read_records

    paths = AnnotationPaths(out)
    if not paths.triplets.is_file():
        fail(f"{paths.triplets}: missing (build the dataset first: the annotation stage writes it)")
    try:
        triplets = read_records(paths.triplets, Triplet)
        store, salt = open_store(paths.dir)
        judgments = read_export(export, triplets, annotator_id=partial(_pseudonym, pseudonymize, salt))
        results = store.submit(judgments, all_or_nothing=True)
    except (LabelStudioError, BadAnnotatorId, StoreError, ValueError) as exc:
        fail(str(exc))
    _report_import(results, f"{export}: ", paths.judgments)


def _report_import(results: Sequence[Submitted], prefix: str, database: Path) -> None:
    """One line for an all-or-nothing import: what was stored, or (exit 2) why nothing was."""
    conflicts = [r for r in results if r.status == "conflict"]
    if conflicts:
        first = conflicts[0]
        fail(f"{prefix}{len(conflicts)} judgment(s) differ from ones already stored (e.g. {first.judgment.id}: "
             f"{first.judgment.answer!r}, stored {first.stored_answer!r}); nothing was imported")
    stored = sum(r.status == "stored" for r in results)
    typer.echo(f"{prefix}{stored} new judgment(s) stored in {database}, {len(results) - stored} already there")


def _pseudonym(pseudonymize: Callable[[str, bytes], str], salt: bytes, raw: str) -> str:
    return pseudonymize(raw, salt)


@app.command("import-musav")
def import_musav(
    raw: Annotated[list[Path], typer.Argument(help="MusAV raw annotation files (JSON Lines: tripletid, songid_a, "
                                              "songid_b, annotator, type, higher_value).")],
    out: Annotated[Path, typer.Option(help="Output root of a build (the judgments go to its annotation/ folder).")]
    = OUTPUT_ROOT,
) -> None:
    """Store raw judgments in MusAV's format whose triplets and pairs are this build's (e.g. collected with MusAV's
    own tools on excerpts exported from here); annotators are pseudonymized; a bad file stores nothing."""
    from earsense_m2t.annotation.paths import AnnotationPaths
    from earsense_m2t.annotation.tool.musav import MusavFormatError, orient_to_triplets, read_raw
    from earsense_m2t.annotation.tool.store import BadAnnotatorId, StoreError, open_store, pseudonymize
    from earsense_m2t.schemas.annotation import Triplet
    from earsense_m2t.schemas.io import read_records

    paths = AnnotationPaths(out)
    if not paths.triplets.is_file():
        fail(f"{paths.triplets}: missing (build the dataset first: the annotation stage writes it)")
    try:
        triplets = read_records(paths.triplets, Triplet)
        judgments = [j for path in raw for j in orient_to_triplets(read_raw(path), triplets, path)]
        store, salt = open_store(paths.dir)
        judgments = [dataclasses.replace(j, annotator=pseudonymize(j.annotator, salt)) for j in judgments]
        results = store.submit(judgments, all_or_nothing=True)
    except (MusavFormatError, BadAnnotatorId, StoreError, ValueError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot read {exc.filename}: {exc.strerror or exc}")
    _report_import(results, "", paths.judgments)


@app.command("export-musav")
def export_musav(
    dest: Annotated[Path, typer.Option(help="Folder for annotations.<type>.all (both types) and triplets.jsonl.")],
    out: Annotated[Path, typer.Option(help="Output root of a build (its annotation/ folder).")] = OUTPUT_ROOT,
) -> None:
    """The stored human judgments and the triplets in MusAV's raw formats (MusAV's own scripts read them)."""
    from earsense_m2t.annotation.paths import AnnotationPaths
    from earsense_m2t.annotation.tool.musav import raw_name, write_raw, write_triplets
    from earsense_m2t.annotation.tool.store import JudgmentStore, StoreError
    from earsense_m2t.schemas.annotation import QUESTIONS, Triplet
    from earsense_m2t.schemas.io import read_records

    paths = AnnotationPaths(out)
    for path in (paths.triplets, paths.judgments):
        if not path.is_file():
            fail(f"{path}: missing (nothing to export yet)")
    try:
        judgments = JudgmentStore(paths.judgments).all()
        triplets = read_records(paths.triplets, Triplet)
        for q in QUESTIONS:
            n = write_raw([j for j in judgments if j.question == q], dest / raw_name(q))
            typer.echo(f"wrote {dest / raw_name(q)} ({n} judgments)")
        n = write_triplets(triplets, dest / TRIPLETS_FILE)  # MusAV's name, which the annotation folder keeps too
    except (StoreError, ValueError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"--dest {dest}: cannot write there ({exc.strerror or exc})")
    typer.echo(f"wrote {dest / TRIPLETS_FILE} ({n} triplets)")
