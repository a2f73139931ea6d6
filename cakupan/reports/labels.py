"""The words of the pages, in Indonesian (the nightly pages) and English (on request), and
the plain-language names of the data-quality checks and of the tables they check."""

from __future__ import annotations

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

TABLES: dict[str, dict[str, str]] = {  # the tables checked: table -> language -> name
    "raw.membership": {"id": "Data kepesertaan (masukan)", "en": "Membership (input)"},
    "raw.workforce": {"id": "Data Sakernas (masukan)", "en": "Sakernas workforce (input)"},
    "raw.targets": {"id": "Target UCJ (masukan)", "en": "UCJ targets (input)"},
    "staging.membership": {"id": "Kepesertaan per orang", "en": "Membership per person"},
    "coverage.coverage_by_city": {"id": "Cakupan per kab/kota", "en": "Coverage by kab/kota"},
    "coverage.coverage_by_province": {"id": "Cakupan per provinsi", "en": "Coverage by province"},
    "coverage.coverage_national": {"id": "Cakupan nasional", "en": "National coverage"},
    "reporting.coverage_by_city": {
        "id": "Cakupan per kab/kota (berkas terbit)",
        "en": "Coverage by kab/kota (published file)",
    },
    "reporting.coverage_by_province": {
        "id": "Cakupan per provinsi (berkas terbit)",
        "en": "Coverage by province (published file)",
    },
    "reporting.coverage_national": {
        "id": "Cakupan nasional (berkas terbit)",
        "en": "National coverage (published file)",
    },
}

# Every check: (table, expectation) -> "id" and "en" names, and "observed": what a failure
# found, in Indonesian, from the structured columns: {n} the unexpected count, {value} the
# observed number, {latest} the latest snapshot, {limit} STALE_AFTER_DAYS. (The English
# pages show the pipeline's own sentence, observed_value.)
CHECKS: dict[tuple[str, str], dict[str, str]] = {
    ("raw.membership", "no_invalid_nik"): {
        "id": "NIK terdiri dari 16 digit",
        "en": "NIK of 16 digits",
        "observed": "{n} baris dengan NIK tidak valid",
    },
    ("raw.membership", "nik_district_is_known"): {
        "id": "Kode kecamatan pada NIK dikenal",
        "en": "The NIK's district code is known",
        "observed": "{n} baris dengan kode kecamatan NIK yang tidak dikenal",
    },
    ("raw.membership", "nik_birth_date_is_possible"): {
        "id": "Tanggal lahir pada NIK mungkin",
        "en": "The NIK's birth date is possible",
        "observed": "{n} baris dengan tanggal lahir NIK yang tidak mungkin",
    },
    ("raw.targets", "region_maps_to_a_current_kabkota"): {
        "id": "Target mengarah ke kab/kota yang berlaku",
        "en": "Targets map to a current kab/kota",
        "observed": "{n} baris target tanpa kab/kota yang berlaku",
    },
    ("raw.targets", "one_target_per_year_and_region"): {
        "id": "Satu target per tahun dan kab/kota dalam satu berkas",
        "en": "One target per year and kab/kota in a file",
        "observed": "{n} baris target ganda",
    },
    ("raw.workforce", "every_region_in_each_round"): {
        "id": "Setiap kab/kota ada di setiap putaran Sakernas",
        "en": "Every kab/kota in each Sakernas round",
        "observed": "{n} pasangan (putaran, kab/kota) tanpa baris",
    },
    ("raw.workforce", "potential_change_within_30_pct"): {
        "id": "Potensi berubah paling banyak 30% antarputaran",
        "en": "Potential changes by at most 30% between rounds",
        "observed": "{n} perubahan lebih dari 30% antarputaran",
    },
    ("staging.membership", "one_row_per_person_and_segment"): {
        "id": "Satu baris per orang dan segmen",
        "en": "One row per person and segment",
        "observed": "{n} orang dengan lebih dari satu baris dalam satu posisi data dan segmen",
    },
    ("staging.membership", "source_rows_add_up_to_raw"): {
        "id": "Baris kepesertaan = baris masukan dengan NIK valid",
        "en": "Membership rows add up to the input rows with a valid NIK",
        "observed": "{n} posisi data dengan jumlah baris yang tidak sama",
    },
    ("staging.membership", "region_is_set"): {
        "id": "Setiap orang punya wilayah di setiap segmen",
        "en": "Every person has a region in each segment",
        "observed": "{n} baris tanpa wilayah",
    },
    ("staging.membership", "registered_on_not_after_snapshot"): {
        "id": "Tanggal daftar tidak setelah posisi data",
        "en": "Registration date not after the snapshot",
        "observed": "{n} keanggotaan terdaftar setelah posisi datanya",
    },
    ("coverage.coverage_by_city", "all_514_kabkota"): {
        "id": "Setiap posisi data memuat tepat 514 kab/kota",
        "en": "Each snapshot has exactly the 514 kab/kota",
        "observed": "{value} baris kab/kota (seharusnya 514)",
    },
    ("coverage.coverage_by_city", "one_row_per_region"): {
        "id": "Satu baris per kab/kota dan posisi data",
        "en": "One row per kab/kota and snapshot",
        "observed": "{n} baris ganda",
    },
    ("coverage.coverage_by_city", "percentages_match_counts"): {
        "id": "Persentase, potensi dan belum tercakup sesuai dengan hitungannya",
        "en": "Percentages, potentials and uncovered agree with the counts",
        "observed": "{n} kab/kota dengan angka yang tidak sesuai",
    },
    ("coverage.coverage_by_city", "national_total_is_distinct_persons"): {
        "id": "Total tercakup nasional = jumlah orang tercakup",
        "en": "The national covered total is the number of covered persons",
        "observed": "{n} posisi data dengan total nasional yang berbeda",
    },
    ("coverage.coverage_by_city", "covered_not_above_potential"): {
        "id": "Cakupan tidak melebihi 100%",
        "en": "Coverage not above 100%",
        "observed": "{n} kab/kota dengan cakupan di atas 100%",
    },
    ("coverage.coverage_by_city", "latest_snapshot_age"): {
        "id": f"Posisi data terakhir berumur paling lama {STALE_AFTER_DAYS} hari",
        "en": f"The latest snapshot is at most {STALE_AFTER_DAYS} days old",
        "observed": "posisi data terakhir {latest}: lebih dari {limit} hari",
    },
    ("coverage.coverage_by_province", "all_38_provinces"): {
        "id": "Setiap posisi data memuat 38 provinsi",
        "en": "Each snapshot has the 38 provinces",
        "observed": "{value} baris provinsi (seharusnya 38)",
    },
    ("coverage.coverage_by_province", "sums_of_cities"): {
        "id": "Angka provinsi = jumlah kab/kotanya",
        "en": "Province figures are the sums of their kab/kota",
        "observed": "{n} provinsi yang tidak sama dengan jumlah kab/kotanya",
    },
    ("coverage.coverage_national", "one_row"): {
        "id": "Satu baris nasional per posisi data",
        "en": "One national row per snapshot",
        "observed": "{value} baris nasional (seharusnya 1)",
    },
    ("coverage.coverage_national", "sums_of_cities"): {
        "id": "Angka nasional = jumlah semua kab/kota",
        "en": "National figures are the sums of all kab/kota",
        "observed": "{n} baris nasional yang tidak sama dengan jumlah kab/kota",
    },
}
for _table in ("coverage_by_city", "coverage_by_province", "coverage_national"):
    CHECKS[(f"reporting.{_table}", "rows_per_snapshot")] = {
        "id": "Jumlah baris per posisi data di berkas terbit",
        "en": "Rows per snapshot in the published file",
        "observed": "{n} posisi data dengan jumlah baris yang salah",
    }
    CHECKS[(f"reporting.{_table}", "unique_key")] = {
        "id": "Kunci unik dan terisi di berkas terbit",
        "en": "Key unique and never empty in the published file",
        "observed": "{n} kunci ganda atau kosong",
    }
    if _table != "coverage_by_city":
        CHECKS[(f"reporting.{_table}", "sums_of_cities")] = {
            "id": "Angka = jumlah kab/kotanya, di berkas terbit",
            "en": "Figures are the sums of their kab/kota, in the published file",
            "observed": "{n} baris yang tidak sama dengan jumlah kab/kotanya",
        }
