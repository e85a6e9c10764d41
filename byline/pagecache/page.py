"""A finished response, as the page cache stores and replays it.

Its own module so the store and the page files (``files.py``) both use it
without importing each other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Page:
    """A finished response, as it is replayed to every anonymous reader."""

    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str
    last_modified: int
    expires_at: float
    generation: str
    # What the page shows that a scoped purge may change (``purges``), and the newest
    # purge its worker knew of when it began rendering it.
    scopes: tuple[str, ...] = ()
    mark: int = 0

    def to_bytes(self) -> bytes:
        meta = {
            "status": self.status,
            "headers": self.headers,
            "etag": self.etag,
            "last_modified": self.last_modified,
            "expires_at": self.expires_at,
            "generation": self.generation,
            "scopes": self.scopes,
            "mark": self.mark,
        }
        return json.dumps(meta).encode() + b"\n" + self.body

    @classmethod
    def from_bytes(cls, data: bytes) -> Page:
        meta, _, body = data.partition(b"\n")
        fields = json.loads(meta)
        fields["headers"] = tuple((name, value) for name, value in fields["headers"])
        fields["scopes"] = tuple(fields.get("scopes", ()))
        return cls(body=body, **fields)
