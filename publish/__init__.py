"""Publish stage: build manifests in, a versioned Hugging Face dataset (``local/earsense-m2t``) out.

``publish_dataset`` joins the records into the rows of each config (:mod:`publish.rows`), writes them
as streamed parquet (:mod:`publish.writer`), renders the card and its plots (:mod:`publish.card`,
:mod:`publish.stats`), decides the next semantic version (:mod:`publish.versions`) and switches to it
atomically (:mod:`publish.publish`). ``load_version`` brings back any earlier version.
"""

from publish.publish import (HubTokenError, PublishError, PublishResult, load_version, publish_dataset,
                             versions)

__all__ = ["HubTokenError", "PublishError", "PublishResult", "load_version", "publish_dataset", "versions"]
