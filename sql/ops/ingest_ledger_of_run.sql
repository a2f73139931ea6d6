-- The files one run saw, as `cakupan run` compares them with the landing folder to tell
-- whether anything changed since (cakupan/ledger.py). Parameter: $run_id VARCHAR.
SELECT kind, file, size, sha256, epoch_us(mtime), status, key_fingerprint, code_version
FROM ops.ingest_ledger
WHERE run_id = $run_id
