"""The ./pants launcher: what it installs, what it refuses, and what it reuses.

Each run is a copy of the launcher in a scratch checkout holding only what the launcher reads
(itself, pants.toml, 3rdparty/pants/) and a Pants config of its own, with a scratch HOME and
cache, so the developer's own caches are never touched.

Where the time goes: installing Pants from PyPI (once per module), building the pex tool, and
each start of Pants, which costs ~10 CPU-seconds even for `--version`. So Pants is installed
once and started twice, on the two runs that must show Pants using the pex tool the launcher
built (a cache under XDG_CACHE_HOME, and one under PANTS_LAUNCHER_CACHE). Everything else is
launcher logic and stops where the launcher hands over to Pants' Python client, which the
module wraps once Pants is installed. Runs that only need the same inputs run concurrently;
nothing here depends on how fast they go.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import os
import platform
import re
import shutil
import stat
import subprocess
import time
import tomllib
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

LAUNCHER_INPUTS = ("pants", "pants.toml", "3rdparty/pants")
# Directories a python3.9 could hide in on a developer's machine; the "none found" tests need a
# PATH without one.
BARE_PATH = "/usr/bin:/bin"
# How this machine reaches PyPI (a proxy, a private CA): passed through to pip, like a shell would.
NETWORK_ENV = (
    "PIP_CERT",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
)
# Set on a run, it stops that run in the wrapped Python client (wrap_python_client): the run
# shows what the launcher did and which client it started, without paying for a Pants start.
CLIENT_PROBE = "LAUNCHER_TEST_STOP_IN_CLIENT"

# The pex tool pin the launcher checks, as pants.toml states it for this platform.
PEX_CLI = tomllib.loads(Path("pants.toml").read_text())["pex-cli"]
PEX_TAG = PEX_CLI["version"]
PEX_VERSION = PEX_TAG.removeprefix("v")
PLATFORM = {
    ("Linux", "x86_64"): "linux_x86_64",
    ("Linux", "aarch64"): "linux_arm64",
    ("Darwin", "x86_64"): "macos_x86_64",
    ("Darwin", "arm64"): "macos_arm64",
}[platform.system(), platform.machine()]
PEX_SHA256, PEX_LENGTH = next(
    (sha256, int(length))
    for version, platform_, sha256, length in (
        (part.strip() for part in entry.split("|")) for entry in PEX_CLI["known_versions"]
    )
    if version == PEX_TAG and platform_ == PLATFORM
)

# The cheapest Pants goal that uses the pex tool: Pants fetches the tool from [pex-cli]
# url_template (the copy the launcher put in .pants.d/), checks its digest against
# known_versions, and runs it, as for every PEX it builds; `pex --version` is all it asks.
# Built-in goals that use the tool need the Python backend, whose rules cost another ~6
# CPU-seconds to load.
PEX_TOOL_GOAL = "pex-tool-version"
PEX_TOOL_PLUGIN = """
from pants.backend.python.util_rules import pex_cli
from pants.backend.python.util_rules.pex_cli import PexCliProcess
from pants.engine.console import Console
from pants.engine.goal import Goal, GoalSubsystem
from pants.engine.process import ProcessResult
from pants.engine.rules import Get, collect_rules, goal_rule
from pants.version import VERSION


class PexToolVersionSubsystem(GoalSubsystem):
    name = "pex-tool-version"
    help = "Runs the pex tool with --version."


class PexToolVersion(Goal):
    subsystem_cls = PexToolVersionSubsystem
    environment_behavior = Goal.EnvironmentBehavior.LOCAL_ONLY


@goal_rule
async def pex_tool_version(console: Console) -> PexToolVersion:
    result = await Get(
        ProcessResult,
        PexCliProcess(subcommand=(), extra_args=("--version",), description="pex --version"),
    )
    console.print_stdout(f"pants {VERSION} ran pex {result.stdout.decode().strip()}")
    return PexToolVersion(exit_code=0)


def rules():
    return [*collect_rules(), *pex_cli.rules()]
"""
PEX_TOOL_GOAL_OUTPUT = f"pants 2.17.1 ran pex {PEX_VERSION}"


# Where find_python39 looks besides pyenv's versions. Not the test's own PATH: Pants would make
# it part of these minutes-long tests' cache key, and two clones or two developers whose PATHs
# differ in any entry would rerun them instead of reading them from the shared cache.
PYTHON39_DIRS = ("/usr/local/bin", "/usr/bin", "/opt/homebrew/bin")


@functools.cache
def find_python39() -> str:
    """A working CPython 3.9 for PANTS_PYTHON: pyenv's versions, then the usual directories."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates = [
        *sorted(pyenv_root.glob("versions/3.9*/bin/python3.9")),
        shutil.which("python3.9", path=os.pathsep.join(PYTHON39_DIRS)),
    ]
    for candidate in candidates:
        if candidate is None:
            continue
        probe = subprocess.run(
            [str(candidate), "-c", "import sys; print(sys.executable, sys.version_info[:2])"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and "(3, 9)" in probe.stdout:
            return probe.stdout.split()[0]
    pytest.fail("no CPython 3.9 on this machine, which Pants itself needs")


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class Scratch:
    """A scratch checkout, and the HOME and launcher cache its runs use."""

    repo: Path
    home: Path
    # PANTS_LAUNCHER_CACHE; None leaves it unset, and the launcher picks its default.
    cache: Path | None
    pip_cache: Path

    def start(self, *args: str, **env: str) -> subprocess.Popen[str]:
        """Starts ./pants ARGS there; pantsd stays off, so no daemon outlives the test."""
        environment = {
            **{name: os.environ[name] for name in NETWORK_ENV if name in os.environ},
            "PATH": BARE_PATH,
            "HOME": str(self.home),
            # pyenv's default root is under HOME: an empty one, unless a test says otherwise.
            "PYENV_ROOT": str(self.home / ".pyenv"),
            # pip's downloads stay in the module's scratch directory.
            "PIP_CACHE_DIR": str(self.pip_cache),
            # Pants reads this instead of pants.toml, whose backends live outside the scratch
            # checkout; the launcher still reads pants.toml's pins itself.
            "PANTS_CONFIG_FILES": "['launcher-test.toml']",
            **({"PANTS_LAUNCHER_CACHE": str(self.cache)} if self.cache else {}),
            **env,
        }
        return subprocess.Popen(
            ["./pants", "--no-pantsd", *args],
            cwd=self.repo,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """Runs ./pants ARGS there, to the end."""
        process = self.start(*args, **env)
        stdout, stderr = process.communicate()
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)

    def probe(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """Runs ./pants ARGS up to the wrapped Python client, which stops there."""
        return self.run(*args, **{CLIENT_PROBE: "1", **env})


def checkout(root: Path, name: str, cache: Path | None) -> Scratch:
    """Copies the launcher's inputs into root/name: a checkout as far as ./pants can tell."""
    repo = root / name
    for relative in LAUNCHER_INPUTS:
        source, target = Path(relative), repo / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    (repo / "pants").chmod(0o755)
    plugin = repo / "launcher-test-plugins/pex_tool_goal"
    plugin.mkdir(parents=True)
    (plugin / "__init__.py").touch()
    (plugin / "register.py").write_text(PEX_TOOL_PLUGIN)
    # The [pex-cli] block is pants.toml's own: Pants checks the tool against the same pin.
    pex_cli_block = re.search(
        r"^\[pex-cli\]\n.*?(?=^\[)", Path("pants.toml").read_text(), re.M | re.S
    )
    assert pex_cli_block is not None
    (repo / "launcher-test.toml").write_text(
        '[GLOBAL]\npants_version = "2.17.1"\n'
        'pythonpath = ["%(buildroot)s/launcher-test-plugins"]\n'
        'backend_packages = ["pex_tool_goal"]\n'
        "[anonymous-telemetry]\nenabled = false\n"
        # The interpreter Pants runs the pex tool with (the PATH of these runs has none).
        f'[python-bootstrap]\nsearch_path = ["{Path(find_python39()).parent}"]\n'
        + pex_cli_block.group(0)
    )
    home = root / f"{name}-home"
    home.mkdir()
    return Scratch(repo=repo, home=home, cache=cache, pip_cache=root / "pip")


def launcher_cache_with_venv(cache: Path, venv: Path) -> Path:
    """A launcher cache that has the module's Pants venv (linked: a venv cannot move) and
    nothing else, so that a run there builds the pex tool and the linters but installs no Pants."""
    (cache / "venvs").mkdir(parents=True)
    (cache / "venvs" / venv.name).symlink_to(venv)
    return cache


def path_without(root: Path, *hidden: str) -> str:
    """A PATH of one directory linking everything on BARE_PATH but `hidden`."""
    bin_dir = root / f"bin-without-{'-'.join(hidden)}"
    bin_dir.mkdir()
    for directory in BARE_PATH.split(":"):
        for tool in Path(directory).iterdir():
            if tool.name not in hidden and not os.path.lexists(bin_dir / tool.name):
                (bin_dir / tool.name).symlink_to(tool)
    return str(bin_dir)


def wait_for_venv(cache: Path, installer: Future[subprocess.CompletedProcess[str]]) -> Path:
    """The Pants venv in cache, once the installing run has made it ready."""
    while True:
        ready = sorted(cache.glob("venvs/*/.ready"))
        if ready:
            return ready[0].parent
        if installer.done():
            result = installer.result()
            pytest.fail(f"the first run made no Pants venv:\n{result.stderr}")
        time.sleep(0.1)


def wrap_python_client(venv: Path) -> None:
    """Makes the venv's Python client say who started it, and stop there for CLIENT_PROBE runs.

    The launcher exports _PANTS_SERVER_EXE only when it runs the native client, which execs that
    path when no pantsd is up. The swap is atomic: concurrent runs start one client or the other.
    """
    client = venv / "bin/pants"
    real = client.with_name("pants.real")
    shutil.copy2(client, real)
    wrapper = client.with_name("pants.wrapper")
    wrapper.write_text(
        "#!/bin/sh\n"
        'echo "python client, native=${_PANTS_SERVER_EXE:+yes}, args: $*" >&2\n'
        'echo "parallelism: ${PANTS_PROCESS_EXECUTION_LOCAL_PARALLELISM:-unset}" >&2\n'
        'echo "pythonpath: ${PYTHONPATH-unset}" >&2\n'
        f'[ -z "${{{CLIENT_PROBE}:-}}" ] || exit 0\n'
        f'exec "{real}" "$@"\n'
    )
    wrapper.chmod(0o755)
    wrapper.replace(client)


@dataclass(frozen=True)
class Launches:
    """The module's costly runs, started at once and each awaited by the test that checks it."""

    root: Path
    xdg_cache_home: Path
    first: Scratch
    first_run: Future[subprocess.CompletedProcess[str]]
    own_cache: Scratch
    own_cache_run: Future[subprocess.CompletedProcess[str]]
    tampered_pex: Scratch
    tampered_pex_run: Future[subprocess.CompletedProcess[str]]
    tampered_pants: Scratch
    tampered_pants_run: Future[subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def scratch_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("launcher")


@pytest.fixture(scope="module")
def launches(scratch_root: Path) -> Iterator[Launches]:
    """Starts the runs that install or build, each as soon as what it needs exists.

    First, concurrently: the module's one install of Pants (a first run with XDG_CACHE_HOME an
    empty directory: the launcher's cache goes under it), and an install refused for a tampered
    hash. Once the first run's venv is ready: two runs in caches holding only that venv, which
    build the pex tool again while the first run goes on.
    """
    root = scratch_root
    xdg_cache_home = root / "xdg-cache"
    xdg_cache_home.mkdir()
    first = checkout(root, "first", cache=None)

    tampered_pants = checkout(root, "tampered-pants", cache=root / "tampered-pants-cache")
    requirements = tampered_pants.repo / "3rdparty/pants/requirements.txt"
    text = requirements.read_text()
    # Every listed hash of the Pants wheel, so that no wheel of it can match.
    block = re.search(r"^pantsbuild-pants==.*?(?=^\S)", text, re.MULTILINE | re.DOTALL)
    assert block is not None
    tampered_block = re.sub(r"sha256:[0-9a-f]{64}", "sha256:" + "0" * 64, block.group(0))
    requirements.write_text(text.replace(block.group(0), tampered_block))

    tampered_pex_cache = root / "tampered-pex-cache"
    tampered_pex = checkout(root, "tampered-pex", cache=tampered_pex_cache)
    pants_toml = tampered_pex.repo / "pants.toml"
    text = pants_toml.read_text()
    assert PEX_SHA256 in text
    pants_toml.write_text(text.replace(PEX_SHA256, "0" * 64))

    own_cache_dir = root / "own-cache-cache"
    own_cache = checkout(root, "own-cache", cache=own_cache_dir)
    no_sha256sum = path_without(root, "sha256sum", "flock")

    with ThreadPoolExecutor(max_workers=8) as pool:
        first_run = pool.submit(
            first.run,
            PEX_TOOL_GOAL,
            PANTS_PYTHON=find_python39(),
            XDG_CACHE_HOME=str(xdg_cache_home),
        )
        tampered_pants_run = pool.submit(
            tampered_pants.run, "--version", PANTS_PYTHON=find_python39()
        )
        venv = pool.submit(wait_for_venv, xdg_cache_home / "pants/launcher", first_run)

        def in_cache_with_venv(
            cache: Path, run: Callable[[], subprocess.CompletedProcess[str]]
        ) -> Future[subprocess.CompletedProcess[str]]:
            def go() -> subprocess.CompletedProcess[str]:
                launcher_cache_with_venv(cache, venv.result())
                return run()

            return pool.submit(go)

        own_cache_run = in_cache_with_venv(
            own_cache_dir,
            lambda: own_cache.run(
                PEX_TOOL_GOAL,
                # A variable that broke pex while it built the tool, and a PATH with neither
                # sha256sum nor flock (as on macOS): the tool must come out the same.
                PEX_PATH=str(root / "no-such.pex"),
                PATH=no_sha256sum,
            ),
        )
        tampered_pex_run = in_cache_with_venv(
            tampered_pex_cache, lambda: tampered_pex.run("--version")
        )
        yield Launches(
            root=root,
            xdg_cache_home=xdg_cache_home,
            first=first,
            first_run=first_run,
            own_cache=own_cache,
            own_cache_run=own_cache_run,
            tampered_pex=tampered_pex,
            tampered_pex_run=tampered_pex_run,
            tampered_pants=tampered_pants,
            tampered_pants_run=tampered_pants_run,
        )


@pytest.fixture(scope="module")
def installed(launches: Launches) -> Path:
    """The launcher cache the first run filled, its Python client wrapped (wrap_python_client)."""
    first = launches.first_run.result()
    assert first.returncode == 0, first.stderr
    cache = launches.xdg_cache_home / "pants/launcher"
    (venv,) = (v for v in (cache / "venvs").iterdir() if (v / ".ready").exists())
    wrap_python_client(venv)
    return cache


def assert_pinned_pex_tool(scratch: Scratch, cache: Path) -> None:
    """The tool in the cache and the checkout's copy are the pinned bytes."""
    built = cache / f"pex-tool/pex-{PEX_VERSION}-{PEX_SHA256}"
    copy = scratch.repo / f".pants.d/pex-tool/pex-{PEX_TAG}"
    for tool in built, copy:
        assert sha256_of(tool) == PEX_SHA256, tool
        assert tool.stat().st_size == PEX_LENGTH, tool
    # The cause of the digest once depending on XDG_CACHE_HOME: the default runtime PEX_ROOT
    # pex writes into the tool, which must not be the build's own environment's.
    with zipfile.ZipFile(copy) as tool_zip:
        assert "pex_root='~/.cache/pex'" in tool_zip.read("__main__.py").decode()


def test_first_run_with_XDG_CACHE_HOME_installs_pants_and_its_pinned_pex_tool(
    launches: Launches,
) -> None:
    # PANTS_PYTHON is the only 3.9: the PATH has none and pyenv's root is empty. XDG_CACHE_HOME
    # points at an empty directory, which once changed the tool's digest.
    first = launches.first_run.result()
    assert first.returncode == 0, first.stderr
    assert "installing Pants" in first.stderr
    assert f"building the pex {PEX_VERSION} tool" in first.stderr
    assert "fetching shellcheck, shfmt and actionlint" in first.stderr
    # Pants 2.17.1 ran the tool (after checking its digest against the pin itself).
    assert first.stdout.strip().splitlines()[-1] == PEX_TOOL_GOAL_OUTPUT
    # The launcher's cache went under XDG_CACHE_HOME, and so did Pants' (it ran the tool there).
    cache = launches.xdg_cache_home / "pants/launcher"
    assert_pinned_pex_tool(launches.first, cache)
    assert (launches.xdg_cache_home / "pants/named_caches/pex_root").is_dir()
    assert not (launches.first.home / ".cache").exists()


def test_a_launcher_cache_elsewhere_builds_the_same_tool_whatever_the_environment(
    launches: Launches,
) -> None:
    run = launches.own_cache_run.result()
    assert run.returncode == 0, run.stderr
    assert "installing Pants" not in run.stderr
    assert f"building the pex {PEX_VERSION} tool" in run.stderr
    assert run.stdout.strip().splitlines()[-1] == PEX_TOOL_GOAL_OUTPUT
    assert launches.own_cache.cache is not None
    assert_pinned_pex_tool(launches.own_cache, launches.own_cache.cache)


def test_a_second_checkout_reuses_the_cache(launches: Launches, installed: Path) -> None:
    # No PANTS_PYTHON and no 3.9 anywhere: only a cache hit can get to Pants' client.
    second = checkout(launches.root, "second", cache=None)
    result = second.probe("--version", XDG_CACHE_HOME=str(launches.xdg_cache_home))
    assert result.returncode == 0, result.stderr
    assert "python client, native=yes, args: --no-pantsd --version" in result.stderr
    assert not re.search(r"installing|building|fetching", result.stderr), result.stderr
    # The checkout still gets its own copies of the tools pants.toml points at.
    assert sha256_of(second.repo / f".pants.d/pex-tool/pex-{PEX_TAG}") == PEX_SHA256
    assert (second.repo / ".pants.d/lint-tools/shfmt_py-4.2.0/shfmt").is_file()


def test_native_client_hands_over_to_the_python_client_when_pantsd_is_off(
    launches: Launches, installed: Path
) -> None:
    env = {"XDG_CACHE_HOME": str(launches.xdg_cache_home)}
    native = launches.first.probe("--version", **env)
    assert native.returncode == 0, native.stderr
    assert "python client, native=yes," in native.stderr
    direct = launches.first.probe("--version", PANTS_NO_NATIVE_CLIENT="1", **env)
    assert direct.returncode == 0, direct.stderr
    assert "python client, native=," in direct.stderr


def test_runs_twice_as_many_processes_as_cores_unless_told(
    launches: Launches, installed: Path
) -> None:
    env = {"XDG_CACHE_HOME": str(launches.xdg_cache_home)}
    default = launches.first.probe("--version", **env)
    assert default.returncode == 0, default.stderr
    assert f"parallelism: {2 * (os.cpu_count() or 1)}\n" in default.stderr
    told = launches.first.probe("--version", PANTS_PROCESS_EXECUTION_LOCAL_PARALLELISM="3", **env)
    assert told.returncode == 0, told.stderr
    assert "parallelism: 3\n" in told.stderr


def test_keeps_a_pythonpath_meant_for_your_code_from_pants(
    launches: Launches, installed: Path
) -> None:
    env = {"XDG_CACHE_HOME": str(launches.xdg_cache_home)}
    probe = launches.first.probe("--version", PYTHONPATH="src/python", **env)
    assert probe.returncode == 0, probe.stderr
    assert "pythonpath: unset\n" in probe.stderr


def test_waits_on_a_lock_a_live_run_holds_and_takes_over_one_a_dead_run_left(
    launches: Launches, installed: Path
) -> None:
    # A new checkout has no copies of the tools yet, so its run takes the cache's lock. The
    # lock's pid file is a FIFO: each time the run reads it to learn who holds the lock, this
    # test sees it, and answers. No step here depends on how fast the run goes.
    third = checkout(launches.root, "third", cache=installed)
    lock = installed / ".lock.d"
    lock.mkdir()
    os.mkfifo(lock / "pid")
    holder = subprocess.Popen(["sleep", "600"])
    waiting = third.start("--version", **{CLIENT_PROBE: "1"})

    def next_check() -> int | None:
        """Waits for the run to open the pid file; the descriptor to answer on, or None if the
        run ends first."""
        while waiting.poll() is None:
            try:
                pid_file = os.open(lock / "pid", os.O_WRONLY | os.O_NONBLOCK)
            except OSError as error:
                # No reader of the FIFO yet, or no FIFO: the run took the lock over.
                assert error.errno in (errno.ENXIO, errno.ENOENT), error
                assert not pid_written_into_the_fifo(), "the run took a lock another run holds"
                time.sleep(0.05)
                continue
            if not stat.S_ISFIFO(os.fstat(pid_file).st_mode):
                os.close(pid_file)  # The pid file of the run's own lock.
                time.sleep(0.05)
                continue
            # The next read must find a FIFO of its own: this one's reader gets the answer.
            os.mkfifo(lock / "pid.next")
            (lock / "pid.next").replace(lock / "pid")
            return pid_file
        return None

    def pid_written_into_the_fifo() -> bytes:
        """A run that took the held lock would wait to write its pid into the FIFO: lets it."""
        try:
            reader = os.open(lock / "pid", os.O_RDONLY | os.O_NONBLOCK)
        except FileNotFoundError:
            return b""
        try:
            return os.read(reader, 64)
        except BlockingIOError:
            return b"?"  # A writer, yet to write.
        finally:
            os.close(reader)

    def answer(pid_file: int, pid: int) -> None:
        os.write(pid_file, f"{pid}\n".encode())
        os.close(pid_file)

    try:
        check = next_check()
        assert check is not None, f"went on past a held lock: {waiting.communicate()}"
        answer(check, holder.pid)
        # Told the holder lives, the run asks again.
        check = next_check()
        assert check is not None, f"went on past a held lock: {waiting.communicate()}"
    finally:
        # Reaped, not a zombie: `kill -0` must find no such process.
        holder.kill()
        holder.wait()
    answer(check, holder.pid)
    # Told the holder is dead, it takes the lock over and asks no more.
    check = next_check()
    if check is not None:
        waiting.kill()
        os.close(check)
        pytest.fail("the run still waits on a lock whose holder is dead")
    _, stderr = waiting.communicate()
    assert waiting.returncode == 0, stderr
    assert "python client, native=yes" in stderr
    assert not lock.exists()


def test_refuses_a_pex_tool_whose_digest_differs(launches: Launches) -> None:
    result = launches.tampered_pex_run.result()
    assert result.returncode == 1
    assert f"refusing the pex {PEX_VERSION} tool: it has sha256 {PEX_SHA256}" in result.stderr
    assert "python client" not in result.stderr
    cache = launches.tampered_pex.cache
    assert cache is not None
    # Nothing of the refused build stays, and the lock is released.
    assert not list(cache.glob("pex-tool*")), list(cache.iterdir())
    assert not (cache / ".lock.d").exists()


def test_refuses_a_pants_whose_hash_differs(launches: Launches) -> None:
    result = launches.tampered_pants_run.result()
    assert result.returncode == 1
    assert "DO NOT MATCH THE HASHES" in result.stderr
    assert "could not install" in result.stderr
    assert "2.17.1" not in result.stdout


def test_fails_clearly_when_no_python39_is_found(scratch_root: Path) -> None:
    hidden = [p for p in ("/usr/bin/python3.9", "/usr/local/bin/python3.9") if Path(p).exists()]
    if hidden:
        pytest.skip(f"the launcher always tries {hidden}, so this machine cannot lack a 3.9")
    empty = checkout(scratch_root, "no-python", cache=scratch_root / "empty-cache")
    result = empty.run("--version")
    assert result.returncode == 1
    assert "Pants 2.17.1 runs on CPython 3.9, and none was found" in result.stderr
    assert "PANTS_PYTHON=/path/to/python3.9" in result.stderr
    assert "Traceback" not in result.stderr


def test_rejects_a_PANTS_PYTHON_that_is_not_39(scratch_root: Path) -> None:
    other = shutil.which("python3", path=BARE_PATH)
    assert other is not None
    empty = checkout(scratch_root, "wrong-python", cache=scratch_root / "empty-cache2")
    result = empty.run("--version", PANTS_PYTHON=other)
    assert result.returncode == 1
    assert f"PANTS_PYTHON={other} is not a working CPython 3.9 interpreter" in result.stderr
