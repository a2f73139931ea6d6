-- Kab/kota whose potentials, percentages (counting rule 8, macros.sql) or uncovered do not
-- agree with their counts, or with a negative count.
{% from "macros.sql" import pct_is_wrong %}
SELECT region_code, region_name, potential_total, covered_total, coverage_pct,
       pu_coverage_pct, bpu_coverage_pct, uncovered
FROM {{ batch }}
WHERE potential_total IS DISTINCT FROM potential_pu + potential_bpu
    OR {{ pct_is_wrong("coverage_pct", "covered_total", "potential_total") }}
    OR {{ pct_is_wrong("pu_coverage_pct", "covered_pu", "potential_pu") }}
    OR {{ pct_is_wrong("bpu_coverage_pct", "covered_bpu", "potential_bpu") }}
    OR uncovered IS DISTINCT FROM
        CASE WHEN potential_total IS NOT NULL THEN greatest(potential_total - covered_total, 0) END
    OR covered_total < 0 OR covered_pu < 0 OR covered_bpu < 0 OR covered_jakon < 0
    OR covered_pmi < 0
ORDER BY region_code
