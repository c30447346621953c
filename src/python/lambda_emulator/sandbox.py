"""Unpacks a function zip and its layers as Lambda does and invokes the handler in isolation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")


class InvocationError(Exception):
    """The handler raised, or could not be imported; carries Lambda's error document."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error.get('errorType')}: {error.get('errorMessage')}")
        self.error = error


@dataclass(frozen=True)
class Sandbox:
    """A Lambda execution environment's file layout: /var/task and /opt, under one root."""

    root: Path
    function_name: str
    handler: str = "lambda_function.handler"
    memory_mb: int = 128
    timeout_s: float = 3.0
    region: str = "us-east-1"
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def task_root(self) -> Path:
        return self.root / "var" / "task"

    @property
    def opt(self) -> Path:
        return self.root / "opt"

    @classmethod
    def unpack(
        cls, root: Path, function_zip: Path, layer_zips: list[Path], **settings: Any
    ) -> Sandbox:
        """Function code to the task root; layers, in order, to /opt (later ones overwrite)."""
        sandbox = cls(root=root, **settings)
        with zipfile.ZipFile(function_zip) as archive:
            archive.extractall(sandbox.task_root)
        sandbox.opt.mkdir(parents=True, exist_ok=True)
        for layer in layer_zips:
            with zipfile.ZipFile(layer) as archive:
                archive.extractall(sandbox.opt)
        return sandbox

    def environment(self) -> dict[str, str]:
        # Lambda's reserved variables; nothing from the caller's environment but PATH.
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "LAMBDA_TASK_ROOT": str(self.task_root),
            "LAMBDA_OPT": str(self.opt),
            "_HANDLER": self.handler,
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
            "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_mb),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(self.timeout_s),
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            **self.extra_env,
        }

    def invoke(self, event: dict[str, Any], python: str | None = None) -> Any:
        """Runs the handler on `event` in a fresh interpreter; returns what it returned."""
        completed = subprocess.run(
            # -B: /var/task is read-only in Lambda, so no bytecode is ever written next to the code.
            [python or runtime_python(), "-I", "-S", "-B", str(BOOTSTRAP)],
            input=json.dumps(event),
            capture_output=True,
            text=True,
            env=self.environment(),
            cwd=self.task_root,
            check=False,
        )
        if completed.returncode != 0 or not completed.stdout:
            raise RuntimeError(
                f"the runtime exited with {completed.returncode}: {completed.stderr.strip()}"
            )
        document = json.loads(completed.stdout)
        if "error" in document:
            raise InvocationError(document["error"])
        return document["result"]


def runtime_python() -> str:
    """The base CPython of the running interpreter: no venv, no PEX, no site-packages of ours."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return str(Path(sys.base_prefix) / "bin" / version)
