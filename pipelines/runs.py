"""A whole run of a job, as two Dagster runs: first the ingest (every asset that is not
partitioned by snapshot, nor downstream of one), then the snapshots whose inputs changed
(the snapshot-partitioned assets, for those partitions, and everything after them: the
published file and the reports).

Between the two, the partitions are brought in line with the snapshots the ingest found
(``cakupan.snapshots``): new snapshot dates are added to the ``snapshots`` dynamic
partitions, snapshots no longer in the landing folder are deleted. ``cakupan run`` does
all of it in process (:func:`execute`); under the daemon, the schedule and the landing
sensor ask for the ingest and the ``cakupan_snapshots`` sensor (``pipelines/automation.py``)
for the second run, with the same :func:`snapshot_plan`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb

from assets.partitions import SNAPSHOTS
from cakupan import ledger, snapshots

PHASE_TAG = "cakupan/phase"  # which of the two runs: INGEST or COMPUTE
RUN_TAG = ledger.RUN_TAG  # the id both runs share: the ingest run's id
INGEST, COMPUTE = "ingest", "snapshots"
# The tags by which a run covers a range of partitions: Dagster's documented strings (it has
# no public constant for them; tests/test_architecture.py pins them to its own).
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"


@dataclass(frozen=True)
class Phases:
    """The asset keys of a job's two runs."""

    ingest: frozenset[dg.AssetKey]
    compute: frozenset[dg.AssetKey]
    partitioned: frozenset[dg.AssetKey]

    @classmethod
    def of(cls, job: dg.JobDefinition) -> Phases:
        graph = job.asset_layer.asset_graph
        keys = job.asset_layer.selected_asset_keys
        partitioned = {k for k in keys if graph.get(k).partitions_def is not None}
        after = dg.AssetSelection.assets(*partitioned).downstream().resolve(graph)
        compute = frozenset(keys & after)
        return cls(frozenset(keys - compute), compute, frozenset(partitioned))


@dataclass(frozen=True)
class SnapshotPlan:
    """What the second run does: the partitions to add and delete first, and the range of
    partitions it rebuilds (None: no snapshot to rebuild)."""

    add: tuple[str, ...]
    delete: tuple[str, ...]
    keys: tuple[str, ...]  # the snapshots whose inputs changed (or all, forced)
    first: str | None = None
    last: str | None = None

    @property
    def tags(self) -> dict[str, str]:
        if self.first is None:
            return {}
        return {
            PARTITION_RANGE_START_TAG: self.first,
            PARTITION_RANGE_END_TAG: self.last,
        }

    def describe(self) -> str:
        parts = []
        if self.add:
            parts.append(f"new snapshot(s) {', '.join(self.add)}")
        if self.delete:
            parts.append(f"snapshot(s) no longer in the landing folder {', '.join(self.delete)}")
        if self.first is None:
            parts.append("no snapshot to rebuild")
        elif self.first == self.last:
            parts.append(f"rebuilding snapshot {self.first}")
        else:
            parts.append(f"rebuilding snapshots {self.first} to {self.last}")
        return "; ".join(parts)


def snapshot_plan(
    warehouse: Path, instance: dg.DagsterInstance, force: bool = False
) -> SnapshotPlan:
    """The second run, from the warehouse as the ingest left it (read-only) and the
    instance's partitions. The snapshots to rebuild are those whose inputs changed; when
    none did, the latest one (its assets find it current and rebuild nothing, and the run
    still says the data was checked: the 26-hour freshness flag). A range of partitions,
    in the partitions' order, holds them all (a snapshot between two to rebuild is checked
    too and found current)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = snapshots.found(con)
        stale = snapshots.stale(con, force=force, keys=found)
    existing = instance.get_dynamic_partitions(SNAPSHOTS.name)
    add = tuple(k for k in found if k not in existing)
    delete = tuple(k for k in existing if k not in found)
    order = [k for k in existing if k in found] + list(add)
    keys = tuple(k for k in order if k in stale) or tuple(order[-1:])
    if not keys:
        return SnapshotPlan(add, delete, ())
    span = [order.index(k) for k in keys]
    return SnapshotPlan(add, delete, keys, order[min(span)], order[max(span)])


def apply_partitions(instance: dg.DagsterInstance, plan: SnapshotPlan) -> None:
    """Add and delete the plan's partitions (what the sensor's SensorResult asks for)."""
    if plan.add:
        instance.add_dynamic_partitions(SNAPSHOTS.name, list(plan.add))
    for key in plan.delete:
        instance.delete_dynamic_partition(SNAPSHOTS.name, key)


def partition_requests(plan: SnapshotPlan) -> list:
    """The plan's partition changes as a sensor's dynamic partition requests."""
    requests = []
    if plan.add:
        requests.append(SNAPSHOTS.build_add_request(list(plan.add)))
    if plan.delete:
        requests.append(SNAPSHOTS.build_delete_request(list(plan.delete)))
    return requests


def snapshot_run_tags(ingest_run_id: str, plan: SnapshotPlan, force: bool) -> dict[str, str]:
    """The tags of the run of the snapshots that follows ingest run ``ingest_run_id``."""
    tags = {PHASE_TAG: COMPUTE, RUN_TAG: ingest_run_id, **plan.tags}
    if force:
        tags[ledger.FORCE_TAG] = "true"
    return tags


def compute_selection(phases: Phases, plan: SnapshotPlan) -> frozenset[dg.AssetKey]:
    """The second run's assets: without the partitioned ones when no snapshot is rebuilt."""
    return phases.compute if plan.first is not None else phases.compute - phases.partitioned


@dataclass
class Runs:
    """The two runs of :func:`execute`, read like one ``ExecuteInProcessResult``."""

    results: list[dg.ExecuteInProcessResult] = field(default_factory=list)
    plan: SnapshotPlan | None = None

    @property
    def success(self) -> bool:
        return bool(self.results) and all(r.success for r in self.results)

    @property
    def run_id(self) -> str:
        """The ingest run's id (the ingest ledger and the rejections carry it)."""
        return self.results[0].run_id

    @property
    def run_ids(self) -> list[str]:
        return [r.run_id for r in self.results]

    @property
    def all_events(self) -> list:
        return [e for r in self.results for e in r.all_events]

    def _each(self, method: str, *args) -> Iterator:
        for r in self.results:
            yield from getattr(r, method)(*args)

    def get_asset_check_evaluations(self) -> list:
        return list(self._each("get_asset_check_evaluations"))

    def get_asset_materialization_events(self) -> list:
        return list(self._each("get_asset_materialization_events"))

    def get_step_failure_events(self) -> list:
        return list(self._each("get_step_failure_events"))


def execute(
    job: dg.JobDefinition,
    instance: dg.DagsterInstance,
    warehouse: Path,
    run_id: str | None = None,
    tags: dict[str, str] | None = None,
    run_config=None,
    on_plan=None,
) -> Runs:
    """Run ``job`` whole, in process: the ingest run (``run_id``), then, when it
    succeeded, the partitions brought in line and the second run. ``tags`` go on both
    (``ledger.FORCE_TAG`` rebuilds every snapshot); ``on_plan`` is told the plan."""
    phases = Phases.of(job)
    run_id = run_id or str(uuid.uuid4())
    tags = dict(tags or {})
    force = tags.get(ledger.FORCE_TAG) == "true"
    runs = Runs()

    def one(keys, run_tags, rid):
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_id=rid,
            run_config=run_config,
            asset_selection=sorted(keys),
            tags={**tags, **run_tags},
        )
        runs.results.append(result)
        return result

    ingest = {PHASE_TAG: INGEST, RUN_TAG: run_id}
    if not one(phases.ingest, ingest, run_id).success or not phases.compute:
        return runs
    runs.plan = plan = snapshot_plan(warehouse, instance, force=force)
    if on_plan is not None:
        on_plan(plan)
    apply_partitions(instance, plan)
    keys = compute_selection(phases, plan)
    if keys:
        one(keys, snapshot_run_tags(run_id, plan, force), str(uuid.uuid4()))
    return runs
