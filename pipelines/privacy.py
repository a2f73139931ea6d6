"""What is personal data in cakupan, and how text meant for people is kept free of it.

NIKs (16-digit national IDs) are personal data; their pseudonyms (``person_key``, an
HMAC-SHA256 hex digest) are too: with the key, every plausible NIK can be tried. Neither
may appear in a log, an error, Dagster metadata, Data Docs or a published table.
"""

from __future__ import annotations

import re

#: Columns holding a NIK or its pseudonym: never sampled, shown or published.
SENSITIVE_COLUMNS = frozenset({"nik", "person_key"})

# 16 or more digits, each pair apart by at most three spaces, dots or dashes (any Unicode
# space or dash): 3171010190000001, 3171-0101-9000-0001, 3171 0101 9000 0001,
# 31.71.01.010190.0001. A longer run is masked whole (a NIK may hide in it).
_SEPARATOR = r"[\s.\-\u2010-\u2015\u2212]"
_NIK = re.compile(rf"\d(?:{_SEPARATOR}{{0,3}}\d){{15,}}")
# An HMAC-SHA256 hex digest on its own: a pseudonym.
_PSEUDONYM = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{64}(?![0-9A-Za-z])")


def redact(text: object) -> str:
    """Mask anything that looks like a NIK or a pseudonym in text meant for people."""
    return _PSEUDONYM.sub("<pseudonym>", _NIK.sub("<16 digits>", str(text)))
