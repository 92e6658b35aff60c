"""Publish stage: build manifests in, a versioned Hugging Face dataset (``local/earsense-m2t``) out.

Entrypoint: :func:`publish_release` (returns the ``Release`` record in the stage result shape).

``publish_dataset`` joins the records into the rows of each config (:mod:`earsense_m2t.publish.rows`), decides which
files they go in and which the live version already holds (:mod:`earsense_m2t.publish.shards`), writes only the
others as streamed parquet (:mod:`earsense_m2t.publish.writer`), renders the card and its plots (:mod:`earsense_m2t.publish.card`,
:mod:`earsense_m2t.publish.stats`), decides the next semantic version (:mod:`earsense_m2t.publish.versions`) and switches to it
atomically (:mod:`earsense_m2t.publish.publish`). ``load_version`` brings back any earlier version.
"""

from earsense_m2t.publish.publish import (
                                          HubTokenError,
                                          PublishError,
                                          PublishResult,
                                          load_version,
                                          publish_dataset,
                                          versions,
)
from earsense_m2t.publish.release import publish_release

__all__ = ["HubTokenError", "PublishError", "PublishResult", "load_version", "publish_dataset", "publish_release",
           "versions"]
