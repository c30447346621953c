"""Benchmark: each packaged function's init (import) time in the Lambda layout.

Runs `python -X importtime` on `import lambda_function` in a fresh, isolated CPython for every
function zip in dist/ (with both layers), several times, and prints a table of medians. The
baseline is the same interpreter importing nothing of ours, measured in the same run. Build
the zips first:

    ./pants package ::
    ./pants run src/python/lambda_emulator/coldstart.py -- [--runs 7] [--dist dist]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from lambda_emulator.sandbox import Sandbox, runtime_python

FUNCTIONS = ("add", "multiply", "history")
# What Lambda runs before the handler module: nothing of ours, only the interpreter.
BASELINE = "import sys"
# Handler modules create their boto3 client at import; they need a table name and a region.
INIT_ENV = {
    "HISTORY_TABLE_NAME": "coldstart",
    "AWS_ACCESS_KEY_ID": "coldstart",
    "AWS_SECRET_ACCESS_KEY": "coldstart",
}


def import_microseconds(sandbox: Sandbox, statement: str) -> tuple[int, int]:
    """(cumulative import time of our module tree, whole-process import time) in µs."""
    code = (
        "import sys; sys.path[:0] = ["
        f"{str(sandbox.task_root)!r}, {str(sandbox.opt / 'python')!r}]; {statement}"
    )
    completed = subprocess.run(
        [runtime_python(), "-X", "importtime", "-I", "-S", "-c", code],
        capture_output=True,
        text=True,
        env=sandbox.environment(),
        check=True,
    )
    ours = total = 0
    for line in completed.stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if len(fields) != 3 or not fields[1].strip().isdigit():
            continue  # the header line
        cumulative, name = int(fields[1]), fields[2]
        if name.strip() == "lambda_function":
            ours = cumulative
        if not name.startswith("  "):  # top level: one space after the bar, no nesting
            total += cumulative
    return ours, total


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7, help="runs per function (median)")
    parser.add_argument("--dist", type=Path, default=Path("dist"), help="where the zips are")
    args = parser.parse_args()
    if args.runs < 5:
        parser.error("--runs must be at least 5")

    architecture = "arm64" if platform.machine() in {"aarch64", "arm64"} else "x86_64"
    layers = [
        args.dist / "src.python.calculator" / "shared-layer.zip",
        args.dist / "src.python.calculator" / f"requirements-layer-{architecture}.zip",
    ]
    missing = [p for p in layers if not p.is_file()]
    if missing:
        sys.exit(f"coldstart: {missing[0]} not found; run `./pants package ::` first.")

    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for name in FUNCTIONS:
            function_zip = args.dist / f"src.python.calculator.functions.{name}" / "lambda.zip"
            sandbox = Sandbox.unpack(
                Path(scratch) / name, function_zip, layers, function_name=name, extra_env=INIT_ENV
            )
            baseline = [import_microseconds(sandbox, BASELINE)[1] for _ in range(args.runs)]
            handler = [
                import_microseconds(sandbox, "import lambda_function")[0] for _ in range(args.runs)
            ]
            rows.append(
                (
                    name,
                    statistics.median(handler),
                    min(handler),
                    max(handler),
                    statistics.median(baseline),
                )
            )

    print(
        f"init = `import lambda_function` in the Lambda layout, CPython "
        f"{platform.python_version()} {platform.machine()}, median of {args.runs} runs\n"
    )
    print(
        "| function | init median (ms) | min (ms) | max (ms) | interpreter baseline (ms) | ratio |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, median, low, high, base in rows:
        print(
            f"| {name} | {median / 1000:.1f} | {low / 1000:.1f} | {high / 1000:.1f} "
            f"| {base / 1000:.1f} | {median / base:.1f}x |"
        )


if __name__ == "__main__":
    main()
