"""The API-key rule for writes: when KHABAR_API_KEY is set, a write must present it (API header or UI field)."""
from __future__ import annotations

import hmac

KEY_HEADER = "X-API-Key"


def key_accepted(expected: str | None, given: str | None) -> bool:
    """True when no key is configured, or `given` is it (compared in constant time)."""
    if expected is None:
        return True
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())  # type: ignore[union-attr]
