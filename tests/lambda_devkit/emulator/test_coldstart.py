"""The cold-start benchmark's verdict: a target judged only on a run quiet enough to judge it."""

from __future__ import annotations

import pytest

from lambda_devkit.emulator.coldstart import TARGET_RATIO, spread, verdict

# Two trees' SDK baselines (ms), as measured round by round.
QUIET = {"packaged": [240.0, 244.0, 250.0, 246.0], "precompiled": [238.0, 243.0, 247.0, 245.0]}
BUSY = {"packaged": [240.0, 244.0, 250.0, 246.0], "precompiled": [300.0, 290.0, 310.0, 295.0]}


def test_a_quiet_run_judges_the_worst_function_against_the_target() -> None:
    met = verdict(QUIET, [1.02, TARGET_RATIO, 1.05], noise=0.05)
    assert not met.too_noisy
    assert str(met).startswith("Verdict: init <= 1.10x the SDK baseline for every function: met")
    missed = verdict(QUIET, [1.02, TARGET_RATIO + 0.01, 1.05], noise=0.05)
    assert ": NOT met (worst 1.11x" in str(missed)


def test_trees_apart_by_more_than_the_noise_make_the_run_too_noisy_to_judge() -> None:
    # Even a run whose ratios all look fine is not judged when the identical work disagrees.
    busy = verdict(BUSY, [1.0, 1.0], noise=0.05)
    assert busy.too_noisy
    assert str(busy).startswith("Verdict: too noisy to judge (the two trees' SDK baselines")
    assert "met" not in str(busy)
    assert not verdict(BUSY, [1.0], noise=0.25).too_noisy


@pytest.mark.parametrize(
    ("values", "expected"), [([1.0, 2.0, 3.0, 4.0, 5.0], "2-4"), ([10.0, 10.0, 10.0], "10-10")]
)
def test_spread_is_the_interquartile_range(values: list[float], expected: str) -> None:
    assert spread(values) == expected
