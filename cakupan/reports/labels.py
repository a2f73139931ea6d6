"""The words of the pages, in Indonesian (the nightly pages) and English (on request), and
the plain-language names of the data-quality checks and of the tables they check."""

from __future__ import annotations

from cakupan.quality.catalogue import catalogues

LABELS: dict[str, dict[str, str]] = {
    "id": {
        "title": "Cakupan Universal Jamsostek (UCJ)",
        "national": "Nasional",
        "indonesia": "Indonesia",
        "province": "Provinsi",
        "city": "Kabupaten/Kota",
        "snapshot": "Posisi data",
        "run": "Run",
        "started": "dimulai",
        "published": "diterbitkan",
        "source": "Sumber: coverage.duckdb",
        "ucj": "UCJ",
        "target": "Target",
        "no_target": "tanpa target",
        "covered": "Tercakup",
        "potential": "Potensi pekerja",
        "uncovered": "Belum tercakup",
        "to_target": "Pekerja yang masih dibutuhkan untuk mencapai target",
        "target_reached": "target tercapai",
        "to_target_short": "Kurang dari target",
        "rank_province": "Peringkat di provinsi",
        "rank_national": "Peringkat nasional",
        "of": "dari",
        "no_rank": "tanpa peringkat (tidak ada potensi)",
        "sakernas": "Sakernas yang dipakai",
        "no_sakernas": "tidak ada putaran Sakernas",
        "segments": "Cakupan per segmen",
        "segment": "Segmen",
        "pu": "PU (penerima upah)",
        "bpu": "BPU (bukan penerima upah)",
        "jakon": "JAKON (jasa konstruksi)",
        "pmi": "PMI (pekerja migran)",
        "pmi_note": "PMI tidak termasuk dalam jumlah tercakup.",
        "segments_extra": "PU + BPU + JAKON = {sum}, {extra} lebih banyak dari jumlah tercakup "
        "({total}). Orang yang terdaftar di lebih dari satu segmen dihitung sekali dalam "
        "jumlah tercakup, di wilayah utamanya (wilayah PU-nya; tanpa PU, wilayah BPU-nya; "
        "tanpa keduanya, wilayah JAKON-nya), tetapi di setiap segmennya, di wilayah segmen "
        "itu. Selisih {extra} adalah keanggotaan segmen tambahan tersebut: orang yang "
        "dihitung dalam jumlah tercakup di kab/kota ini atau, bila wilayah utamanya di tempat "
        "lain, di kab/kota lain.",
        "segments_equal": "PU + BPU + JAKON = jumlah tercakup ({total}): tidak ada orang yang "
        "dihitung di lebih dari satu segmen di sini.",
        "pct": "%",
        "comparison": "UCJ dibandingkan",
        "trend": "Tren UCJ per posisi data",
        "quality": "Kualitas data run ini",
        "sample": "DATA CONTOH: angka ini berasal dari data contoh, bukan ekstrak sebenarnya.",
        "checks": "pemeriksaan",
        "warnings": "peringatan",
        "errors": "kegagalan yang memblokir",
        "failed_checks": "Pemeriksaan yang gagal",
        "table": "Tabel",
        "expectation": "Pemeriksaan",
        "severity_WARN": "peringatan",
        "severity_ERROR": "memblokir",
        "check_rows": "{n} baris tidak sesuai",
        "check_failed": "pemeriksaan tidak lolos",
        "check_error": "pemeriksaan tidak dapat dijalankan (rinciannya di log run)",
        "stale": "Data per {date}, {days} hari yang lalu",
        "stale_note": "Lebih dari {limit} hari: angka-angka ini menggambarkan keadaan pada "
        "tanggal tersebut dan bisa jadi sudah berubah.",
        "severity": "Tingkat",
        "observed": "Nilai teramati",
        "unexpected": "Baris tak sesuai",
        "rejected": "Berkas yang ditolak",
        "no_rejected": "Tidak ada berkas yang ditolak.",
        "file": "Berkas",
        "line": "Baris",
        "column": "Kolom",
        "reason": "Alasan",
        "status_OK": "OK: semua pemeriksaan lolos",
        "status_WARN": "PERINGATAN: ada pemeriksaan yang gagal, tetapi tidak memblokir penerbitan",
        "status_ERROR": "GAGAL: pemeriksaan yang memblokir gagal",
        "cities": "Kabupaten/kota",
        "provinces": "Provinsi",
        "ranking_cities": "UCJ kabupaten/kota",
        "ranking_provinces": "UCJ provinsi",
        "rank": "Peringkat",
        "name": "Nama",
        "code": "Kode",
        "regions": "Jumlah kab/kota",
        "back_province": "Halaman provinsi",
        "back_national": "Halaman nasional",
        "legend_potential": "potensi",
        "legend_covered": "tercakup",
        "legend_target": "target",
        "no_potential": "tanpa potensi",
        "note_pct": "UCJ = tercakup / potensi pekerja (PU + BPU).",
        "snapshots": "Posisi data",
    },
    "en": {
        "title": "Universal Coverage Jamsostek (UCJ)",
        "national": "National",
        "indonesia": "Indonesia",
        "province": "Province",
        "city": "Regency/City",
        "snapshot": "Snapshot",
        "run": "Run",
        "started": "started",
        "published": "published",
        "source": "Source: coverage.duckdb",
        "ucj": "UCJ",
        "target": "Target",
        "no_target": "no target",
        "covered": "Covered",
        "potential": "Potential workers",
        "uncovered": "Uncovered",
        "to_target": "Workers still needed to reach the target",
        "target_reached": "target reached",
        "to_target_short": "Short of target",
        "rank_province": "Rank in province",
        "rank_national": "National rank",
        "of": "of",
        "no_rank": "not ranked (no potential)",
        "sakernas": "Sakernas round used",
        "no_sakernas": "no Sakernas round",
        "segments": "Coverage by segment",
        "segment": "Segment",
        "pu": "PU (wage earners)",
        "bpu": "BPU (non-wage workers)",
        "jakon": "JAKON (construction)",
        "pmi": "PMI (migrant workers)",
        "pmi_note": "PMI are not part of the covered total.",
        "segments_extra": "PU + BPU + JAKON = {sum}, {extra} more than the covered total "
        "({total}). A person registered in more than one segment counts once in the covered "
        "total, in their home region (their PU region; without PU, their BPU region; without "
        "either, their JAKON region), but in each of their segments, in that segment's "
        "region. The difference of {extra} is those extra segment registrations: of persons "
        "counted in the covered total of this kab/kota or, when their home region is "
        "elsewhere, of another kab/kota.",
        "segments_equal": "PU + BPU + JAKON = the covered total ({total}): nobody here is "
        "counted in more than one segment.",
        "pct": "%",
        "comparison": "UCJ compared",
        "trend": "UCJ trend by snapshot",
        "quality": "Data quality of this run",
        "sample": "SAMPLE DATA: these figures come from sample data, not real extracts.",
        "checks": "checks",
        "warnings": "warnings",
        "errors": "blocking failures",
        "failed_checks": "Failed checks",
        "table": "Table",
        "expectation": "Check",
        "severity_WARN": "warning",
        "severity_ERROR": "blocking",
        "check_rows": "{n} unexpected rows",
        "check_failed": "check failed",
        "check_error": "the check could not run (details in the run log)",
        "stale": "Data as of {date}, {days} days ago",
        "stale_note": "More than {limit} days: the figures describe that date and may have "
        "changed since.",
        "severity": "Severity",
        "observed": "Observed value",
        "unexpected": "Unexpected rows",
        "rejected": "Rejected files",
        "no_rejected": "No file was rejected.",
        "file": "File",
        "line": "Line",
        "column": "Column",
        "reason": "Reason",
        "status_OK": "OK: every check passed",
        "status_WARN": "WARNING: some WARN checks failed (not blocking)",
        "status_ERROR": "FAILED: a blocking check failed",
        "cities": "Regencies/cities",
        "provinces": "Provinces",
        "ranking_cities": "UCJ of the regencies/cities",
        "ranking_provinces": "UCJ of the provinces",
        "rank": "Rank",
        "name": "Name",
        "code": "Code",
        "regions": "Regencies/cities",
        "back_province": "Province page",
        "back_national": "National page",
        "legend_potential": "potential",
        "legend_covered": "covered",
        "legend_target": "target",
        "no_potential": "no potential",
        "note_pct": "UCJ = covered / potential workers (PU + BPU).",
        "snapshots": "Snapshot",
    },
}

STALE_AFTER_DAYS = 40  # as the check latest_snapshot_age (assets/freshness.py)

# The tables checked and every check: their plain names, from the catalogues of table
# checks (expectations/<schema>.<table>.yml). TABLES: table -> language -> name. CHECKS:
# (table, expectation) -> "id" and "en" names, and "observed": what a failure found, in
# Indonesian, from the structured columns: {n} the unexpected count, {value} the observed
# number, {latest} the latest snapshot, {limit} STALE_AFTER_DAYS. (The English pages show
# the pipeline's own sentence, observed_value.)
TABLES: dict[str, dict[str, str]] = {t: dict(c.label) for t, c in catalogues().items()}
CHECKS: dict[tuple[str, str], dict[str, str]] = {
    (c.table, c.name): {
        **c.label,
        "id": c.label["id"].format(limit=STALE_AFTER_DAYS),
        "en": c.label["en"].format(limit=STALE_AFTER_DAYS),
    }
    for catalogue in catalogues().values()
    for c in catalogue.checks
}
