-- Types and checks one targets file (relation `landing_rows`: text columns + __line).
-- target_pct takes a decimal point or a decimal comma ('35,00'); it is kept to 2 decimals.
-- Each err_<column> is NULL when the value is fine, else the reason the file is rejected;
-- the rejection quotes <column>_raw (the value as written) when there is one, else <column>.
WITH cleaned AS (
    SELECT
        __line AS line,
        trim(year) AS year_raw,
        trim(region_code) AS region_code_raw,
        trim(target_pct) AS target_raw,
        replace(trim(target_pct), ',', '.') AS target_text
    FROM landing_rows
),
typed AS (
    SELECT *,
        CASE WHEN regexp_full_match(target_text, '-?\d+(\.\d+)?')
            THEN CAST(target_text AS DECIMAL(18, 6)) END AS target_value
    FROM cleaned
)
SELECT
    t.line,
    TRY_CAST(t.year_raw AS INTEGER) AS year,
    t.region_code_raw,
    c.region_code,
    CAST(t.target_value AS DECIMAL(5, 2)) AS target_pct,
    t.target_raw AS target_pct_raw,
    CASE WHEN NOT regexp_full_match(coalesce(t.year_raw, ''), '\d{4}')
        THEN 'year is not a 4-digit year' END AS err_year,
    CASE
        WHEN c.level IS NULL THEN 'unknown region code (expected Kemendagri PP.KK or a 4-digit BPS code)'
        WHEN c.level <> 'kabkota' THEN 'not a kab/kota code (targets are per kab/kota)'
    END AS err_region_code,
    CASE
        WHEN t.target_value IS NULL THEN 'target is not a number'
        WHEN t.target_value < 0 OR t.target_value > 100 THEN 'target outside 0-100'
    END AS err_target_pct
FROM typed AS t
LEFT JOIN reference.region_codes AS c ON c.code = t.region_code_raw
