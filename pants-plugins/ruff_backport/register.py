"""Pants backend `ruff_backport`: upstream's ruff `check` and `format` backends in one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ruff_backport import rules as ruff_rules
from ruff_backport import subsystem


def rules() -> Iterable[Any]:
    """Rules of both upstream backends, plus the `skip_ruff_check`/`skip_ruff_format` fields."""
    return (*ruff_rules.rules(), *subsystem.rules())
