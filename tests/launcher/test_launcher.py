"""The ./pants launcher: what it installs, what it refuses, and what it reuses.

Each test runs a copy of the launcher in a scratch checkout holding only what the launcher
reads (itself, pants.toml, 3rdparty/pants/), with a scratch PANTS_LAUNCHER_CACHE and HOME, so
the developer's own cache is never touched. One module-wide bootstrap installs Pants from PyPI
for real; the tests that need Pants installed share it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
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


# Where find_python39 looks besides pyenv's versions. Not the test's own PATH: Pants would make
# it part of these minutes-long tests' cache key, and two clones or two developers whose PATHs
# differ in any entry would rerun them instead of reading them from the shared cache.
PYTHON39_DIRS = ("/usr/local/bin", "/usr/bin", "/opt/homebrew/bin")


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


@dataclass(frozen=True)
class Scratch:
    """A scratch checkout and the cache and HOME its launcher runs use."""

    repo: Path
    cache: Path
    home: Path
    pip_cache: Path

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """Runs ./pants ARGS there; pantsd stays off, so no daemon outlives the test."""
        environment = {
            **{name: os.environ[name] for name in NETWORK_ENV if name in os.environ},
            "PATH": BARE_PATH,
            "HOME": str(self.home),
            # pyenv's default root is under HOME: an empty one, unless a test says otherwise.
            "PYENV_ROOT": str(self.home / ".pyenv"),
            "PANTS_LAUNCHER_CACHE": str(self.cache),
            # Downloads are shared by the module's checkouts (pip still checks every hash).
            "PIP_CACHE_DIR": str(self.pip_cache),
            # Pants reads this instead of pants.toml, whose backends live outside the scratch
            # checkout; the launcher still reads pants.toml's pins itself.
            "PANTS_CONFIG_FILES": "['launcher-test.toml']",
            **env,
        }
        return subprocess.run(
            ["./pants", "--no-pantsd", *args],
            cwd=self.repo,
            env=environment,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )


def checkout(root: Path, name: str, cache: Path, pip_cache: Path) -> Scratch:
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
    (repo / "launcher-test.toml").write_text(
        '[GLOBAL]\npants_version = "2.17.1"\n[anonymous-telemetry]\nenabled = false\n'
    )
    home = root / f"{name}-home"
    home.mkdir()
    return Scratch(repo=repo, cache=cache, home=home, pip_cache=pip_cache)


@pytest.fixture(scope="module")
def scratch_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("launcher")


@pytest.fixture(scope="module")
def bootstrapped(scratch_root: Path) -> Iterator[tuple[Scratch, subprocess.CompletedProcess[str]]]:
    """A checkout whose first run installed everything into a fresh cache, via PANTS_PYTHON.

    The PATH holds no python3.9 and pyenv's root is empty, so only PANTS_PYTHON can supply it.
    """
    scratch = checkout(scratch_root, "first", scratch_root / "cache", scratch_root / "pip")
    first = scratch.run("--version", PANTS_PYTHON=find_python39())
    yield scratch, first


def test_first_run_installs_pants_with_PANTS_PYTHON(
    bootstrapped: tuple[Scratch, subprocess.CompletedProcess[str]],
) -> None:
    _, first = bootstrapped
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().splitlines()[-1] == "2.17.1"
    assert "installing Pants" in first.stderr
    assert "building the pex 2.33.10 tool" in first.stderr
    assert "fetching shellcheck, shfmt and actionlint" in first.stderr


def test_a_second_checkout_reuses_the_cache(
    bootstrapped: tuple[Scratch, subprocess.CompletedProcess[str]], scratch_root: Path
) -> None:
    first, _ = bootstrapped
    # No PANTS_PYTHON and no 3.9 anywhere: only a cache hit can get Pants running.
    second = checkout(scratch_root, "second", first.cache, first.pip_cache)
    result = second.run("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "2.17.1"
    assert not re.search(r"installing|building|fetching", result.stderr), result.stderr
    # The checkout still gets its own copies of the tools pants.toml points at.
    assert (second.repo / ".pants.d/pex-tool/pex-v2.33.10").is_file()
    assert (second.repo / ".pants.d/lint-tools/shfmt_py-4.2.0/shfmt").is_file()


def test_refuses_a_pex_tool_whose_digest_differs(
    bootstrapped: tuple[Scratch, subprocess.CompletedProcess[str]], scratch_root: Path
) -> None:
    first, _ = bootstrapped
    tampered = checkout(scratch_root, "tampered-pex", first.cache, first.pip_cache)
    pants_toml = tampered.repo / "pants.toml"
    text = pants_toml.read_text()
    assert "32e3bc204c61" in text
    pants_toml.write_text(text.replace("32e3bc204c61", "000000000000"))
    result = tampered.run("--version", PANTS_PYTHON=find_python39())
    assert result.returncode == 1
    assert "refusing the pex 2.33.10 tool: it has sha256 32e3bc204c61" in result.stderr
    assert "2.17.1" not in result.stdout


def test_refuses_a_pants_whose_hash_differs(
    bootstrapped: tuple[Scratch, subprocess.CompletedProcess[str]], scratch_root: Path
) -> None:
    first, _ = bootstrapped
    tampered = checkout(scratch_root, "tampered-pants", first.cache, first.pip_cache)
    requirements = tampered.repo / "3rdparty/pants/requirements.txt"
    text = requirements.read_text()
    # Every listed hash of the Pants wheel, so that no wheel of it can match.
    block = re.search(r"^pantsbuild-pants==.*?(?=^\S)", text, re.MULTILINE | re.DOTALL)
    assert block is not None
    tampered_block = re.sub(r"sha256:[0-9a-f]{64}", "sha256:" + "0" * 64, block.group(0))
    requirements.write_text(text.replace(block.group(0), tampered_block))
    result = tampered.run("--version", PANTS_PYTHON=find_python39())
    assert result.returncode == 1
    assert "DO NOT MATCH THE HASHES" in result.stderr
    assert "could not install" in result.stderr
    assert "2.17.1" not in result.stdout


def test_fails_clearly_when_no_python39_is_found(scratch_root: Path) -> None:
    hidden = [p for p in ("/usr/bin/python3.9", "/usr/local/bin/python3.9") if Path(p).exists()]
    if hidden:
        pytest.skip(f"the launcher always tries {hidden}, so this machine cannot lack a 3.9")
    empty = checkout(scratch_root, "no-python", scratch_root / "empty-cache", scratch_root / "pip")
    result = empty.run("--version")
    assert result.returncode == 1
    assert "Pants 2.17.1 runs on CPython 3.9, and none was found" in result.stderr
    assert "PANTS_PYTHON=/path/to/python3.9" in result.stderr
    assert "Traceback" not in result.stderr


def test_rejects_a_PANTS_PYTHON_that_is_not_39(scratch_root: Path) -> None:
    other = shutil.which("python3", path=BARE_PATH)
    assert other is not None
    empty = checkout(
        scratch_root, "wrong-python", scratch_root / "empty-cache2", scratch_root / "pip"
    )
    result = empty.run("--version", PANTS_PYTHON=other)
    assert result.returncode == 1
    assert f"PANTS_PYTHON={other} is not a working CPython 3.9 interpreter" in result.stderr


def test_native_client_hands_over_to_the_python_client_when_pantsd_is_off(
    bootstrapped: tuple[Scratch, subprocess.CompletedProcess[str]], scratch_root: Path
) -> None:
    first, _ = bootstrapped
    # The Python client, wrapped to say who started it. The launcher exports _PANTS_SERVER_EXE
    # only when it runs the native client, which execs that path when no pantsd is up.
    (venv,) = (v for v in (first.cache / "venvs").iterdir() if (v / ".ready").exists())
    client = venv / "bin/pants"
    real = client.with_name("pants.real")
    if not real.exists():
        client.rename(real)
        client.write_text(
            f'#!/bin/sh\necho "python client, native=${{_PANTS_SERVER_EXE:+yes}}" >&2\n'
            f'exec "{real}" "$@"\n'
        )
        client.chmod(0o755)
    native = first.run("--version")
    assert native.returncode == 0, native.stderr
    assert "python client, native=yes" in native.stderr
    assert native.stdout.strip().splitlines()[-1] == "2.17.1"
    direct = first.run("--version", PANTS_NO_NATIVE_CLIENT="1")
    assert direct.returncode == 0, direct.stderr
    assert "python client, native=\n" in direct.stderr
