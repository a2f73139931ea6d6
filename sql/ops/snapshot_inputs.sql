-- What each membership snapshot of the temp table found_snapshots is computed from, as
-- digests (cakupan/snapshots.py combines them, with the SQL code versions and the upstream
-- builds, into one fingerprint per partitioned table). Reads small tables only: the ledger
-- of loaded files, the counts, the workforce rounds, the targets and the reference.
--   membership_files  membership files holding the snapshot (ops.ingest_files: name,
--                     SHA-256, ingest version, key fingerprint, the run that read them)
--   counts            the snapshot's rows of staging.membership_counts
--   workforce         per kab/kota, the round rule 7 takes for the snapshot and its values
--   targets           the targets of the snapshot's year
--   reference         the kab/kota and provinces (the same for every snapshot)
WITH
snapshots AS (
    SELECT snapshot_date, strftime(snapshot_date, '%Y-%m') AS snapshot_month
    FROM found_snapshots
),
files AS (
    SELECT s.snapshot_date,
           sha256(string_agg(
               concat_ws('|', f.file, f.sha256, f.ingest_version, f.key_fingerprint,
                         coalesce(f.loaded_by, '')),
               ';' ORDER BY f.file)) AS digest
    FROM snapshots AS s
    JOIN ops.ingest_files AS f
        ON f.kind = 'membership' AND list_contains(f.snapshot_dates, s.snapshot_date)
    GROUP BY s.snapshot_date
),
counts AS (
    SELECT snapshot_date,
           sha256(string_agg(concat_ws('|', region_code, segment, coalesce(CAST(covered AS VARCHAR), '-')),
                             ';' ORDER BY region_code, segment)) AS digest
    FROM staging.membership_counts
    WHERE snapshot_date IN (SELECT snapshot_date FROM snapshots)
    GROUP BY snapshot_date
),
regions AS (
    SELECT s.snapshot_date, s.snapshot_month, r.region_code
    FROM snapshots AS s
    CROSS JOIN (SELECT DISTINCT region_code FROM workforce_rounds) AS r
),
chosen AS (
    SELECT g.snapshot_date, g.region_code, w.reference_period, w.potential_pu, w.potential_bpu
    FROM regions AS g
    ASOF LEFT JOIN workforce_rounds AS w
        ON w.region_code = g.region_code AND w.reference_period <= g.snapshot_month
),
workforce AS (
    SELECT snapshot_date,
           sha256(string_agg(
               concat_ws('|', region_code, reference_period, potential_pu, potential_bpu),
               ';' ORDER BY region_code)) AS digest
    FROM chosen
    WHERE reference_period IS NOT NULL
    GROUP BY snapshot_date
),
targets AS (
    SELECT s.snapshot_date,
           sha256(string_agg(concat_ws('|', t.region_code, t.target_pct), ';'
                             ORDER BY t.region_code)) AS digest
    FROM snapshots AS s
    JOIN staging.targets AS t ON t.year = year(s.snapshot_date)
    GROUP BY s.snapshot_date
),
reference AS (
    SELECT sha256(
        (SELECT string_agg(concat_ws('|', code, name, province_code), ';' ORDER BY code)
         FROM reference.regencies)
        || '#'
        || (SELECT string_agg(concat_ws('|', code, name), ';' ORDER BY code)
            FROM reference.provinces)
    ) AS digest
)
SELECT s.snapshot_date,
       f.digest AS membership_files,
       c.digest AS counts,
       w.digest AS workforce,
       t.digest AS targets,
       (SELECT digest FROM reference) AS reference
FROM snapshots AS s
LEFT JOIN files AS f USING (snapshot_date)
LEFT JOIN counts AS c USING (snapshot_date)
LEFT JOIN workforce AS w USING (snapshot_date)
LEFT JOIN targets AS t USING (snapshot_date)
ORDER BY s.snapshot_date
