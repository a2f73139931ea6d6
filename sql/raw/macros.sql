-- Macros shared by the parse_*.sql files (created per connection).

-- A date in the extracts: 'YYYY-MM-DD', or a timestamp read as its date in Asia/Jakarta
-- (with an offset or 'Z': converted; without one: taken as Jakarta wall-clock time).
-- NULL when blank; NULL for a non-blank value that is no date (the caller rejects it).
CREATE OR REPLACE TEMP MACRO jakarta_date(v) AS
    CASE
        WHEN v IS NULL OR trim(v) = '' THEN NULL
        WHEN regexp_full_match(trim(v), '\d{4}-\d{2}-\d{2}')
            THEN CAST(try_strptime(trim(v), '%Y-%m-%d') AS DATE)
        WHEN NOT regexp_matches(trim(v), '^\d{4}-\d{2}-\d{2}[T ]\d') THEN NULL
        WHEN regexp_matches(trim(v), '(Z|[+-]\d{2}(:?\d{2})?)$')
            THEN CAST(timezone('Asia/Jakarta', TRY_CAST(trim(v) AS TIMESTAMPTZ)) AS DATE)
        ELSE CAST(TRY_CAST(trim(v) AS TIMESTAMP) AS DATE)
    END;
