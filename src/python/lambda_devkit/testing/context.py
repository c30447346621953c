"""A Lambda context for tests and tools that call a handler in-process."""

from __future__ import annotations

from dataclasses import dataclass

from aws_lambda_powertools.utilities.typing import LambdaContext


@dataclass(frozen=True)
class FakeLambdaContext:
    """The context attributes Powertools' logger and the handlers' time budget read."""

    function_name: str = "function-under-test"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 128
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:function-under-test"
    aws_request_id: str = "6f2c1d8e-0000-4000-8000-000000000000"
    remaining_ms: int = 10_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def fake_lambda_context() -> LambdaContext:
    # Handlers are typed against Powertools' LambdaContext; this has the same attributes.
    return FakeLambdaContext()  # type: ignore[return-value]
