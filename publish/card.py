"""The dataset card (``README.md``: YAML front matter + prose) and its plots, regenerated every version.

The YAML is built with ``huggingface_hub.DatasetCardData`` and the features/splits block with
``datasets.DatasetInfosDict``, the same code the Hub and ``load_dataset`` use to read it back, so the
card and the loader agree on configs, data files and features. The prose is the Jinja2 template in
``datacards/README.md.jinja``. Nothing in the card depends on the clock except the version line, so
a rebuild of the same data renders the same card (:func:`card_fingerprint`), which is what lets
publish tell a card-only change (PATCH) from no change at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
from datasets import DatasetInfo, Features, SplitDict, SplitInfo  # noqa: E402
from datasets.info import DatasetInfosDict  # noqa: E402
from huggingface_hub import DatasetCard, DatasetCardData  # noqa: E402

from earsense_m2t.config import REAL_SITE_URL  # noqa: E402
from earsense_m2t.escape import for_markdown_cell  # noqa: E402
from earsense_m2t.publish.annotations import PLOT_NAME as ANNOTATION_PLOT  # noqa: E402
from earsense_m2t.publish.annotations import plot_annotations  # noqa: E402
from earsense_m2t.schemas import TEMPO_CLASSES  # noqa: E402

#: shipped as package data (``earsense_m2t.datacards``), so a wheel install renders the same card
TEMPLATE = Path(str(resources.files("earsense_m2t.datacards").joinpath("README.md.jinja")))
PRETTY_NAME = "EarSense Music-to-Text (chamber-music movements with expert descriptions)"
CITATION = """@misc{kuang2022music,
  title         = {Music-to-Text Synaesthesia: Generating Descriptive Text from Music Recordings},
  author        = {Kuang, Zhihuan and Zong, Shi and Zhang, Jianbing and Chen, Jiajun and Liu, Hongfu},
  year          = {2022},
  eprint        = {2210.00434},
  archivePrefix = {arXiv},
  url           = {https://arxiv.org/abs/2210.00434}
}"""
PLOT_DIR = "plots"
PNG_METADATA = {"Software": None}  # no version strings: the same data gives the same bytes


@dataclass(frozen=True)
class ConfigSummary:
    name: str
    description: str
    features: Features
    num_rows: int
    num_bytes: int  # arrow bytes, as datasets reports dataset_size
    download_size: int  # parquet bytes on disk
    default: bool = False


def card_data(configs: Sequence[ConfigSummary], size_category: str) -> DatasetCardData:
    infos = DatasetInfosDict({
        c.name: DatasetInfo(
            config_name=c.name, features=c.features, download_size=c.download_size, dataset_size=c.num_bytes,
            splits=SplitDict({"train": SplitInfo(name="train", num_bytes=c.num_bytes, num_examples=c.num_rows)}))
        for c in configs
    })
    yaml_configs = []
    for c in configs:
        entry: dict[str, Any] = {"config_name": c.name,
                                 "data_files": [{"split": "train", "path": f"data/{c.name}/train-*.parquet"}]}
        if c.default:
            entry["default"] = True
        yaml_configs.append(entry)
    data = DatasetCardData(
        pretty_name=PRETTY_NAME, license="other", language=["en"], size_categories=[size_category],
        task_categories=["text-generation", "audio-classification"], multilinguality="monolingual",
        annotations_creators=["expert-generated"], language_creators=["expert-generated"],
        source_datasets=["original"], license_name="earsense-texts-and-derived-measurements",
        tags=["music", "music-captioning", "music-to-text", "chamber-music",
                                            "spectrogram", "tempo"],
        configs=yaml_configs)
    infos.to_dataset_card_data(data)
    return data


#: where the card says the dataset is: a placeholder for the folder holding it, then its own name. Never the
#: path it was published at: that is absolute in a deployment's run and relative in the CLI's, and the card would
#: change (a PATCH version) with where the output root is; nor relative to the output root's parent, which a
#: moved or renamed root changes too. The card says what ``path/to`` stands for (the output root, ``--out``).
CARD_DATASET_PARENT = "path/to"


def card_dataset_dir(dataset_dir: str | Path) -> str:
    """How the card names the dataset at ``dataset_dir``: ``path/to/<its folder's name>``."""
    return f"{CARD_DATASET_PARENT}/{Path(dataset_dir).name}"


def render_card(*, configs: Sequence[ConfigSummary], stats: Mapping[str, Any], failures: Mapping[str, Any],
                context: Mapping[str, Any], plots: Sequence[Mapping[str, str]], version: str, date: str,
                dataset_dir: str, size_category: str, template: Path = TEMPLATE) -> str:
    card = DatasetCard.from_template(
        card_data(configs, size_category), template_path=str(template),
        pretty=PRETTY_NAME, version=version, date=date, configs_summary=configs, stats=stats, failures=failures,
        ctx=dict(context), plots=plots, citation=CITATION, dataset_dir=dataset_dir, site_url=REAL_SITE_URL,
        tempo_classes=TEMPO_CLASSES, human_bytes=human_bytes, fold_count=len(stats.get("folds", [])),
        md_cell=for_markdown_cell)  # every text from the site goes through it: no markup, no control characters
    return str(card).rstrip() + "\n"


def card_fingerprint(neutral_card: str, plot_files: Sequence[Path]) -> str:
    """Hash of the card rendered with placeholder version/date, plus the plot bytes."""
    digest = hashlib.sha256(neutral_card.encode("utf-8"))
    for path in sorted(plot_files):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------- plots

def _save(fig: plt.Figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90, metadata=PNG_METADATA)
    plt.close(fig)


def _empty(ax: plt.Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_duration(default: pl.DataFrame, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.2))
    minutes = default.filter(pl.col("has_audio"))["duration_s"].drop_nulls().to_numpy() / 60.0
    if minutes.size:
        ax.hist(minutes, bins=min(40, max(5, minutes.size // 3)), color="#4c72b0")
        ax.set_xlabel("movement duration (minutes)")
        ax.set_ylabel("movements")
    else:
        _empty(ax, "no movement has audio")
    ax.set_title("Duration of movements with audio")
    fig.tight_layout()
    _save(fig, path)


def plot_tags(tags: Mapping[str, int], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.2))
    if tags:
        names = list(tags)
        ax.bar(names, [tags[n] for n in names], color=["#4c72b0" if n != "none" else "#999999" for n in names])
        ax.set_ylabel("movements")
    else:
        _empty(ax, "no rows")
    ax.set_title("Tempo tags (none = no tempo information)")
    fig.tight_layout()
    _save(fig, path)


def plot_loudness(default: pl.DataFrame, target_lufs: float | None, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.2))
    values = default.filter(pl.col("has_audio"))["loudness_before_lufs"].drop_nulls().to_numpy()
    if values.size:
        ax.hist(values, bins=min(40, max(5, values.size // 3)), color="#55a868")
        if target_lufs is not None:
            ax.axvline(float(target_lufs), color="black", linestyle="--", label=f"target {target_lufs} LUFS")
            ax.legend()
        ax.set_xlabel("integrated loudness before normalization (LUFS)")
        ax.set_ylabel("movements")
    else:
        _empty(ax, "no loudness measurements")
    ax.set_title("Loudness before normalization")
    fig.tight_layout()
    _save(fig, path)


#: time columns a spectrogram plot is drawn with: a 6-inch figure shows fewer pixels than that
PLOT_COLUMNS = 2000


def plot_columns(array: np.ndarray, columns: int = PLOT_COLUMNS) -> np.ndarray:
    """The array averaged into at most ``columns`` time columns, as float32.

    Drawing every frame of an hour-long movement would make matplotlib hold several full-size copies
    (hundreds of MB) for a picture 600 pixels wide; averaging blocks of frames first keeps the plot's
    memory independent of the recording's length.
    """
    frames = array.shape[0]
    if frames <= columns:
        return np.asarray(array, dtype=np.float32)
    step = -(-frames // columns)  # ceil
    out = np.empty((-(-frames // step), array.shape[1]), dtype=np.float32)
    for i, start in enumerate(range(0, frames, step)):
        out[i] = np.asarray(array[start:start + step], dtype=np.float32).mean(axis=0)
    return out


def plot_spectrogram(array: np.ndarray, title: str, frames_per_s: float | None, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 3))
    extent = None
    if frames_per_s:
        extent = (0.0, array.shape[0] / frames_per_s, 0.0, float(array.shape[1]))
        ax.set_xlabel("time (s)")
    else:
        ax.set_xlabel("frame")
    ax.imshow(plot_columns(array).T, origin="lower", aspect="auto", cmap="magma", extent=extent,
              interpolation="nearest")
    ax.set_ylabel("bin")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    _save(fig, path)


def frames_per_second(spectrogram_params: Mapping[str, Any]) -> float | None:
    for key in ("frames_per_s", "frame_rate_hz", "frames_per_second"):
        if spectrogram_params.get(key):
            return float(spectrogram_params[key])
    sr = spectrogram_params.get("sample_rate_hz") or spectrogram_params.get("sample_rate")
    hop = spectrogram_params.get("hop_length") or spectrogram_params.get("hop")
    return float(sr) / float(hop) if sr and hop else None


def example_rows(default: pl.DataFrame) -> dict[str, dict[str, Any]]:
    """The movement drawn as the example of each tempo class present: the first with audio in id order."""
    with_audio = default.filter(pl.col("has_audio") & pl.col("tempo_tag").is_not_null()).sort("id")
    examples = {}
    for tag in TEMPO_CLASSES:
        rows = with_audio.filter(pl.col("tempo_tag") == tag)
        if not rows.is_empty():
            examples[tag] = rows.row(0, named=True)
    return examples


def make_plots(out_dir: Path, default: pl.DataFrame, stats: Mapping[str, Any], context: Mapping[str, Any],
               load: Callable[[str], np.ndarray]) -> list[dict[str, str]]:
    """Write the card's PNGs under ``out_dir/plots``; returns (title, relative path) for the template.

    ``load(row_id)`` returns a row's spectrogram array; one example per tempo class present is drawn,
    the first such movement in id order so the choice is stable.
    """
    plot_dir = out_dir / PLOT_DIR
    audio = context.get("audio") or {}
    plots = [
        {"title": "Duration of movements with audio", "path": f"{PLOT_DIR}/duration_hist.png"},
        {"title": "Tempo tag distribution", "path": f"{PLOT_DIR}/tempo_tags.png"},
        {"title": "Loudness before normalization", "path": f"{PLOT_DIR}/loudness_hist.png"},
    ]
    plot_duration(default, plot_dir / "duration_hist.png")
    plot_tags(stats.get("tempo_tags", {}), plot_dir / "tempo_tags.png")
    plot_loudness(default, audio.get("target_lufs"), plot_dir / "loudness_hist.png")
    fps = frames_per_second(context.get("spectrogram") or {})
    for tag, row in example_rows(default).items():
        array = load(row["id"])
        name = f"spectrogram_{tag}.png"
        plot_spectrogram(array, f"{tag}: {row['id']} ({row['movement_title']})", fps, plot_dir / name)
        plots.append({"title": f"Example spectrogram, {tag}: {row['id']}", "path": f"{PLOT_DIR}/{name}"})
    if context.get("annotations"):
        plot_annotations(context["annotations"], plot_dir / ANNOTATION_PLOT)
        plots.append({"title": "Relative annotations: agreement and silver outcomes", "path": f"{PLOT_DIR}/{ANNOTATION_PLOT}"})
    return plots


def plot_files(out_dir: Path) -> list[Path]:
    return sorted((out_dir / PLOT_DIR).glob("*.png")) if (out_dir / PLOT_DIR).is_dir() else []


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1024
    return f"{size:.1f} GB"


__all__ = ["CITATION", "ConfigSummary", "card_data", "card_fingerprint", "example_rows", "make_plots", "render_card"]
