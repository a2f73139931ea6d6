-- PU and BPU potentials derived from the Sakernas status tables through the status mapping
-- (raw.status_mapping): per (round, kab/kota), the latest value of each status (a later
-- file, or line, replaces an earlier one), summed by the segment it feeds; SUBTRACT_PU
-- categories (ASN/TNI/Polri) are subtracted from PU, never below 0. A segment is NULL when
-- one of its categories is missing ('-' in a long table), and absent when none is given.
CREATE SCHEMA IF NOT EXISTS staging;

CREATE OR REPLACE TABLE staging.sakernas_potentials AS
WITH sums AS (
    SELECT
        l.reference_period, l.region_code,
        count(*) FILTER (WHERE m.segment = 'PU') AS pu_rows,
        count(l.workers) FILTER (WHERE m.segment = 'PU') AS pu_known,
        CAST(sum(l.workers) FILTER (WHERE m.segment = 'PU') AS BIGINT) AS pu,
        count(*) FILTER (WHERE m.segment = 'BPU') AS bpu_rows,
        count(l.workers) FILTER (WHERE m.segment = 'BPU') AS bpu_known,
        CAST(sum(l.workers) FILTER (WHERE m.segment = 'BPU') AS BIGINT) AS bpu,
        count(*) FILTER (WHERE m.segment = 'SUBTRACT_PU') AS sub_rows,
        count(l.workers) FILTER (WHERE m.segment = 'SUBTRACT_PU') AS sub_known,
        CAST(sum(l.workers) FILTER (WHERE m.segment = 'SUBTRACT_PU') AS BIGINT) AS sub,
        string_agg(DISTINCT l.source_file, ', ' ORDER BY l.source_file) AS source_file
    FROM latest_rows('raw.sakernas', (reference_period, region_code, status)) AS l
    JOIN raw.status_mapping AS m ON m.category = l.status
    GROUP BY l.reference_period, l.region_code
)
SELECT reference_period, region_code, 'PU' AS segment,
       CASE WHEN pu_known = pu_rows AND sub_known = sub_rows
           THEN greatest(pu - coalesce(sub, 0), 0) END AS potential_workers,
       source_file
FROM sums WHERE pu_rows > 0
UNION ALL
SELECT reference_period, region_code, 'BPU', CASE WHEN bpu_known = bpu_rows THEN bpu END,
       source_file
FROM sums WHERE bpu_rows > 0
ORDER BY reference_period, region_code, segment;

COMMENT ON TABLE staging.sakernas_potentials IS 'PU and BPU potentials derived from the Sakernas status tables through the status mapping.';
COMMENT ON COLUMN staging.sakernas_potentials.reference_period IS 'Sakernas round, YYYY-MM.';
COMMENT ON COLUMN staging.sakernas_potentials.region_code IS 'Kemendagri kab/kota code (PP.KK).';
COMMENT ON COLUMN staging.sakernas_potentials.segment IS 'PU or BPU.';
COMMENT ON COLUMN staging.sakernas_potentials.potential_workers IS 'Sum of the workers of the categories mapped to the segment (PU less SUBTRACT_PU, never below 0); NULL when one is missing.';
COMMENT ON COLUMN staging.sakernas_potentials.source_file IS 'Sakernas file(s) the values come from.';
