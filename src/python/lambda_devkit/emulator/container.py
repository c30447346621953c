"""One Lambda execution environment: a sandboxed interpreter running awslambdaric against a
local Runtime API, reused between invocations (warm) and replaced after a timeout or crash.
A runtime process that dies fails its invocation at once, as Lambda's `Runtime.ExitError`.
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import signal
import subprocess
import threading
import time
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lambda_devkit.emulator.runtime_api import RuntimeApi
from lambda_devkit.emulator.sandbox import Sandbox, runtime_python

RIC_BOOTSTRAP = Path(__file__).with_name("ric_bootstrap.py")
# The runtime's own packages (Lambda keeps them in /var/runtime): the interface client only.
RUNTIME_DISTRIBUTIONS = ("awslambdaric", "simplejson", "snapshot-restore-py")
INIT_TIMEOUT_S = 10.0


@dataclass
class Result:
    """What one invocation produced, as Lambda reports it."""

    payload: Any = None
    error: dict[str, Any] | None = None
    timed_out: bool = False
    throttled: bool = False  # no execution environment was free (never ran)
    init_ms: float | None = None  # set on a cold start
    duration_ms: float = 0.0
    logs: list[str] = field(default_factory=list)


def install_runtime(destination: Path) -> None:
    """Copies the interface client's distributions (not ours) into the sandbox's runtime dir."""
    for name in RUNTIME_DISTRIBUTIONS:
        dist = importlib.metadata.distribution(name)
        for file in dist.files or ():
            source = Path(str(dist.locate_file(file)))
            if source.is_file():
                target = destination / file
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)


def exit_reason(returncode: int) -> str:
    """How Lambda words a runtime's exit: "exit status 1", "signal: killed"."""
    if returncode >= 0:
        return f"exit status {returncode}"
    names = {
        signal.SIGKILL: "killed",
        signal.SIGSEGV: "segmentation fault",
        signal.SIGABRT: "aborted",
    }
    try:
        number = signal.Signals(-returncode)
    except ValueError:
        return f"signal: {-returncode}"
    return f"signal: {names.get(number, number.name.removeprefix('SIG').lower())}"


class Container:
    """Invocations run one at a time, as in a Lambda execution environment."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._api: RuntimeApi | None = None
        self._log_reader: threading.Thread | None = None
        self._logs: list[str] = []
        self._logs_lock = threading.Lock()
        self.runtime_dir = sandbox.root / "var" / "runtime"
        if not self.runtime_dir.exists():
            install_runtime(self.runtime_dir)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process and self._process.poll() is None else None

    def _start(self) -> float:
        arn = f"arn:aws:lambda:{self.sandbox.region}:000000000000:function:{self.sandbox.function_name}"
        self._api = RuntimeApi(arn)
        env = {
            **self.sandbox.environment(),
            "AWS_LAMBDA_RUNTIME_API": self._api.address,
            "LAMBDA_RUNTIME_DIR": str(self.runtime_dir),
        }
        started = time.monotonic()
        self._process = subprocess.Popen(
            [runtime_python(), "-I", "-S", "-B", str(RIC_BOOTSTRAP), self.sandbox.handler],
            env=env,
            cwd=self.sandbox.task_root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self._log_reader = threading.Thread(
            target=self._collect_logs, args=(self._process, self._api), daemon=True
        )
        self._log_reader.start()
        # Init ends when the runtime asks for its first event (or reports an init error).
        deadline = started + INIT_TIMEOUT_S
        while not self._api.first_poll.wait(0.01):
            if self._process.poll() is not None or time.monotonic() > deadline:
                break
        return (time.monotonic() - started) * 1000

    def _collect_logs(self, process: subprocess.Popen[bytes], api: RuntimeApi) -> None:
        assert process.stdout is not None
        with process.stdout:
            for line in process.stdout:
                with self._logs_lock:
                    self._logs.append(line.decode(errors="replace").rstrip("\n"))
        # End of output: the runtime has exited (or is about to). Whatever it was running fails
        # now, not at the invocation's timeout.
        api.runtime_exited(exit_reason(process.wait()))

    def _take_logs(self) -> list[str]:
        time.sleep(0.02)  # let the reader catch the last lines of this invocation
        with self._logs_lock:
            logs, self._logs = self._logs, []
        return logs

    def invoke(self, event: Any) -> Result:
        with self._lock:
            result = Result()
            if self.pid is None:
                self.stop()
                result.init_ms = self._start()
            assert self._api is not None
            if self.pid is None or self._api.init_error is not None:
                error = json.loads(self._api.init_error or b"{}") or {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": "the runtime exited during init",
                }
                result.error, result.logs = error, self._take_logs()
                self.stop()
                return result
            started = time.monotonic()
            invocation = self._api.submit(json.dumps(event).encode(), self.sandbox.timeout_s)
            try:
                kind, body = invocation.outcome.result(timeout=self.sandbox.timeout_s)
            except FutureTimeout:
                result.timed_out = True
                result.error = {
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"Task timed out after {self.sandbox.timeout_s:.2f} seconds",
                }
                self.stop()  # Lambda discards an environment whose invocation timed out
            else:
                document = json.loads(body) if body else None
                if kind == "response":
                    result.payload = document
                else:
                    result.error = document
                if kind == "exit":
                    self.stop()  # Lambda resets an environment whose runtime exited
            result.duration_ms = (time.monotonic() - started) * 1000
            result.logs = self._take_logs()
            return result

    def stop_and_collect(self) -> list[str]:
        """Stops the container and returns what it printed that no invocation's result holds:
        its output is then read to the end, where a result may miss its last lines."""
        self.stop()
        with self._logs_lock:
            logs, self._logs = self._logs, []
        return logs

    def stop(self) -> None:
        """Kills the runtime; no thread, socket or pipe of this container outlives the call."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._process = None
        if self._log_reader is not None:
            self._log_reader.join()
            self._log_reader = None
        if self._api is not None:
            self._api.close()
            self._api = None
