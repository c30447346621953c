"""Benchmark: every packaged function's cold start, measured the way Lambda runs it.

Lambda unpacks the function zip to /var/task and the layers to /opt, both read-only, and
starts a fresh interpreter for each execution environment, so nothing can write or reuse a
bytecode cache. Here each function zip and both layers are unpacked the same way, made
read-only (`chmod -R a-w`; `-B` as well, since root ignores file modes) and run in a fresh
CPython 3.13 per run (`-I -S -B`, Lambda's sys.path order: task root, the layers' python
dirs, then the runtime's standard library). Two trees are measured side by side:

- packaged:    the zips exactly as `./pants package ::` wrote them;
- precompiled: the same tree after `python -m compileall --invalidation-mode unchecked-hash`,
               i.e. what a zip carrying valid bytecode gives.

For each function and tree: init (process start to the end of `import lambda_function`),
init + first invocation (then, in the same process, the handler called with the smoke test's
event, against moto's DynamoDB server on 127.0.0.1), and, from the same runs in alternation,
the bare interpreter (`python -I -S -c pass`) and the SDK baseline (`import boto3;
boto3.client("dynamodb")` on the same tree): the client every function needs anyway. Then
the largest imports of each function by top-level package, from `-X importtime` on the
precompiled tree; with --layers, also what each framework adds to init, one on another.

Every median comes with its spread (p25-p75), and each ratio with the spread of the ratios
measured round by round (each round runs the SDK baseline and the function one after the
other), and with the ratio of the CPU time the two used, which a busy machine disturbs far
less than the wall time. The SDK baseline runs on both trees, whose bytecode differs only in how it is
validated: when its two medians differ by more than --noise (5 %), the machine was too busy
for ratios to mean anything, and the verdict says so instead of judging the target.

    ./pants package ::
    ./pants run src/python/lambda_devkit/emulator/coldstart.py -- [--runs 7] [--layers]
        [--tracing-sdk DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.emulator.sandbox import Sandbox, runtime_python
from lambda_devkit.moto_server import (
    FAKE_CREDENTIALS,
    REGION,
    create_tables,
    dynamodb_client,
    moto_endpoint,
)

TREES = ("packaged", "precompiled")
# unchecked-hash: valid whatever the files' mtimes, and never re-checked against sources.
INVALIDATION = ("--invalidation-mode", "unchecked-hash")
# Lambda's python3.13 runtime: isolated from the environment, no site, no bytecode writing.
ISOLATED = ("-I", "-S", "-B")
SDK_BASELINE = 'import boto3; boto3.client("dynamodb")'
TOP_PACKAGES = 12
BREAKDOWN_RUNS = 3
# The target: every function's init within this multiple of the SDK baseline's.
TARGET_RATIO = 1.10
# The largest difference between the two trees' SDK baselines at which ratios are judged.
DEFAULT_NOISE = 0.05

# Runs in the sandboxed interpreter: Lambda's sys.path, the statement, then the monotonic
# clock (the same clock as the parent's on Linux), so the time measured ends when the work
# does, before interpreter teardown, as Lambda's init ends when the runtime asks for an event.
# Beside it, the CPU time the process has used so far: what the work costs, whatever else the
# machine is running (a busy machine stretches the wall time, far less the CPU time).
PROLOGUE = """\
import sys, time
sys.path[:] = [{task_root!r}, {layers_site!r}, {layers!r}, *[p for p in sys.path if p]]
"""
STAMP = "\nprint(time.monotonic_ns(), time.process_time_ns())\n"
# Init, then the first invocation, in one process: two stamps.
FIRST_INVOCATION = """\
import lambda_function
print(time.monotonic_ns(), time.process_time_ns())
import json, types
event = json.loads(open({event!r}).read())
deadline = time.monotonic() + 10  # the handlers budget their DynamoDB calls against it
context = types.SimpleNamespace(
    function_name={name!r}, function_version="$LATEST", memory_limit_in_mb=128,
    invoked_function_arn="arn:aws:lambda:{region}:000000000000:function:{name}",
    aws_request_id=event["requestContext"]["requestId"],
    get_remaining_time_in_millis=lambda: int((deadline - time.monotonic()) * 1000),
)
response = lambda_function.handler(event, context)
assert response["statusCode"] == 200, response
"""
# What each layer of the stack adds to init (--layers): botocore, Powertools' logger, then
# everything (= `import lambda_function`: our router and models, and the DynamoDB client it
# creates). CLIENT alone, against the first row, is what creating the client costs.
CLIENT = 'import botocore.session; botocore.session.get_session().create_client("dynamodb")'
STACK = (
    ("botocore", "import botocore.session"),
    ("+ Powertools Logger", "from aws_lambda_powertools import Logger"),
    ("+ our code and its DynamoDB client: `import lambda_function`", "import lambda_function"),
)
# With --tracing-sdk DIR (aws-xray-sdk and its dependencies, installed for the runtime): what
# the X-Ray SDK would add on top, as its docs have a function start (docs/decisions/0008).
TRACING_SDK = ("+ X-Ray SDK: `patch_all()`", "from aws_xray_sdk.core import patch_all; patch_all()")


@dataclass
class Tree:
    """One read-only /opt shared by every function's read-only task root."""

    root: Path
    functions: list[str]
    sandboxes: dict[str, Sandbox] = field(default_factory=dict)

    @property
    def opt(self) -> Path:
        return self.root / "opt"

    def python_files(self) -> tuple[int, int]:
        """(.py files, those with a valid cp313 .pyc beside them in __pycache__)."""
        tag = sys.implementation.cache_tag
        sources = [p for p in self.root.rglob("*.py") if "__pycache__" not in p.parts]
        compiled = [
            p for p in sources if valid_pyc(p, p.parent / "__pycache__" / f"{p.stem}.{tag}.pyc")
        ]
        return len(sources), len(compiled)

    def pyc_count(self) -> int:
        return sum(1 for _ in self.root.rglob("*.pyc"))


def valid_pyc(source: Path, pyc: Path) -> bool:
    """Whether `pyc` is bytecode the interpreter will use for `source` in a tree unpacked from a
    zip: hash-based and of this very source (a timestamp-based one is stale under the zip's
    1980 dates, and its module compiles at every cold start)."""
    if not pyc.is_file():
        return False
    header = pyc.read_bytes()[:16]
    hash_based = int.from_bytes(header[4:8], "little") & 0b01
    return bool(hash_based) and header[8:16] == importlib.util.source_hash(source.read_bytes())


def unpack(
    root: Path,
    dist: Path,
    functions: list[service_spec.Function],
    layers: list[Path],
    env: dict[str, str],
) -> Tree:
    tree = Tree(root, [f.name for f in functions])
    tree.opt.mkdir(parents=True)
    for layer in layers:
        with zipfile.ZipFile(layer) as archive:
            archive.extractall(tree.opt)
    for function in functions:
        name = function.name
        sandbox = Sandbox(root=root / name, function_name=name, region=REGION, extra_env=env)
        with zipfile.ZipFile(dist / function.built) as archive:
            archive.extractall(sandbox.task_root)
        sandbox.opt.symlink_to(tree.opt)  # Lambda's /opt, the same directory for each
        tree.sandboxes[name] = sandbox
    return tree


def precompile(tree: Tree) -> None:
    subprocess.run(
        [runtime_python(), "-m", "compileall", "-q", "-j", "0", *INVALIDATION, str(tree.root)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def make_read_only(tree: Tree) -> None:
    subprocess.run(["chmod", "-R", "a-w", str(tree.root)], check=True)


def code_for(sandbox: Sandbox, body: str) -> str:
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    layers = sandbox.opt / "python"
    return (
        PROLOGUE.format(
            task_root=str(sandbox.task_root),
            layers_site=str(layers / "lib" / version / "site-packages"),
            layers=str(layers),
        )
        + body
        + STAMP
    )


def timed(code: str, env: dict[str, str], cwd: Path) -> list[tuple[float, float]]:
    """(wall ms since process start, CPU ms used) at each stamp `code` prints, in a fresh
    isolated interpreter."""
    started = time.monotonic_ns()
    completed = subprocess.run(
        [runtime_python(), *ISOLATED, "-c", code],
        capture_output=True,
        text=True,
        env={**env, "PYTHONDONTWRITEBYTECODE": "1"},
        cwd=cwd,
    )
    if completed.returncode != 0:
        sys.exit(f"coldstart: the measured process failed:\n{code}\n{completed.stderr}")
    # The stamps are the lines of two integers; the handler prints too (its metrics, as EMF).
    stamps = [
        fields
        for fields in (line.split() for line in completed.stdout.splitlines())
        if len(fields) == 2 and all(f.isdigit() for f in fields)
    ]
    return [((int(wall) - started) / 1e6, int(cpu) / 1e6) for wall, cpu in stamps]


def timed_ms(code: str, env: dict[str, str], cwd: Path) -> list[float]:
    """Process start to each time stamp `code` prints, in ms (wall clock)."""
    return [wall for wall, _ in timed(code, env, cwd)]


def import_breakdown(sandbox: Sandbox) -> Counter[str]:
    """Self time of every module `import lambda_function` loads, summed by top-level package."""
    code = code_for(sandbox, "import lambda_function")
    completed = subprocess.run(
        [runtime_python(), *ISOLATED, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        env=sandbox.environment(),
        cwd=sandbox.task_root,
        check=True,
    )
    packages: Counter[str] = Counter()
    for line in completed.stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if len(fields) == 3 and fields[0].strip().isdigit():
            packages[fields[2].strip().split(".")[0]] += int(fields[0])
    return packages


@contextmanager
def tables(template: dict[str, Any]) -> Iterator[dict[str, str]]:
    """moto's server on loopback with the template's tables; yields the functions' AWS env."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    with moto_endpoint() as endpoint:
        names = create_tables(
            dynamodb_client(endpoint), service_spec.table_names("coldstart", template), template
        )
        yield {
            **FAKE_CREDENTIALS,
            "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
            **service_spec.function_environment(names, template=template),
        }


def fresh_event(events: Path, name: str, scratch: Path) -> Path:
    """The smoke test's event for `name`, with a request id of its own (a new item, if it writes one)."""
    event: dict[str, Any] = json.loads((events / f"{name}.json").read_text())
    event["requestContext"]["requestId"] = uuid.uuid4().hex[:16]
    event["requestContext"]["timeEpoch"] = int(time.time() * 1000)
    path = scratch / f"{name}-{event['requestContext']['requestId']}.json"
    path.write_text(json.dumps(event))
    return path


def ms(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f}"


def spread(values: list[float], digits: int = 0) -> str:
    """p25-p75 of `values` (the interquartile range), as `lo-hi`."""
    low, _, high = statistics.quantiles(values, n=4, method="inclusive")
    return f"{low:,.{digits}f}-{high:,.{digits}f}"


def with_spread(values: list[float]) -> str:
    return f"{ms(values)} ({spread(values)})"


@dataclass(frozen=True)
class Verdict:
    """Whether this run can judge the target, and if so whether every function met it."""

    tree_gap: float  # relative difference between the two trees' SDK baselines
    noise: float
    worst_ratio: float

    @property
    def too_noisy(self) -> bool:
        return self.tree_gap > self.noise

    def __str__(self) -> str:
        gap = f"the two trees' SDK baselines differ by {self.tree_gap:.1%}"
        if self.too_noisy:
            return (
                f"Verdict: too noisy to judge ({gap}, more than {self.noise:.0%}): the ratios "
                "above are not reliable; rerun on a quieter machine."
            )
        met = "met" if self.worst_ratio <= TARGET_RATIO else "NOT met"
        return (
            f"Verdict: init <= {TARGET_RATIO:.2f}x the SDK baseline for every function: {met} "
            f"(worst {self.worst_ratio:.2f}x; {gap}, within {self.noise:.0%})."
        )


def verdict(sdk: dict[str, list[float]], ratios: list[float], noise: float) -> Verdict:
    medians = [statistics.median(values) for values in sdk.values()]
    return Verdict(tree_gap=max(medians) / min(medians) - 1, noise=noise, worst_ratio=max(ratios))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7, help="runs of each measurement (median)")
    parser.add_argument("--dist", type=Path, default=Path("dist"), help="where the zips are")
    parser.add_argument(
        "--events", type=Path, default=service_spec.EVENTS_DIR, help="event fixtures"
    )
    parser.add_argument("--template", type=Path, default=sam.TEMPLATE)
    parser.add_argument(
        "--layers", action="store_true", help="also measure what each layer of the stack adds"
    )
    parser.add_argument(
        "--noise",
        type=float,
        default=DEFAULT_NOISE,
        help="largest difference between the two trees' SDK baselines at which ratios are "
        "judged (default %(default)s)",
    )
    parser.add_argument(
        "--tracing-sdk",
        type=Path,
        help="with --layers: a directory holding aws-xray-sdk installed for the runtime; "
        "adds what importing it and patch_all() cost",
    )
    args = parser.parse_args()
    if args.runs < 4:
        parser.error("--runs must be at least 4 (a median and its quartiles)")
    if not 0 < args.noise < 1:
        parser.error("--noise must be a fraction between 0 and 1, e.g. 0.05")

    template = sam.load(args.template)
    declared = service_spec.functions(template)
    functions = [f.name for f in declared]
    # Native wheels must run on this machine: the layers of its architecture.
    architecture = service_spec.host_architecture()
    layers = [args.dist / layer.built for layer in service_spec.layers(architecture, template)]
    wanted = [*(args.dist / f.built for f in declared), *layers]
    wanted += [args.events / f"{name}.json" for name in functions]
    missing = [p for p in wanted if not p.is_file()]
    if missing:
        sys.exit(f"coldstart: {missing[0]} not found; run `./pants package ::` first.")

    scratch = Path(tempfile.mkdtemp(prefix="coldstart-"))
    try:
        with tables(template) as aws_env:
            trees = {
                name: unpack(scratch / name, args.dist, declared, layers, aws_env) for name in TREES
            }
            shipped = trees["packaged"].python_files()
            if args.tracing_sdk:
                # Beside the layers' packages: present, imported by nothing but its own row.
                shutil.copytree(
                    args.tracing_sdk, trees["precompiled"].opt / "python", dirs_exist_ok=True
                )
            precompile(trees["precompiled"])
            for tree in trees.values():
                make_read_only(tree)
            pyc_before = {name: tree.pyc_count() for name, tree in trees.items()}
            report(args, functions, trees, scratch, shipped)
            written = {
                n: t.pyc_count() - pyc_before[n]
                for n, t in trees.items()
                if t.pyc_count() != pyc_before[n]
            }
            if written:
                sys.exit(f"coldstart: bytecode was written into the read-only trees: {written}")
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(scratch)], check=False)
        shutil.rmtree(scratch)


def report(
    args: argparse.Namespace,
    functions: list[str],
    trees: dict[str, Tree],
    scratch: Path,
    shipped: tuple[int, int],
) -> None:
    bare: list[float] = []
    sdk: dict[str, list[float]] = {t: [] for t in TREES}
    init: dict[tuple[str, str], list[float]] = {(f, t): [] for f in functions for t in TREES}
    first: dict[tuple[str, str], list[float]] = {(f, t): [] for f in functions for t in TREES}
    sdk_cpu: dict[str, list[float]] = {t: [] for t in TREES}
    init_cpu: dict[tuple[str, str], list[float]] = {(f, t): [] for f in functions for t in TREES}
    any_sandbox = trees["packaged"].sandboxes[functions[0]]
    rows = [*STACK, TRACING_SDK] if args.tracing_sdk else list(STACK)
    stack: dict[str, list[float]] = {label: [] for label, _ in rows}
    client: list[float] = []
    # Alternating: one of each measurement per round, so load on the machine hits all alike.
    for _ in range(args.runs):
        bare += timed_ms("import time" + STAMP, any_sandbox.environment(), scratch)
        for tree_name, tree in trees.items():
            sandbox = tree.sandboxes[functions[0]]
            ((wall, cpu),) = timed(
                code_for(sandbox, SDK_BASELINE), sandbox.environment(), sandbox.task_root
            )
            sdk[tree_name].append(wall)
            sdk_cpu[tree_name].append(cpu)
            for name, sandbox in tree.sandboxes.items():
                event = fresh_event(args.events, name, scratch)
                body = FIRST_INVOCATION.format(event=str(event), name=name, region=REGION)
                (imported, imported_cpu), (invoked, _) = timed(
                    code_for(sandbox, body), sandbox.environment(), sandbox.task_root
                )
                init[name, tree_name].append(imported)
                init_cpu[name, tree_name].append(imported_cpu)
                first[name, tree_name].append(invoked)
        if args.layers:
            sandbox = trees["precompiled"].sandboxes[functions[0]]
            client += timed_ms(code_for(sandbox, CLIENT), sandbox.environment(), sandbox.task_root)
            statements: list[str] = []
            for label, statement in rows:
                statements.append(statement)
                stack[label] += timed_ms(
                    code_for(sandbox, "\n".join(statements)),
                    sandbox.environment(),
                    sandbox.task_root,
                )

    print(
        f"Cold start, Lambda layout, read-only trees, fresh `python -I -S -B` per run: CPython "
        f"{platform.python_version()} {platform.machine()}, {os.cpu_count()} CPUs, median "
        f"(p25-p75) of {args.runs} alternating runs, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.\n"
        f"packaged: the zips as built ({shipped[1]} of {shipped[0]} .py files carry a valid cp313 "
        f".pyc); precompiled: the same after `compileall --invalidation-mode unchecked-hash`.\n"
        f"bare interpreter (`python -I -S -c pass`): {with_spread(bare)} ms; SDK baseline "
        f"(`{SDK_BASELINE}`): {with_spread(sdk['packaged'])} ms packaged, "
        f"{with_spread(sdk['precompiled'])} ms precompiled.\n"
    )
    print(
        "| function | tree | init (ms) | init + 1st invocation (ms) | SDK baseline (ms) "
        "| init / SDK | per-round init / SDK | CPU: init / SDK |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    ratios = []
    for name in functions:
        for tree_name in TREES:
            ratio = statistics.median(init[name, tree_name]) / statistics.median(sdk[tree_name])
            ratios.append(ratio)
            # Round by round: the function and the baseline ran back to back, under one load.
            paired = [i / b for i, b in zip(init[name, tree_name], sdk[tree_name], strict=True)]
            cpu_ratio = statistics.median(init_cpu[name, tree_name]) / statistics.median(
                sdk_cpu[tree_name]
            )
            print(
                f"| {name} | {tree_name} | {with_spread(init[name, tree_name])} "
                f"| {with_spread(first[name, tree_name])} | {with_spread(sdk[tree_name])} "
                f"| {ratio:.2f}x | {statistics.median(paired):.2f}x ({spread(paired, 2)}) "
                f"| {cpu_ratio:.2f}x |"
            )
    print(f"\n{verdict(sdk, ratios, args.noise)}")
    if args.layers:
        print(
            f"\nWhat each layer adds to init ({functions[0]}, precompiled tree; each row also "
            "imports what the rows above it do; medians):\n"
        )
        print("| layer | init (ms) | adds (ms) |")
        print("| --- | ---: | ---: |")
        previous = statistics.median(bare)
        print(f"| bare interpreter | {previous:,.0f} | |")
        for label, _ in rows:
            median = statistics.median(stack[label])
            print(f"| {label} | {median:,.0f} | {median - previous:+,.0f} |")
            previous = median
        created = statistics.median(client) - statistics.median(stack[STACK[0][0]])
        print(f"\nOf which creating the DynamoDB client with botocore: {created:,.0f} ms.")
        if args.tracing_sdk:
            # Its row and the one before it ran back to back in each round: the median of those
            # differences holds up on a busy machine better than a difference of medians.
            paired = [
                traced - untraced
                for untraced, traced in zip(stack[STACK[-1][0]], stack[TRACING_SDK[0]], strict=True)
            ]
            print(
                f"The X-Ray SDK's import and patch_all(), round by round: median "
                f"{statistics.median(paired):+,.0f} ms (rounds: "
                f"{', '.join(f'{d:+,.0f}' for d in sorted(paired))})."
            )

    # importtime runs are as noisy as the others: the median of a few, per package.
    samples = {
        n: [import_breakdown(s) for _ in range(BREAKDOWN_RUNS)]
        for n, s in trees["precompiled"].sandboxes.items()
    }
    breakdowns = {
        n: {p: statistics.median(run[p] for run in runs) for p in set().union(*runs)}
        for n, runs in samples.items()
    }
    total = Counter[str]()
    for packages in breakdowns.values():
        total.update(packages)
    largest = [package for package, _ in total.most_common(TOP_PACKAGES)]
    print(
        f"\nWhere init goes: precompiled tree, `-X importtime`, median of {BREAKDOWN_RUNS} runs of "
        "the self time of every module, summed by top-level package, in ms (importtime adds "
        "its own overhead; a module's self time includes the work its body does, e.g. creating "
        "a client):\n"
    )
    print("| package | " + " | ".join(functions) + " |")
    print("| --- |" + " ---: |" * len(functions))
    for package in largest:
        cells = " | ".join(f"{breakdowns[n].get(package, 0) / 1000:.1f}" for n in functions)
        print(f"| {package} | {cells} |")
    rest = (sum(c for p, c in breakdowns[n].items() if p not in largest) / 1000 for n in functions)
    print("| (all others) | " + " | ".join(f"{r:.1f}" for r in rest) + " |")


if __name__ == "__main__":
    main()
