"""Resources: configuration bound from the environment in ``definitions.py`` only."""
from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipeline.sources.files import DEFAULT_MANIFEST, FilesSource


class BulkFilesResource(dg.ConfigurableResource):
    """The ``files`` source: bulk downloads under ``bulk_dir`` described by ``manifest``."""

    bulk_dir: str | None = None
    manifest: str | None = None

    def source(self) -> FilesSource:
        if not self.bulk_dir:
            raise dg.Failure(
                description="TRADE_BULK_DIR is not set: point it at your bulk downloads, "
                "e.g. `TRADE_BULK_DIR=../shared/datasets make run`"
            )
        return FilesSource(self.bulk_dir, self.manifest or DEFAULT_MANIFEST)


class CountryGroupsResource(dg.ConfigurableResource):
    """Built-in country groups plus, optionally, a user YAML file of more groups."""

    extra_groups_file: str | None = None

    def path(self) -> Path | None:
        return Path(self.extra_groups_file) if self.extra_groups_file else None
