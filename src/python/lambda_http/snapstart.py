"""Lambda SnapStart: what must happen around a snapshot, and nothing where there is none.

With SnapStart (template parameter `SnapStart`), Lambda runs init once per published
version, snapshots the execution environment and starts later environments by restoring
copies of it. The runtime interface client calls the hooks registered with
`snapshot_restore_py` before the snapshot and after each restore; that module ships in
Lambda's python3.12+ runtimes, not in our layers. Where it is absent (tests, local tools)
registering does nothing, and where it is present but SnapStart is off the hooks never run.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from typing import Any, Protocol

Hook = Callable[[], object]


class Closable(Protocol):
    def close(self) -> None: ...


def _runtime_hooks() -> Any:
    try:
        return importlib.import_module("snapshot_restore_py")
    except ImportError:
        return None


def register(before_snapshot: Hook | None = None, after_restore: Hook | None = None) -> None:
    """Runs `before_snapshot` before Lambda takes the snapshot, `after_restore` in each copy."""
    hooks = _runtime_hooks()
    if hooks is None:
        return
    if before_snapshot is not None:
        hooks.register_before_snapshot(before_snapshot)
    if after_restore is not None:
        hooks.register_after_restore(after_restore)


def survive_snapshots(client: Closable) -> None:
    """For an AWS client created at init, which every restored copy goes on using.

    No socket opened before the snapshot may be shared by the copies restored from it, so the
    client's connections are closed first (it reconnects on its next call). And every copy
    starts with the same `random` state, which botocore's retry jitter draws from: reseeded
    from the OS in each copy, so throttled copies do not retry in lockstep. Credentials need
    nothing: under SnapStart Lambda serves them from its container credentials endpoint, which
    botocore reads (and refreshes) instead of environment variables.
    """
    register(before_snapshot=client.close, after_restore=random.seed)
