-- One potential per (period, kab/kota, segment): a later file (byte-wise name order)
-- replaces the value of an earlier one, a missing value included. The potentials derived
-- from Sakernas status tables (staging.sakernas_potentials) fill the keys workforce/ has
-- no value for: a value in workforce/ wins, a '-' there does not hide a Sakernas value.
CREATE SCHEMA IF NOT EXISTS staging;
CREATE TABLE IF NOT EXISTS staging.sakernas_potentials (
    reference_period VARCHAR, region_code VARCHAR, segment VARCHAR,
    potential_workers BIGINT, source_file VARCHAR
);

CREATE OR REPLACE TABLE staging.workforce AS
WITH direct AS (
    SELECT reference_period, region_code, segment, potential_workers, source_file, source_line
    FROM latest_rows('raw.workforce', (reference_period, region_code, segment))
)
SELECT
    coalesce(d.reference_period, s.reference_period) AS reference_period,
    coalesce(d.region_code, s.region_code) AS region_code,
    coalesce(d.segment, s.segment) AS segment,
    CASE WHEN d.potential_workers IS NOT NULL OR s.segment IS NULL
        THEN d.potential_workers ELSE s.potential_workers END AS potential_workers,
    CASE WHEN d.potential_workers IS NOT NULL OR s.segment IS NULL
        THEN d.source_file ELSE s.source_file END AS source_file,
    CASE WHEN d.potential_workers IS NOT NULL OR s.segment IS NULL
        THEN d.source_line END AS source_line
FROM direct AS d
FULL JOIN staging.sakernas_potentials AS s
    ON s.reference_period = d.reference_period AND s.region_code = d.region_code
    AND s.segment = d.segment
ORDER BY reference_period, region_code, segment;

COMMENT ON TABLE staging.workforce IS 'Potential workers per Sakernas round, kab/kota and segment, after later files replaced earlier ones; Sakernas status tables fill the keys workforce/ has no value for.';
COMMENT ON COLUMN staging.workforce.reference_period IS 'Sakernas round, YYYY-MM.';
COMMENT ON COLUMN staging.workforce.region_code IS 'Kemendagri kab/kota code (PP.KK).';
COMMENT ON COLUMN staging.workforce.segment IS 'PU (wage earners) or BPU (non-wage workers).';
COMMENT ON COLUMN staging.workforce.potential_workers IS 'Potential workers; NULL when missing.';
COMMENT ON COLUMN staging.workforce.source_file IS 'Landing file the value comes from (workforce/, or the sakernas/ file(s) it was derived from).';
COMMENT ON COLUMN staging.workforce.source_line IS 'Line of that file (NULL for a value derived from Sakernas).';
