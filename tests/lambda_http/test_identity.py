"""The caller as the JWT authorizer's claims name it: read strictly, keyed stably."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_http.identity import Caller, Unauthenticated, caller_of


def event_with(claims: Any) -> dict[str, Any]:
    return {"requestContext": {"authorizer": {"jwt": {"claims": claims, "scopes": None}}}}


def test_the_caller_is_the_issuer_and_subject_of_the_claims() -> None:
    claims = {"iss": "https://issuer.example.com", "sub": "alice", "aud": "api"}
    assert caller_of(event_with(claims)) == Caller("https://issuer.example.com", "alice")


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"requestContext": None},
        {"requestContext": {"authorizer": {"lambda": {"sub": "alice"}}}},
        event_with(None),
        event_with(["iss", "sub"]),
        event_with({"sub": "alice"}),
        event_with({"iss": "https://issuer.example.com"}),
        event_with({"iss": "https://issuer.example.com", "sub": ""}),
        event_with({"iss": "", "sub": "alice"}),
        event_with({"iss": "https://issuer.example.com", "sub": ["alice"]}),
    ],
)
def test_anything_short_of_an_issuer_and_a_subject_is_unauthenticated(event: Any) -> None:
    with pytest.raises(Unauthenticated):
        caller_of(event)


def test_keys_are_stable_opaque_and_tell_callers_apart() -> None:
    alice = Caller("https://issuer.example.com", "alice")
    assert alice.key == Caller("https://issuer.example.com", "alice").key
    assert "alice" not in alice.key and "issuer" not in alice.key
    others = [
        Caller("https://issuer.example.com", "bob"),
        Caller("https://other.example.com", "alice"),
        # The pair is encoded unambiguously: moving text across the boundary is another caller.
        Caller("https://issuer.example.com\nalice", ""),
        Caller("https://issuer.example.co", "m\nalice"),
    ]
    assert len({alice.key, *(caller.key for caller in others)}) == 1 + len(others)
    assert alice.key.isascii() and "=" not in alice.key and len(alice.key) == 43
