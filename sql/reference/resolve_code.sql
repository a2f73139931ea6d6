-- The kab/kota or province a code typed by a person names ($code): a kab/kota code of
-- reference.region_codes (every form the landing accepts), a Kemendagri province code (PP,
-- PP.00) or a BPS province code (PP00, through the BPS bridge; a 2-digit code is read as
-- Kemendagri). At most one row: level, today's Kemendagri code.
SELECT 'kabkota' AS level, region_code AS code
FROM reference.region_codes
WHERE code = $code AND level = 'kabkota'
UNION ALL
SELECT 'province', p.code
FROM reference.provinces AS p
WHERE $code IN (p.code, p.code || '.00')
UNION ALL
SELECT 'province', b.kode_dagri
FROM reference.bps_kemendagri_provinsi_2020 AS b
WHERE $code = b.kode_bps || '00'
