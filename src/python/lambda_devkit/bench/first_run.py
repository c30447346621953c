"""Benchmark: a new user's first run, on a fresh machine: `./pants package ::`, then `./pants test ::`.

What the README's quick start costs someone who has just cloned the repository: a private copy
of this working tree, and a fresh HOME, so that every cache starts empty (the launcher's Pants
venv, its pex tool and linters, Pants' store and named caches, pip's downloads). Only the
interpreters are the machine's (pyenv's, through PYENV_ROOT, or PATH), as the README assumes.
Pants runs with pants.toml alone (pantsd on, as a developer has it).

For each run it prints the seconds of `package ::` and of `test ::`, the number of test
processes and the sum of their durations, and the slowest test files: the test step's critical
path on a machine with few cores, where Pants runs one test process per core.

    ./pants run src/python/lambda_devkit/bench/first_run.py -- [--runs 3] [--slowest 10]

`--report LOG` only prints the summary of a `./pants test` output already written to LOG (CI
prints its own cold test step that way).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from lambda_devkit.worktree import copy_working_tree, stop_pantsd

# Pants' summary: one line per test process that ran; a cached one has no "in N s".
RAN = re.compile(r"^✓ (\S+?):\S+(?: and (\d+) other files?)? succeeded in ([0-9.]+)s\.?$", re.M)
FAILED = re.compile(r"^✕ (\S+) failed", re.M)


@dataclass(frozen=True)
class TestReport:
    """The test processes one `./pants test` output says ran, with their durations."""

    durations: dict[str, float]
    failed: list[str]

    @classmethod
    def parse(cls, output: str) -> TestReport:
        durations = {}
        for first, others, seconds in RAN.findall(output):
            name = first if not others else f"{first} (+{others} batched)"
            durations[name] = float(seconds)
        return cls(durations, FAILED.findall(output))

    def lines(self, slowest: int) -> list[str]:
        ranked = sorted(self.durations.items(), key=lambda item: -item[1])
        out = [
            f"{len(self.durations)} test processes, {sum(self.durations.values()):.0f} s "
            f"of test time in all; the {min(slowest, len(ranked))} slowest:"
        ]
        out += [f"  {seconds:6.1f} s  {name}" for name, seconds in ranked[:slowest]]
        if self.failed:
            out.append(f"failed: {', '.join(self.failed)}")
        return out


def fresh_machine_env(home: Path) -> dict[str, str]:
    """The caller's environment with an empty HOME: no cache of Pants, pex or pip survives.

    PYENV_ROOT keeps pointing at the machine's interpreters (pyenv's default is under HOME).
    Nothing of an outer `./pants run` (PANTS_*, PEX_*) or of a relocated cache (XDG_CACHE_HOME)
    leaks in: a new user has neither.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PANTS_", "PEX_", "_PANTS", "PIP_")) and k != "XDG_CACHE_HOME"
    }
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    env.update(HOME=str(home), PYENV_ROOT=pyenv_root, PANTS_PANTSD="true")
    return env


def timed(argv: list[str], cwd: Path, env: dict[str, str], log: Path) -> tuple[float, str]:
    start = time.perf_counter()
    completed = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    log.write_text(completed.stdout + completed.stderr)
    if completed.returncode != 0:
        raise SystemExit(
            f"first run: `{' '.join(argv)}` failed (exit {completed.returncode}); "
            f"its output is in {log}:\n{completed.stderr[-4000:]}"
        )
    return seconds, completed.stderr


def one_run(repo: Path, scratch: Path, slowest: int) -> tuple[float, float]:
    clone, home = scratch / "repo", scratch / "home"
    home.mkdir()
    copy_working_tree(repo, clone)
    env = fresh_machine_env(home)
    try:
        package, _ = timed(["./pants", "package", "::"], clone, env, scratch / "package.log")
        test, output = timed(["./pants", "test", "::"], clone, env, scratch / "test.log")
    finally:
        stop_pantsd(clone)
    print(f"package :: {package:.0f} s (the launcher's first run included), test :: {test:.0f} s")
    print("\n".join(TestReport.parse(output).lines(slowest)))
    return package, test


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="repetitions (default 1)")
    parser.add_argument("--slowest", type=int, default=10, help="slowest files to list")
    parser.add_argument("--repo", type=Path, default=Path.cwd(), help="the repo (default: cwd)")
    parser.add_argument("--report", type=Path, help="summarise this `./pants test` output only")
    args = parser.parse_args()
    if args.report:
        print("\n".join(TestReport.parse(args.report.read_text()).lines(args.slowest)))
        return
    if not (args.repo / "pants.toml").is_file():
        raise SystemExit(f"first run: {args.repo} is not the repository root (no pants.toml).")
    results = []
    for run in range(1, args.runs + 1):
        print(f"first run {run}/{args.runs}: a fresh copy and an empty HOME", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix="bench-first-run-") as scratch:
            results.append(one_run(args.repo.resolve(), Path(scratch), args.slowest))
    if args.runs > 1:
        packages, tests = zip(*results, strict=True)
        print(
            f"medians of {args.runs}: package :: {statistics.median(packages):.0f} s, "
            f"test :: {statistics.median(tests):.0f} s (each: {', '.join(f'{t:.0f}' for t in tests)})"
        )
    print(f"on {os.cpu_count()} cores, {os.uname().machine}")


if __name__ == "__main__":
    main()
