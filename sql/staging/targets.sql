-- One target per (year, kab/kota): a later file, or a later line, replaces an earlier one.
CREATE SCHEMA IF NOT EXISTS staging;

CREATE OR REPLACE TABLE staging.targets AS
SELECT year, region_code, target_pct, source_file, source_line
FROM latest_rows('raw.targets', (year, region_code))
ORDER BY year, region_code;

COMMENT ON TABLE staging.targets IS 'UCJ coverage target per year and kab/kota, after later files replaced earlier ones.';
COMMENT ON COLUMN staging.targets.year IS 'Target year.';
COMMENT ON COLUMN staging.targets.region_code IS 'Kemendagri kab/kota code (PP.KK).';
COMMENT ON COLUMN staging.targets.target_pct IS 'Target coverage in percent, two decimals.';
COMMENT ON COLUMN staging.targets.source_file IS 'Landing file the value comes from.';
COMMENT ON COLUMN staging.targets.source_line IS 'Line of that file.';
