"""A Lambda execution environment's files and variables: a function zip and its layers,
unpacked where Lambda puts them, and the reserved environment the runtime sees."""

from __future__ import annotations

import os
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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
        cls,
        root: Path,
        function_zip: Path,
        layer_zips: list[Path],
        opt: Path | None = None,
        **settings: Any,
    ) -> Sandbox:
        """Function code to the task root; layers, in order, to /opt (later ones overwrite).
        With `opt`, the layers as `unpack_layers` wrote them there: environments that run the
        same builds of the same layers share one copy (`layer_zips` is then not read), as every
        Lambda environment of a version gets the same read-only /opt."""
        sandbox = cls(root=root, **settings)
        with zipfile.ZipFile(function_zip) as archive:
            archive.extractall(sandbox.task_root)
        if opt is not None:
            sandbox.root.mkdir(parents=True, exist_ok=True)
            sandbox.opt.symlink_to(opt.resolve(), target_is_directory=True)
        else:
            unpack_layers(sandbox.opt, layer_zips)
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


def unpack_layers(opt: Path, layer_zips: list[Path]) -> Path:
    """Layers, in order, to the directory `opt` (later ones overwrite, as Lambda merges them)."""
    opt.mkdir(parents=True, exist_ok=True)
    for layer in layer_zips:
        with zipfile.ZipFile(layer) as archive:
            archive.extractall(opt)
    return opt


def runtime_python() -> str:
    """The base CPython of the running interpreter: no venv, no PEX, no site-packages of ours."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return str(Path(sys.base_prefix) / "bin" / version)
