{#- Counting rule 8, checked independently: never with the macro that computes the
    percentages (sql/coverage/macros.sql), but in integers. pct_is_wrong is true when {{ pct }}
    is not 100 x covered / potential rounded half up to two decimals: 100 x pct must be
    10000 x covered / potential rounded half up, i.e. within half a unit of it (x 20000);
    no potential (NULL or 0), no percentage. -#}
{% macro pct_is_wrong(pct, covered, potential) -%}
(CASE
    WHEN {{ potential }} IS NULL OR {{ potential }} = 0 THEN {{ pct }} IS NOT NULL
    WHEN {{ pct }} IS NULL OR isnan({{ pct }}) OR isinf({{ pct }})
        OR {{ covered }} < 0 OR {{ potential }} < 0 THEN true
    ELSE CAST(CAST({{ pct }} AS DECIMAL(38, 2)) AS DOUBLE) <> {{ pct }}
        OR 20000 * CAST({{ covered }} AS HUGEINT)
            < {{ potential }} * (2 * CAST(CAST({{ pct }} AS DECIMAL(38, 2)) * 100 AS HUGEINT) - 1)
        OR 20000 * CAST({{ covered }} AS HUGEINT)
            >= {{ potential }} * (2 * CAST(CAST({{ pct }} AS DECIMAL(38, 2)) * 100 AS HUGEINT) + 1)
END)
{%- endmacro %}
