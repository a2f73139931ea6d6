-- Types and checks one workforce file (relation `landing_rows`: text columns + __line).
-- Each err_<column> is NULL when the value is fine, else the reason the file is rejected;
-- the rejection quotes <column>_raw (the value as written) when there is one, else <column>.
-- Province and all-Indonesia rows are totals: level <> 'kabkota', skipped by the caller.
-- No cast of file text may fail: every one is a TRY_CAST of a value whose size is known.
WITH cleaned AS (
    SELECT
        __line AS line,
        trim(reference_period) AS reference_period,
        trim(region_code) AS region_code_raw,
        upper(trim(coalesce(region_name, ''))) AS region_name,
        upper(trim(segment)) AS segment,
        trim(segment) AS segment_raw,
        trim(potential_workers) AS potential_raw,
        -- '5.089.783' or '5 089 783' -> '5089783'; '-' or '' -> missing
        nullif(nullif(regexp_replace(trim(potential_workers), '[\s\x{00A0}]', '', 'g'), ''), '-')
            AS potential_text
    FROM landing_rows
),
counted AS (
    -- the digits of a count written as a whole number, thousands separators dropped
    SELECT *,
        CASE WHEN regexp_full_match(potential_text, '\d+|\d{1,3}(\.\d{3})+')
            THEN replace(potential_text, '.', '') END AS potential_digits
    FROM cleaned
)
SELECT
    s.line,
    s.reference_period,
    s.region_code_raw,
    c.region_code,
    CASE
        WHEN c.level IS NOT NULL THEN c.level
        WHEN coalesce(s.region_code_raw, '') = '' AND s.region_name IN ('INDONESIA', 'NASIONAL')
            THEN 'national'
    END AS level,
    s.segment,
    CASE WHEN length(ltrim(s.potential_digits, '0')) <= 18
        THEN TRY_CAST(s.potential_digits AS BIGINT) END AS potential_workers,
    s.potential_raw AS potential_workers_raw,
    s.segment_raw,
    CASE WHEN NOT regexp_full_match(coalesce(s.reference_period, ''), '\d{4}-(0[1-9]|1[0-2])')
        THEN 'reference period is not YYYY-MM' ELSE period_error(s.reference_period)
    END AS err_reference_period,
    CASE WHEN c.level IS NULL AND NOT (coalesce(s.region_code_raw, '') = ''
            AND s.region_name IN ('INDONESIA', 'NASIONAL'))
        THEN 'unknown region code (expected Kemendagri PP.KK or a 4-digit BPS code)'
    END AS err_region_code,
    CASE WHEN coalesce(s.segment, '') NOT IN ('PU', 'BPU')
        THEN 'unknown segment (expected PU or BPU)' END AS err_segment,
    CASE
        WHEN s.potential_text IS NULL THEN NULL
        WHEN regexp_full_match(s.potential_text, '-\s*[\d.]+') THEN 'negative count'
        WHEN s.potential_digits IS NULL THEN 'not a non-negative whole number'
        WHEN length(ltrim(s.potential_digits, '0')) > 18
            THEN 'count too large (more than 18 digits)'
    END AS err_potential_workers
FROM counted AS s
LEFT JOIN reference.region_codes AS c ON c.code = s.region_code_raw
