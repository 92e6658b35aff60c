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
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
from datasets import DatasetInfo, Features, SplitDict, SplitInfo  # noqa: E402
from datasets.info import DatasetInfosDict  # noqa: E402
from huggingface_hub import DatasetCard, DatasetCardData  # noqa: E402

from earsense_m2t.config import DATASET_NAME, REAL_SITE_URL  # noqa: E402
from earsense_m2t.escape import for_markdown_cell  # noqa: E402
from earsense_m2t.publish.annotations import PLOT_NAME as ANNOTATION_PLOT  # noqa: E402
from earsense_m2t.publish.annotations import plot_annotations  # noqa: E402
from earsense_m2t.schemas import TEMPO_CLASSES  # noqa: E402
from earsense_m2t.schemas.layout import ANNOTATION_DIR, EXCERPTS_DIR  # noqa: E402
from earsense_m2t.schemas.published import FOLD  # noqa: E402

#: shipped as package data (``earsense_m2t.datacards``), so a wheel install renders the same card
TEMPLATE = Path(str(resources.files("earsense_m2t.datacards").joinpath("README.md.jinja")))
PRETTY_NAME = "EarSense Music-to-Text (chamber-music movements with expert descriptions)"
#: the paper whose task the dataset follows (GTP), and the one whose relative annotations it copies (MusAV)
CITATION_GTP = """@misc{kuang2022music,
  title         = {Music-to-Text Synaesthesia: Generating Descriptive Text from Music Recordings},
  author        = {Kuang, Zhihuan and Zong, Shi and Zhang, Jianbing and Chen, Jiajun and Liu, Hongfu},
  year          = {2022},
  eprint        = {2210.00434},
  archivePrefix = {arXiv},
  url           = {https://arxiv.org/abs/2210.00434}
}"""
CITATION_MUSAV = """@inproceedings{bogdanov2022musav,
  title     = {{MusAV}: A Dataset of Relative Arousal-Valence Annotations for Validation of Audio Models},
  author    = {Bogdanov, Dmitry and Lizarraga-Seijas, Xavier and Alonso-Jim{\\'e}nez, Pablo and Serra, Xavier},
  booktitle = {Proceedings of the 23rd International Society for Music Information Retrieval Conference (ISMIR)},
  address   = {Bengaluru, India},
  year      = {2022}
}"""


def dataset_citation(version: str, date: str, texts: Mapping[str, Any]) -> str:
    """The BibTeX entry of this dataset at ``version`` (published on ``date``, ISO); ``texts``: :func:`text_origin`."""
    source = (f"texts from EarSense, {REAL_SITE_URL}" if texts["earsense"] and not texts["other"]
              else "texts of the bundled offline mini site, written for the project" if not texts["earsense"]
              else f"texts from EarSense, {REAL_SITE_URL}, and from other sites")
    return f"""@misc{{{DATASET_NAME.replace("-", "_")},
  title        = {{{{{PRETTY_NAME}}}}},
  author       = {{{{The {DATASET_NAME} project}}}},
  year         = {{{date[:4]}}},
  version      = {{{version}}},
  howpublished = {{Dataset {DATASET_NAME}, version {version} ({date})}},
  note         = {{{source}}}
}}"""


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


def text_origin(page_hosts: Mapping[str | None, int], embedded: bool) -> dict[str, Any]:
    """Who wrote the published texts, from the hosts of the works' ``page_url`` (works per host).

    ``earsense``: works whose page is on EarSense's site (texts by EarSense's experts); ``other``: works from
    any other host, which are the bundled mini site's (texts written for this project) when the build ran on
    it (``embedded``); ``other_hosts`` names those hosts otherwise.
    """
    real = urlsplit(REAL_SITE_URL).hostname or ""
    on_earsense = {real, real.removeprefix("www.")}
    earsense = sum(n for host, n in page_hosts.items() if host in on_earsense)
    other = {str(host): n for host, n in page_hosts.items() if host not in on_earsense}
    return {"earsense": earsense, "other": sum(other.values()), "bundled": bool(embedded and other),
            "other_hosts": [] if embedded else sorted(other)}


#: the Hub's ``annotations_creators`` of the rule-made labels every release has (the tempo tags; the silver labels)
RULES_CREATOR = "machine-generated"
#: ... and of the people's relative judgments: whoever opens the annotation page (no login, no expertise asked)
PEOPLE_CREATOR = "crowdsourced"


def annotations_creators(annotations: Mapping[str, Any] | None) -> list[str]:
    """The Hub's ``annotations_creators`` of a release whose card context has ``annotations``
    (:func:`earsense_m2t.publish.annotations.annotation_context`): the rules, and people only when the release
    holds a row aggregated from their judgments."""
    human = sum(q["human"] for q in (annotations or {}).get("questions", {}).values())
    return [RULES_CREATOR, PEOPLE_CREATOR] if human else [RULES_CREATOR]


def card_data(configs: Sequence[ConfigSummary], size_category: str,
              texts: Mapping[str, Any] | None = None,
              annotations: Mapping[str, Any] | None = None) -> DatasetCardData:
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
        annotations_creators=annotations_creators(annotations), language_creators=_language_creators(texts),
        source_datasets=["original"], license_name="earsense-texts-and-derived-measurements",
        tags=["music", "music-captioning", "music-to-text", "chamber-music",
                                            "spectrogram", "tempo"],
        configs=yaml_configs)
    infos.to_dataset_card_data(data)
    return data


def _language_creators(texts: Mapping[str, Any] | None) -> list[str]:
    """The Hub's ``language_creators``: EarSense's texts are expert-generated, the mini site's ``other``."""
    if texts is None or (texts["earsense"] and not texts["other"]):
        return ["expert-generated"]
    return (["expert-generated"] if texts["earsense"] else []) + ["other"]


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
    texts = text_origin(stats.get("page_hosts") or {}, bool(context.get("embedded_site")))
    card = DatasetCard.from_template(
        card_data(configs, size_category, texts, context.get("annotations")), template_path=str(template),
        pretty=PRETTY_NAME, version=version, date=date, configs_summary=configs, stats=stats, failures=failures,
        ctx=dict(context), plots=plots, dataset_dir=dataset_dir, site_url=REAL_SITE_URL,
        citations={"dataset": dataset_citation(version, date, texts), "gtp": CITATION_GTP, "musav": CITATION_MUSAV},
        texts=texts, tempo_classes=TEMPO_CLASSES, human_bytes=human_bytes, fold_count=len(stats.get("folds", [])),
        # which configs have a fold column is read from their features, never assumed
        fold_configs=[c.name for c in configs if FOLD in c.features],
        configs_without_fold=[c.name for c in configs if FOLD not in c.features],
        # where the annotate stage leaves the excerpts: under the output root, beside this folder
        excerpts_dir=f"{CARD_DATASET_PARENT}/{ANNOTATION_DIR}/{EXCERPTS_DIR}",
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


def duration_figure(default: pl.DataFrame) -> plt.Figure:
    """Histogram of movement durations in seconds, the unit of ``duration_s`` and of the statistics table."""
    fig, ax = plt.subplots(figsize=(6, 3.2))
    seconds = default.filter(pl.col("has_audio"))["duration_s"].drop_nulls().to_numpy()
    if seconds.size:
        ax.hist(seconds, bins=min(40, max(5, seconds.size // 3)), color="#4c72b0")
        ax.set_xlabel("movement duration (s)")
        ax.set_ylabel("movements")
    else:
        _empty(ax, "no movement has audio")
    ax.set_title("Duration of movements with audio")
    fig.tight_layout()
    return fig


def plot_duration(default: pl.DataFrame, path: Path) -> None:
    _save(duration_figure(default), path)


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


#: characters per line of a spectrogram plot's title (a 6-inch figure at fontsize 9): longer titles wrap
TITLE_CHARS = 72


def bin_frequencies_hz(spectrogram_params: Mapping[str, Any], n_bins: int) -> np.ndarray | None:
    """The centre frequency (Hz) of each of the ``n_bins`` spectrogram bins, or None when the parameters do not say.

    Linear bins are ``k * bin_hz`` (``bin_hz = sample_rate_hz / n_fft``); mel bands are the centres of HTK-mel
    filters evenly spaced between ``fmin_hz`` and ``fmax_hz`` (as :mod:`earsense_m2t.features.spectrogram` builds them).
    """
    mel = spectrogram_params.get("mel")
    if spectrogram_params.get("kind") == "mel" or isinstance(mel, Mapping):
        if not isinstance(mel, Mapping) or mel.get("fmax_hz") is None:
            return None
        lo, hi = (2595.0 * np.log10(1.0 + float(f) / 700.0) for f in (mel.get("fmin_hz") or 0.0, mel["fmax_hz"]))
        return np.asarray(700.0 * (10 ** (np.linspace(lo, hi, n_bins + 2)[1:-1] / 2595.0) - 1.0))
    bin_hz = spectrogram_params.get("bin_hz")
    sr, n_fft = spectrogram_params.get("sample_rate_hz"), spectrogram_params.get("n_fft")
    if not bin_hz and sr and n_fft:
        bin_hz = float(sr) / float(n_fft)
    return np.arange(n_bins) * float(bin_hz) if bin_hz else None


def spectrogram_figure(array: np.ndarray, title: str, frames_per_s: float | None,
                       freqs_hz: np.ndarray | None = None) -> plt.Figure:
    """The spectrogram in dB (colour bar) over time (s) and frequency (Hz); the title wraps instead of being cut."""
    fig, ax = plt.subplots(figsize=(6, 3.4))
    n_frames, n_bins = array.shape
    x_end = n_frames / frames_per_s if frames_per_s else float(n_frames)
    freqs = np.asarray(freqs_hz, dtype=np.float64) if freqs_hz is not None and len(freqs_hz) == n_bins else None
    linear = freqs is not None and (n_bins < 3 or bool(np.allclose(np.diff(freqs), freqs[1] - freqs[0])))
    if freqs is not None and linear and n_bins > 1:  # bins evenly spaced in Hz: the axis is in Hz, with round ticks
        half = (freqs[1] - freqs[0]) / 2
        y_extent = (float(freqs[0] - half), float(freqs[-1] + half))
    else:
        y_extent = (-0.5, n_bins - 0.5)
    image = ax.imshow(plot_columns(array).T, origin="lower", aspect="auto", cmap="magma",
                      extent=(0.0, x_end, *y_extent), interpolation="nearest")
    ax.set_xlabel("time (s)" if frames_per_s else "frame")
    if freqs is not None and not linear:  # mel bands: ticks at band indices, labelled with their centre frequency
        centres = freqs

        def to_hz(value: float, _pos: int) -> str:
            return f"{centres[int(round(min(max(value, 0.0), n_bins - 1)))]:.0f}"
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(to_hz))
        ax.set_ylabel("frequency (Hz, mel-spaced)")
    else:
        ax.set_ylabel("frequency (Hz)" if freqs is not None else "frequency bin")
    fig.colorbar(image, ax=ax, label="level (dB)", pad=0.02)
    ax.set_title(textwrap.fill(title, TITLE_CHARS, break_on_hyphens=False), fontsize=9)
    fig.tight_layout()
    return fig


def plot_spectrogram(array: np.ndarray, title: str, frames_per_s: float | None, path: Path,
                     freqs_hz: np.ndarray | None = None) -> None:
    _save(spectrogram_figure(array, title, frames_per_s, freqs_hz), path)


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
    spec_params = context.get("spectrogram") or {}
    fps = frames_per_second(spec_params)
    for tag, row in example_rows(default).items():
        array = load(row["id"])
        name = f"spectrogram_{tag}.png"
        plot_spectrogram(array, f"{tag}: {row['id']} ({row['movement_title']})", fps, plot_dir / name,
                         bin_frequencies_hz(spec_params, array.shape[1]))
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


__all__ = ["CITATION_GTP", "CITATION_MUSAV", "ConfigSummary", "bin_frequencies_hz", "card_data", "card_fingerprint",
           "dataset_citation", "duration_figure", "example_rows", "make_plots", "render_card", "spectrogram_figure",
           "text_origin"]
