"""Label Studio interoperability: tasks and a labeling config out, Label Studio's JSON export in.

For teams that already run Label Studio instead of the project's own annotation page. One task per
pair (a pair of a triplet, named in triplet order); its ``data`` holds the two excerpts' audio URLs
(``audio_a``, ``audio_b``) and the ids that tie the task back to the pair (``triplet_id``, ``a``,
``b``, ``pair_id``, and ``project`` = :data:`PROJECT`), because Label Studio gives imported tasks its
own ids. The labeling config plays both excerpts and asks the two questions as single-choice
``Choices`` named ``arousal`` and ``valence`` with the choices ``a``, ``b`` and ``ab``.

Label Studio's JSON export (Export → JSON) is a list of tasks, each with its ``data`` and an
``annotations`` list; an annotation has ``result`` regions (``from_name`` = the control's name,
``type`` = "choices", ``value.choices`` = the chosen values), ``completed_by`` (a user id, or an object
with ``id`` and ``email`` in newer versions), ``was_cancelled`` (a skipped task) and ``created_at`` /
``updated_at``. :func:`import_label_studio` turns every non-cancelled annotation into one judgment per
question; a question left unanswered in a submitted annotation is ``not_selected`` (a skipped question,
as MusAV records it). The whole export is checked before anything is returned: a task of another
project (no ``project`` marker, other control names or choices, a triplet or pair this output root
does not have) raises :class:`LabelStudioError` naming the task, and nothing is stored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from earsense_m2t.annotation.metrics.answers import NOT_SELECTED, VOTES
from earsense_m2t.schemas.annotation import QUESTIONS, Judgment, Triplet, pair_id

PROJECT = "earsense-m2t/relative-annotations"
AUDIO_FIELDS = ("audio_a", "audio_b")
TASK_FIELDS = ("project", "triplet_id", "a", "b", "pair_id")
#: what each control asks, in the annotator's words
PROMPTS = {
    "arousal": "Which excerpt is more energetic (arousal)? a, b, or ab for no difference",
    "valence": "Which excerpt is more positive (valence)? a, b, or ab for no difference",
}
HOTKEYS = {"arousal": ("1", "2", "3"), "valence": ("4", "5", "6")}

#: the order the choices are shown in: a, b, then "no difference"
VOTES_IN_CONFIG: tuple[str, ...] = ("a", "b", "ab")
if set(VOTES_IN_CONFIG) != set(VOTES):
    raise ImportError(f"label_studio: choices {VOTES_IN_CONFIG} differ from the answers {VOTES}")


class LabelStudioError(ValueError):
    """A Label Studio export this project cannot take; the message names the file, task and field."""


def labeling_config() -> str:
    """The labeling config (XML) of the exported tasks: two players, two single-choice questions."""
    lines = ["<View>",
             '  <Header value="Excerpt a"/>', '  <Audio name="audio_a" value="$audio_a"/>',
             '  <Header value="Excerpt b"/>', '  <Audio name="audio_b" value="$audio_b"/>']
    for question in QUESTIONS:
        lines.append(f"  <Header value={quoteattr(PROMPTS[question])}/>")
        lines.append(f'  <Choices name="{question}" toName="audio_a" choice="single-radio" showInline="true" '
                     'required="true">')
        lines += [f'    <Choice value="{v}" hotkey="{k}"/>' for v, k in zip(VOTES_IN_CONFIG, HOTKEYS[question],
                                                                               strict=True)]
        lines.append("  </Choices>")
    lines.append("</View>")
    return "\n".join(lines) + "\n"


def export_tasks(triplets: Iterable[Triplet], audio_url: Mapping[str, str] | Callable[[str], str]) -> list[dict]:
    """One task per pair of every triplet, in triplet order; ``audio_url`` gives a movement's excerpt URL."""
    url = audio_url.__getitem__ if isinstance(audio_url, Mapping) else audio_url
    tasks = []
    for triplet in triplets:
        for a, b in triplet.pairs():
            try:
                urls = url(a), url(b)
            except KeyError as exc:
                raise LabelStudioError(f"triplet {triplet.id}: no excerpt for movement {exc.args[0]!r}") from None
            tasks.append({"data": {"audio_a": urls[0], "audio_b": urls[1], "project": PROJECT,
                                   "triplet_id": triplet.id, "a": a, "b": b, "pair_id": pair_id(a, b)}})
    return tasks


def write_export(tasks: Sequence[Mapping[str, Any]], out_dir: Path) -> tuple[Path, Path]:
    """``tasks.json`` (import it into a project) and ``labeling_config.xml`` (paste it as the project's config)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tasks_path, config_path = out_dir / "tasks.json", out_dir / "labeling_config.xml"
    tasks_path.write_text(json.dumps(list(tasks), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    config_path.write_text(labeling_config(), encoding="utf-8")
    return tasks_path, config_path


def _user(completed_by: Any, where: str) -> str:
    """A stable raw id of the Label Studio user (hashed by the caller before it is stored)."""
    if isinstance(completed_by, Mapping):
        value = completed_by.get("email") or completed_by.get("id")
    else:
        value = completed_by
    if isinstance(value, bool) or not isinstance(value, (int, str)) or value == "":
        raise LabelStudioError(f"{where}: completed_by {completed_by!r} names no user (expected an id or "
                               "an object with id/email)")
    return f"label-studio {value}"


def _choice(region: Mapping[str, Any], where: str) -> tuple[str, str] | None:
    """(question, answer) of a result region, None for a region that is not a choice (e.g. a comment)."""
    name = region.get("from_name")
    if region.get("type") not in (None, "choices"):
        if name in QUESTIONS:
            raise LabelStudioError(f"{where}: from_name {name!r} is of type {region.get('type')!r}, expected "
                                   "'choices' (a different labeling config)")
        return None
    if name not in QUESTIONS:
        raise LabelStudioError(f"{where}: from_name {name!r} is not one of {list(QUESTIONS)}: an export from "
                               "another project or labeling config; nothing was imported")
    value = region.get("value")
    choices = value.get("choices") if isinstance(value, Mapping) else None
    if not isinstance(choices, list) or len(choices) != 1 or choices[0] not in VOTES:
        raise LabelStudioError(f"{where}: {name} choices {choices!r}, expected exactly one of {list(VOTES)}")
    return str(name), str(choices[0])


def import_label_studio(export: Sequence[Any] | Path, triplets: Iterable[Triplet], *,
                        annotator_id: Callable[[str], str] = lambda raw: raw, source: str = "export") -> list[Judgment]:
    """Judgments of a Label Studio JSON export; every task checked first, an error names the task.

    ``annotator_id`` turns the raw Label Studio user into the stored name (the store's pseudonymize).
    A user who annotated a task twice keeps the later annotation.
    """
    if isinstance(export, Path):
        source = str(export)
        try:
            export = json.loads(export.read_text(encoding="utf-8"))
        except OSError as exc:
            raise LabelStudioError(f"{source}: cannot read it ({exc.strerror or exc})") from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise LabelStudioError(f"{source}: not a Label Studio JSON export ({exc})") from None
        except RecursionError:
            raise LabelStudioError(f"{source}: not a Label Studio JSON export (nested too deeply)") from None
    if not isinstance(export, list):
        raise LabelStudioError(f"{source}: a Label Studio JSON export is a list of tasks, got {type(export).__name__}")
    by_id = {t.id: t for t in triplets}
    latest: dict[tuple[str, str, str, str], Judgment] = {}
    for index, task in enumerate(export):
        where = f"{source}: task {task.get('id', index) if isinstance(task, Mapping) else index}"
        if not isinstance(task, Mapping) or not isinstance(task.get("data"), Mapping):
            raise LabelStudioError(f"{where}: not a task (no 'data' object)")
        data = task["data"]
        if data.get("project") != PROJECT or any(not isinstance(data.get(f), str) for f in TASK_FIELDS):
            raise LabelStudioError(f"{where}: not a task of this project's export (data needs project={PROJECT!r} "
                                   f"and {list(TASK_FIELDS[1:])}); nothing was imported")
        triplet = by_id.get(data["triplet_id"])
        if triplet is None:
            raise LabelStudioError(f"{where}: unknown triplet {data['triplet_id']!r}; nothing was imported")
        if (data["a"], data["b"]) not in triplet.pairs() or data["pair_id"] != pair_id(data["a"], data["b"]):
            raise LabelStudioError(f"{where}: pair {data['pair_id']!r} is not a pair of triplet {triplet.id}; "
                                   "nothing was imported")
        annotations = task.get("annotations", task.get("completions", []))
        if not isinstance(annotations, list):
            raise LabelStudioError(f"{where}: 'annotations' is not a list")
        for number, annotation in enumerate(annotations):
            at = f"{where} annotation {annotation.get('id', number) if isinstance(annotation, Mapping) else number}"
            if not isinstance(annotation, Mapping) or not isinstance(annotation.get("result"), list):
                raise LabelStudioError(f"{at}: no 'result' list")
            if annotation.get("was_cancelled"):
                continue  # the annotator skipped the whole task: no judgment
            user = annotator_id(_user(annotation.get("completed_by"), at))
            answers: dict[str, str] = {}
            for region in annotation["result"]:
                if not isinstance(region, Mapping):
                    raise LabelStudioError(f"{at}: a result region is not an object")
                choice = _choice(region, at)
                if choice is not None:
                    answers[choice[0]] = choice[1]
            submitted = str(annotation.get("updated_at") or annotation.get("created_at") or "")
            for question in QUESTIONS:
                latest[(triplet.id, pair_id(data["a"], data["b"]), question, user)] = Judgment(
                    triplet_id=triplet.id, a=data["a"], b=data["b"], question=question,
                    answer=answers.get(question, NOT_SELECTED), annotator=user, source="human",
                    submitted_at=submitted)
    return list(latest.values())


__all__ = ["LabelStudioError", "PROJECT", "export_tasks", "import_label_studio", "labeling_config", "write_export"]
