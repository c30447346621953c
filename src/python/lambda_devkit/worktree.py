"""A private copy of the working tree, and its pantsd: what the benchmarks and the documented
steps run Pants in. Standard library only (docs_steps runs without Pants)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from contextlib import suppress
from pathlib import Path


def copy_working_tree(repo: Path, dest: Path) -> None:
    """Tracked and untracked (not ignored) files: the tree as you have it, without dist/ or caches."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=repo,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = repo / os.fsdecode(name)
        if source.is_file():
            target = dest / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def stop_pantsd(clone: Path) -> None:
    for pid_file in clone.glob(".pids/*/pantsd/pid"):
        with suppress(ValueError, ProcessLookupError):
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
