-- Types and checks one membership file: the rows of prepare_membership.sql
-- (`prepared_rows`, already pseudonymized) joined to the region codes and the districts.
-- Each err_<column> is NULL when the value is fine, else the reason the file is rejected;
-- the rejection quotes <column>_raw (the value as written) when there is one, else <column>.
SELECT
    t.__line AS line,
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
        ELSE snapshot_date_error(t.snapshot_date)
    END AS err_snapshot_date,
    CASE WHEN coalesce(t.segment, '') NOT IN ('PU', 'BPU', 'JAKON', 'PMI')
        THEN 'unknown segment (expected PU, BPU, JAKON or PMI)' END AS err_segment,
    CASE
        WHEN c.level IS NULL THEN 'unknown region code (expected Kemendagri PP.KK or a 4-digit BPS code)'
        WHEN c.level <> 'kabkota' THEN 'not a kab/kota code (members belong to a kab/kota)'
    END AS err_region_code,
    CASE WHEN coalesce(t.status, '') NOT IN ('AKTIF', 'NONAKTIF')
        THEN 'unknown status (expected AKTIF or NONAKTIF)' END AS err_status,
    -- counting rule 4 takes the latest registered_on: one after the snapshot cannot be true
    -- (said of a possible snapshot date only: an impossible one has its own rejection)
    CASE
        WHEN t.registered_raw IS NOT NULL AND t.registered_raw <> '' AND t.registered_on IS NULL
            THEN coalesce(timestamp_zone_error(t.registered_raw),
                          'not a date (expected YYYY-MM-DD or blank)')
        WHEN t.registered_on > t.snapshot_date AND snapshot_date_error(t.snapshot_date) IS NULL
            THEN 'registered after the snapshot date ' || CAST(t.snapshot_date AS VARCHAR)
    END AS err_registered_on
FROM prepared_rows AS t
LEFT JOIN reference.region_codes AS c ON c.code = t.region_code_raw
-- the kecamatan codes PP.KK.DD without their dots: one short string per row, not three pieces
-- joined with dots (5% of this query's CPU)
LEFT JOIN (SELECT replace(code, '.', '') AS code FROM reference.districts) AS d
    ON d.code = t.nik_district
