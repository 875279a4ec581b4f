"""Client addresses as the platform keeps them: a keyed hash, never the address itself.

One owner for the arena's and try-it's per-address rate limits: both count rows by this hash,
so the same visitor's network is one key everywhere, and a leaked database locates nobody.
"""
from __future__ import annotations

import hashlib
import hmac


def address_hash(secret: str, address: str | None) -> str:
    """A keyed hash of the client address: enough to count requests per address, not to locate anyone."""
    return hmac.new(secret.encode(), (address or "unknown").encode(), hashlib.sha256).hexdigest()
