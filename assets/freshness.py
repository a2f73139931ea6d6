"""Freshness of the coverage figures, shown in the UI.

- No successful materialization in the last 26 hours (the nightly run missed or failed):
  a freshness policy (``dg.FreshnessPolicy.time_window``) on the coverage assets, working
  and published, attached by the code location (``pipelines/definitions.py``); the
  daemon evaluates it when the instance has ``freshness: enabled: true``.
- The latest membership snapshot more than 40 days old (no new extract arrived): the
  check ``latest_snapshot_age`` on ``coverage/coverage_by_city``, WARN, never blocking;
  it runs with every run that computes the table.
"""

import datetime as dt

import dagster as dg

from assets.materialize import whole_run_id
from assets.resources import CakupanSettings, Warehouse
from cakupan.landing import jakarta_today
from cakupan.quality import catalogue
from cakupan.quality.outcomes import ExpectationOutcome
from cakupan.quality.results import record
from cakupan.sqlfiles import sql, table_exists

COVERAGE = dg.AssetKey(["coverage", "coverage_by_city"])
TABLE = "coverage.coverage_by_city"
NAME = "latest_snapshot_age"
MAX_SNAPSHOT_AGE = dt.timedelta(days=40)
MAX_RUN_AGE = dt.timedelta(hours=26)  # a nightly run, with two hours to spare
CHECK = catalogue.check(TABLE, NAME)  # declared in expectations/coverage.coverage_by_city.yml

COVERAGE_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=MAX_RUN_AGE)
PUBLISHED = {
    dg.AssetKey(["reporting", t])
    for t in ("coverage_by_city", "coverage_by_province", "coverage_national")
}


def with_freshness_policy(spec: dg.AssetSpec) -> dg.AssetSpec:
    """``spec`` with the 26-hour policy if it is a coverage asset (``coverage/*`` or a
    published coverage table); for ``dg.map_asset_specs`` over the loaded assets."""
    if spec.key.path[0] == "coverage" or spec.key in PUBLISHED:
        return dg.apply_freshness_policy(spec, COVERAGE_FRESHNESS)
    return spec


def today() -> dt.date:
    """Today's date in Indonesia (WIB), the calendar the snapshots are dated in."""
    return jakarta_today()


def snapshot_age(latest: dt.date | None, on: dt.date) -> tuple[bool, int | None]:
    """(fresh, age in days) of the latest snapshot on day ``on``: fresh when at most
    ``MAX_SNAPSHOT_AGE`` old; no snapshot is not fresh."""
    if latest is None:
        return False, None
    age = (on - latest).days
    return age <= MAX_SNAPSHOT_AGE.days, age


@dg.asset_check(
    asset=COVERAGE,
    name=NAME,
    blocking=True,  # runs before publishing, to be recorded; a WARN failure never blocks
    description=f"[{CHECK.severity}] {CHECK.description.format(limit=MAX_SNAPSHOT_AGE.days)}",
)
def latest_snapshot_age(
    context: dg.AssetCheckExecutionContext, settings: CakupanSettings, warehouse: Warehouse
) -> dg.AssetCheckResult:
    on = today()
    limit = MAX_SNAPSHOT_AGE.days
    with warehouse.get_connection() as con:
        latest = (
            con.execute(sql("coverage/check_latest_snapshot.sql")).fetchall()[0][0]
            if table_exists(con, TABLE)
            else None
        )
        fresh, age = snapshot_age(latest, on)
        # what `cakupan run` prints (no age: the same text all day, every day it holds)
        observed = (
            f"latest snapshot {latest}: "
            + (f"within {limit} days" if fresh else f"more than {limit} days old")
            if latest
            else f"no snapshot in {TABLE}"
        )
        outcome = ExpectationOutcome(
            expectation=NAME,
            expectation_type="cakupan.latest_snapshot_age",
            severity=CHECK.severity,
            success=fresh,
            observed_value=observed,
            unexpected_count=None,
        )
        run_id = context.run.run_id
        record(con, settings.get(), run_id, TABLE, [outcome], None, whole_run_id(context), [NAME])
    return dg.AssetCheckResult(
        passed=fresh,
        severity=dg.AssetCheckSeverity[CHECK.severity],
        description=(
            f"latest snapshot {latest}, {age} days old on {on}"
            if latest
            else f"no snapshot in {TABLE}"
        ),
        metadata={
            "observed value": dg.MetadataValue.text(observed),
            "latest snapshot": dg.MetadataValue.text(str(latest) if latest else "none"),
            "age (days)": dg.MetadataValue.int(age) if age is not None else None,
            "maximum age (days)": dg.MetadataValue.int(MAX_SNAPSHOT_AGE.days),
            "today (Asia/Jakarta)": dg.MetadataValue.text(on.isoformat()),
        },
    )


FRESHNESS_CHECK_KEYS = set(latest_snapshot_age.check_keys)
