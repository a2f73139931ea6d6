-- Macros shared by the coverage tables (created per connection).

-- A coverage percentage (counting rule 8): 100 x covered / potential, rounded half away
-- from zero to 2 decimals; NULL when the potential is NULL or 0; not capped at 100.
CREATE OR REPLACE TEMP MACRO coverage_pct(covered, potential) AS
    round(100 * covered / nullif(potential, 0), 2);

-- Workers still uncovered (rule 9): max(potential - covered, 0); NULL without a potential.
CREATE OR REPLACE TEMP MACRO uncovered(potential, covered) AS
    CASE WHEN potential IS NOT NULL THEN greatest(potential - covered, 0) END;

-- Covered persons still needed to reach the target (rule 9), in exact integers: target_pct
-- has two decimals, so ceil(target x potential / 100) = ceil(hundredths x potential / 10000)
-- (14% of 100 is 14, not 15). NULL when the target or the potential is NULL.
CREATE OR REPLACE TEMP MACRO workers_to_target(target_pct, potential, covered) AS
    CASE WHEN target_pct IS NOT NULL AND potential IS NOT NULL THEN
        greatest((CAST(target_pct * 100 AS BIGINT) * potential + 9999) // 10000 - covered, 0)
    END;
