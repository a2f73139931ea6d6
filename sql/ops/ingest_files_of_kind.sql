-- What raw.<kind> holds of one kind, file by file, as the ingest ledger plans the next run
-- against it (cakupan/ledger.py). Parameter: $kind VARCHAR.
SELECT file, size, sha256, file_seq, snapshot_dates, rows_read, rows_loaded, figures,
       ingest_version, key_fingerprint, loaded_by
FROM ops.ingest_files
WHERE kind = $kind
ORDER BY file
