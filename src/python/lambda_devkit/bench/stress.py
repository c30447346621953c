"""Stress: the whole suite, forced to rerun, while CPU-bound busy loops take cores from it.

A test that passes on a quiet machine and fails on a busy one (a wall-clock budget, a sleep
race, a short timeout) is a flaky test; CI machines and developers' laptops are busy. This runs

    ./pants test --test-force ::

`--runs` times in a row (default 1) while `--busy` processes (default 2) spin on the CPU, each
run bounded by `--limit` seconds (default 1800; past it, Pants is sent SIGTERM, then SIGKILL),
and prints one line per run and a summary. Exit status 0 only if every run passed.

    python3 src/python/lambda_devkit/bench/stress.py [--runs 3] [--busy 2] [--limit 1800]

It runs the repository's `./pants` with its pantsd (warm or not): use plain python3, not
`./pants run`, whose own invocation would hold the lock the inner one waits for. Standard
library only. Extra arguments after `--` replace `test --test-force ::`.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

DEFAULT_GOAL = ("test", "--test-force", "::")
# Time Pants gets to stop its tests after SIGTERM before it is killed.
GRACE_S = 30.0
BUSY_LOOP = "while True:\n    pass\n"


@contextmanager
def busy_loops(count: int) -> Iterator[list[int]]:
    """`count` processes spinning on the CPU, ended (by their pids) however the block exits."""
    loops = [
        subprocess.Popen([sys.executable, "-c", BUSY_LOOP], stdin=subprocess.DEVNULL)
        for _ in range(count)
    ]
    try:
        yield [loop.pid for loop in loops]
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


def run_bounded(argv: Sequence[str], cwd: Path, limit_s: float) -> tuple[int | None, float]:
    """Runs `argv`; its exit code (None: stopped at `limit_s`) and its wall time in seconds."""
    started = time.monotonic()
    process = subprocess.Popen(argv, cwd=cwd)
    try:
        code: int | None = process.wait(timeout=limit_s)
    except subprocess.TimeoutExpired:
        print(f"stress: {limit_s:.0f} s limit reached; stopping Pants", file=sys.stderr)
        process.send_signal(signal.SIGTERM)  # the launcher passes it on as Pants' interrupt
        try:
            process.wait(timeout=GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        code = None
    return code, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog="Arguments after -- replace the Pants goal (default: test --test-force ::).",
    )
    parser.add_argument("--runs", type=int, default=1, help="runs in a row (default 1)")
    parser.add_argument("--busy", type=int, default=2, help="busy-loop processes (default 2)")
    parser.add_argument(
        "--limit", type=float, default=1800.0, help="seconds allowed per run (default 1800)"
    )
    parser.add_argument(
        "--repo",
        type=Path,
        default=Path(__file__).resolve().parents[4],
        help="the repository root (default: the one holding this script)",
    )
    parser.add_argument("goal", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.runs < 1 or args.busy < 0 or args.limit <= 0:
        parser.error("--runs must be at least 1, --busy at least 0 and --limit positive")
    if not (args.repo / "pants.toml").is_file():
        parser.error(f"{args.repo} is not the repository root (no pants.toml)")
    argv = ["./pants", *(args.goal or DEFAULT_GOAL)]
    # SIGTERM unwinds like Ctrl-C, so the busy loops and the running Pants are stopped.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    results: list[tuple[int | None, float]] = []
    with busy_loops(args.busy) as pids:
        print(
            f"stress: {args.busy} busy loops (pids {', '.join(map(str, pids)) or 'none'}) on "
            f"{os.cpu_count()} cores; {args.runs} x `{' '.join(argv)}`, {args.limit:.0f} s each",
            flush=True,
        )
        for n in range(1, args.runs + 1):
            code, seconds = run_bounded(argv, args.repo, args.limit)
            results.append((code, seconds))
            outcome = "timed out" if code is None else ("passed" if code == 0 else f"exit {code}")
            print(f"stress: run {n}/{args.runs}: {outcome} in {seconds:.0f} s", flush=True)
    passed = sum(code == 0 for code, _ in results)
    print(f"stress: {passed}/{len(results)} runs passed with {args.busy} busy loops")
    sys.exit(0 if passed == len(results) else 1)


if __name__ == "__main__":
    main()
