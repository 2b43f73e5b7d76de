"""Per-account sign-in throttling: growing delays after failed sign-ins, never a lockout.

Each failed sign-in for an account (whichever address it came from) doubles the wait before the
next attempt for that account is looked at: after :attr:`AccountThrottle.free` failures, 1 s,
then 2, 4, 8 ... up to :attr:`AccountThrottle.max_delay_s`. An attempt inside the wait is
refused (429 with Retry-After) before the password is checked, so a guesser learns nothing
from it; a success clears the account's count. The cap keeps it from becoming a lockout an
attacker could use to keep a curator out: the curator waits at most ``max_delay_s``, while a
guesser gets one try per ``max_delay_s`` (OWASP Authentication Cheat Sheet, "Login Throttling":
exponential back-off rather than account lockout).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class AccountThrottle:
    """Failed sign-ins per account name, and the wait they impose.

    free : failures allowed before any wait (typos happen)
    max_delay_s : the longest wait, s
    """

    def __init__(self, free: int = 3, max_delay_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.free = free
        self.max_delay_s = max_delay_s
        self.clock = clock
        self._failures: dict[str, tuple[int, float]] = {}  # account -> (count, time of last failure)
        self._lock = threading.Lock()

    def delay(self, failures: int) -> float:
        """The wait after ``failures`` failed attempts, s."""
        if failures < self.free:
            return 0.0
        return float(min(self.max_delay_s, 2.0 ** min(failures - self.free, 30)))

    def wait(self, account: str) -> float:
        """Seconds before the next attempt for ``account`` is looked at (0: now)."""
        with self._lock:
            count, last = self._failures.get(account.lower(), (0, 0.0))
        if count == 0:
            return 0.0
        return max(0.0, last + self.delay(count) - self.clock())

    def failed(self, account: str) -> None:
        key = account.lower()
        now = self.clock()
        with self._lock:
            count, _ = self._failures.get(key, (0, now))
            self._failures[key] = (count + 1, now)
            if len(self._failures) > 100_000:  # forget accounts quiet for an hour
                self._failures = {k: v for k, v in self._failures.items() if now - v[1] < 3600}

    def succeeded(self, account: str) -> None:
        with self._lock:
            self._failures.pop(account.lower(), None)
