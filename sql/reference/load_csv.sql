-- A shipped reference CSV as a table; every column read as text ($path from the asset).
CREATE OR REPLACE TABLE reference.{table} AS
SELECT * FROM read_csv($path, header = true, all_varchar = true, delim = ',', quote = '"');
