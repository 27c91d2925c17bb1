"""IO managers: published tables go to the Parquet warehouse, raw provenance to JSON beside it.

Both take the warehouse for their run when the run starts (one writer at a time: a second run
is refused naming the first; a run killed earlier is marked failed in the Dagster instance and
what it left is cleared) and give it back when the run ends. The warehouse IO manager stages
every table of the run and, when no step of the run failed, publishes them together in one
atomic switch (:mod:`pipeline.warehouse.publish`); a failed run publishes nothing.
"""
from __future__ import annotations

import json
from typing import Any

import dagster as dg
import pandas as pd
from dagster._core.events import DagsterEventType

from pipeline import code_version
from pipeline.contracts import contract_for_asset, load_contract
from pipeline.sources.base import utc_now
from pipeline.warehouse import Warehouse, lock, read_table, write_table
from pipeline.warehouse.publish import publish_alone
from pipeline.warehouse.catalog import catalog_entry
from pipeline.warehouse.coverage import coverage_drops, same_definition, table_coverage
from pipeline.warehouse.objects import ObjectStoreSettingError, as_path, is_remote
from pipeline.warehouse.parquet import PartitionedTable, partition_reader
from pipeline.warehouse.staged import StagedTable

LAYER_PREFIXES = ("core__", "out__")
UNFINISHED = (dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.CANCELING)


def table_name(asset_key: dg.AssetKey) -> str:
    """The published table of an asset: the contract whose ``physicalName`` is the asset
    (``core__bilateral_goods_trade`` -> ``bilateral_goods_trade``; ``out__services_restrictiveness``
    -> ``services_restrictiveness_profile``)."""
    name = asset_key.path[-1]
    if not name.startswith(LAYER_PREFIXES):
        raise ValueError(f"asset {name} is not a published table (expected core__ or out__ prefix)")
    return contract_for_asset(name).name


def take_warehouse(context: dg.InitResourceContext, root: str) -> None:
    """Lock ``root`` for this run; mark a run killed while holding it failed; clear its leftovers."""
    if not context.run_id:
        return
    home = getattr(context.instance, "root_directory", None)
    try:
        killed = lock.acquire(root, context.run_id, dagster_home=str(home) if home else None,
                              stale=lambda record: _ended(context.instance, record))
    except lock.WarehouseBusy as exc:
        raise dg.Failure(description=str(exc)) from None
    except ObjectStoreSettingError as exc:
        raise dg.Failure(description=f"{exc}; nothing was run") from None
    except Exception as exc:
        if not is_remote(root) and not isinstance(exc, OSError):
            raise
        if is_remote(root):  # botocore's connection errors are no OSError; no credential is in the message
            raise dg.Failure(description=f"the warehouse {root} (TRADE_WAREHOUSE_DIR) cannot be reached or "
                             f"written ({type(exc).__name__}): check AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID / "
                             "AWS_SECRET_ACCESS_KEY and the bucket; nothing was run") from None
        raise dg.Failure(description=f"the warehouse {root} (TRADE_WAREHOUSE_DIR) cannot be written "
                         f"({type(exc).__name__}: {exc.strerror or exc}): point TRADE_WAREHOUSE_DIR at a "
                         "directory you can write to; nothing was run") from None
    try:
        for record in killed:  # the warehouse's lock and, on a plain root, the older layout's
            context.log.warning(mark_killed_run_failed(context.instance, record, context.run_id, root))
        notes = Warehouse(root).recover()
    except BaseException:  # the step fails; the warehouse is not left locked by this process
        lock.release(root, context.run_id)
        raise
    for note in notes:
        context.log.warning(f"warehouse {root}: {note}")


def _ended(instance: dg.DagsterInstance, record: dict[str, Any]) -> bool:
    """True when the run holding an object-store lock from another host is known to this Dagster
    instance and no longer running (killed, then marked failed by run monitoring or by hand):
    its lock is stale (:mod:`pipeline.warehouse.object_lock`)."""
    run = instance.get_run_by_id(record.get("run_id", "")) if record.get("run_id") else None
    return run is not None and run.status not in UNFINISHED and run.status != dg.DagsterRunStatus.QUEUED


def give_back_warehouse(context: dg.InitResourceContext, root: str) -> None:
    """Release this resource's hold on ``root``; the run's last hold (whichever IO manager tears
    down last) first publishes everything the run staged, tables and raw provenance together,
    if no step failed, else discards it."""
    if not context.run_id or lock.held_by(root) != context.run_id:
        return
    try:
        if not lock.last_hold(root, context.run_id):
            return
        warehouse = Warehouse(root)
        failures = context.instance.all_logs(context.run_id, of_type=DagsterEventType.STEP_FAILURE)
        if failures:
            warehouse.discard(context.run_id)
            context.log.info(f"{len(failures)} step(s) failed: nothing of this run was published; "
                             f"the warehouse {root} is as the last good run left it")
        else:
            try:
                snapshot = warehouse.commit(context.run_id)
            except Exception as exc:
                raise _unpublished(warehouse, root, context.run_id, exc) from exc
            if snapshot:
                tables = warehouse.catalog().get("tables", {})
                context.log.info(f"published snapshot {snapshot} of {root}: {len(tables)} tables")
    finally:
        lock.release(root, context.run_id)


class PublishFailed(dg.DagsterError):
    """Every step passed but the run's tables could not be published. A Dagster framework error
    on purpose: Dagster reports an ordinary exception raised in a resource's teardown as an
    event and still marks the run SUCCESS; this one propagates, and the run is FAILURE in the UI,
    for schedules and for ``dg.materialize`` alike."""


def _unpublished(warehouse: Warehouse, root: str, run_id: str, exc: Exception) -> Exception:
    """The error of a commit that raised: :class:`PublishFailed` when the switch did not happen
    (the run's staging is discarded), the original error when it did (the run is published)."""
    if warehouse.published_by(run_id):
        return exc
    warehouse.discard(run_id)
    return PublishFailed(
        f"every step of run {run_id} passed, but publishing its tables into {root} failed "
        f"({type(exc).__name__}: {exc}): nothing of this run was published and the warehouse is as the "
        f"last good run left it. Fix the cause (free space, permissions of {warehouse.meta}), then run again.")


def mark_killed_run_failed(instance: dg.DagsterInstance, killed: dict[str, Any], by: str, root: str) -> str:
    """Report run ``killed["run_id"]`` failed when this instance still has it unfinished, saying
    whether its tables were published: a run killed after its switch (before it gave the
    warehouse back) is published, as the switch (``CURRENT``, or the root link) says."""
    run = instance.get_run_by_id(killed.get("run_id", ""))
    said = (f"run {killed.get('run_id')} (pid {killed.get('pid')} on {killed.get('host')}, started "
            f"{killed.get('started_at')}) stopped while it held the warehouse, without finishing")
    outcome, snapshot = _outcome(root, killed.get("run_id") or "")
    if run is None:
        return f"{said}; {outcome}; it is not in this Dagster instance ({killed.get('dagster_home') or 'unknown'})"
    if snapshot:  # whatever its status: a run killed on another host is FAILURE already (run monitoring)
        instance.add_run_tags(run.run_id, {"trade/published_snapshot": snapshot})
    if run.status in UNFINISHED:
        instance.report_run_failed(run, message=f"{said}: marked failed by run {by}, which found it killed; {outcome}")
        return f"{said}: marked failed; {outcome}"
    return f"{said}; {outcome}; its status is already {run.status.value}"


def _outcome(root: str, run_id: str) -> tuple[str, str | None]:
    """What a killed run left: ("its tables were published: ...", its snapshot) when the switch
    names its snapshot (killed after the switch), else ("nothing it staged was published", None)."""
    warehouse = Warehouse(root)
    if not run_id or not warehouse.published_by(run_id):
        return "nothing it staged was published", None
    current = warehouse.current()
    switch = f"{root.rstrip('/')}/CURRENT" if is_remote(root) else f"the link {root}"
    return (f"its tables were published: {switch} named its snapshot {current.name} (killed after the switch, "
            "before it gave the warehouse back)"), current.name


class ParquetWarehouseIOManager(dg.ConfigurableIOManager):
    """Writes each core/out asset as Hive-partitioned Parquet under ``root``.

    The table's contract gives the Arrow schema and partition column; the asset's output
    metadata ``source`` and ``provenance`` are stamped into the files and ``catalog.json``.
    Before staging, the table's coverage is compared with its last publish (``coverage_*``).
    """

    root: str
    coverage_tolerance: str = "0.01"
    accept_coverage_drop: str = ""

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        take_warehouse(context, self.root)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        give_back_warehouse(context, self.root)

    def _check_coverage(self, name: str, coverage: dict[str, Any], version: str) -> str | None:
        """Stop before publishing a table that covers less than its last publish (beyond the
        tolerance), unless TRADE_ACCEPT_COVERAGE_DROP names it. A last publish under another
        major.minor version of the table's contract is no baseline (:func:`same_definition`):
        returns the note saying so (logged and shown with the output), else None."""
        accepted = {t.strip() for t in (self.accept_coverage_drop or "").split(",") if t.strip()}
        if name in accepted or "all" in accepted:
            return f"coverage not compared: TRADE_ACCEPT_COVERAGE_DROP names {name}"
        tolerance = float(self.coverage_tolerance or 0.01)
        entry = Warehouse(self.root).catalog().get("tables", {}).get(name, {})
        if entry.get("coverage") and not same_definition(entry.get("contract_version"), version):
            return (f"coverage not compared with the last publish: it was made under contract "
                    f"v{entry.get('contract_version')}, this table is v{version} (another major.minor "
                    "version defines the table anew); this publish is the next baseline")
        previous = entry.get("coverage")
        if drops := coverage_drops(previous, coverage, tolerance):
            raise dg.Failure(description=(
                f"{name} would cover less than its last publish (tolerance {tolerance:.1%}): " + "; ".join(drops)
                + ". Nothing was published. If an input is cut or missing, restore it; if the drop is "
                f"intended (a dataset disabled, a narrower scope), run again with TRADE_ACCEPT_COVERAGE_DROP={name}"),
                metadata={"coverage": dg.MetadataValue.json(coverage),
                          "last_published_coverage": dg.MetadataValue.json(previous)})

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame | StagedTable) -> None:
        """Write ``obj``; a staged table's folder is removed after, written or refused (issue 17)."""
        try:
            self._handle_output(context, obj)
        finally:
            if isinstance(obj, StagedTable):
                obj.remove_folder()

    def _handle_output(self, context: dg.OutputContext, obj: pd.DataFrame | StagedTable) -> None:
        name = table_name(context.asset_key)
        contract = load_contract(name)
        meta = context.definition_metadata or {}
        extra = _plain_metadata(context)
        coverage = table_coverage(obj, contract)
        if note := self._check_coverage(name, coverage, contract.version):
            context.log.warning(f"{name}: {note}")
            context.add_output_metadata({"coverage_baseline": note})
        materialized_at = utc_now()
        args = (obj, name, contract.arrow_schema(), contract.partition_column, {
            "contract_id": contract.id,
            "contract_version": contract.version,
            "source": extra.get("source", meta.get("source", "")),
            "provenance": extra.get("provenance", []),
            "retrieved_at": extra.get("retrieved_at", materialized_at),
            "materialized_at": materialized_at,
            "code_version": code_version(),
        })
        def entry(published):
            return catalog_entry(published, contract, as_path(self.root), materialized_at,
                                 str(extra.get("source", "")), coverage)

        warehouse = Warehouse(self.root)
        staged = lock.held_by(self.root) == context.run_id
        if staged:
            published = warehouse.stage_table(context.run_id, *args)
            warehouse.stage_entry(context.run_id, entry(published))
        else:  # outside a run: published on its own, table and catalog entry in one switch
            published = write_table(args[0], self.root, *args[1:], entry=entry)
        shown = {"path": dg.MetadataValue.path(str(published.path)), "files": len(published.files),
                 "coverage": dg.MetadataValue.json(coverage),
                 "published": "with the run's other tables when the whole run has passed" if staged else "now"}
        if is_remote(self.root):  # `path` is this run's snapshot of the table; readers go through CURRENT
            shown["read_current"] = (
                f"path is the table in the snapshot this run publishes (removed by the second publish after it). The "
                f"table readers see now: read {self.root.rstrip('/')}/CURRENT (one line, a snapshot URL), then "
                f"<that URL>/{name} (README \"The warehouse on object storage\")")
        context.add_output_metadata(shown)

    def load_input(self, context: dg.InputContext) -> pd.DataFrame | PartitionedTable | None:
        """The table as this run staged it, else as published; for an input marked ``optional``
        (``OPTIONAL_INPUT``), None when it is neither (a branch the settings cannot feed was left
        out of the run); for one marked ``BY_PARTITION``, a reader of one partition at a time
        (:class:`pipeline.warehouse.parquet.PartitionedTable`), bound to that same snapshot."""
        name = table_name(context.asset_key)
        where = Warehouse(self.root).location(name, lock.held_by(self.root))  # this run's, in this process
        asked = context.definition_metadata or {}
        if asked.get("optional") and not (where / name).exists():
            context.log.info(f"optional input {name} is not published under {self.root}: going without it")
            return None
        contract = load_contract(name)
        if asked.get("by_partition"):
            return partition_reader(where, name)
        return read_table(where, name, contract.arrow_schema())


OPTIONAL_INPUT = {"optional": True}  # AssetIn metadata: load None when the table is not published
BY_PARTITION = {"by_partition": True}  # AssetIn metadata: read the table one partition at a time


def _plain_metadata(context: dg.OutputContext) -> dict[str, Any]:
    """Values the asset attached to its Output, unwrapped from Dagster metadata types."""
    out = {}
    for key, value in (context.output_metadata or {}).items():
        out[key] = getattr(value, "value", value)
        if key == "provenance" and isinstance(out[key], str):
            out[key] = json.loads(out[key])
    return out


class RawProvenanceIOManager(dg.ConfigurableIOManager):
    """Stores what a raw asset discovered (provenance and manifest entry) as JSON.

    Files live in ``<root>/_raw/``: the leading underscore keeps them out of Parquet readers'
    way. In a run they are staged with its tables and moved into ``_raw/`` only when the run
    publishes (a failed run leaves the last good run's record).
    """

    root: str

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        take_warehouse(context, self.root)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        give_back_warehouse(context, self.root)

    def handle_output(self, context: dg.OutputContext, obj: list[dict[str, Any]]) -> None:
        name, text = context.asset_key.path[-1], json.dumps(obj, indent=2, default=str)
        if lock.held_by(self.root) == context.run_id:
            Warehouse(self.root).stage_raw(context.run_id, name, text)  # published with the run
            return
        # Outside a run: published on its own, as a run of one (locked, a snapshot of its own).
        publish_alone(self.root, lambda warehouse, run_id: warehouse.stage_raw(run_id, name, text))

    def load_input(self, context: dg.InputContext) -> list[dict[str, Any]]:
        path = Warehouse(self.root).raw_path(context.asset_key.path[-1], lock.held_by(self.root))
        if not path.exists():
            raise dg.Failure(f"raw inputs {path} missing: materialize {context.asset_key.to_user_string()} first")
        return json.loads(path.read_text())
