-- One row per snapshot, person and segment (counting rules 1-4 of docs/counting_rules.md).
--  1. rows with an invalid NIK are left out;
--  2. exact duplicate rows count once: a person counts once per segment, however many rows;
--  3. covered in a segment = at least one row with status AKTIF and both JKK and JKM;
--  4. region in a segment = region of the covered row with the latest registered_on
--     (blank is oldest), ties to the smallest region code. A person not covered in the
--     segment gets the region of their row chosen the same way among all rows.
-- One hash aggregation over raw.membership: arg_min with the rule's order as a key (no
-- DISTINCT, no ordered aggregate, no sort), so it streams and spills as DuckDB needs.
CREATE SCHEMA IF NOT EXISTS staging;

CREATE OR REPLACE TABLE staging.membership AS
WITH chosen AS (
    SELECT
        snapshot_date,
        person_key,
        segment,
        bool_or(covers) AS is_covered,
        arg_min(
            {'region_code': region_code, 'registered_on': registered_on},
            -- covered first, then latest registered_on (blank last), then smallest code
            {'covers': NOT covers, 'blank': registered_on IS NULL,
             'newest': -(coalesce(registered_on, DATE '1970-01-01') - DATE '1970-01-01'),
             'code': region_code}
        ) AS row,
        count(*) AS source_rows
    FROM (
        SELECT *, status = 'AKTIF' AND has_jkk AND has_jkm AS covers
        FROM raw.membership
        WHERE nik_valid
    )
    GROUP BY snapshot_date, person_key, segment
)
SELECT snapshot_date, person_key, segment, is_covered,
       row.region_code AS region_code, row.registered_on AS registered_on, source_rows
FROM chosen;

COMMENT ON TABLE staging.membership IS 'One row per snapshot, person (pseudonym) and segment: covered or not, and the region the person counts in.';
COMMENT ON COLUMN staging.membership.snapshot_date IS 'Date of the membership snapshot.';
COMMENT ON COLUMN staging.membership.person_key IS 'Pseudonym of the NIK (128-bit keyed hash; never published).';
COMMENT ON COLUMN staging.membership.segment IS 'PU, BPU, JAKON or PMI.';
COMMENT ON COLUMN staging.membership.is_covered IS 'At least one row in the segment is AKTIF with both JKK and JKM.';
COMMENT ON COLUMN staging.membership.region_code IS 'Region of the covered row with the latest registered_on (blank oldest; ties: smallest code); for a person not covered, the same choice among all rows.';
COMMENT ON COLUMN staging.membership.registered_on IS 'registered_on of the row that gave the region (NULL when blank).';
COMMENT ON COLUMN staging.membership.source_rows IS 'Rows of the person in the segment and snapshot (an exact duplicate counts too).';
