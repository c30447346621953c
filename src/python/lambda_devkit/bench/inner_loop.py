"""Benchmark: the edit → package / check / test loop with Pants, against the seed essay's flow.

Measures what a developer waits for, on a private copy of this working tree (so nothing of yours
is edited and your pantsd keeps serving you), with that copy's own pantsd warm, as in daily work:

- no-op `./pants package ::`;
- edit one handler → `./pants package ::`, and the same for a shared module;
- edit the shared module at module level → `./pants package ::`: an edit that code run at import
  sees (the API document is not among what depends on it: it is built from the API's
  declaration, which imports no logic);
- the handler and shared edits → `./pants package` of only the zips the template deploys: what
  the essay's flow builds, where `::` also builds the API document and the tools' PEXes;
- edit one handler → `./pants check <its dir>:` and → `./pants test <its tests>`;
- edit a shared module every function uses → `./pants test ::`, everything else cached: what a
  team waits for after its most common edit. It also names the slowest test file that ran,
  which is the critical path when Pants runs files in parallel.

The handler is the template's first function that has a unit test; the shared module is the
service's `shared/service.py`, the logic every handler calls. An edit is a new statement in the
file's last function, as when changing its logic (the "module level" edit is a new constant
instead). Every edit is new (a random nonce), so no cache can answer for the file itself; the
API document is built from the API's declaration alone, so a logic edit leaves it a cache hit
(docs/api-contract.md). Baselines, measured in the same run with alternating repetitions:

- the essay's Makefile flow on this repo's own sources (`python -m build -w` of the shared code,
  `pip install -r requirements.txt -t build/python` plus the wheel, `zip -r` of the layer and of
  each function directory), which rebuilds everything whatever changed. It is given every
  advantage: no build isolation and a local wheelhouse, so neither PyPI nor a fresh build venv
  is timed;
- raw incremental mypy (warm `.mypy_cache`) and raw pytest on the same files, in one venv built
  from the same lockfiles.

"Edit shared → test ::" has raw pytest as its baseline: one pytest run over the same test files
(those that depend on the shared module, by `./pants dependents --transitive`) in the same venv.
Tests of the packaged zips read them from dist/ there, as `./pants package ::` last wrote them
(plain pytest has no way to rebuild them; lambda_devkit.testing.dist). Beside it: the number of
files and the slowest of them, since Pants runs the files in parallel, as many at once as there
are cores.

    ./pants run src/python/lambda_devkit/bench/inner_loop.py -- [--runs 5] [--no-test-all]

It also reports which zips each edit changed (sha256 of dist/ before and after).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import os
import platform
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.scaffold.layout import layout
from lambda_devkit.worktree import copy_working_tree, stop_pantsd

# The shared module the "edit shared" scenarios edit: the logic every handler calls (what the
# routes do), the service's most edited module.
SHARED_MODULE = "service.py"
REQUIREMENTS = "3rdparty/python/requirements.txt"
ESSAY_TOOLS = Path(__file__).with_name("essay-requirements.txt")
# The interpreter the tools and the service use (pants.toml [python]); found as Pants finds it.
RUNTIME = "3.13"


@dataclass(frozen=True)
class Edits:
    """What the scenarios edit, read from the template: its first function, and the service's
    shared package (nothing here names the service)."""

    function: str
    function_dir: str
    handler: str
    handler_tests: str
    functions_dir: str
    shared_package: str
    shared: str

    @classmethod
    def of(cls, repo: Path) -> Edits:
        template = sam.load(repo / sam.TEMPLATE)
        where = layout(template)
        name = next(
            f.name
            for f in service_spec.functions(template)
            if (repo / where.function_tests_dir(f.name) / "test_handler.py").is_file()
        )
        return cls(
            function=name,
            function_dir=str(where.function_dir(name)),
            handler=str(where.function_dir(name) / "handler.py"),
            handler_tests=str(where.function_tests_dir(name) / "test_handler.py"),
            functions_dir=str(where.functions_dir),
            shared_package=str(where.shared_dir),
            shared=str(where.shared_dir / SHARED_MODULE),
        )


def _in_last_function(source: str, line: str) -> str:
    """`source` with `line` before the last statement of its last function (by position)."""
    functions = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    if not functions:
        raise SystemExit("benchmark: the edited module defines no function to edit")
    last = max(functions, key=lambda node: node.lineno).body[-1]
    lines = source.splitlines(keepends=True)
    indent = lines[last.lineno - 1][: last.col_offset]
    if indent.strip():
        raise SystemExit(f"benchmark: line {last.lineno} is not a statement of its own to edit")
    return "".join([*lines[: last.lineno - 1], f"{indent}{line}\n", *lines[last.lineno - 1 :]])


@contextmanager
def edited(path: Path, where: str = "body") -> Iterator[None]:
    """Makes a never-seen code edit to `path`, and restores the file afterwards, whatever happens.

    "body": a new statement in the file's last function, as when changing its logic; "module":
    a new module-level constant, which code run at import sees."""
    original = path.read_bytes()
    nonce = secrets.token_hex(8)
    text = original.decode()
    if where == "body":
        changed = _in_last_function(text, f'_ = "bench {nonce}"')
    else:
        changed = text + f'_BENCH = "{nonce}"\n'
    try:
        path.write_bytes(changed.encode())
        yield
    finally:
        path.write_bytes(original)


@contextmanager
def phase(what: str) -> Iterator[None]:
    """Says on stderr what the benchmark is doing, then how long it took."""
    print(f"benchmark: {what} ...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    yield
    print(f"benchmark: {what}: {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)


def checked(argv: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None) -> None:
    """Runs `argv`; on failure, stops the benchmark with what the command printed."""
    completed = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        raise SystemExit(
            f"benchmark: `{' '.join(argv)}` failed in {cwd} (exit {completed.returncode}):\n"
            f"{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
        )


def source_roots(repo: Path) -> str:
    """pants.toml's source roots as a search path: what Pants puts on sys.path and MYPYPATH, so
    the raw tools import exactly what the Pants goals do (tests import infra's service_spec)."""
    config = tomllib.loads((repo / "pants.toml").read_text())
    return os.pathsep.join(pattern.strip("/") for pattern in config["source"]["root_patterns"])


def timed(argv: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None) -> float:
    start = time.perf_counter()
    checked(argv, cwd, env)
    return time.perf_counter() - start


def zip_digests(dist: Path) -> dict[str, str]:
    return {
        str(path.relative_to(dist)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(dist.rglob("*.zip"))
    }


def find_python(version: str) -> str:
    candidates = [shutil.which(f"python{version}")]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += [
        str(p) for p in sorted(pyenv_root.glob(f"versions/{version}*/bin/python{version}"))
    ]
    for candidate in candidates:
        if (
            candidate
            and subprocess.run([candidate, "-c", "pass"], capture_output=True).returncode == 0
        ):
            return candidate
    raise SystemExit(f"benchmark: no working CPython {version} on PATH or under pyenv.")


def pants_named_caches() -> Path:
    """Pants' [GLOBAL].named_caches_dir as Pants 2.17 defaults it (or as PANTS_ sets it)."""
    if configured := os.environ.get("PANTS_NAMED_CACHES_DIR"):
        return Path(configured).expanduser()
    cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache_home).expanduser() / "pants" / "named_caches"


def pants_env() -> dict[str, str]:
    """The developer's setting: pantsd on, pants.toml alone (CI's overrides turn pantsd off)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTS_")}
    env["PANTS_PANTSD"] = "true"
    # The caller's content store, if it chose one (CI does): the warm-up then reads what the
    # caller already built instead of rebuilding it. Every measured edit is new, so no cache
    # answers for the figures.
    if "PANTS_LOCAL_STORE_DIR" in os.environ:
        env["PANTS_LOCAL_STORE_DIR"] = os.environ["PANTS_LOCAL_STORE_DIR"]
    return env


@dataclass
class Results:
    times: dict[str, list[float]] = field(default_factory=dict)
    changed: dict[str, set[str]] = field(default_factory=dict)
    # "edit shared -> test ::": the slowest test file of each run, and how many files ran.
    critical_paths: list[str] = field(default_factory=list)
    shared_tests: list[str] = field(default_factory=list)
    # What the scenarios edited: the handler and the shared module.
    handler: str = ""
    shared: str = ""

    def add(self, name: str, seconds: float) -> None:
        self.times.setdefault(name, []).append(seconds)

    def median(self, name: str) -> float:
        return statistics.median(self.times[name])


class Workspace:
    """The private copy, its pantsd, and the venv the raw tools and the essay's flow run in."""

    def __init__(self, root: Path, repo: Path) -> None:
        self.origin = repo
        self.repo = root / "repo"
        self.repo.mkdir()
        copy_working_tree(repo, self.repo)
        self.edits = Edits.of(self.repo)
        self.venv = root / "venv"
        self.essay = root / "essay"
        self.wheelhouse = root / "wheelhouse"
        self.env = pants_env()
        self.python = str(self.venv / "bin" / "python")
        # Not the PEX_ROOT `./pants run` hands this script: that is Pants' own named cache.
        self.pex3_env = {k: v for k, v in os.environ.items() if not k.startswith("PEX_")}
        self.pex3_env["PEX_SCRIPT"] = "pex3"

    def pants(self, *args: str) -> float:
        return timed(["./pants", *args], self.repo, self.env)

    def setup(self, test_all: bool) -> None:
        # The baselines' venv and flow are built beside Pants' warm-up, not after it: they share
        # nothing but the machine, and neither is measured here.
        with ThreadPoolExecutor(max_workers=1) as beside:
            baselines = beside.submit(self._set_up_baselines)
            with phase("warming the copy's pantsd and caches"):
                self.pants("package", "::")
                self.pants("check", f"{self.edits.function_dir}:")
                self.pants("test", self.edits.handler_tests)
            if test_all:
                with phase("warming `./pants test ::`"):
                    self.test_all()
            baselines.result()

    def _set_up_baselines(self) -> None:
        with phase("building the raw-tools venv from the lockfiles"):
            self._venv_from_locks()
        # A developer's venv has compiled its bytecode and mypy its cache long before: so here.
        # The essay's wheelhouse downloads meanwhile: they share only the venv's interpreter.
        with ThreadPoolExecutor(max_workers=1) as beside:
            essay = beside.submit(self._set_up_essay)
            with phase("warming raw mypy and raw pytest"):
                self.raw_mypy()
                self.raw_pytest()
            essay.result()

    def _set_up_essay(self) -> None:
        with phase("warming the essay's wheelhouse and its flow"):
            self.pip("download", "-d", str(self.wheelhouse), "-r", str(self.repo / REQUIREMENTS))
            self.essay_flow()

    def pip(self, *args: str) -> None:
        checked([self.python, "-m", "pip", *args, "--quiet"], self.repo)

    def _venv_from_locks(self) -> None:
        # The lockfiles Pants uses, installed by the pex tool the launcher built (run on 3.9, as
        # Pants runs it), for the service resolve (pytest included) and the mypy resolve.
        # The original's: the copy's launcher builds its own only on the copy's first run.
        pex_tool = next((self.origin / ".pants.d" / "pex-tool").glob("pex-v*"))
        # Pants' own pex root: the build has downloaded and installed every wheel of these
        # lockfiles there, and pex's cache is safe to share. Its default root would start empty
        # on a fresh machine and cost a minute of downloads and installs that nothing measures.
        pex3 = [find_python("3.9"), str(pex_tool), "venv", "create", "--pip-version", "latest"]
        pex3 += ["--pex-root", str(pants_named_caches() / "pex_root")]
        for resolve in ("default", "mypy"):
            lock = self.essay.parent / f"{resolve}.lock.json"
            text = (self.repo / f"3rdparty/python/{resolve}.lock").read_text()
            # pex reads the JSON under Pants' comment header.
            lock.write_text("\n".join(ln for ln in text.splitlines() if not ln.startswith("//")))
            target = ["--python", find_python(RUNTIME), "-d", str(self.venv)]
            pip = ["--pip"] if resolve == "default" else []
            checked([*pex3, "--lock", str(lock), *target, *pip], self.repo, self.pex3_env)
        self.pip("install", "--require-hashes", "--no-deps", "-r", str(ESSAY_TOOLS))

    def raw_mypy(self) -> float:
        # What `./pants check <dir>:` checks: the function's sources, with the source root on the
        # path, the repo's config, and a cache that stays warm between runs as mypy's does.
        return timed(
            [
                self.python,
                "-m",
                "mypy",
                "--config-file",
                "pyproject.toml",
                self.edits.handler,
            ],
            self.repo,
            {**os.environ, "MYPYPATH": source_roots(self.repo)},
        )

    def raw_pytest(self, *files: str) -> float:
        return timed(
            [
                self.python,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                *(files or [self.edits.handler_tests]),
            ],
            self.repo,
            {**os.environ, "PYTHONPATH": source_roots(self.repo)},
        )

    def tests_depending_on(self, path: str) -> list[str]:
        """The test files that depend on `path`, directly or not: what `test ::` reruns."""
        listed = subprocess.run(
            ["./pants", "dependents", "--transitive", path],
            cwd=self.repo,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        files = {a.split(":")[0] for a in listed if a.startswith("tests/") and ".py:" in a}
        return sorted(f for f in files if Path(f).name.startswith("test_"))

    def test_all(self) -> tuple[float, str]:
        """`./pants test ::`: its wall time, and the slowest test file that ran (not cached)."""
        start = time.perf_counter()
        completed = subprocess.run(
            ["./pants", "test", "::"], cwd=self.repo, env=self.env, capture_output=True, text=True
        )
        seconds = time.perf_counter() - start
        if completed.returncode != 0:
            raise SystemExit(
                f"benchmark: `./pants test ::` failed (exit {completed.returncode}):\n"
                f"{completed.stderr[-5000:]}"
            )
        # Pants' summary: "✓ tests/x/test_y.py:tests succeeded in 12.34s." for each file that
        # ran; cached ones say "(cached locally)" or "(memoized)" instead of a time.
        ran = re.findall(r"(\S+\.py):\S+ succeeded in ([0-9.]+)s\.?$", completed.stderr, re.M)
        slowest = max(ran, key=lambda item: float(item[1]), default=None)
        return seconds, ("none" if slowest is None else f"{slowest[0]} {float(slowest[1]):.0f} s")

    def essay_flow(self) -> float:
        """The essay's Makefile: wheel the shared code, install it and the requirements into
        build/python, zip that as the layer, and zip each function directory."""
        start = time.perf_counter()
        shutil.rmtree(self.essay, ignore_errors=True)
        package = self.essay / "shared"
        # The shared package at its import path, e.g. calculator/shared, as a namespace package.
        shared = Path(self.edits.shared_package).relative_to(service_spec.SOURCE_ROOT)
        shutil.copytree(self.repo / self.edits.shared_package, package / shared)
        distribution = f"{shared.parts[0]}-shared"
        (package / "pyproject.toml").write_text(
            '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
            f'[project]\nname = "{distribution}"\nversion = "0.1.0"\n'
            f"[tool.setuptools.packages.find]\ninclude = ['{shared.parts[0]}*']\n"
            "namespaces = true\n"
        )
        layer = self.essay / "build" / "python"
        layer.mkdir(parents=True)
        pip = [
            self.python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-index",
            "--find-links",
            str(self.wheelhouse),
            "-t",
            str(layer),
        ]
        steps = [
            ([self.python, "-m", "build", "-w", "--no-isolation", str(package)], self.essay),
            ([*pip, "-r", str(self.repo / REQUIREMENTS)], self.essay),
            (
                [*pip, "--no-deps", "--find-links", str(package / "dist"), distribution],
                self.essay,
            ),
            (["zip", "-rq", "../layer.zip", "python"], self.essay / "build"),
        ]
        for function in sorted((self.repo / self.edits.functions_dir).iterdir()):
            if function.is_dir():
                out = self.essay / f"{function.name}.zip"
                steps.append((["zip", "-rq", str(out), "."], function))
        for argv, cwd in steps:
            checked(argv, cwd)
        return time.perf_counter() - start


def deployed_targets(repo: Path) -> list[str]:
    """The Pants targets of the zips the template deploys."""
    return sorted(artifact.target for artifact in sam.artifacts(sam.load(repo / sam.TEMPLATE)))


def run(workspace: Workspace, runs: int, test_all: bool) -> Results:
    edits = workspace.edits
    results = Results(handler=edits.handler, shared=edits.shared)
    dist = workspace.repo / "dist"

    def package_after(name: str, edit: Path | None, *specs: str, where: str = "body") -> None:
        before = zip_digests(dist)
        if edit is None:
            results.add(name, workspace.pants("package", *specs))
        else:
            with edited(edit, where):
                results.add(name, workspace.pants("package", *specs))
        after = zip_digests(dist)
        results.changed.setdefault(name, set()).update(
            zip_name for zip_name in after if before.get(zip_name) != after[zip_name]
        )
        # Back to the committed sources' zips, so each repetition starts from the same state.
        workspace.pants("package", "::")

    handler, shared_module = workspace.repo / edits.handler, workspace.repo / edits.shared
    zips = deployed_targets(workspace.repo)
    scenarios = {
        "no-op package": lambda: package_after("no-op package", None, "::"),
        "edit handler -> package": lambda: package_after("edit handler -> package", handler, "::"),
        "edit shared -> package": lambda: package_after(
            "edit shared -> package", shared_module, "::"
        ),
        "edit shared module level -> package": lambda: package_after(
            "edit shared module level -> package", shared_module, "::", where="module"
        ),
        "edit handler -> package zips": lambda: package_after(
            "edit handler -> package zips", handler, *zips
        ),
        "edit shared -> package zips": lambda: package_after(
            "edit shared -> package zips", shared_module, *zips
        ),
        "essay flow (any edit)": lambda: results.add(
            "essay flow (any edit)", workspace.essay_flow()
        ),
    }

    def check_and_test() -> None:
        with edited(workspace.repo / edits.handler):
            results.add("edit handler -> check", workspace.pants("check", f"{edits.function_dir}:"))
        with edited(workspace.repo / edits.handler):
            results.add("edit handler -> raw mypy", workspace.raw_mypy())
        with edited(workspace.repo / edits.handler):
            results.add("edit handler -> test", workspace.pants("test", edits.handler_tests))
        with edited(workspace.repo / edits.handler):
            results.add("edit handler -> raw pytest", workspace.raw_pytest())

    shared = workspace.repo / edits.shared
    if test_all:
        results.shared_tests = workspace.tests_depending_on(edits.shared)

    def shared_edit_and_test_all() -> None:
        with edited(shared):
            seconds, slowest = workspace.test_all()
        results.add("edit shared -> test ::", seconds)
        results.critical_paths.append(slowest)
        with edited(shared):
            results.add("edit shared -> raw pytest", workspace.raw_pytest(*results.shared_tests))

    for repetition in range(runs):
        order = [*scenarios.values(), check_and_test]
        if test_all:
            order.append(shared_edit_and_test_all)
        # Alternate the order, so that neither side always runs on a warmer machine.
        for scenario in order if repetition % 2 == 0 else reversed(order):
            scenario()
        print(f"benchmark: repetition {repetition + 1}/{runs} done", file=sys.stderr)
    return results


# How a scenario reads in the table: which specs `package` was given.
ROW_LABELS = {
    "no-op package": "no-op package ::",
    "edit handler -> package": "edit handler -> package ::",
    "edit shared -> package": "edit shared -> package ::",
    "edit shared module level -> package": "edit shared at module level -> package ::",
    "edit handler -> package zips": "edit handler -> package the deployed zips",
    "edit shared -> package zips": "edit shared -> package the deployed zips",
}


def report(results: Results, runs: int) -> None:
    print(
        f"\nInner loop, median of {runs} ({platform.machine()}, {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d')}; pantsd warm, every edit new; edited: handler "
        f"{results.handler}, shared {results.shared})\n"
    )
    print(
        "| action | Pants, median (s) | baseline | baseline, median (s) | Pants vs baseline "
        "| zips changed |"
    )
    print("| --- | ---: | --- | ---: | ---: | --- |")
    rows = [
        ("no-op package", "essay flow (any edit)"),
        ("edit handler -> package", "essay flow (any edit)"),
        ("edit shared -> package", "essay flow (any edit)"),
        ("edit shared module level -> package", "essay flow (any edit)"),
        ("edit handler -> package zips", "essay flow (any edit)"),
        ("edit shared -> package zips", "essay flow (any edit)"),
        ("edit handler -> check", "edit handler -> raw mypy"),
        ("edit handler -> test", "edit handler -> raw pytest"),
    ]
    for ours, baseline in rows:
        mine, theirs = results.median(ours), results.median(baseline)
        changed = ", ".join(sorted(results.changed.get(ours, ()))) or (
            "none" if ours in results.changed else "n/a"
        )
        label = "essay's Makefile flow" if baseline.startswith("essay") else baseline.split("> ")[1]
        versus = (
            f"{theirs / mine:.1f}x faster" if mine < theirs else f"{mine / theirs:.2f}x the time"
        )
        print(
            f"| {ROW_LABELS.get(ours, ours)} | {mine:.2f} | {label} | {theirs:.2f} | {versus} | {changed} |"
        )
    shared = results.times.get("edit shared -> test ::")
    if shared is None:
        print("\nedit shared -> test ::: not run (--no-test-all)")
        return
    mine, theirs = statistics.median(shared), results.median("edit shared -> raw pytest")
    versus = f"{theirs / mine:.1f}x faster" if mine < theirs else f"{mine / theirs:.2f}x the time"
    print(
        f"\n| edit shared -> test :: | Pants, median (s) | min-max (s) | raw pytest, median (s) "
        f"| Pants vs raw pytest | test files that depend on {results.shared} | the slowest "
        "that ran, per repetition |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |\n"
        f"| {os.cpu_count()} cores | {mine:.1f} | {min(shared):.1f}-{max(shared):.1f} | "
        f"{theirs:.1f} | {versus} | {len(results.shared_tests)} | "
        f"{'; '.join(results.critical_paths)} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="repetitions (default 5)")
    parser.add_argument("--repo", type=Path, default=Path.cwd(), help="the repo (default: cwd)")
    parser.add_argument(
        "--no-test-all",
        dest="test_all",
        action="store_false",
        help="skip 'edit shared -> test ::', which reruns every dependent test file (minutes)",
    )
    args = parser.parse_args()
    if not (args.repo / "pants.toml").is_file():
        raise SystemExit(f"benchmark: {args.repo} is not the repository root (no pants.toml).")
    # SIGTERM unwinds like Ctrl-C, so every edited file is restored and pantsd stopped.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    with tempfile.TemporaryDirectory(prefix="bench-inner-loop-") as scratch:
        workspace = Workspace(Path(scratch), args.repo.resolve())
        try:
            workspace.setup(args.test_all)
            with phase(f"{args.runs} measured repetition(s)"):
                results = run(workspace, args.runs, args.test_all)
        finally:
            stop_pantsd(workspace.repo)
    report(results, args.runs)


if __name__ == "__main__":
    main()
