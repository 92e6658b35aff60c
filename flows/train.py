"""The ``train-gtp`` flow: train and evaluate the GTP model and its baselines on one published version.

Wiring only: the stage is :func:`earsense_m2t.model.run.train_release`. A new version built by
``build-dataset`` starts this flow through the deployment its ``train_deployment`` parameter names
(``train-gtp/gpu`` by default, the ``paper`` config on a GPU worker; ``train-gtp/tiny`` on any CPU),
with ``dataset_version`` and ``output_root`` set. The dataset is read from ``<output_root>/earsense-m2t``
and the run folder is ``<output_root>/training/v<version>-<config>/``; a run started again for the
same version and config resumes there. The table is also a Prefect artifact.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import deployment as current_deployment

from earsense_m2t.build_options import BadOption, resolve_output_root
from earsense_m2t.schemas import StageResult
from earsense_m2t.schemas.layout import OutputLayout
from earsense_m2t.schemas.training import TrainingRun


@task(name="train-and-evaluate", cache_policy=NO_CACHE, persist_result=False)
def train_task(dataset: str, dataset_version: str | None, config: str, profile: str, out: str, epochs: int | None,
               seeds: list[int] | None, folds: list[int] | None, device: str,
               settings: str = "corrected", systems: list[str] | None = None) -> StageResult:
    from earsense_m2t.model.run import Plan, train_release
    from earsense_m2t.model.threads import configure_threads

    logger = get_run_logger()
    logger.info(configure_threads(config).describe())
    plan = Plan.profile(profile, config, settings, epochs=epochs, seeds=tuple(seeds) if seeds else None,
                        folds=tuple(folds) if folds else None, device=device,
                        systems=tuple(systems) if systems else None)
    return train_release(Path(dataset), dataset_version, plan, Path(out), log=logger.info)


@flow(name="train-gtp", persist_result=False)
def train_gtp(dataset_version: str | None = None, config: str = "tiny", profile: str = "full",
              output_root: str | None = None, epochs: int | None = None, seeds: list[int] | None = None,
              folds: list[int] | None = None, device: str = "auto", settings: str = "corrected",
              systems: list[str] | None = None) -> TrainingRun:
    """Train and evaluate every system of the paper's Table 1 on one version of the dataset.

    Args:
        dataset_version: the published version to train on (e.g. 1.2.0); empty: the live version.
        config: 'tiny' (a CPU, minutes) or 'paper' (the paper's sizes; a GPU).
        profile: 'full' (every fold, 3 seeds, the config's epochs) or 'smoke' (2 folds, 1 seed, 1 epoch).
        output_root: the build's output root; the dataset is <output_root>/earsense-m2t and the run goes to
            <output_root>/training. When empty: EARSENSE_M2T_OUT, else the Prefect Variable earsense_m2t_out.
        epochs: epochs per system, instead of the profile's.
        seeds: seeds, instead of the profile's.
        folds: test folds, instead of every fold of the release.
        device: 'auto' (CUDA when present, with mixed precision), 'cpu', 'cuda' or 'cuda:N'.
        settings: 'corrected' (the project's) or 'authors' (the released code's weight decay, epochs and
            sampled decoding); an authors run goes to <output_root>/training/v<version>-<config>-authors/.
        systems: the systems to train, instead of the paper's Table 1 (all twelve rows); the field's other systems
            (muscaps, muscall, title) run only when named here.
    """
    from earsense_m2t.flows.build import output_root_setting
    from earsense_m2t.model.run import Plan
    from earsense_m2t.model.settings import get_settings

    try:
        get_settings(settings)
    except ValueError as exc:
        raise BadOption("settings", str(exc)) from None
    if systems:
        try:
            Plan.profile(profile, config, settings, systems=tuple(systems)).check()
        except ValueError as exc:
            raise BadOption("systems", str(exc)) from None
    root = Path(resolve_output_root(output_root, deployment_run=current_deployment.get_id() is not None,
                                    variable=output_root_setting))
    layout = OutputLayout(root)
    dataset = layout.dataset_dir
    if not dataset.exists():
        raise BadOption("output_root", f"{root}: no published dataset at {dataset} (build one first)")
    result = train_task(str(dataset), dataset_version, config, profile, str(layout.training_dir), epochs, seeds, folds,
                        device, settings, systems)
    [run] = result.of(TrainingRun)
    publish_results_artifact(run)
    if result.failures:
        get_run_logger().warning("%d training unit(s) failed: %s", len(result.failures),
                                 "; ".join(f"{f.item_id}: {f.reason}" for f in result.failures))
    return run


def publish_results_artifact(run: TrainingRun) -> None:
    """results.md as the run's artifact; a server that refuses it costs a log line, not the run."""
    try:
        create_markdown_artifact(markdown=Path(run.results_md).read_text(encoding="utf-8"),
                                 key=f"train-gtp-{run.config}", description=f"GTP results for v{run.dataset_version}")
    except Exception as exc:
        get_run_logger().warning("the results artifact was not created: %s: %s", type(exc).__name__, exc)


__all__ = ["train_gtp"]
