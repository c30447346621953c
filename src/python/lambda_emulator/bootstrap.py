"""Runs inside the sandboxed interpreter: imports the handler as Lambda does and invokes it.

Started as `python -I -S bootstrap.py`, so neither the caller's environment nor any
site-packages leak in. It reads one event (JSON) on stdin and writes one JSON document on
stdout: {"result": ...} or {"error": {"errorType", "errorMessage", "stackTrace"}}, the shape
Lambda reports for an unhandled exception. Only the standard library may be used here.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
import uuid
from typing import Any


def lambda_sys_path(task_root: str, opt: str) -> list[str]:
    # The python3.13 runtime's order: function code, then layers, then the runtime itself.
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    stdlib = [p for p in sys.path if p and not p.endswith("site-packages")]
    layers = [
        os.path.join(opt, "python", "lib", version, "site-packages"),
        os.path.join(opt, "python"),
    ]
    return [task_root, *layers, *stdlib]


class Context:
    """The attributes of Lambda's context object that handlers use."""

    def __init__(self, function_name: str, memory_mb: int, timeout_s: float, region: str) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = f"arn:aws:lambda:{region}:000000000000:function:{function_name}"
        self.log_group_name = "/aws/lambda/" + function_name
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def error_document(error: BaseException) -> dict[str, Any]:
    return {
        "error": {
            "errorType": type(error).__name__,
            "errorMessage": str(error),
            "stackTrace": traceback.format_tb(error.__traceback__),
        }
    }


def main() -> None:
    sys.path[:] = lambda_sys_path(os.environ["LAMBDA_TASK_ROOT"], os.environ["LAMBDA_OPT"])
    module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
    event = json.loads(sys.stdin.read())
    # Handler output (prints, logs) must not corrupt the result channel.
    result_channel = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    document: dict[str, Any]
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
    except Exception as error:  # Lambda reports these as Runtime.ImportModuleError
        document = error_document(error)
        document["error"]["errorType"] = "Runtime.ImportModuleError"
    else:
        context = Context(
            os.environ["AWS_LAMBDA_FUNCTION_NAME"],
            int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]),
            float(os.environ["AWS_LAMBDA_FUNCTION_TIMEOUT"]),
            os.environ["AWS_REGION"],
        )
        try:
            document = {"result": handler(event, context)}
        except Exception as error:
            document = error_document(error)
    result_channel.write(json.dumps(document))
    result_channel.flush()


if __name__ == "__main__":
    main()
