-- Types, checks and pseudonymizes one membership file (relation `landing_rows`: text columns + __line).
-- The NIK leaves this query only as an HMAC-SHA256 pseudonym ($hmac_inner/$hmac_outer are
-- the padded keys from cakupan/pseudonym.py) and as flags about its validity and
-- structure: nothing downstream ever sees the raw NIK.
-- Each err_<column> is NULL when the value is fine, else the reason the file is rejected;
-- the rejection quotes <column>_raw (the value as written) when there is one, else <column>.
-- No cast of file text may fail: the NIK is hashed as its UTF-8 bytes (encode, never a
-- BLOB cast, which reads backslash escapes) and its birth-date digits are TRY_CAST.
WITH cleaned AS (
    SELECT
        __line AS line,
        trim(snapshot_date) AS snapshot_raw,
        trim(nik) AS nik,
        upper(trim(segment)) AS segment,
        trim(segment) AS segment_raw,
        trim(region_code) AS region_code_raw,
        upper(trim(status)) AS status,
        trim(status) AS status_raw,
        list_filter(
            list_transform(string_split(upper(coalesce(programs, '')), ','), lambda p: trim(p)),
            lambda p: p <> ''
        ) AS programs,
        trim(registered_on) AS registered_raw
    FROM landing_rows
),
typed AS (
    SELECT
        *,
        regexp_full_match(coalesce(nik, ''), '[0-9]{16}') AS nik_valid,
        jakarta_date(snapshot_raw) AS snapshot_date,
        jakarta_date(registered_raw) AS registered_on
    FROM cleaned
)
SELECT
    t.line,
    t.snapshot_date,
    CASE WHEN t.nik_valid
        THEN sha256($hmac_outer || unhex(sha256($hmac_inner || encode(t.nik))))
    END AS person_key,
    t.nik_valid,
    -- NIK structure: PP KK DD (district of first registration) DDMMYY (birth date, women's
    -- day + 40) SSSS. Flags only; the digits themselves are not kept.
    CASE WHEN t.nik_valid THEN d.code IS NOT NULL END AS nik_district_known,
    CASE WHEN t.nik_valid THEN try_strptime(
        lpad(CAST(TRY_CAST(substr(t.nik, 7, 2) AS INTEGER) % 40 AS VARCHAR), 2, '0')
            || substr(t.nik, 9, 4),
        '%d%m%y') IS NOT NULL
        AND TRY_CAST(substr(t.nik, 7, 2) AS INTEGER) NOT IN (0, 40)
    END AS nik_birth_date_valid,
    t.segment,
    t.region_code_raw,
    c.region_code,
    t.status,
    list_contains(t.programs, 'JKK') AS has_jkk,
    list_contains(t.programs, 'JKM') AS has_jkm,
    list_contains(t.programs, 'JHT') AS has_jht,
    list_contains(t.programs, 'JP') AS has_jp,
    list_contains(t.programs, 'JKP') AS has_jkp,
    len(list_filter(t.programs, lambda p: p NOT IN ('JKK', 'JKM', 'JHT', 'JP', 'JKP')))
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
LEFT JOIN reference.districts AS d
    ON t.nik_valid
    AND d.code = substr(t.nik, 1, 2) || '.' || substr(t.nik, 3, 2) || '.' || substr(t.nik, 5, 2)
