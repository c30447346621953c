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

    ./pants package ::
    ./pants run src/python/lambda_devkit/emulator/coldstart.py -- [--runs 7] [--layers]
        [--tracing-sdk DIR]
"""

from __future__ import annotations

import argparse
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

import boto3
from moto.server import ThreadedMotoServer

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.emulator.sandbox import Sandbox, runtime_python

TREES = ("packaged", "precompiled")
REGION = "us-east-1"
# moto accepts any credentials; these keep botocore from looking for real ones.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "coldstart", "AWS_SECRET_ACCESS_KEY": "coldstart"}
# unchecked-hash: valid whatever the files' mtimes, and never re-checked against sources.
INVALIDATION = ("--invalidation-mode", "unchecked-hash")
# Lambda's python3.13 runtime: isolated from the environment, no site, no bytecode writing.
ISOLATED = ("-I", "-S", "-B")
SDK_BASELINE = 'import boto3; boto3.client("dynamodb")'
TOP_PACKAGES = 12
BREAKDOWN_RUNS = 3

# Runs in the sandboxed interpreter: Lambda's sys.path, the statement, then the monotonic
# clock (the same clock as the parent's on Linux), so the time measured ends when the work
# does, before interpreter teardown, as Lambda's init ends when the runtime asks for an event.
PROLOGUE = """\
import sys, time
sys.path[:] = [{task_root!r}, {layers_site!r}, {layers!r}, *[p for p in sys.path if p]]
"""
STAMP = "\nprint(time.monotonic_ns())\n"
# Init, then the first invocation, in one process: two stamps.
FIRST_INVOCATION = """\
import lambda_function
print(time.monotonic_ns())
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
# What each layer of the stack adds to init (--layers): botocore, Powertools' logger, pydantic
# (the request models), then everything (= `import lambda_function`: our router and models, and
# the DynamoDB client it creates). CLIENT alone, against the first row, is what creating the
# client costs.
CLIENT = 'import botocore.session; botocore.session.get_session().create_client("dynamodb")'
STACK = (
    ("botocore", "import botocore.session"),
    ("+ Powertools Logger", "from aws_lambda_powertools import Logger"),
    ("+ pydantic", "import pydantic.main"),
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
        """(.py files, those with a cp313 .pyc beside them in __pycache__)."""
        tag = sys.implementation.cache_tag
        sources = [p for p in self.root.rglob("*.py") if "__pycache__" not in p.parts]
        compiled = [
            p for p in sources if (p.parent / "__pycache__" / f"{p.stem}.{tag}.pyc").is_file()
        ]
        return len(sources), len(compiled)

    def pyc_count(self) -> int:
        return sum(1 for _ in self.root.rglob("*.pyc"))


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


def timed_ms(code: str, env: dict[str, str], cwd: Path) -> list[float]:
    """Process start to each time stamp `code` prints, in ms, in a fresh isolated interpreter."""
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
    # The stamps are the lines of digits; the handler prints too (its metrics, as EMF).
    stamps = [line for line in completed.stdout.splitlines() if line.isdigit()]
    return [(int(stamp) - started) / 1e6 for stamp in stamps]


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
def history_table(template: dict[str, Any]) -> Iterator[dict[str, str]]:
    """moto's server on loopback with the template's history table; yields the AWS env."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client(
            "dynamodb",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        client.create_table(
            TableName="coldstart",
            **service_spec.table_schema(template),
            BillingMode="PAY_PER_REQUEST",
        )
        yield {
            **CREDENTIALS,
            "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
            **service_spec.function_environment("coldstart", template=template),
        }
    finally:
        server.stop()


def fresh_event(events: Path, name: str, scratch: Path) -> Path:
    """The smoke test's event for `name`, with a request id of its own (a new history row)."""
    event: dict[str, Any] = json.loads((events / f"{name}.json").read_text())
    event["requestContext"]["requestId"] = uuid.uuid4().hex[:16]
    event["requestContext"]["timeEpoch"] = int(time.time() * 1000)
    path = scratch / f"{name}-{event['requestContext']['requestId']}.json"
    path.write_text(json.dumps(event))
    return path


def ms(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f}"


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
        "--tracing-sdk",
        type=Path,
        help="with --layers: a directory holding aws-xray-sdk installed for the runtime; "
        "adds what importing it and patch_all() cost",
    )
    args = parser.parse_args()
    if args.runs < 3:
        parser.error("--runs must be at least 3")

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
        with history_table(template) as aws_env:
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
    any_sandbox = trees["packaged"].sandboxes[functions[0]]
    rows = [*STACK, TRACING_SDK] if args.tracing_sdk else list(STACK)
    stack: dict[str, list[float]] = {label: [] for label, _ in rows}
    client: list[float] = []
    # Alternating: one of each measurement per round, so load on the machine hits all alike.
    for _ in range(args.runs):
        bare += timed_ms("import time" + STAMP, any_sandbox.environment(), scratch)
        for tree_name, tree in trees.items():
            sandbox = tree.sandboxes[functions[0]]
            sdk[tree_name] += timed_ms(
                code_for(sandbox, SDK_BASELINE), sandbox.environment(), sandbox.task_root
            )
            for name, sandbox in tree.sandboxes.items():
                event = fresh_event(args.events, name, scratch)
                body = FIRST_INVOCATION.format(event=str(event), name=name, region=REGION)
                imported, invoked = timed_ms(
                    code_for(sandbox, body), sandbox.environment(), sandbox.task_root
                )
                init[name, tree_name].append(imported)
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
        f"{platform.python_version()} {platform.machine()}, {os.cpu_count()} CPUs, median of "
        f"{args.runs} alternating runs, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.\n"
        f"packaged: the zips as built ({shipped[1]} of {shipped[0]} .py files carry a cp313 "
        f".pyc); precompiled: the same after `compileall --invalidation-mode unchecked-hash`.\n"
        f"bare interpreter (`python -I -S -c pass`): {ms(bare)} ms; SDK baseline "
        f"(`{SDK_BASELINE}`): {ms(sdk['packaged'])} ms packaged, {ms(sdk['precompiled'])} ms "
        "precompiled.\n"
    )
    print(
        "| function | tree | init (ms) | init + 1st invocation (ms) | SDK baseline (ms) "
        "| init / SDK |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for name in functions:
        for tree_name in TREES:
            sdk_median = statistics.median(sdk[tree_name])
            init_median = statistics.median(init[name, tree_name])
            print(
                f"| {name} | {tree_name} | {init_median:,.0f} | {ms(first[name, tree_name])} "
                f"| {sdk_median:,.0f} | {init_median / sdk_median:.2f}x |"
            )
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
