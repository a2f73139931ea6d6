-- One row per snapshot, person and segment (counting rules 1-4 of docs/counting_rules.md).
--  1. rows with an invalid NIK are left out;
--  2. exact duplicate rows count once;
--  3. covered in a segment = at least one row with status AKTIF and both JKK and JKM;
--  4. region in a segment = region of the covered row with the latest registered_on
--     (blank is oldest), ties to the smallest region code. A person not covered in the
--     segment gets the region of their row chosen the same way among all rows.
CREATE SCHEMA IF NOT EXISTS staging;

CREATE OR REPLACE TABLE staging.membership AS
WITH rows AS (
    SELECT DISTINCT snapshot_date, person_key, segment, region_code, registered_on, status,
           has_jkk, has_jkm, has_jht, has_jp, has_jkp,
           status = 'AKTIF' AND has_jkk AND has_jkm AS covers
    FROM raw.membership
    WHERE nik_valid
)
SELECT
    snapshot_date,
    person_key,
    segment,
    bool_or(covers) AS is_covered,
    first(region_code ORDER BY covers DESC, registered_on DESC NULLS LAST, region_code)
        AS region_code,
    first(registered_on ORDER BY covers DESC, registered_on DESC NULLS LAST, region_code)
        AS registered_on,
    count(*) AS source_rows
FROM rows
GROUP BY snapshot_date, person_key, segment
ORDER BY snapshot_date, segment, region_code, person_key;

COMMENT ON TABLE staging.membership IS 'One row per snapshot, person (pseudonym) and segment: covered or not, and the region the person counts in.';
COMMENT ON COLUMN staging.membership.snapshot_date IS 'Date of the membership snapshot.';
COMMENT ON COLUMN staging.membership.person_key IS 'HMAC-SHA256 pseudonym of the NIK (never published).';
COMMENT ON COLUMN staging.membership.segment IS 'PU, BPU, JAKON or PMI.';
COMMENT ON COLUMN staging.membership.is_covered IS 'At least one row in the segment is AKTIF with both JKK and JKM.';
COMMENT ON COLUMN staging.membership.region_code IS 'Region of the covered row with the latest registered_on (blank oldest; ties: smallest code); for a person not covered, the same choice among all rows.';
COMMENT ON COLUMN staging.membership.registered_on IS 'registered_on of the row that gave the region (NULL when blank).';
COMMENT ON COLUMN staging.membership.source_rows IS 'Distinct rows of the person in the segment (exact duplicates count once).';
