"""An invocation's time budget: how long calls to the store may take and still leave time to answer.

Lambda kills a function at its timeout, and API Gateway then answers the client itself with a
500 and no `Retry-After`. So every wait on the store (connecting, reading, backing off before
a retry) fits inside the invocation's remaining time minus a reserve in which the function
still answers `503` + `Retry-After` itself.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

# Kept back from the remaining time: answering and logging take milliseconds, this is margin
# for a slow (small-memory, cold) container.
ANSWER_RESERVE_S = 1.0
# Per-attempt ceilings. DynamoDB answers in milliseconds; these only bound a store that has
# stopped answering, so that a second and third attempt still fit in a 10 s function.
CONNECT_TIMEOUT_S = 1.0
READ_TIMEOUT_S = 2.0
# An attempt with less time than this is not worth starting.
MIN_ATTEMPT_S = 0.2
# Timeouts are rounded down to this step, so that only a few distinct ones (and clients) exist.
STEP_S = 0.1


@dataclass(frozen=True)
class Timeouts:
    connect_s: float
    read_s: float


FULL_ATTEMPT = Timeouts(CONNECT_TIMEOUT_S, READ_TIMEOUT_S)


def _step_down(seconds: float) -> float:
    return max(STEP_S, math.floor(round(seconds / STEP_S, 6)) * STEP_S)


@dataclass(frozen=True)
class Deadline:
    """The monotonic time by which work on the store must be over."""

    at: float

    @classmethod
    def within(cls, remaining_ms: int) -> Deadline:
        """From `context.get_remaining_time_in_millis()`, less the reserve for answering."""
        return cls(time.monotonic() + remaining_ms / 1000 - ANSWER_RESERVE_S)

    @classmethod
    def unbounded(cls) -> Deadline:
        """Outside an invocation (scripts, tests reading a table): full attempts only."""
        return cls(math.inf)

    def remaining_s(self) -> float:
        return self.at - time.monotonic()

    def next_attempt(self) -> Timeouts | None:
        """Timeouts for one more attempt that ends before the deadline, or None if none fits."""
        remaining = self.remaining_s()
        if remaining >= FULL_ATTEMPT.connect_s + FULL_ATTEMPT.read_s:
            return FULL_ATTEMPT
        if remaining < MIN_ATTEMPT_S:
            return None
        # A third to connect (at most the ceiling), the rest to read: both within `remaining`.
        connect = _step_down(min(CONNECT_TIMEOUT_S, remaining / 3))
        return Timeouts(connect, _step_down(min(READ_TIMEOUT_S, remaining - connect)))

    def pause(self, seconds: float) -> None:
        """Sleeps `seconds`, but never into the last MIN_ATTEMPT_S before the deadline."""
        time.sleep(max(0.0, min(seconds, self.remaining_s() - MIN_ATTEMPT_S)))
