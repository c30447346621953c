"""Check and benchmark: a second clone, at another path, builds from the shared REAPI cache.

What a colleague (or the next CI job) gets from a shared cache that one build has filled:

1. clone A (a copy of your working tree) runs `./pants package test check ::` with a local store
   of its own (cold) and the remote cache read-write, filling BuildGrid;
2. clone B (another copy, at a different path and depth, with another PATH) runs the same goals
   with a local store of its own, `--no-local-cache` and the remote cache read-only.

It fails unless, by Pants' own counters (`--stats-log`), at least `--min-hit-rate` of clone B's
cacheable process executions were remote hits, and B's zips are byte-identical to A's. It prints
both wall times. BuildGrid is started on loopback (infra/remote-cache/server.sh) and
stopped at the end, unless `--address` names a running server.

    ./pants run src/python/lambda_devkit/bench/remote_cache.py -- [--address grpc://127.0.0.1:PORT]
        [--reference DIR] [--debug-log]

`--reference DIR` skips clone A: DIR (e.g. the CI checkout) has just built those goals with the
cache writable, and its dist/ is the reference. `--debug-log` runs clone B at debug log level,
to see which processes missed and why. Each clone's Pants output is kept in a log file beside it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from lambda_devkit.bench.inner_loop import zip_digests
from lambda_devkit.worktree import copy_working_tree

GOALS = ("package", "test", "check", "::")
SERVER = "infra/remote-cache/server.sh"
# CI's overrides (no pantsd, plain logs) and the shared-cache settings a team would use.
CONFIG_FILES = "['pants.toml', 'pants.ci.toml', 'pants.remote-cache.toml']"
COUNTER = re.compile(r"^\s+(\w+): (\d+)$", re.MULTILINE)


def pants_env(address: str, store: Path) -> dict[str, str]:
    """A clean environment: nothing from an outer `./pants run` (PANTS_*, PEX_*) leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PANTS_", "PEX_", "_PANTS"))}
    env["PANTS_CONFIG_FILES"] = CONFIG_FILES
    env["PANTS_REMOTE_STORE_ADDRESS"] = address
    # A store of its own: the clone is a fresh machine, nothing comes from this one's caches.
    env["PANTS_LOCAL_STORE_DIR"] = str(store)
    return env


def build(clone: Path, env: Mapping[str, str], *flags: str) -> tuple[float, str]:
    """Runs the goals in `clone`; returns the wall time and Pants' stderr (kept in a log file)."""
    log = clone.parent / f"{clone.parent.name}-pants.log"
    start = time.perf_counter()
    with log.open("w") as out:
        completed = subprocess.run(
            ["./pants", "--stats-log", *flags, *GOALS],
            cwd=clone,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    elapsed = time.perf_counter() - start
    text = log.read_text()
    if completed.returncode != 0:
        raise SystemExit(
            f"remote-cache check: `./pants {' '.join(GOALS)}` failed in {clone} "
            f"(exit {completed.returncode}); log {log} ends with:\n{text[-4000:]}"
        )
    return elapsed, text


def counters(pants_output: str) -> dict[str, int]:
    """The `Counters:` block `--stats-log` prints at the end of a run."""
    block = pants_output.rpartition("Counters:")[2]
    found = {name: int(value) for name, value in COUNTER.findall(block)}
    if "remote_cache_requests" not in found:
        raise SystemExit("remote-cache check: Pants printed no remote cache counters.")
    return found


@contextmanager
def server(repo: Path, scratch: Path, address: str | None) -> Iterator[str]:
    if address:
        yield address
        return
    state = scratch / "server"
    started = subprocess.run(
        [str(repo / SERVER), "start", str(state)], capture_output=True, text=True
    )
    if started.returncode != 0:
        raise SystemExit(f"remote-cache check: BuildGrid did not start:\n{started.stderr}")
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run([str(repo / SERVER), "stop", str(state)], check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", help="a running REAPI server (default: start BuildGrid)")
    parser.add_argument("--reference", type=Path, help="a checkout that has built with write on")
    parser.add_argument("--min-hit-rate", type=float, default=0.95)
    parser.add_argument("--debug-log", action="store_true", help="clone B logs at debug level")
    parser.add_argument("--keep", action="store_true", help="keep the clones and their logs")
    args = parser.parse_args()
    repo = Path(
        subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    scratch = Path(tempfile.mkdtemp(prefix="remote-cache-check-"))
    try:
        with server(repo, scratch, args.address) as address:
            print(f"remote-cache check: server {address}, clones under {scratch}", file=sys.stderr)
            cold: tuple[float, dict[str, int]] | None = None
            if args.reference:
                reference = args.reference.resolve() / "dist"
            else:
                clone_a = scratch / "a" / "calculator"
                clone_a.mkdir(parents=True)
                copy_working_tree(repo, clone_a)
                env = pants_env(address, scratch / "a" / "store")
                seconds, output = build(clone_a, env, "--remote-cache-write")
                cold = (seconds, counters(output))
                reference = clone_a / "dist"
            # Another path, another depth: nothing path-dependent may reach a cache key.
            clone_b = scratch / "b" / "elsewhere" / "checkout"
            clone_b.mkdir(parents=True)
            copy_working_tree(repo, clone_b)
            env = pants_env(address, scratch / "b" / "store")
            # A colleague's PATH is not yours (~/.local/bin, a virtualenv, a pyenv shim's
            # directories first): pants.toml's fixed [pex] PATH and pants.remote-cache.toml's
            # interpreter search path keep it out of every cache key.
            env["PATH"] = os.pathsep.join([str(scratch / "b" / "bin"), env.get("PATH", "")])
            flags = ["--no-local-cache", "--no-remote-cache-write"]
            flags += ["--level=debug"] if args.debug_log else []
            warm, output = build(clone_b, env, *flags)
        found = counters(output)
        report(cold, warm, found, reference, clone_b / "dist", args.min_hit_rate)
    finally:
        if args.keep or args.debug_log:
            print(f"remote-cache check: kept {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def report(
    cold: tuple[float, dict[str, int]] | None,
    warm: float,
    found: Mapping[str, int],
    reference: Path,
    dist: Path,
    min_hit_rate: float,
) -> None:
    requests, hits = found["remote_cache_requests"], found["remote_cache_requests_cached"]
    rate = hits / requests if requests else 0.0
    print(f"\nShared remote cache, `./pants {' '.join(GOALS)}` ({time.strftime('%Y-%m-%d')})\n")
    print("| build | wall time (s) |")
    print("| --- | ---: |")
    if cold is not None:
        print(f"| clone A: cold, writes the remote cache | {cold[0]:.0f} |")
    print(f"| clone B: another path, no local cache, reads the remote cache | {warm:.0f} |")
    print(
        f"\nclone B: {hits} of {requests} cacheable processes were remote hits ({rate:.1%}); "
        f"{found.get('local_execution_requests', 0)} local process starts (uncacheable ones, "
        "misses, and local starts a remote hit cut short); the remote cache saved "
        f"{found.get('remote_cache_total_time_saved_ms', 0) / 1000:.0f} s of process time"
    )
    if cold is not None:
        print(
            f"clone A: ran {cold[1].get('local_execution_requests', 0)} processes, "
            f"{cold[1].get('local_process_total_time_run_ms', 0) / 1000:.0f} s of process time; "
            f"wrote {cold[1].get('remote_cache_write_successes', 0)} results to the cache "
            f"({cold[1].get('remote_cache_write_errors', 0)} write errors)"
        )
    ours, theirs = zip_digests(dist), zip_digests(reference)
    failures = []
    if not ours:
        failures.append(f"clone B built no zips in {dist}")
    if ours != theirs:
        differing = sorted(k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k))
        failures.append(f"zips differ from {reference}: {', '.join(differing)}")
    else:
        print(f"all {len(ours)} zips byte-identical to {reference}")
    if requests == 0 or rate < min_hit_rate:
        failures.append(f"hit rate {rate:.1%} is below {min_hit_rate:.0%}")
    if failures:
        raise SystemExit("remote-cache check failed: " + "; ".join(failures))


if __name__ == "__main__":
    main()
