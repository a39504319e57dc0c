"""Failure counting with lockout, shared by password login and voice PIN checks.

Failures are counted with the StateStore's atomic increment in a window that starts at the
first failure; reaching the limit writes a lock document that expires after the lockout
window. Both are settings, read through the injectable clock, so tests shrink them.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from convonet.clock import get_clock
from convonet.state import get_state_store
from convonet.state.base import EXPIRES_FIELD


@dataclass(frozen=True)
class AttemptLimiter:
    scope: str
    max_failures: int
    window_s: int

    def retry_after_s(self, subject: str) -> int | None:
        """Seconds until `subject` may try again, or None when it is not locked."""
        lock = get_state_store().get("lockouts", self._key(subject))
        if lock is None:
            return None
        expires = lock.get(EXPIRES_FIELD)
        if expires is None:
            return self.window_s
        return max(1, math.ceil((expires - get_clock().now()).total_seconds()))

    def record_failure(self, subject: str) -> int | None:
        """Count a failure; returns the lock's retry-after when this failure locks the subject."""
        store = get_state_store()
        key = self._key(subject)
        failures = store.increment("attempt_failures", key, "count", ttl_s=self.window_s)
        if failures >= self.max_failures:
            store.set("lockouts", key, {"scope": self.scope}, ttl_s=self.window_s)
            store.delete("attempt_failures", key)
            return self.window_s
        return None

    def reset(self, subject: str) -> None:
        get_state_store().delete("attempt_failures", self._key(subject))

    def _key(self, subject: str) -> str:
        """Subjects (emails, IPs, PIN sources) are hashed: no personal data in state keys."""
        return hashlib.sha256(f"{self.scope}:{subject}".encode()).hexdigest()
