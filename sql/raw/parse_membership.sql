-- Types, checks and pseudonymizes one membership file (relation `landing_rows`: text columns + __line).
-- The NIK leaves the first step (`cleaned`) only as its pseudonym, the first 128 bits of
-- SHA-256($pseudonym_secret || NIK) (the secret is derived in cakupan/pseudonym.py), and as
-- facts about its validity and structure: no later step, join or spill ever holds a NIK.
-- Each err_<column> is NULL when the value is fine, else the reason the file is rejected;
-- the rejection quotes <column>_raw (the value as written) when there is one, else <column>.
-- No cast of file text may fail: the NIK is hashed as its UTF-8 bytes (encode, never a
-- BLOB cast, which reads backslash escapes) and its birth-date digits are TRY_CAST.
WITH trimmed AS (
    SELECT *, trim(nik) AS nik_text, regexp_full_match(coalesce(trim(nik), ''), '[0-9]{16}') AS valid
    FROM landing_rows
),
cleaned AS (
    SELECT
        __line AS line,
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
),
typed AS (
    SELECT
        *,
        jakarta_date(snapshot_raw) AS snapshot_date,
        jakarta_date(registered_raw) AS registered_on
    FROM cleaned
)
SELECT
    t.line,
    t.snapshot_date,
    t.person_key,
    t.nik_valid,
    CASE WHEN t.nik_valid THEN d.code IS NOT NULL END AS nik_district_known,
    t.nik_birth_date_valid,
    t.segment,
    t.region_code_raw,
    c.region_code,
    t.status,
    list_contains(t.programs, 'JKK') AS has_jkk,
    list_contains(t.programs, 'JKM') AS has_jkm,
    list_contains(t.programs, 'JHT') AS has_jht,
    list_contains(t.programs, 'JP') AS has_jp,
    list_contains(t.programs, 'JKP') AS has_jkp,
    len(list_filter(t.programs, lambda p: p NOT IN ('', 'JKK', 'JKM', 'JHT', 'JP', 'JKP')))
        AS unknown_programs,
    t.registered_on,
    t.snapshot_raw AS snapshot_date_raw,
    t.segment_raw,
    t.status_raw,
    t.registered_raw AS registered_on_raw,
    CASE WHEN t.snapshot_date IS NULL THEN
        coalesce(timestamp_zone_error(t.snapshot_raw), 'not a date (expected YYYY-MM-DD)')
    END AS err_snapshot_date,
    CASE WHEN coalesce(t.segment, '') NOT IN ('PU', 'BPU', 'JAKON', 'PMI')
        THEN 'unknown segment (expected PU, BPU, JAKON or PMI)' END AS err_segment,
    CASE
        WHEN c.level IS NULL THEN 'unknown region code (expected Kemendagri PP.KK or a 4-digit BPS code)'
        WHEN c.level <> 'kabkota' THEN 'not a kab/kota code (members belong to a kab/kota)'
    END AS err_region_code,
    CASE WHEN coalesce(t.status, '') NOT IN ('AKTIF', 'NONAKTIF')
        THEN 'unknown status (expected AKTIF or NONAKTIF)' END AS err_status,
    CASE WHEN t.registered_raw IS NOT NULL AND t.registered_raw <> '' AND t.registered_on IS NULL
        THEN coalesce(timestamp_zone_error(t.registered_raw),
                      'not a date (expected YYYY-MM-DD or blank)') END AS err_registered_on
FROM typed AS t
LEFT JOIN reference.region_codes AS c ON c.code = t.region_code_raw
-- the kecamatan codes PP.KK.DD without their dots: one short string per row, not three pieces
-- joined with dots (5% of this query's CPU)
LEFT JOIN (SELECT replace(code, '.', '') AS code FROM reference.districts) AS d
    ON d.code = t.nik_district
