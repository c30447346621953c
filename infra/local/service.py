"""The service as the template describes it, running from dist/ on this machine."""

from __future__ import annotations

import os
import platform
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from lambda_emulator.container import Container, Result
from lambda_emulator.sandbox import Sandbox
from rehearsal import template as sam

STAGE = "local"
REGION = "us-east-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


@dataclass(frozen=True)
class Function:
    name: str  # e.g. "add"
    resource: str  # e.g. "AddFunction"
    zip_path: Path
    routes: tuple[tuple[str, str], ...]  # (METHOD, /path)


def host_architecture() -> str:
    return "arm64" if platform.machine() in {"aarch64", "arm64"} else "x86_64"


def _sub_stage(value: Any) -> str:
    text = value.get("Fn::Sub", "") if isinstance(value, dict) else str(value)
    return str(text).replace("${Stage}", STAGE)


class LocalService:
    """Containers per function, started on first use and reused, fed from dist/."""

    def __init__(
        self, buildroot: Path, aws_env: dict[str, str], timeout_s: float | None = None
    ) -> None:
        self.template = sam.load()
        self.buildroot = buildroot
        self.aws_env = aws_env
        globals_ = self.template.get("Globals", {}).get("Function", {})
        self.timeout_s = timeout_s or float(globals_.get("Timeout", 3))
        self.memory_mb = int(globals_.get("MemorySize", 128))
        architecture = host_architecture()  # native wheels must run on this machine
        self.functions: dict[str, Function] = {}
        layers: dict[str, Path] = {}
        for artifact in sam.artifacts(self.template):
            path = buildroot / artifact.path
            if artifact.resource_type == sam.LAYER:
                layers[artifact.resource] = path
                continue
            name = sam.function_name_of(artifact.path)
            events = self.template["Resources"][artifact.resource]["Properties"].get("Events", {})
            routes = tuple(
                (str(e["Properties"]["Method"]).upper(), str(e["Properties"]["Path"]))
                for e in events.values()
                if e["Type"] == "HttpApi"
            )
            self.functions[name] = Function(name, artifact.resource, path, routes)
        requirements = (
            "RequirementsLayerArm64" if architecture == "arm64" else "RequirementsLayerX8664"
        )
        self.layers = [layers["SharedLayer"], layers[requirements]]
        missing = [
            p
            for p in (*self.layers, *(f.zip_path for f in self.functions.values()))
            if not p.is_file()
        ]
        if missing:
            raise FileNotFoundError(f"{missing[0]} is missing: run `./pants package ::` first")
        self.table_name = _sub_stage(
            self.template["Resources"]["HistoryTable"]["Properties"]["TableName"]
        )
        self._scratch = Path(tempfile.mkdtemp(prefix="calculator-local-"))
        self._containers: dict[str, tuple[tuple[int, ...], Container]] = {}
        self._lock = threading.Lock()

    @property
    def scratch(self) -> Path:
        return self._scratch

    def route(self, method: str, path: str) -> Function | None:
        for function in self.functions.values():
            if (method.upper(), path) in function.routes:
                return function
        return None

    def create_table(self) -> None:
        """The history table as the template declares it, at the configured endpoint."""
        spec: dict[str, Any] = self.template["Resources"]["HistoryTable"]["Properties"]
        client: Any = boto3.client(
            "dynamodb",
            endpoint_url=self.aws_env.get("AWS_ENDPOINT_URL_DYNAMODB"),
            region_name=REGION,
            aws_access_key_id=self.aws_env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.aws_env["AWS_SECRET_ACCESS_KEY"],
        )
        client.create_table(
            TableName=self.table_name,
            KeySchema=[dict(k) for k in spec["KeySchema"]],
            AttributeDefinitions=[dict(a) for a in spec["AttributeDefinitions"]],
            BillingMode=spec.get("BillingMode", "PAY_PER_REQUEST"),
        )

    def _signature(self, function: Function) -> tuple[int, ...]:
        stats = [p.stat() for p in (function.zip_path, *self.layers)]
        return tuple(n for s in stats for n in (s.st_mtime_ns, s.st_size))

    def container(self, function: Function) -> Container:
        """The function's warm container, or a new one if dist/ changed since it started."""
        with self._lock:
            signature = self._signature(function)
            current = self._containers.get(function.name)
            if current is not None and current[0] == signature:
                return current[1]
            if current is not None:
                current[1].stop()  # a rebuilt zip: the next invocation is a cold start
            root = self._scratch / function.name
            shutil.rmtree(root, ignore_errors=True)
            sandbox = Sandbox.unpack(
                root,
                function.zip_path,
                self.layers,
                function_name=f"calculator-{STAGE}-{function.name}",
                memory_mb=self.memory_mb,
                timeout_s=self.timeout_s,
                region=REGION,
                extra_env={
                    **self.aws_env,
                    "HISTORY_TABLE_NAME": self.table_name,
                    "POWERTOOLS_SERVICE_NAME": "calculator",
                },
            )
            container = Container(sandbox)
            self._containers[function.name] = (signature, container)
            return container

    def invoke(self, function: Function, event: Any) -> Result:
        return self.container(function).invoke(event)

    def container_pids(self) -> list[int]:
        return [pid for _, c in self._containers.values() if (pid := c.pid) is not None]

    def close(self) -> None:
        with self._lock:
            for _, container in self._containers.values():
                container.stop()
            self._containers.clear()
        shutil.rmtree(self._scratch, ignore_errors=True)


def aws_environment(endpoint: str | None) -> dict[str, str]:
    """What the functions see of AWS: an endpoint override, region and credentials."""
    env = {"AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}
    if endpoint is None:  # real AWS: the caller's credentials
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            if name in os.environ:
                env[name] = os.environ[name]
        return env
    return {**env, **FAKE_CREDENTIALS, "AWS_ENDPOINT_URL_DYNAMODB": endpoint}
