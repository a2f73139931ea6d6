"""Keyed pseudonymization of NIKs, computed inside DuckDB as each file is read.

``person_key`` = the first 128 bits of SHA-256(S || NIK), as an unsigned 128-bit integer
(DuckDB ``UHUGEINT``), where S = HMAC-SHA256(key, ``cakupan person_key v2``) is a 32-byte
secret derived here from ``CAKUPAN_PSEUDONYM_KEY`` and passed to SQL as a query parameter,
so neither the key nor S appears in SQL text, logs or metadata.

Why not HMAC: only valid NIKs are hashed, and a valid NIK is always 16 ASCII digits. For
messages of one fixed length, a secret prefix is as sound a keyed hash as HMAC (length
extension needs a longer message, and the output is truncated anyway), and S || NIK fits
in one 64-byte SHA-256 block: one compression per NIK where HMAC-SHA256 needs four (two
hashes of two blocks each). 128 bits keep collisions negligible: among 10^8 people the
chance that any two share a key is about 10^16 / 2^129, below 10^-22. The integer takes
16 bytes where the hex digest took 64, and groups and joins faster.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

_LABEL = b"cakupan person_key v2"


@dataclass(frozen=True, repr=False)
class PseudonymSecret:
    """The 32-byte prefix S of the keyed hash (secret: never print it)."""

    value: bytes

    def __repr__(self) -> str:  # keep secrets out of tracebacks and logs
        return "PseudonymSecret(<secret>)"

    @classmethod
    def from_key(cls, key: bytes) -> PseudonymSecret:
        if not key:
            raise ValueError("the pseudonymization key is empty")
        return cls(hmac.new(key, _LABEL, hashlib.sha256).digest())

    def sql_params(self) -> dict[str, bytes]:
        """The query parameter ``$pseudonym_secret`` of ``sql/raw/prepare_membership.sql``."""
        return {"pseudonym_secret": self.value}
