"""The local ``audio`` config (``build --audio``) and the rule that keeps it off the Hub.

The project does not redistribute audio. With ``--audio`` each movement's loudness-normalized audio (the
features stage's file, 16-bit mono, 16 kHz FLAC by default) is published in the version's ``audio`` config as
an HF ``Audio`` feature (the file's bytes in the parquet, so ``datasets.load_dataset(path, "audio")`` needs
nothing beside the release; decoding them needs the ``audio`` extra). That config is for the machine it was
built on: a push refuses while the version has it (:func:`push_refusal`) unless ``--push-audio`` is given
*and* every row's media licence is on :data:`PUSHABLE_LICENSES`. ``media_license`` is free text from the
source ("Creative Commons Attribution license (reuse allowed)", "CC BY-SA 4.0", "Standard YouTube License"),
so it is normalised first (:func:`normalize_license`); a licence that is not recognised, a non-commercial or
no-derivatives one, or none at all never goes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from datasets import Audio, Features, Value

from earsense_m2t.publish.rows import CONFIGS, ConfigSpec, Inputs, Plan, carried_row_meta, row_hash
from earsense_m2t.publish.writer import ParquetFileWriter
from earsense_m2t.schemas import Media, RecordError
from earsense_m2t.schemas.published import AUDIO, AUDIO_CONFIG, DEFAULT_CONFIG
from earsense_m2t.schemas.validate import Problem

#: the normalised licences whose audio may be pushed with ``--push-audio`` (nothing else ever is)
PUSHABLE_LICENSES: tuple[str, ...] = ("cc0", "cc-by", "cc-by-sa", "public-domain")

# (pattern on the folded text, normalised licence); the first that matches wins, so the restrictive
# variants (NC, ND) are tried before the plain ones they contain
_LICENSE_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), name) for p, name in (
    (r"\b(nc|non ?commercial)\b", "cc-nc"),
    (r"\b(nd|no ?derivs|no ?derivatives)\b", "cc-nd"),
    (r"\bcc ?0\b|\bcc ?zero\b|creative commons zero|public domain dedication|\bpublicdomain zero\b", "cc0"),
    (r"\bpublic ?domain\b|\bpdm\b", "public-domain"),
    (r"\b(cc ?by ?sa|attribution ?share ?alike|by ?sa|licenses by sa)\b", "cc-by-sa"),
    (r"\b(cc ?by|creative commons attribution|attribution|licenses by)\b", "cc-by"),
))


def normalize_license(text: str | None) -> str | None:
    """The licence a free-text ``media_license`` names: ``cc0``, ``cc-by``, ``cc-by-sa``, ``public-domain``,
    ``cc-nc`` / ``cc-nd`` (never pushable), or None when there is none or it is not recognised."""
    if not text:
        return None
    folded = " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())
    for pattern, name in _LICENSE_RULES:
        if pattern.search(folded):
            return name
    return None


def push_refusal(licenses: Iterable[str | None], *, push_audio: bool, row_ids: Sequence[str] = ()) -> str | None:
    """Why a version with an ``audio`` config may not be pushed, or None when it may.

    ``licenses``: every audio row's ``media_license`` as the source gave it (``row_ids`` name them in the message).
    """
    texts = list(licenses)
    if not push_audio:
        return (f"the version has an '{AUDIO_CONFIG}' config ({len(texts)} movements' audio, built with --audio): "
                "audio is never pushed unless --push-audio is given and every row's media licence is one of "
                f"{', '.join(PUSHABLE_LICENSES)}; nothing was uploaded")
    ids = list(row_ids) or [f"row {i}" for i in range(len(texts))]
    bad = [(row, text) for row, text in zip(ids, texts, strict=True) if normalize_license(text) not in PUSHABLE_LICENSES]
    if bad:
        shown = "; ".join(f"{row}: {text!r}" for row, text in bad[:5])
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        return (f"--push-audio: {len(bad)} of {len(texts)} audio rows have a media licence that is not one of "
                f"{', '.join(PUSHABLE_LICENSES)} ({shown}{more}); nothing was uploaded")
    return None


def audio_features(_inputs: Inputs | None = None) -> Features:
    return Features({"id": Value("string"), "work_id": Value("string"), "fold": Value("int64"), AUDIO: Audio(),
                     "audio_sha256": Value("string"), "sample_rate_hz": Value("int64"), "duration_s": Value("float64"),
                     "media_license": Value("string"), "license": Value("string")})


def audio_plan(inputs: Inputs, features: Features) -> Plan:
    """One row per clip with audio, in work and movement order; the file is checked against the sha256 the
    features stage recorded (a file changed since is left out with a problem) and read again only to be written.
    Rows of works carried from the live version (their page could not be had this time) are kept as they were,
    their audio read from the live version's files and checked against its recorded sha256."""
    bundle = inputs.bundle
    numbers = {m.id: (m.work_id, m.number) for m in bundle.movements}
    segments = {s.movement_id: s for s in bundle.segments}
    media = {(m.source_id, m.sha256): m for m in bundle.media}
    clips = sorted((c for c in bundle.clips if c.audio_path and c.movement_id in numbers),
                   key=lambda c: numbers[c.movement_id])
    rows: list[_AudioRow] = []
    for clip in clips:
        path = Path(clip.audio_path or "")
        digest = _sha256(path)
        if digest is None or digest != clip.audio_sha256:
            inputs.problems.append(Problem(clip.id, f"audio {path}: missing or not the file the features stage wrote "
                                                    f"(sha256 {clip.audio_sha256})", "clip"))
            continue
        seg = segments.get(clip.movement_id)
        medium: Media | None = media.get((seg.source_id, seg.media_sha256)) if seg is not None else None
        text = medium.license if medium is not None else None
        work_id = numbers[clip.movement_id][0]
        meta: dict[str, object] = {"id": clip.id, "work_id": work_id, "fold": inputs.folds.get(work_id),
                                   "audio_sha256": digest, "sample_rate_hz": _rate(path),
                                   "duration_s": clip.duration_s, "media_license": text,
                                   "license": normalize_license(text)}
        rows.append(_AudioRow(meta, row_hash(meta), numbers[clip.movement_id], path, _size(path)))
    carried = _carried_audio_rows(inputs, features)
    rows = sorted(rows + carried, key=lambda r: r.order)
    spec = CONFIGS[AUDIO_CONFIG]
    schema = features.arrow_schema
    previous = inputs.previous

    def table_of(batch: Sequence[tuple[dict[str, object], bytes, str]]) -> pa.Table:
        columns = {name: [meta[name] for meta, _, _ in batch] for name in schema.names if name != AUDIO}
        columns[AUDIO] = [{"bytes": data, "path": name} for _, data, name in batch]
        return pa.Table.from_pydict(columns, schema=schema)

    def carried_audio(ids: Sequence[str]) -> dict[str, tuple[bytes, str]]:
        if not ids or previous is None:
            return {}
        stored = previous.read(AUDIO_CONFIG, ["id", AUDIO], ids=ids)
        found = {} if stored is None else {r["id"]: (r[AUDIO]["bytes"], r[AUDIO]["path"])
                                           for r in stored.iter_rows(named=True)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise RecordError([Problem(i, f"carried forward from v{previous.version} but not in its audio config")
                               for i in missing])
        return found

    def write(indices: Sequence[int], writer: ParquetFileWriter) -> None:
        batch: list[tuple[dict[str, object], bytes, str]] = []
        size = 0
        old = carried_audio([str(rows[i].meta["id"]) for i in indices if rows[i].path is None])
        for i in indices:
            row = rows[i]
            if row.path is not None:
                data, name = row.path.read_bytes(), row.path.name
                if hashlib.sha256(data).hexdigest() != row.meta["audio_sha256"]:
                    raise RecordError([Problem(str(row.meta["id"]), f"audio {row.path}: changed while this publish "
                                                                    "ran; publish again")])
            else:
                data, name = old[str(row.meta["id"])]
                if hashlib.sha256(data).hexdigest() != row.meta["audio_sha256"]:
                    version = previous.version if previous is not None else "?"
                    raise RecordError([Problem(str(row.meta["id"]), f"carried forward from v{version}: its audio no "
                                                                    "longer matches its sha256")])
            batch.append((row.meta, data, name))
            size += len(data)
            if len(batch) >= spec.row_group_rows or size >= spec.row_group_bytes:
                writer.write(table_of(batch))
                batch, size = [], 0
        if batch:
            writer.write(table_of(batch))

    return Plan([str(r.meta["id"]) for r in rows], [r.hash for r in rows], [str(r.meta["work_id"]) for r in rows],
                sum(r.size for r in rows), write, carried=[str(r.meta["id"]) for r in carried])


@dataclass(frozen=True)
class _AudioRow:
    """One row of the config: its columns but the audio, and where its audio comes from (a file of this build, or
    the live version's row when ``path`` is None)."""

    meta: dict[str, object]
    hash: str
    order: tuple[str, int]  # (work, movement number)
    path: Path | None
    size: int


def _carried_audio_rows(inputs: Inputs, features: Features) -> list[_AudioRow]:
    """The live version's rows of the carried works, columns but the audio; none when the config's columns changed
    (then the changelog says the rows were not kept)."""
    kept = carried_row_meta(inputs, AUDIO_CONFIG)
    previous = inputs.previous
    if kept is None or previous is None:
        return []
    ids = kept["id"].to_list()
    stored = previous.read(AUDIO_CONFIG, list(features), ids=ids)  # one read: the columns, and the sizes of the audio
    found = set() if stored is None else set(stored["id"].to_list())
    missing = [i for i in ids if i not in found]
    if stored is None or missing:
        raise RecordError([Problem(i, f"carried forward from v{previous.version} but not in its audio config")
                           for i in missing])
    numbers = previous.read(DEFAULT_CONFIG, ["id", "movement_number"], ids=ids)
    number = {} if numbers is None else dict(zip(numbers["id"].to_list(), numbers["movement_number"].to_list(),
                                                 strict=True))
    hashes = dict(zip(kept["id"].to_list(), kept["hash"].to_list(), strict=True))
    rows = []
    for row in stored.iter_rows(named=True):
        audio = row.pop(AUDIO)
        rows.append(_AudioRow(row, hashes[row["id"]], (str(row["work_id"]), int(number.get(row["id"]) or 0)), None,
                              len((audio or {}).get("bytes") or b"")))
    return rows


def _sha256(path: Path) -> str | None:
    try:
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    except OSError:
        return None


def _rate(path: Path) -> int | None:
    import soundfile

    try:
        return int(soundfile.info(str(path)).samplerate)
    except (OSError, RuntimeError):
        return None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


CONFIGS[AUDIO_CONFIG] = ConfigSpec(
    name=AUDIO_CONFIG, row_group_rows=16, row_group_bytes=32 << 20,
    description="build --audio only, never pushed unless every media licence allows it: one row per movement with "
                "audio, its loudness-normalized audio (16-bit mono, as the build wrote it) as an Audio feature",
    features=audio_features, plan=audio_plan)


__all__ = ["PUSHABLE_LICENSES", "audio_features", "audio_plan", "normalize_license", "push_refusal"]
