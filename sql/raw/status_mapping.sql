-- The status mapping in use (category -> PU, BPU, EXCLUDED or SUBTRACT_PU), from the
-- relation `mapping_rows` (checked by cakupan/sakernas.py).
CREATE SCHEMA IF NOT EXISTS raw;

CREATE OR REPLACE TABLE raw.status_mapping AS
SELECT CAST(category AS VARCHAR) AS category, CAST(segment AS VARCHAR) AS segment,
       CAST(source_file AS VARCHAR) AS source_file
FROM mapping_rows;
COMMENT ON TABLE raw.status_mapping IS 'Which potential each Sakernas status category feeds (data/reference/status_mapping.csv or $CAKUPAN_STATUS_MAPPING).';
COMMENT ON COLUMN raw.status_mapping.category IS 'Status pekerjaan utama code: 1-7 or ASN.';
COMMENT ON COLUMN raw.status_mapping.segment IS 'PU, BPU, EXCLUDED or SUBTRACT_PU (subtracted from PU, never below 0).';
COMMENT ON COLUMN raw.status_mapping.source_file IS 'Mapping file read.';
