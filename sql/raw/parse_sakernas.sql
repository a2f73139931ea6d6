-- Types and checks one Sakernas status table (relation `landing_rows`: long rows made by
-- cakupan/sakernas.py, `status` already the category's code when it is one).
-- reference_period is YYYY-MM or an Indonesian month and year ('Agustus 2024').
-- Region codes and counts as in parse_workforce.sql: both BPS numberings and Kemendagri
-- codes; '5.089.783' thousands separators; '-' for missing; province and national rows
-- are totals (level <> 'kabkota'), skipped by the caller.
-- Each err_<column> is NULL when the value is fine, else the reason the file is rejected.
WITH months(month_name, month) AS (
    VALUES ('januari', '01'), ('februari', '02'), ('maret', '03'), ('april', '04'),
           ('mei', '05'), ('juni', '06'), ('juli', '07'), ('agustus', '08'),
           ('september', '09'), ('oktober', '10'), ('november', '11'), ('desember', '12')
),
cleaned AS (
    SELECT
        __line AS line,
        trim(reference_period) AS reference_period_raw,
        lower(regexp_replace(trim(reference_period), '\s+', ' ', 'g')) AS period_text,
        trim(region_code) AS region_code_raw,
        upper(trim(coalesce(region_name, ''))) AS region_name,
        trim(status) AS status_raw,
        trim(workers) AS workers_raw,
        nullif(nullif(regexp_replace(trim(workers), '[\s\x{00A0}]', '', 'g'), ''), '-')
            AS workers_text
    FROM landing_rows
),
counted AS (
    SELECT s.*,
        CASE
            WHEN regexp_full_match(s.period_text, '\d{4}-(0[1-9]|1[0-2])') THEN s.period_text
            WHEN m.month IS NOT NULL THEN regexp_extract(s.period_text, '(\d{4})$', 1) || '-' || m.month
        END AS reference_period,
        CASE WHEN regexp_full_match(workers_text, '\d+|\d{1,3}(\.\d{3})+')
            THEN replace(workers_text, '.', '') END AS workers_digits
    FROM cleaned AS s
    LEFT JOIN months AS m
        ON regexp_full_match(s.period_text, '[a-z]+ \d{4}')
        AND m.month_name = regexp_extract(s.period_text, '^([a-z]+) ', 1)
)
SELECT
    s.line,
    s.reference_period,
    s.reference_period_raw,
    s.region_code_raw,
    c.region_code,
    CASE
        WHEN c.level IS NOT NULL THEN c.level
        WHEN coalesce(s.region_code_raw, '') = '' AND s.region_name IN ('INDONESIA', 'NASIONAL')
            THEN 'national'
    END AS level,
    s.status_raw AS status,
    CASE WHEN length(ltrim(s.workers_digits, '0')) <= 18
        THEN TRY_CAST(s.workers_digits AS BIGINT) END AS workers,
    s.workers_raw,
    CASE WHEN s.reference_period IS NULL
        THEN 'reference period is not YYYY-MM or an Indonesian month and year (Agustus 2024)'
        ELSE period_error(s.reference_period)
    END AS err_reference_period,
    CASE WHEN c.level IS NULL AND NOT (coalesce(s.region_code_raw, '') = ''
            AND s.region_name IN ('INDONESIA', 'NASIONAL'))
        THEN 'unknown region code (expected Kemendagri PP.KK or a 4-digit BPS code)'
    END AS err_region_code,
    CASE WHEN coalesce(s.status_raw, '') NOT IN ('1', '2', '3', '4', '5', '6', '7', 'ASN')
        THEN 'unknown status category (expected a code 1-7 or ASN, or its BPS label such as '
            || '''Buruh/karyawan/pegawai'')'
    END AS err_status,
    CASE
        WHEN s.workers_text IS NULL THEN NULL
        WHEN regexp_full_match(s.workers_text, '-\s*[\d.]+') THEN 'negative count'
        WHEN s.workers_digits IS NULL THEN 'not a non-negative whole number'
        WHEN length(ltrim(s.workers_digits, '0')) > 18
            THEN 'count too large (more than 18 digits)'
    END AS err_workers
FROM counted AS s
LEFT JOIN reference.region_codes AS c ON c.code = s.region_code_raw
