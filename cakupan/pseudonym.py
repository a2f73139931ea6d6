"""Keyed pseudonymization of NIKs (HMAC-SHA256), computed inside DuckDB.

HMAC(K, m) = H((K' xor opad) || H((K' xor ipad) || m)), RFC 2104. The two padded keys are
derived here and passed to SQL as query parameters, so neither the key nor anything that
reveals it appears in SQL text, logs or metadata. DuckDB's ``sha256`` does the hashing, so
millions of rows are pseudonymized without a Python loop.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

_BLOCK = 64  # SHA-256 block size in bytes


@dataclass(frozen=True, repr=False)
class HmacPads:
    """The inner and outer padded keys of HMAC-SHA256 (secret: never print them)."""

    inner: bytes
    outer: bytes

    def __repr__(self) -> str:  # keep secrets out of tracebacks and logs
        return "HmacPads(<secret>)"

    @classmethod
    def from_key(cls, key: bytes) -> HmacPads:
        if not key:
            raise ValueError("the pseudonymization key is empty")
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_BLOCK, b"\0")
        return cls(
            inner=bytes(b ^ 0x36 for b in key),
            outer=bytes(b ^ 0x5C for b in key),
        )

    def sql_params(self) -> dict[str, bytes]:
        return {"hmac_inner": self.inner, "hmac_outer": self.outer}
