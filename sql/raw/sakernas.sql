-- Accepted rows of every sakernas file. Ingest loads them into raw.sakernas_loading (this
-- file with raw.sakernas renamed) and puts that in the place of raw.sakernas when no file
-- is rejected (else drops it: the previous load stays).
CREATE SCHEMA IF NOT EXISTS raw;

CREATE OR REPLACE TABLE raw.sakernas (
    source_file VARCHAR,
    file_seq INTEGER,
    source_line BIGINT,
    reference_period VARCHAR,
    region_code_raw VARCHAR,
    region_code VARCHAR,
    status VARCHAR,
    workers BIGINT
);
COMMENT ON TABLE raw.sakernas IS 'BPS Sakernas workers per kab/kota, round and main employment status, as read from every accepted file (wide tables turned long); province and national totals skipped.';
COMMENT ON COLUMN raw.sakernas.source_file IS 'Landing file, relative to the landing folder.';
COMMENT ON COLUMN raw.sakernas.file_seq IS 'Position of the file in byte-wise name order (a later file replaces an earlier one).';
COMMENT ON COLUMN raw.sakernas.source_line IS 'Line in the CSV file (header is line 1), or row number in the Excel sheet.';
COMMENT ON COLUMN raw.sakernas.reference_period IS 'Sakernas round, YYYY-MM.';
COMMENT ON COLUMN raw.sakernas.region_code_raw IS 'Region code as written in the file (Kemendagri or BPS).';
COMMENT ON COLUMN raw.sakernas.region_code IS 'Today''s Kemendagri kab/kota code (PP.KK).';
COMMENT ON COLUMN raw.sakernas.status IS 'Status pekerjaan utama: 1-7 (BPS codes) or ASN (ASN/TNI/Polri).';
COMMENT ON COLUMN raw.sakernas.workers IS 'Workers; NULL when missing (''-'' in a long table).';
