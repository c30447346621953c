"""The zips `./pants package ::` writes, run in a Lambda-faithful layout on CPython 3.13.

Each function zip is unpacked to the task root and the layers to /opt, and a fresh interpreter
with Lambda's import order (task root, then /opt/python, and no site-packages of ours)
imports `lambda_function` and calls `handler` with a real API Gateway event.
"""

from __future__ import annotations

import platform
from pathlib import Path

import pytest

from lambda_emulator.sandbox import InvocationError, Sandbox
from lambda_events import EventFactory

DIST = Path("src.python.calculator")
SHARED_LAYER = DIST / "shared-layer.zip"
# Native wheels must match the machine running the test.
ARCHITECTURE = "arm64" if platform.machine() in {"aarch64", "arm64"} else "x86_64"
REQUIREMENTS_LAYER = DIST / f"requirements-layer-{ARCHITECTURE}.zip"


def function_zip(name: str) -> Path:
    return Path(f"src.python.calculator.functions.{name}") / "lambda.zip"


def sandbox(tmp_path: Path, name: str, layers: list[Path]) -> Sandbox:
    return Sandbox.unpack(tmp_path, function_zip(name), layers, function_name=name)


@pytest.mark.parametrize(
    ("name", "expected_body"),
    [
        ("add", '{"operation":"add","a":0.1,"b":0.2,"result":0.3}'),
        (
            "multiply",
            '{"operation":"multiply","a":123456789012345678901234567890,"b":3,'
            '"result":370370367037037036703703703670}',
        ),
    ],
)
def test_packaged_function_answers_like_lambda(
    tmp_path: Path, api_event: EventFactory, name: str, expected_body: str
) -> None:
    lambda_sandbox = sandbox(tmp_path, name, [SHARED_LAYER, REQUIREMENTS_LAYER])
    assert lambda_sandbox.invoke(api_event(name)) == {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": expected_body,
    }


def test_function_zip_holds_only_its_own_code(tmp_path: Path) -> None:
    sandbox(tmp_path, "add", [])
    files = sorted(
        str(p.relative_to(tmp_path / "var" / "task"))
        for p in (tmp_path / "var" / "task").rglob("*")
        if p.is_file()
    )
    assert files == ["calculator/functions/add/handler.py", "lambda_function.py"]


def test_without_the_shared_layer_the_handler_cannot_be_imported(
    tmp_path: Path, api_event: EventFactory
) -> None:
    lambda_sandbox = sandbox(tmp_path, "add", [REQUIREMENTS_LAYER])
    with pytest.raises(InvocationError) as raised:
        lambda_sandbox.invoke(api_event("add"))
    assert raised.value.error["errorType"] == "Runtime.ImportModuleError"
    assert "calculator.shared" in raised.value.error["errorMessage"]


def test_requirements_layer_carries_boto3_for_the_runtime(tmp_path: Path) -> None:
    lambda_sandbox = sandbox(tmp_path, "add", [SHARED_LAYER, REQUIREMENTS_LAYER])
    assert (lambda_sandbox.opt / "python" / "boto3" / "__init__.py").is_file()
    assert sorted(p.name for p in lambda_sandbox.opt.iterdir()) == ["python"]
