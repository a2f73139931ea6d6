"""What is personal data in cakupan, and how text meant for people is kept free of it.

NIKs (16-digit national IDs) are personal data; their pseudonyms (``person_key``, a 128-bit
keyed hash stored as an unsigned integer, see cakupan/pseudonym.py) are too: with the key,
every plausible NIK can be tried. Neither
may appear in a log, an error, Dagster metadata, Data Docs or a published table.
"""

from __future__ import annotations

import re

#: Columns holding a NIK or its pseudonym: never sampled, shown or published.
SENSITIVE_COLUMNS = frozenset({"nik", "person_key"})

# A run of digits, each pair apart by at most three spaces, dots or dashes (any Unicode
# space or dash). A run of exactly 16 digits is a NIK however it is written:
# 3171010190000001, 3171-0101-9000-0001, 3171 0101 9000 0001, 31.71.01.010190.0001.
# In a longer run (a NIK next to a date, say), 16 digits in a row are one.
_SEPARATOR = r"[\s.\-\u2010-\u2015\u2212]"
_RUN = re.compile(rf"\d(?:{_SEPARATOR}{{0,3}}\d)*")
_DIGIT = re.compile(r"\d")
_UNBROKEN = re.compile(r"(?<!\d)\d{16}(?!\d)")
_MASK = "<16 digits>"
# A pseudonym on its own: a person_key as DuckDB prints it (a 128-bit integer: 30 to 39
# digits, fewer for one key in 10^9) or in hex (32 digits, 0x or not), or a 64-digit hex
# digest (the HMAC-SHA256 pseudonyms of earlier versions, any SHA-256 of a NIK).
_PSEUDONYM = re.compile(
    r"(?<![0-9A-Za-z])(?:\d{30,39}|(?:0[xX])?[0-9a-fA-F]{32}|[0-9a-fA-F]{64})(?![0-9A-Za-z])"
)


def _mask_run(match: re.Match[str]) -> str:
    run = match.group()
    if len(_DIGIT.findall(run)) == 16:
        return _MASK
    return _UNBROKEN.sub(_MASK, run)


def redact(text: object) -> str:
    """Mask anything that looks like a NIK or a pseudonym in text meant for people."""
    return _RUN.sub(_mask_run, _PSEUDONYM.sub("<pseudonym>", str(text)))
