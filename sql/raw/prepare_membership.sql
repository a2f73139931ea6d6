-- Membership, row by row: types, checks and pseudonymizes each row of one file (relation
-- `landing_rows`: text columns + __line). No join and no aggregate, so that the rows of a
-- CSV file, parsed here on every thread, keep the file's order (cakupan/ingest.py numbers
-- them afterwards); parse_membership.sql joins the reference tables to these rows.
-- The NIK leaves the first step (`cleaned`) only as its pseudonym, the first 128 bits of
-- SHA-256($pseudonym_secret || NIK) (the secret is derived in cakupan/pseudonym.py), and as
-- facts about its validity and structure: no later step, join or spill ever holds a NIK.
-- No cast of file text may fail: the NIK is hashed as its UTF-8 bytes (encode, never a
-- BLOB cast, which reads backslash escapes) and its birth-date digits are TRY_CAST.
WITH trimmed AS (
    SELECT *, trim(nik) AS nik_text, regexp_full_match(coalesce(trim(nik), ''), '[0-9]{16}') AS valid
    FROM landing_rows
),
cleaned AS (
    SELECT
        __line,
        trim(snapshot_date) AS snapshot_raw,
        valid AS nik_valid,
        CASE WHEN valid
            THEN CAST('0x' || left(sha256($pseudonym_secret || encode(nik_text)), 32) AS UHUGEINT)
        END AS person_key,
        -- NIK structure: PP KK DD (district of first registration) DDMMYY (birth date, women's
        -- day + 40) SSSS. Only the district code PPKKDD (for a join) and a flag are kept.
        CASE WHEN valid THEN left(nik_text, 6) END AS nik_district,
        CASE WHEN valid THEN nik_birth_date_valid(
            CAST(substr(nik_text, 7, 2) AS INTEGER) % 40,
            CAST(substr(nik_text, 9, 2) AS INTEGER),
            CAST(substr(nik_text, 11, 2) AS INTEGER))
        END AS nik_birth_date_valid,
        upper(trim(segment)) AS segment,
        trim(segment) AS segment_raw,
        trim(region_code) AS region_code_raw,
        upper(trim(status)) AS status,
        trim(status) AS status_raw,
        -- the program names, trimmed (blank names are no program)
        list_transform(string_split(upper(coalesce(programs, '')), ','), lambda p: trim(p))
            AS programs,
        trim(registered_on) AS registered_raw
    FROM trimmed
)
SELECT
    *,
    jakarta_date(snapshot_raw) AS snapshot_date,
    jakarta_date(registered_raw) AS registered_on
FROM cleaned
