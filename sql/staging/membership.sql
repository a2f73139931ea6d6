-- Partitioned by snapshot (cakupan/snapshots.py): run in one transaction with the temp tables
-- build_snapshots (the snapshots to rebuild) and found_snapshots (those in the sources now);
-- rows of the other snapshots are left as they are.
-- One row per snapshot, person and segment (counting rules 1-4 of docs/counting_rules.md).
--  1. rows with an invalid NIK are left out;
--  2. exact duplicate rows count once: a person counts once per segment, however many rows;
--  3. covered in a segment = at least one row with status AKTIF and both JKK and JKM;
--  4. region in a segment = region of the covered row with the latest registered_on
--     (blank is oldest), ties to the smallest region code. A person not covered in the
--     segment gets the region of their row chosen the same way among all rows.
-- One hash aggregation, min() of one BIGINT per row (no DISTINCT, no ordered aggregate, no
-- sort), so it stays cheap at national scale and spills as DuckDB needs. The BIGINT orders
-- the rows as rule 4 does and holds the chosen row's values:
--   bit 40      not covered (a covered row is smaller)
--   bit 39      registered_on blank (a dated row is smaller)
--   bits 14-38  days from registered_on to 9999-12-31 (a later date is smaller; < 2^25)
--   bits 0-13   the region code PP.KK as the number PPKK (the smaller code is smaller)
CREATE SCHEMA IF NOT EXISTS staging;

CREATE TABLE IF NOT EXISTS staging.membership (
    snapshot_date DATE,
    person_key UHUGEINT,
    segment VARCHAR,
    is_covered BOOLEAN,
    region_code VARCHAR,
    registered_on DATE,
    source_rows BIGINT
);
COMMENT ON TABLE staging.membership IS 'One row per snapshot, person (pseudonym) and segment: covered or not, and the region the person counts in.';
COMMENT ON COLUMN staging.membership.snapshot_date IS 'Date of the membership snapshot.';
COMMENT ON COLUMN staging.membership.person_key IS 'Keyed pseudonym of the NIK (128-bit keyed hash; never published).';
COMMENT ON COLUMN staging.membership.segment IS 'PU, BPU, JAKON or PMI.';
COMMENT ON COLUMN staging.membership.is_covered IS 'At least one row in the segment is AKTIF with both JKK and JKM.';
COMMENT ON COLUMN staging.membership.region_code IS 'Region of the covered row with the latest registered_on (blank oldest; ties: smallest code); for a person not covered, the same choice among all rows.';
COMMENT ON COLUMN staging.membership.registered_on IS 'registered_on of the row that gave the region (NULL when blank).';
COMMENT ON COLUMN staging.membership.source_rows IS 'Rows of the person in the segment and snapshot (an exact duplicate counts too).';

DELETE FROM staging.membership
WHERE snapshot_date IN (SELECT snapshot_date FROM build_snapshots)
   OR snapshot_date NOT IN (SELECT snapshot_date FROM found_snapshots);

INSERT INTO staging.membership
WITH chosen AS (
    SELECT
        snapshot_date,
        person_key,
        segment,
        min(
            (CAST(NOT (status = 'AKTIF' AND has_jkk AND has_jkm) AS BIGINT) << 40)
            | (CAST(registered_on IS NULL AS BIGINT) << 39)
            | ((DATE '9999-12-31' - coalesce(registered_on, DATE '9999-12-31')) << 14)
            | CASE WHEN length(region_code) = 5
                THEN CAST(substr(region_code, 1, 2) || substr(region_code, 4, 2) AS BIGINT)
                ELSE CAST(error('region code not PP.KK: ' || region_code) AS BIGINT) END
        ) AS chosen,
        count(*) AS source_rows
    FROM raw.membership
    WHERE nik_valid AND snapshot_date IN (SELECT snapshot_date FROM build_snapshots)
    GROUP BY snapshot_date, person_key, segment
)
SELECT
    snapshot_date,
    person_key,
    segment,
    chosen >> 40 = 0 AS is_covered,
    lpad(CAST((chosen & 16383) // 100 AS VARCHAR), 2, '0') || '.'
        || lpad(CAST((chosen & 16383) % 100 AS VARCHAR), 2, '0') AS region_code,
    CASE WHEN (chosen >> 39) & 1 = 0
        THEN DATE '9999-12-31' - CAST((chosen >> 14) & 33554431 AS INTEGER) END AS registered_on,
    source_rows
FROM chosen;
