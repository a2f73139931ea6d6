-- Every region code an extract may carry, mapped to today's Kemendagri kab/kota code.
--   level 'kabkota': region_code is one of today's 514 Kemendagri codes (PP.KK)
--   level 'province' / 'national': totals, skipped in workforce files; region_code NULL
-- Never convert a BPS code by adding or stripping a dot: BPS 6102 is Kemendagri 61.07.
CREATE OR REPLACE TABLE reference.region_codes AS
WITH
dagri_2020 AS (  -- the 2020 bridge, Kemendagri side written with its dot
    SELECT kode_bps, substr(kode_dagri, 1, 2) || '.' || substr(kode_dagri, 3, 2) AS dagri
    FROM reference.bps_kemendagri_kabkota_2020
),
bridged AS (  -- BPS 2020 code -> today's code; Papua (split in 2022) through bps_papua_2023
    SELECT d.kode_bps, d.dagri, coalesce(p.kode_kemendagri, d.dagri) AS region_code
    FROM dagri_2020 AS d
    LEFT JOIN reference.bps_papua_2023 AS p ON p.kode_bps_2022 = d.kode_bps
),
codes AS (
    SELECT code, code AS region_code, 'kabkota' AS level, 'Kemendagri' AS numbering
    FROM reference.regencies
    UNION ALL
    SELECT kode_bps, region_code, 'kabkota', 'BPS (until 2023)' FROM bridged
    UNION ALL
    SELECT kode_bps_2023, kode_kemendagri, 'kabkota', 'BPS (Papua, from 2023)'
    FROM reference.bps_papua_2023
    WHERE kode_bps_2023 <> kode_bps_2022
    UNION ALL  -- Kemendagri codes of Papua before the 2022 split that no longer exist
    SELECT dagri, region_code, 'kabkota', 'Kemendagri (Papua, before 2022)'
    FROM bridged
    WHERE dagri NOT IN (SELECT code FROM reference.regencies)
    UNION ALL
    SELECT code, NULL, 'province', 'Kemendagri' FROM reference.provinces
    UNION ALL
    SELECT code || '.00', NULL, 'province', 'Kemendagri' FROM reference.provinces
    UNION ALL
    SELECT kode_bps, NULL, 'province', 'BPS' FROM reference.bps_kemendagri_provinsi_2020
    UNION ALL
    SELECT kode_bps || '00', NULL, 'province', 'BPS' FROM reference.bps_kemendagri_provinsi_2020
    UNION ALL  -- provinces BPS numbered from 2023: Papua Barat Daya, Selatan, Tengah, Pegunungan
    SELECT code, NULL, 'province', 'BPS (Papua, from 2023)'
    FROM (VALUES ('92'), ('95'), ('96'), ('97'), ('9200'), ('9500'), ('9600'), ('9700')) AS t(code)
    UNION ALL
    SELECT code, NULL, 'national', 'all Indonesia'
    FROM (VALUES ('0'), ('00'), ('0000'), ('00.00')) AS t(code)
)
SELECT code, any_value(region_code) AS region_code, any_value(level) AS level,
       string_agg(DISTINCT numbering, ', ' ORDER BY numbering) AS numbering,
       count(DISTINCT coalesce(region_code, level)) AS meanings
FROM codes
GROUP BY code
ORDER BY code;
