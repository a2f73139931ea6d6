-- Macros shared by the staging tables (created per connection).

-- Replacement and order (docs/counting_rules.md): of the rows of the table named `source`
-- with one value of `key` (a column, or a row of columns), the one that counts: a later file
-- (file_seq: byte-wise name order) replaces an earlier one, and within a file a later line.
CREATE OR REPLACE TEMP MACRO latest_rows(source, key) AS TABLE
SELECT * FROM query_table(source)
QUALIFY row_number() OVER (PARTITION BY key ORDER BY file_seq DESC, source_line DESC) = 1;
