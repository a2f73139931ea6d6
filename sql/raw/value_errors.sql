-- The rows of the parsed file (`parsed`) whose value in one column breaks the format:
-- how many, and the first $max_quoted as [line, value as written, reason].
-- {error} is an err_<column> of sql/raw/parse_<kind>.sql, {value} the column it quotes.
SELECT
    count(*) AS errors,
    list([CAST(line AS VARCHAR), coalesce(CAST({value} AS VARCHAR), ''), {error}] ORDER BY line)
        [1:$max_quoted] AS quoted
FROM parsed
WHERE {error} IS NOT NULL
