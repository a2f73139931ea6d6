-- Macros shared by the parse_*.sql files (created per connection).

-- The local date-time at the start of a timestamp ('YYYY-MM-DD[T ]HH:MM[:SS[.f]]'), '' when
-- v does not start with one; and what follows it, trimmed: the time zone as written.
CREATE OR REPLACE TEMP MACRO timestamp_local(v) AS
    regexp_extract(v, '^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?');
CREATE OR REPLACE TEMP MACRO timestamp_zone(v) AS
    trim(substr(v, length(timestamp_local(v)) + 1));

-- A time zone as written after a timestamp, as a suffix DuckDB's TIMESTAMPTZ cast reads: an
-- offset ('Z', '+07', '+0700', '+07:00'; at most 14 hours), UTC or GMT, Indonesia's WIB (Asia/Jakarta), WITA
-- (Asia/Makassar) and WIT (Asia/Jayapura), or an IANA name ('Asia/Jakarta'; an unknown one
-- fails the cast). NULL for any other name: abbreviations such as PST or EST are ambiguous
-- or not Indonesian, and are never guessed.
CREATE OR REPLACE TEMP MACRO timestamp_zone_suffix(zone) AS
    CASE
        WHEN upper(zone) IN ('Z', 'UTC', 'GMT') THEN '+00'
        WHEN upper(zone) = 'WIB' THEN ' Asia/Jakarta'
        WHEN upper(zone) = 'WITA' THEN ' Asia/Makassar'
        WHEN upper(zone) = 'WIT' THEN ' Asia/Jayapura'
        WHEN regexp_full_match(zone, '[+-](0\d|1[0-4])(:?[0-5]\d)?') THEN zone
        WHEN regexp_full_match(zone, '[A-Za-z]+(/[A-Za-z0-9_+-]+)+')
            AND NOT starts_with(upper(zone), 'SYSTEMV/') THEN ' ' || zone  -- ICU's, not IANA
    END;

-- A date in the extracts: 'YYYY-MM-DD', or a timestamp read as its date in Asia/Jakarta
-- (with an offset or a zone name: converted; without one: taken as Jakarta wall-clock
-- time; a zone is never dropped). NULL when blank; NULL for a non-blank value that is no
-- date or has a zone not accepted (the caller rejects it, see timestamp_zone_error).
CREATE OR REPLACE TEMP MACRO jakarta_date(v) AS
    CASE
        WHEN v IS NULL OR trim(v) = '' THEN NULL
        WHEN regexp_full_match(trim(v), '\d{4}-\d{2}-\d{2}')
            THEN TRY_CAST(trim(v) AS DATE)  -- the same dates as strptime '%Y-%m-%d', faster
        WHEN timestamp_local(trim(v)) = '' THEN NULL
        WHEN timestamp_zone(trim(v)) = ''
            THEN CAST(TRY_CAST(timestamp_local(trim(v)) AS TIMESTAMP) AS DATE)
        ELSE CAST(timezone('Asia/Jakarta', TRY_CAST(
            timestamp_local(trim(v)) || timestamp_zone_suffix(timestamp_zone(trim(v)))
            AS TIMESTAMPTZ)) AS DATE)
    END;

-- Why jakarta_date(v) is NULL when the cause is the time zone of a well-formed timestamp:
-- 'unknown time zone "PST" (expected ...)'; NULL otherwise.
CREATE OR REPLACE TEMP MACRO timestamp_zone_error(v) AS
    CASE
        WHEN timestamp_local(trim(v)) <> ''
            AND timestamp_zone(trim(v)) <> ''
            AND TRY_CAST(timestamp_local(trim(v)) AS TIMESTAMP) IS NOT NULL
            AND jakarta_date(v) IS NULL
        THEN 'unknown time zone "' || timestamp_zone(trim(v))
            || '" (expected UTC, GMT, WIB, WITA, WIT, an IANA name such as Asia/Jakarta or an offset'
            || ' such as +07:00)'
    END;

-- What a line number counts in a landing file: 'row' of a Parquet file, else 'line' of a
-- CSV file (header is line 1). The same rule as cakupan.rejections.unit.
CREATE OR REPLACE TEMP MACRO line_word(file) AS
    CASE WHEN lower(file) LIKE '%.parquet' THEN 'row' ELSE 'line' END;

-- Whether day d, month m of two-digit year yy (a NIK's DDMMYY, the women's 40 taken off the
-- day) is a date: yy is 1969-2068 as strptime's %y reads it, so a leap year is yy % 4 = 0.
-- The same answer as try_strptime(DDMMYY, '%d%m%y') IS NOT NULL for every DDMMYY
-- (tests/test_streaming_ingest.py), by arithmetic alone.
CREATE OR REPLACE TEMP MACRO nik_birth_date_valid(d, m, yy) AS
    m BETWEEN 1 AND 12
    AND d BETWEEN 1 AND CASE WHEN m = 2 THEN 28 + CAST(yy % 4 = 0 AS INTEGER)
                             ELSE 30 + (m + m // 8) % 2 END;

-- The day the extracts' dates are checked against: today in Asia/Jakarta, which
-- cakupan.ingest replaces with the day its run started (once per run, so every file of
-- every kind is checked against the same day).
CREATE OR REPLACE TEMP MACRO ingest_today() AS
    CAST(timezone('Asia/Jakarta', current_timestamp) AS DATE);

-- Why a snapshot date cannot be true, or NULL: after tomorrow (in Asia/Jakarta) or before
-- 2014-01-01, when BPJS Ketenagakerjaan began. A future date would become the latest
-- snapshot and make the freshness check pass for ever.
CREATE OR REPLACE TEMP MACRO snapshot_date_error(d) AS
    CASE
        WHEN d > ingest_today() + 1
            THEN 'date in the future (after ' || CAST(ingest_today() + 1 AS VARCHAR)
                || ', tomorrow in Asia/Jakarta)'
        WHEN d < DATE '2014-01-01'
            THEN 'date before 2014-01-01 (BPJS Ketenagakerjaan began then)'
    END;

-- Why a workforce reference period (YYYY-MM) cannot be true, or NULL: after this month
-- (in Asia/Jakarta). Targets' years are plans, never checked so.
CREATE OR REPLACE TEMP MACRO period_error(p) AS
    CASE WHEN p > strftime(ingest_today(), '%Y-%m')
        THEN 'reference period in the future (after ' || strftime(ingest_today(), '%Y-%m')
            || ', this month in Asia/Jakarta)'
    END;
