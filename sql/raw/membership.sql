-- Accepted rows of every membership file. Ingest loads them into raw.membership_loading (this
-- file with raw.membership renamed) and puts that in the place of raw.membership when no file
-- is rejected (else drops it: the previous load stays).
CREATE SCHEMA IF NOT EXISTS raw;

CREATE OR REPLACE TABLE raw.membership (
    source_file VARCHAR,
    source_line BIGINT,
    snapshot_date DATE,
    person_key UHUGEINT,
    nik_valid BOOLEAN,
    nik_district_known BOOLEAN,
    nik_birth_date_valid BOOLEAN,
    segment VARCHAR,
    region_code_raw VARCHAR,
    region_code VARCHAR,
    status VARCHAR,
    has_jkk BOOLEAN,
    has_jkm BOOLEAN,
    has_jht BOOLEAN,
    has_jp BOOLEAN,
    has_jkp BOOLEAN,
    unknown_programs INTEGER,
    registered_on DATE
);
COMMENT ON TABLE raw.membership IS 'BPJS Ketenagakerjaan membership rows from every accepted file, NIK pseudonymized at ingest.';
COMMENT ON COLUMN raw.membership.source_file IS 'Landing file, relative to the landing folder.';
COMMENT ON COLUMN raw.membership.source_line IS 'Line in the CSV file (header is line 1), or row in the Parquet file (first row is 1).';
COMMENT ON COLUMN raw.membership.snapshot_date IS 'Date of the membership snapshot (Asia/Jakarta).';
COMMENT ON COLUMN raw.membership.person_key IS 'Keyed pseudonym of the NIK: the first 128 bits of a keyed SHA-256 (never published). NULL when the NIK is invalid.';
COMMENT ON COLUMN raw.membership.nik_valid IS 'The NIK is exactly 16 digits after trimming (invalid rows are not counted).';
COMMENT ON COLUMN raw.membership.nik_district_known IS 'The NIK''s first six digits are a known Kemendagri district (kecamatan) code.';
COMMENT ON COLUMN raw.membership.nik_birth_date_valid IS 'The NIK''s digits 7-12 are a possible birth date DDMMYY (women: day + 40).';
COMMENT ON COLUMN raw.membership.segment IS 'PU, BPU, JAKON (construction) or PMI (migrant workers).';
COMMENT ON COLUMN raw.membership.region_code_raw IS 'Region code as written in the file (Kemendagri or BPS).';
COMMENT ON COLUMN raw.membership.region_code IS 'Today''s Kemendagri kab/kota code (PP.KK).';
COMMENT ON COLUMN raw.membership.status IS 'AKTIF or NONAKTIF.';
COMMENT ON COLUMN raw.membership.has_jkk IS 'Enrolled in JKK (work accident).';
COMMENT ON COLUMN raw.membership.has_jkm IS 'Enrolled in JKM (death).';
COMMENT ON COLUMN raw.membership.has_jht IS 'Enrolled in JHT (old age savings).';
COMMENT ON COLUMN raw.membership.has_jp IS 'Enrolled in JP (pension).';
COMMENT ON COLUMN raw.membership.has_jkp IS 'Enrolled in JKP (job loss).';
COMMENT ON COLUMN raw.membership.unknown_programs IS 'Number of program names in the row that are none of JKK, JKM, JHT, JP, JKP (ignored).';
COMMENT ON COLUMN raw.membership.registered_on IS 'Registration date; NULL when blank.';
