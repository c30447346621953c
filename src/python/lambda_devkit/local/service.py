"""The service as the template describes it, running from dist/ on this machine.

Each function has a pool of execution environments (containers), as Lambda scales: a request
takes an idle warm one or starts another, up to the function's reserved concurrency in the
template (parameters at their defaults), or UNRESERVED_CONCURRENCY; beyond that it is throttled.
A rebuilt zip becomes a new version, unpacked under that function's lock only; containers of
the old version finish what they are running and are then stopped, never mid-request. The
layers are unpacked once per build of them and shared by every function's versions, so a
handler edit unpacks only that function's zip.
"""

from __future__ import annotations

import itertools
import os
import shutil
import sys
import tempfile
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.emulator.container import Container, Result
from lambda_devkit.emulator.sandbox import Sandbox, unpack_layers
from lambda_devkit.local.gateway import resolved
from lambda_devkit.moto_server import FAKE_CREDENTIALS, REGION, create_tables, dynamodb_client

STAGE = "local"
# Concurrent executions of a function the template reserves none for. Lambda would let it use
# the account's unreserved pool (1,000 by default); this machine could not run that many.
UNRESERVED_CONCURRENCY = 10
THROTTLED = {"errorType": "TooManyRequestsException", "errorMessage": "Rate Exceeded."}


@dataclass(frozen=True)
class Function:
    name: str  # e.g. "add"
    resource: str  # e.g. "AddFunction"
    zip_path: Path
    routes: tuple[service_spec.Route, ...]
    concurrency: int  # containers at once; a request beyond them is throttled


@dataclass
class Version:
    """One build of a function's artifacts, unpacked; removed once no container uses it."""

    signature: tuple[int, ...]
    sandbox: Sandbox
    layers: tuple[int, ...]  # the signature of the layer builds its /opt holds


@dataclass
class Pool:
    """A function's containers: idle ones (current version only) and busy ones (any)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    current: Version | None = None
    idle: list[Container] = field(default_factory=list)
    busy: dict[Container, Version] = field(default_factory=dict)
    builds: itertools.count[int] = field(default_factory=itertools.count)


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
        self.functions: dict[str, Function] = {}
        for declared in service_spec.functions(self.template):
            properties = self.template["Resources"][declared.resource]["Properties"]
            reserved = resolved(
                self.template,
                properties.get(
                    "ReservedConcurrentExecutions", globals_.get("ReservedConcurrentExecutions")
                ),
            )
            concurrency = UNRESERVED_CONCURRENCY if reserved is None else int(reserved)
            self.functions[declared.name] = Function(
                declared.name,
                declared.resource,
                buildroot / declared.artifact,
                declared.routes,
                concurrency,
            )
        # Native wheels must run on this machine: the layers of its architecture.
        self.layers = [
            buildroot / layer.path
            for layer in service_spec.layers(service_spec.host_architecture(), self.template)
        ]
        missing = [
            p
            for p in (*self.layers, *(f.zip_path for f in self.functions.values()))
            if not p.is_file()
        ]
        if missing:
            raise FileNotFoundError(f"{missing[0]} is missing: run `./pants package ::` first")
        # Parameters as on a deploy to the stage `local`: the names the template gives things.
        self.parameters = sam.parameter_values(self.template, {"Stage": STAGE})
        self.table_names = service_spec.table_names(STAGE, self.template)
        self._scratch = Path(tempfile.mkdtemp(prefix="lambda-devkit-local-"))
        self._pools = {name: Pool() for name in self.functions}
        # Unpacked layers, one tree per build of them (their signature), with the versions
        # that use each: a tree goes once no version uses it and a newer build exists.
        self._layers_lock = threading.Lock()
        self._layer_trees: dict[tuple[int, ...], Path] = {}
        self._layer_users: dict[tuple[int, ...], set[str]] = {}
        self._newest_layers: tuple[int, ...] | None = None
        self._layer_builds = itertools.count()

    @property
    def scratch(self) -> Path:
        return self._scratch

    def route(self, method: str, path: str) -> Function | None:
        for function in self.functions.values():
            if service_spec.Route(method.upper(), path) in function.routes:
                return function
        return None

    def create_tables(self) -> None:
        """Every table the template declares, at the configured endpoint."""
        client = dynamodb_client(self.aws_env.get("AWS_ENDPOINT_URL_DYNAMODB"))
        create_tables(client, self.table_names, self.template)

    def function_name(self, function: Function) -> str:
        """Its FunctionName on a deploy to the stage `local`, or Lambda's own pattern."""
        properties = self.template["Resources"][function.resource]["Properties"]
        name = sam.resolve(self.template, properties.get("FunctionName"), self.parameters)
        return name if isinstance(name, str) else f"{STAGE}-{function.resource}"

    def _signature(self, function: Function) -> tuple[int, ...]:
        stats = [p.stat() for p in (function.zip_path, *self.layers)]
        return tuple(n for s in stats for n in (s.st_mtime_ns, s.st_size))

    def _layer_tree(self, signature: tuple[int, ...], user: str) -> Path:
        """The layers' build `signature` unpacked (once), now used by the version `user`."""
        with self._layers_lock:
            tree = self._layer_trees.get(signature)
            if tree is None:
                tree = self._scratch / "layers" / str(next(self._layer_builds))
                try:
                    unpack_layers(tree, self.layers)
                except BaseException:
                    shutil.rmtree(tree, ignore_errors=True)
                    raise
                self._layer_trees[signature] = tree
                self._newest_layers = signature
            self._layer_users.setdefault(signature, set()).add(user)
            return tree

    def _release_layers(self, signature: tuple[int, ...], user: str) -> None:
        """The version `user` is gone: its layer tree goes too if nothing else uses it and a
        newer build of the layers has been unpacked."""
        with self._layers_lock:
            users = self._layer_users.get(signature, set())
            users.discard(user)
            if not users and signature in self._layer_trees and signature != self._newest_layers:
                shutil.rmtree(self._layer_trees.pop(signature), ignore_errors=True)
                self._layer_users.pop(signature, None)

    def _refresh(self, function: Function, pool: Pool) -> Version:
        """The function's current version, unpacked anew if dist/ changed (pool.lock held)."""
        root = self._scratch / function.name / str(next(pool.builds))
        layers: tuple[int, ...] | None = None
        try:
            # Taken before unpacking: a write that lands meanwhile is seen by the next request.
            signature = self._signature(function)
            if pool.current is not None and pool.current.signature == signature:
                return pool.current
            layers = signature[2:]  # the layers' (mtime, size) pairs, after the zip's
            opt = self._layer_tree(layers, str(root))
            sandbox = Sandbox.unpack(
                root,
                function.zip_path,
                self.layers,
                opt=opt,
                function_name=self.function_name(function),
                memory_mb=self.memory_mb,
                timeout_s=self.timeout_s,
                region=REGION,
                extra_env={
                    **self.aws_env,
                    **service_spec.function_environment(
                        self.table_names, function.name, self.template
                    ),
                },
            )
        except (zipfile.BadZipFile, OSError) as error:
            shutil.rmtree(root, ignore_errors=True)
            if layers is not None:
                self._release_layers(layers, str(root))
            if pool.current is None:
                raise
            # Most likely a zip Pants is still writing: serve the last good build meanwhile.
            print(f"[{function.name}] {function.zip_path} unreadable ({error})", file=sys.stderr)
            return pool.current
        previous, pool.current = pool.current, Version(signature, sandbox, layers)
        for container in pool.idle:  # a rebuilt zip: the next invocation is a cold start
            container.stop()
        pool.idle.clear()
        if previous is not None:
            self._discard_if_unused(previous, pool)
        return pool.current

    def _discard_if_unused(self, version: Version, pool: Pool) -> None:
        if version is not pool.current and version not in pool.busy.values():
            shutil.rmtree(version.sandbox.root, ignore_errors=True)
            self._release_layers(version.layers, str(version.sandbox.root))

    def invoke(self, function: Function, event: Any) -> Result:
        """Runs one invocation in an idle container of the current build, or a new one."""
        pool = self._pools[function.name]
        with pool.lock:
            version = self._refresh(function, pool)
            if pool.idle:
                container = pool.idle.pop()
            elif len(pool.busy) < function.concurrency:
                container = Container(version.sandbox)
            else:
                return Result(error=dict(THROTTLED), throttled=True)
            pool.busy[container] = version
        try:
            return container.invoke(event)
        finally:
            with pool.lock:
                ran_on = pool.busy.pop(container)
                keep = ran_on is pool.current and container.pid is not None
                if keep:
                    pool.idle.append(container)
            if not keep:
                container.stop()  # an old build's, or one whose runtime is gone
                with pool.lock:
                    self._discard_if_unused(ran_on, pool)

    def container_pids(self) -> list[int]:
        pids = []
        for pool in self._pools.values():
            with pool.lock:
                containers = [*pool.idle, *pool.busy]
            pids += [pid for c in containers if (pid := c.pid) is not None]
        return pids

    def close(self) -> list[str]:
        """Stops every container; returns what they printed that no invocation's result holds."""
        containers: list[Container] = []
        for pool in self._pools.values():
            with pool.lock:
                containers += [*pool.idle, *pool.busy]
                pool.idle.clear()
        # At once: each stop waits for its runtime to exit and its server to close.
        with ThreadPoolExecutor(max_workers=max(1, len(containers))) as stopping:
            outputs = list(stopping.map(Container.stop_and_collect, containers))
        shutil.rmtree(self._scratch, ignore_errors=True)
        return [line for output in outputs for line in output]


def aws_environment(endpoint: str | None) -> dict[str, str]:
    """What the functions see of AWS: an endpoint override, region and credentials."""
    env = {"AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}
    if endpoint is None:  # real AWS: the caller's credentials
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            if name in os.environ:
                env[name] = os.environ[name]
        return env
    return {**env, **FAKE_CREDENTIALS, "AWS_ENDPOINT_URL_DYNAMODB": endpoint}
