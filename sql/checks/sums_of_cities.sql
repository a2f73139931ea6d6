-- The rule "a rollup is the sum of its kab/kota", for a province or the national table:
-- the rows of {{ batch }} (key {{ key | join(", ") }}) that are not the sums of their kab/kota
-- in {{ cities }} (potentials summed over the kab/kota that have one, covered counts over
-- all), and rollups missing on either side; `differs` names the columns that differ.
-- With `percentages`, the three percentages must also come from those sums (counting rule
-- 8, macros.sql); with `per_snapshot`, only the snapshots of {{ batch }} are compared.
{% from "macros.sql" import pct_is_wrong %}
{% set counts = ["regions", "regions_with_potential", "potential_pu", "potential_bpu",
                 "potential_total", "covered_pu", "covered_bpu", "covered_jakon",
                 "covered_pmi", "covered_total"] %}
WITH cities AS (
    SELECT
        {{ key | join(", ") }},
        count(*) AS regions,
        count(potential_total) AS regions_with_potential,
        {% for c in counts[2:] %}
        sum({{ c }}) AS {{ c }},
        {% endfor %}
        sum(covered_total) FILTER (WHERE potential_total IS NOT NULL) AS covered_with_potential,
        sum(covered_pu) FILTER (WHERE potential_total IS NOT NULL) AS pu_with_potential,
        sum(covered_bpu) FILTER (WHERE potential_total IS NOT NULL) AS bpu_with_potential
    FROM {{ cities }}
    {% if per_snapshot %}
    WHERE snapshot_date IN (SELECT snapshot_date FROM {{ batch }})
    {% endif %}
    GROUP BY ALL
),
compared AS (
    SELECT
        {{ key | join(", ") }},
        concat_ws(
            ', ',
            {% for c in counts %}
            CASE WHEN c.{{ c }} IS DISTINCT FROM r.{{ c }} THEN '{{ c }}' END,
            {% endfor %}
            {% if percentages %}
            CASE WHEN {{ pct_is_wrong("r.coverage_pct", "c.covered_with_potential", "c.potential_total") }}
                THEN 'coverage_pct' END,
            CASE WHEN {{ pct_is_wrong("r.pu_coverage_pct", "c.pu_with_potential", "c.potential_pu") }}
                THEN 'pu_coverage_pct' END,
            CASE WHEN {{ pct_is_wrong("r.bpu_coverage_pct", "c.bpu_with_potential", "c.potential_bpu") }}
                THEN 'bpu_coverage_pct' END,
            {% endif %}
            NULL
        ) AS differs
    FROM cities AS c
    FULL JOIN {{ batch }} AS r USING ({{ key | join(", ") }})
)
SELECT * FROM compared WHERE differs <> '' ORDER BY ALL
