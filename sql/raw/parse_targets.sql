-- Types and checks one targets file (relation `landing_rows`: text columns + __line).
-- target_pct takes a decimal point or a decimal comma ('35,00'); it is kept to 2 decimals.
-- Each err_<column> is NULL when the value is fine, else the reason the file is rejected;
-- the rejection quotes <column>_raw (the value as written) when there is one, else <column>.
-- No cast of file text may fail: every one is a TRY_CAST of a value whose size is known.
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
        regexp_full_match(coalesce(target_text, ''), '-?\d+(\.\d+)?') AS target_is_number,
        -- digits before the point, leading zeros dropped: more than 3 is outside 0-100
        length(ltrim(regexp_extract(target_text, '\d+'), '0')) AS target_digits
    FROM cleaned
),
valued AS (
    -- the wide value (34 decimals) of every number with at most 3 integer digits
    SELECT *,
        CASE WHEN target_is_number AND target_digits <= 3
            THEN TRY_CAST(target_text AS DECIMAL(38, 34)) END AS target_value
    FROM typed
)
SELECT
    t.line,
    CASE WHEN regexp_full_match(coalesce(t.year_raw, ''), '\d{4}')
        THEN TRY_CAST(t.year_raw AS INTEGER) END AS year,
    t.year_raw,
    t.region_code_raw,
    c.region_code,
    CASE WHEN t.target_value BETWEEN 0 AND 100
        THEN TRY_CAST(t.target_text AS DECIMAL(5, 2)) END AS target_pct,
    t.target_raw AS target_pct_raw,
    CASE WHEN NOT regexp_full_match(coalesce(t.year_raw, ''), '\d{4}')
        THEN 'year is not a 4-digit year' END AS err_year,
    CASE
        WHEN c.level IS NULL THEN 'unknown region code (expected Kemendagri PP.KK or a 4-digit BPS code)'
        WHEN c.level <> 'kabkota' THEN 'not a kab/kota code (targets are per kab/kota)'
    END AS err_region_code,
    CASE
        WHEN NOT t.target_is_number THEN 'target is not a number'
        WHEN t.target_digits > 3 OR t.target_value < 0 OR t.target_value > 100
            THEN 'target outside 0-100'
        WHEN t.target_value IS NULL THEN 'target is not a number'
    END AS err_target_pct
FROM valued AS t
LEFT JOIN reference.region_codes AS c ON c.code = t.region_code_raw
