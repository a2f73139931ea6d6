-- The latest rejection of each version (file, SHA-256) of one kind's files, made under the
-- same ingest version and key: such a file is rejected again without being read
-- (cakupan/ledger.py). Not when a reason is a date in the future (sql/raw/macros.sql): a
-- later day may accept it. Parameters: $kind, $version, $key VARCHAR.
WITH latest AS (
    SELECT file, sha256, arg_max(run_id, recorded_at) AS run_id,
           arg_max(rejections, recorded_at) AS rejections
    FROM ops.ingest_ledger
    WHERE kind = $kind AND status = 'rejected' AND len(rejections) > 0
      AND ingest_version = $version AND key_fingerprint = $key
    GROUP BY file, sha256
)
SELECT file, sha256, run_id, rejections
FROM latest
WHERE NOT list_bool_or(
    list_transform(rejections, lambda r: contains(r.reason, 'in the future (after ')))
