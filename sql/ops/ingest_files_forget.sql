-- Forget the files of one kind, before the ingest that publishes raw.<kind> writes them
-- anew, in the same transaction (cakupan/ledger.py). Parameter: $kind VARCHAR.
DELETE FROM ops.ingest_files WHERE kind = $kind
