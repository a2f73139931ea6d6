-- Types and checks one membership counts file (relation `landing_rows`: text columns + __line).
-- covered: persons active with JKK and JKM, a whole number ('12.345' thousands separators
-- allowed); required (a segment without people is 0 or absent from the file).
-- Each err_<column> is NULL when the value is fine, else the reason the file is rejected.
WITH cleaned AS (
    SELECT
        __line AS line,
        trim(snapshot_date) AS snapshot_raw,
        trim(region_code) AS region_code_raw,
        upper(trim(segment)) AS segment,
        trim(segment) AS segment_raw,
        trim(covered) AS covered_raw,
        nullif(regexp_replace(trim(covered), '[\s\x{00A0}]', '', 'g'), '') AS covered_text
    FROM landing_rows
),
counted AS (
    SELECT *,
        jakarta_date(snapshot_raw) AS snapshot_date,
        CASE WHEN regexp_full_match(covered_text, '\d+|\d{1,3}(\.\d{3})+')
            THEN replace(covered_text, '.', '') END AS covered_digits
    FROM cleaned
)
SELECT
    s.line,
    s.snapshot_date,
    s.snapshot_raw AS snapshot_date_raw,
    s.region_code_raw,
    c.region_code,
    s.segment,
    s.segment_raw,
    CASE WHEN length(ltrim(s.covered_digits, '0')) <= 18
        THEN TRY_CAST(s.covered_digits AS BIGINT) END AS covered,
    s.covered_raw,
    CASE WHEN s.snapshot_date IS NULL
        THEN coalesce(timestamp_zone_error(s.snapshot_raw), 'snapshot date is not a date (YYYY-MM-DD)')
        ELSE snapshot_date_error(s.snapshot_date)
    END AS err_snapshot_date,
    CASE
        WHEN c.level IS NULL THEN 'unknown region code (expected Kemendagri PP.KK or a 4-digit BPS code)'
        WHEN c.level <> 'kabkota' THEN 'not a kab/kota code (counts are per kab/kota)'
    END AS err_region_code,
    CASE WHEN coalesce(s.segment, '') NOT IN ('PU', 'BPU', 'JAKON', 'PMI')
        THEN 'unknown segment (expected PU, BPU, JAKON or PMI)' END AS err_segment,
    CASE
        WHEN s.covered_text IS NULL OR s.covered_text = '-' THEN 'count missing (write 0)'
        WHEN regexp_full_match(s.covered_text, '-\s*[\d.]+') THEN 'negative count'
        WHEN s.covered_digits IS NULL THEN 'not a non-negative whole number'
        WHEN length(ltrim(s.covered_digits, '0')) > 18
            THEN 'count too large (more than 18 digits)'
    END AS err_covered
FROM counted AS s
LEFT JOIN reference.region_codes AS c ON c.code = s.region_code_raw
