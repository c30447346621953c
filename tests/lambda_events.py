"""The one loader for API Gateway event fixtures (tests/events/*.json)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

EVENTS_DIR = Path(__file__).parent / "events"
EventFactory = Callable[..., dict[str, Any]]


def load_event(name: str, **overrides: Any) -> dict[str, Any]:
    """`load_event("add", body='{"a": 1}')`: events/add.json with top-level fields replaced."""
    event: dict[str, Any] = json.loads((EVENTS_DIR / f"{name}.json").read_text())
    event.update(overrides)
    return event
