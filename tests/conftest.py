"""Fixtures shared by every test."""

from __future__ import annotations

import pytest

from lambda_events import EventFactory, load_event


@pytest.fixture
def api_event() -> EventFactory:
    """Loads an API Gateway event fixture; see lambda_events.load_event."""
    return load_event
