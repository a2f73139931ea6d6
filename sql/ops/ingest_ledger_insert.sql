-- One ledger row: what a run did with one landing file (cakupan/ledger.py), in the order of
-- the columns of ops.ingest_ledger (sql/ops/ingest_ledger.sql).
INSERT INTO ops.ingest_ledger VALUES
    (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
     CAST(? AS STRUCT(line BIGINT, "column" VARCHAR, "value" VARCHAR, reason VARCHAR)[]))
