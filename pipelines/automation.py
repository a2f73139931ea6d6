"""Nightly operations: the 02:00 WIB schedule, the landing-folder sensor, the snapshots
sensor and run retries.

The schedule and the landing sensor ask for the job's ingest run (``pipelines/runs.py``);
after each that succeeds, the snapshots sensor adds the new snapshot partitions and asks for
the run of the snapshots whose inputs changed, which publishes. The schedule and the landing
sensor are off until turned on (UI toggle, or ``dagster schedule start cakupan_nightly`` /
``dagster sensor start cakupan_landing``); the daemon that ticks them runs inside
``dagster dev`` (``make dev``) or as ``dagster-daemon run`` beside ``dagster-webserver``.

The snapshots sensor reads the warehouse under the run lock (``cakupan.runlock``), without
waiting: while a run holds it (or another process has the warehouse open for writing), the
tick skips, saying so, and its cursor stays on the last ingest run it followed, so the next
tick asks again. Its cursor is its own (:class:`Followed`), moved only past ingest runs whose
snapshots run was asked for (or made by ``cakupan run``), never lost to a failed tick.

Retries: the runs both request carry ``dagster/max_retries: 1``, so with ``run_retries``
enabled in the instance's ``dagster.yaml`` a failed run is re-executed once from its failed
step. A run that failed because landing files were rejected is never retried: the hook
:data:`NO_RETRY_AFTER_REJECTION` (on the job) tags it
``dagster/retry_on_asset_or_op_failure: false`` before the run fails, and Dagster then
marks it ``dagster/will_retry: false``. A corrected file is picked up by the next run.

The schedule and the sensors take their settings (the landing folder) from the ``settings``
resource, as runs do: read when each is evaluated, never when the code location loads. A
bad value fails that evaluation with an error naming the variable; the landing sensor's
own ``CAKUPAN_SENSOR_INTERVAL``, needed to define it, is its default until corrected.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb

from assets.resources import CakupanSettings
from cakupan import ledger, preflight, rejections, runlock, settling
from cakupan.config import SENSOR_INTERVAL, SettingError, Settings, setting
from pipelines import runs

SCHEDULE = "cakupan_nightly"
SENSOR = "cakupan_landing"
SNAPSHOTS_SENSOR = "cakupan_snapshots"
CRON = "0 2 * * *"
TIMEZONE = "Asia/Jakarta"

MAX_RETRIES = "dagster/max_retries"
RETRY_ON_STEP_FAILURE = "dagster/retry_on_asset_or_op_failure"
# the tags of the runs the schedule and the sensor request: one run retry
RETRY_ONCE = {MAX_RETRIES: "1"}
INGEST_TAGS = {**RETRY_ONCE, runs.PHASE_TAG: runs.INGEST}

SNAPSHOTS_INTERVAL = 5  # how soon the snapshots run follows an ingest run (seconds)


@dataclass(frozen=True)
class LandingState:
    """The extracts a run would read (``preflight.scan``): name, size and mtime of each."""

    files: tuple[tuple[str, int, int], ...]  # (name relative to landing, bytes, mtime ns)

    @classmethod
    def read(cls, landing: Path) -> LandingState:
        found = preflight.scan(landing)
        files = []
        for names in found.files.values():
            for name in names:
                try:
                    stat = (landing / name).stat()
                except FileNotFoundError:  # removed while we looked
                    continue
                files.append((name, stat.st_size, stat.st_mtime_ns))
        return cls(tuple(sorted(files)))

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the sorted ``name\\tsize\\tmtime_ns`` lines."""
        text = "".join(f"{n}\t{s}\t{m}\n" for n, s, m in self.files)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def unsettled(self, settle: float, now: float) -> dict[str, float]:
        """name -> age of the files still being written (``cakupan.settling``'s rule)."""
        return settling.still_written({n: m for n, _, m in self.files}, settle, now)


@dataclass(frozen=True)
class Cursor:
    """The sensor's cursor: the fingerprint of the landing files when it last asked for a
    run, and how many runs it has asked for (part of the run key, so that going back to an
    earlier state of the folder asks for a run again)."""

    fingerprint: str = ""
    requests: int = 0

    @classmethod
    def parse(cls, text: str | None) -> Cursor:
        return cls(**json.loads(text)) if text else cls()

    def dumps(self) -> str:
        return json.dumps({"fingerprint": self.fingerprint, "requests": self.requests})


def landing_decision(
    settings: Settings, cursor: str | None, now: float | None = None
) -> tuple[dg.RunRequest | dg.SkipReason, str | None]:
    """What the landing sensor does: a run request when the extracts differ from the last
    request's (added, changed or removed), else a skip reason; and the new cursor (None:
    unchanged). While a file is still being written (modified less than
    ``settings.settle`` ago), no run: the change waits for a later tick."""
    landing = settings.landing
    if not landing.is_dir():
        return dg.SkipReason(
            f"landing folder {landing} is missing ({settings.landing_option})"
        ), None
    state = LandingState.read(landing)
    last = Cursor.parse(cursor)
    if not state.files:
        return dg.SkipReason(f"landing folder {landing} has no extracts"), None
    if state.fingerprint == last.fingerprint:
        return dg.SkipReason(f"nothing changed in {landing} since the last run request"), None
    settle = settings.settle
    late = state.unsettled(settle, time.time() if now is None else now)
    if late:
        files = ", ".join(f"{n} (modified {a:.0f} s ago)" for n, a in sorted(late.items()))
        return (
            dg.SkipReason(
                f"waiting for files still being written: {files}; a file counts once it has "
                f"not changed for {settle:g} s (CAKUPAN_SETTLE_SECONDS)"
            ),
            None,
        )
    new = Cursor(state.fingerprint, last.requests + 1)
    request = dg.RunRequest(
        run_key=f"landing-{new.requests}-{new.fingerprint[:16]}",
        tags={**INGEST_TAGS, "cakupan/landing_fingerprint": new.fingerprint[:16]},
    )
    return request, new.dumps()


def nightly_decision(settings: Settings) -> dg.RunRequest | dg.SkipReason:
    """What the nightly schedule does: one ingest run over the landing folder as it is
    then, also when nothing changed. Its ingest then reads no file (the ingest ledger),
    and the snapshots run after it checks the latest snapshot (found current, nothing
    rebuilt), which keeps the 26-hour freshness flag meaning "the nightly run failed or
    did not happen" rather than "no file arrived" (the 40-day snapshot-age check says
    that). ``cakupan run`` skips instead (``cakupan.ledger.nothing_changed``).

    A file still being written at 02:00 does not hold the run back: its ingest leaves that
    file for a later run (``cakupan.settling``; the rows of its version loaded before stay),
    and the landing sensor, when on, asks for that run once it has settled."""
    return dg.RunRequest(tags=INGEST_TAGS)


@dataclass(frozen=True)
class Followed:
    """The snapshots sensor's cursor: the last successful ingest run it has followed (its
    snapshots run asked for, or already made), by the time of its success. Ingest runs
    that succeeded after it are still to follow."""

    updated: str = ""  # the run record's update time (its success), ISO 8601, UTC
    run_id: str = ""

    @classmethod
    def of(cls, record: dg.RunRecord) -> Followed:
        return cls(_utc(record.update_timestamp).isoformat(), record.dagster_run.run_id)

    @classmethod
    def parse(cls, text: str | None) -> Followed:
        """The cursor; empty for none, or one of another shape (that of the run-status
        sensor this sensor was before)."""
        try:
            data = json.loads(text) if text else {}
        except ValueError:
            data = {}
        if not isinstance(data, dict) or not {"updated", "run_id"} <= data.keys():
            return cls()
        return cls(str(data["updated"]), str(data["run_id"]))

    def dumps(self) -> str:
        return json.dumps({"updated": self.updated, "run_id": self.run_id})

    def precedes(self, record: dg.RunRecord) -> bool:
        """Whether ``record`` succeeded after this cursor's run (by time, then run id)."""
        if not self.updated:
            return True
        ours = (dt.datetime.fromisoformat(self.updated), self.run_id)
        return ours < (_utc(record.update_timestamp), record.dagster_run.run_id)


def _utc(when: dt.datetime) -> dt.datetime:
    """A run record's time, made aware (run storages keep UTC without a time zone)."""
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def ingest_runs_to_follow(
    instance: dg.DagsterInstance, job_name: str, cursor: Followed
) -> list[dg.RunRecord]:
    """The successful ingest runs of ``job_name`` after ``cursor``, oldest first; without a
    cursor (a new sensor), the latest only."""
    since = None
    if cursor.updated:  # a second early: runs that ended in the same instant, ordered by id
        since = dt.datetime.fromisoformat(cursor.updated) - dt.timedelta(seconds=1)
    filters = dg.RunsFilter(
        job_name=job_name,
        statuses=[dg.DagsterRunStatus.SUCCESS],
        tags={runs.PHASE_TAG: runs.INGEST},
        updated_after=since,
    )
    if since is None:
        return list(instance.get_run_records(filters, limit=1, order_by="update_timestamp"))
    found = [r for r in instance.get_run_records(filters) if cursor.precedes(r)]
    return sorted(found, key=lambda r: (_utc(r.update_timestamp), r.dagster_run.run_id))


def snapshots_run_exists(instance: dg.DagsterInstance, ingest_run_id: str) -> bool:
    """Whether the snapshots run after ingest run ``ingest_run_id`` was made (by the sensor,
    or by ``cakupan run``, which makes both in process), whatever its status."""
    tags = {runs.RUN_TAG: ingest_run_id, runs.PHASE_TAG: runs.COMPUTE}
    return bool(instance.get_run_records(dg.RunsFilter(tags=tags), limit=1))


def snapshots_tick(
    settings: Settings, instance: dg.DagsterInstance, job: dg.JobDefinition, cursor: str | None
) -> tuple[dg.SensorResult | dg.SkipReason, str | None]:
    """What the snapshots sensor does at a tick: follow the oldest successful ingest run
    since its cursor that has no snapshots run yet (:func:`snapshots_decision`); and the
    new cursor (None: unchanged), past that run only when its snapshots run was asked for."""
    last = Followed.parse(cursor)
    followed = None  # the last run found followed already
    for record in ingest_runs_to_follow(instance, job.name, last):
        if snapshots_run_exists(instance, record.dagster_run.run_id):
            followed = record
            continue
        result = snapshots_decision(settings, instance, job, record.dagster_run)
        if isinstance(result, dg.SkipReason):  # the warehouse could not be read: retry
            return result, Followed.of(followed).dumps() if followed else None
        return result, Followed.of(record).dumps()
    done = followed.dagster_run.run_id if followed else last.run_id
    latest = f" (the latest followed: {done})" if done else ""
    return (
        dg.SkipReason(f"every successful ingest run has its snapshots run{latest}"),
        Followed.of(followed).dumps() if followed else None,
    )


def snapshots_decision(
    settings: Settings, instance: dg.DagsterInstance, job: dg.JobDefinition, ingest: dg.DagsterRun
) -> dg.SensorResult | dg.SkipReason:
    """What the snapshots sensor does after a successful ingest run: add and delete the
    snapshot partitions and ask for the run of the snapshots whose inputs changed. The
    warehouse is read under the run lock, without waiting: while a run holds it, or another
    process writes the warehouse, a skip reason saying so."""
    if ingest.tags.get(runs.PHASE_TAG) != runs.INGEST:
        return dg.SkipReason(f"run {ingest.run_id} was not an ingest run")
    force = ingest.tags.get(ledger.FORCE_TAG) == "true"
    try:
        with runlock.hold(settings.lock_path, f"{SNAPSHOTS_SENSOR} sensor", timeout=0):
            plan = runs.snapshot_plan(settings.warehouse_path, instance, force=force)
    except (runlock.RunLockError, duckdb.IOException) as exc:
        if isinstance(exc, runlock.RunLockError):
            holder = runlock.read_holder(settings.lock_path)
            busy = f"{holder or 'another run'} holds the run lock"
        else:
            busy = str(exc)
        return dg.SkipReason(
            f"the warehouse cannot be read now ({busy}): the snapshots run after ingest run "
            f"{ingest.run_id} is asked for at a later tick"
        )
    keys = runs.compute_selection(runs.Phases.of(job), plan)
    request = dg.RunRequest(
        run_key=f"snapshots-{ingest.run_id}",
        asset_selection=sorted(keys),
        tags={**RETRY_ONCE, **runs.snapshot_run_tags(ingest.run_id, plan, force)},
    )
    return dg.SensorResult(
        run_requests=[request], dynamic_partitions_requests=runs.partition_requests(plan)
    )


def sensor_interval() -> int:
    """How often the daemon looks at the landing folder (``CAKUPAN_SENSOR_INTERVAL``); its
    default when the value cannot be used, which each tick then reports. How long a file
    must be left untouched before it counts is ``Settings.settle`` (cakupan.settling)."""
    try:
        return setting(SENSOR_INTERVAL)
    except SettingError:
        return setting(SENSOR_INTERVAL, {})


def build_automation(job) -> tuple[dg.ScheduleDefinition, dg.SensorDefinition, dg.SensorDefinition]:
    """The nightly schedule and the landing sensor of ``job`` (both stopped by default),
    which ask for its ingest run, and the snapshots sensor (running by default), which asks
    for the run of the changed snapshots after each successful ingest run."""

    def ingest_only(result, repository):
        """``result`` (a run request) for the job's ingest assets only."""
        if not isinstance(result, dg.RunRequest):
            return result
        keys = runs.Phases.of(repository.get_job(job.name)).ingest
        return result.with_replaced_attrs(asset_selection=sorted(keys))

    @dg.schedule(
        name=SCHEDULE,
        job=job,
        cron_schedule=CRON,
        execution_timezone=TIMEZONE,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="Full run every night at 02:00 WIB (Asia/Jakarta) over the files then in "
        "the landing folder (a file still being written is left for a later run); a failed "
        "run is retried once, never one that rejected files. Off until turned on.",
    )
    def nightly(context: dg.ScheduleEvaluationContext, settings: CakupanSettings):
        return ingest_only(nightly_decision(settings.get()), context.repository_def)

    @dg.sensor(
        name=SENSOR,
        job=job,
        minimum_interval_seconds=sensor_interval(),
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Asks for a run when extracts were added to, changed in or removed from "
        "the landing folder since its last request (names, sizes, modification times); "
        "waits while a file is still being written (changed within CAKUPAN_SETTLE_SECONDS, "
        "default 60 s). Off until turned on.",
    )
    def landing(context: dg.SensorEvaluationContext, settings: CakupanSettings):
        setting(SENSOR_INTERVAL)  # a bad value fails the tick, naming the variable
        result, cursor = landing_decision(settings.get(), context.cursor)
        if cursor is not None:
            context.update_cursor(cursor)
        return ingest_only(result, context.repository_def)

    @dg.sensor(
        name=SNAPSHOTS_SENSOR,
        job=job,
        minimum_interval_seconds=SNAPSHOTS_INTERVAL,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="After each successful ingest run of the schedule or the landing sensor, "
        "adds the new membership snapshots as partitions, deletes those no "
        "longer in the landing folder, and asks for the run that rebuilds the snapshots "
        "whose inputs changed and publishes. While a run holds the warehouse it skips and "
        "asks at a later tick (its cursor: the last ingest run it followed).",
    )
    def snapshots_after_ingest(context: dg.SensorEvaluationContext, settings: CakupanSettings):
        result, cursor = snapshots_tick(
            settings.get(),
            context.instance,
            context.repository_def.get_job(job.name),
            context.cursor,
        )
        if cursor is not None:
            context.update_cursor(cursor)
        return result

    return nightly, landing, snapshots_after_ingest


def _rejected_files(context: dg.HookContext) -> bool:
    """Whether this run rejected landing files (``ops.rejected_files`` has rows of it)."""
    try:
        with context.resources.warehouse.get_connection() as con:
            return bool(rejections.for_run(con, context.run_id))
    except (duckdb.Error, OSError):  # no warehouse to read: not a rejection
        return False


@dg.failure_hook(required_resource_keys={"warehouse"})
def no_retry_after_rejection(context: dg.HookContext):
    """Keep a run that failed on rejected files from being retried: retrying reads the
    same files and rejects them again."""
    if _rejected_files(context):
        context.instance.add_run_tags(context.run_id, {RETRY_ON_STEP_FAILURE: "false"})
        context.log.info("landing files were rejected: this run will not be retried")


NO_RETRY_AFTER_REJECTION = {no_retry_after_rejection}
