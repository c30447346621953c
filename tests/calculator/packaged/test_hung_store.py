"""The packaged zips with a store that has hung, in the emulator with the template's timeout:
each function that uses a table answers 503 with Retry-After, in time.

The functions wait out their time budgets, seconds in which nothing else would run: their
invocations start with the pytest process (conftest.py, lambda_devkit.testing.hung_store) and
run beside the other tests of its batch; this check, run last, reads their answers.
"""

from __future__ import annotations

import json

from lambda_devkit.testing.hung_store import TABLE_FUNCTIONS, HungStore


def test_a_hung_store_is_a_503_with_retry_after_before_the_timeout(
    hung_store_answers: HungStore | None,
) -> None:
    assert hung_store_answers is not None, "conftest.py starts the invocations for this file"
    assert TABLE_FUNCTIONS, "the template deploys no function that uses a table"
    timeout_s = hung_store_answers.timeout_s
    for name, answer in hung_store_answers.answers.items():
        result = answer.result()
        print(f"{name}: answered after {result.duration_ms:.0f} ms of {timeout_s:.0f} s")
        assert not result.timed_out, (name, result.logs)
        assert result.error is None, (name, result.error)
        assert result.payload["statusCode"] == 503, (name, result.payload)
        assert result.payload["headers"]["Retry-After"] == "1", name
        assert "nothing was recorded" in json.loads(result.payload["body"])["message"], name
