-- A kab/kota's potential (the later file's, then the later line's, of a round) changing by
-- more than 30% between consecutive rounds.
WITH latest AS (
    SELECT reference_period, region_code, segment, potential_workers
    FROM {{ batch }}
    QUALIFY row_number() OVER (
        PARTITION BY reference_period, region_code, segment
        ORDER BY file_seq DESC, source_line DESC
    ) = 1
),
rounds AS (
    SELECT *, lag(reference_period) OVER w AS previous_period, lag(potential_workers) OVER w AS previous
    FROM latest
    WINDOW w AS (PARTITION BY region_code, segment ORDER BY reference_period)
)
SELECT region_code, segment, previous_period, reference_period, previous, potential_workers
FROM rounds
WHERE previous > 0 AND abs(potential_workers - previous) > 0.3 * previous
ORDER BY region_code, segment, reference_period
