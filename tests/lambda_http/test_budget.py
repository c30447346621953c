"""The time budget: every attempt on the store ends before the invocation must answer."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambda_http import budget
from lambda_http.budget import FULL_ATTEMPT, MIN_ATTEMPT_S, Deadline


class FrozenClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    frozen = FrozenClock()
    monkeypatch.setattr(time, "monotonic", frozen)
    return frozen


@given(remaining_s=st.floats(min_value=-1, max_value=30))
def test_an_attempt_is_offered_only_if_it_ends_before_the_deadline(remaining_s: float) -> None:
    deadline = Deadline(time.monotonic() + remaining_s)
    timeouts = deadline.next_attempt()
    left = deadline.remaining_s()  # a little less than remaining_s: the clock moved on
    if timeouts is None:
        assert left < MIN_ATTEMPT_S + 0.01
        return
    assert timeouts.connect_s > 0 and timeouts.read_s > 0
    assert timeouts.connect_s + timeouts.read_s <= remaining_s
    assert timeouts.connect_s <= FULL_ATTEMPT.connect_s
    assert timeouts.read_s <= FULL_ATTEMPT.read_s


def test_the_deadline_keeps_the_reserve_for_answering(clock: FrozenClock) -> None:
    deadline = Deadline.within(10_000)
    assert deadline.remaining_s() == 10 - budget.ANSWER_RESERVE_S
    assert deadline.next_attempt() == FULL_ATTEMPT
    clock.now += deadline.remaining_s() - 1.0
    shortened = deadline.next_attempt()
    assert shortened is not None and shortened.connect_s + shortened.read_s <= 1.0
    clock.now += 1.0 - MIN_ATTEMPT_S / 2
    assert deadline.next_attempt() is None


def test_a_pause_never_eats_into_the_last_attempt(
    clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    deadline = Deadline(clock.now + 0.5)
    deadline.pause(5.0)
    assert slept == [pytest.approx(0.5 - MIN_ATTEMPT_S)]
