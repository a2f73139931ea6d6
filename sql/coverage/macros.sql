-- Macros shared by the coverage tables (created per connection).

-- A coverage percentage (counting rule 8): 100 x covered / potential, rounded half away
-- from zero to 2 decimals; NULL when the potential is NULL or 0; not capped at 100.
-- Rounded in exact integers, not with round() on a DOUBLE, which rounds the binary
-- approximation (57 / 20000 is 0.285% exactly, and round(0.285, 2) gives 0.28): with
-- n = 10000 x |covered| / |potential|, floor(n + 1/2) = (20000 |c| + |p|) // (2 |p|) is
-- n rounded half up; the sign is put back after, so halves go away from zero.
CREATE OR REPLACE TEMP MACRO coverage_pct(covered, potential) AS
    CASE WHEN potential <> 0 THEN
        sign(covered) * sign(potential)
        * ((20000 * abs(CAST(covered AS HUGEINT)) + abs(CAST(potential AS HUGEINT)))
           // (2 * abs(CAST(potential AS HUGEINT))))
        / 100
    END;

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
