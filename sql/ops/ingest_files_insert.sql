-- One file whose rows raw.<kind> holds (cakupan/ledger.py), in the order of the columns of
-- ops.ingest_files (sql/ops/ingest_files.sql).
INSERT INTO ops.ingest_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
