"""Idempotency keys: a write a client sends twice with the same `Idempotency-Key` is done once.

A client that retries a write (after a timeout, a 5xx, an answer that never came) sends the
same key with every attempt (the IETF httpapi draft's header). For a route declared with
`writes=True` (lambda_http.declaration), the router (lambda_http.router):

1. refuses a key that is empty, longer than 255 characters or not printable ASCII: a 400;
2. claims the key in the route's idempotency store: one item per caller and key, in progress,
   locked until this invocation's own timeout (after which Lambda has stopped it);
3. when the key is already held: a request with another method, path or body is a 422; the
   same request gets the stored answer again (the same status and body) and writes nothing,
   or, while the first is still in progress, a 409 with `Retry-After`;
4. serves the route. The route's write stores the answer with its record, in one write
   (`Request.completion`, handed to the store); for a route that hands none to its write, the
   router stores the answer once the route returns;
5. gives the key back when the route answers anything but a 200: nothing was written, so a
   client that fixes its request, or retries after a 503, is served afresh.

Keys belong to their caller: the item is found by a hash of the caller and the key together,
so one caller's key never answers another. A lock outlives its request only when Lambda
stopped the invocation; a repeat then retakes the key once the lock has expired. How long an
answer is kept is the store's to say (the calculator keeps it as long as the record).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from lambda_http.budget import Deadline
from lambda_http.declaration import IDEMPOTENCY_KEY, IDEMPOTENCY_KEY_MAX_CHARS
from lambda_http.identity import Caller

HEADER = IDEMPOTENCY_KEY.name


@dataclass(frozen=True)
class Claim:
    """One request's hold on its caller's key, from its claim until it answers."""

    key: str  # the caller and the client's key, hashed: the store's item for them
    fingerprint: str  # the request (method, path, body), hashed: what a repeat must match
    holder: str  # the request id: whose hold it is
    now_ms: int  # when the claim is made (epoch milliseconds)
    lock_until_ms: int  # when the holder's invocation times out


@dataclass(frozen=True)
class Answer:
    """A stored answer: what a repeat of the request gets again."""

    status: int
    body: str


@dataclass(frozen=True)
class Completion:
    """What a write stores with its record: the answer, on the key the claim holds."""

    claim: Claim
    answer: Answer


@dataclass(frozen=True)
class Held:
    """A key another request claimed first: its fingerprint, and its answer once stored."""

    fingerprint: str
    answer: Answer | None


class IdempotencyStore(Protocol):
    """What the router needs of a store to keep idempotency keys. Every call is conditional:
    a hold that was lost (its lock expired and another request took the key) changes nothing.
    A store's own write completes a key by writing `Completion` with its record, on the same
    condition as `complete`."""

    def claim(self, claim: Claim, deadline: Deadline) -> Held | None:
        """Takes the key for `claim.holder` (None) when it is free: never taken, released,
        expired, or held by a request whose lock has expired. Otherwise, what holds it."""
        ...

    def complete(self, completion: Completion, deadline: Deadline) -> None:
        """Stores the answer on the key, if the claim still holds it in progress."""
        ...

    def release(self, claim: Claim, deadline: Deadline) -> None:
        """Frees the key, if the claim still holds it in progress."""
        ...


def key_problem(key: str) -> str | None:
    """Why `key` is not an idempotency key, or None if it is one."""
    if not key:
        return "must not be empty"
    if len(key) > IDEMPOTENCY_KEY_MAX_CHARS:
        return f"must be at most {IDEMPOTENCY_KEY_MAX_CHARS} characters"
    if not all(" " <= c <= "~" for c in key):
        return "must be printable ASCII (space to ~)"
    return None


def _digest(parts: list[Any]) -> str:
    # JSON keeps the parts apart: ["a", "bc"] is not ["ab", "c"].
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def claim_for(
    caller: Caller,
    key: str,
    event: Mapping[str, Any],
    holder: str,
    now_ms: int,
    remaining_ms: int,
) -> Claim:
    """The claim of the request `event` (its method and path as routed, its body as API
    Gateway delivered it) on `caller`'s `key`, locked for the invocation's remaining time."""
    http = (event.get("requestContext") or {}).get("http") or {}
    request = [
        str(http.get("method", "")),
        str(event.get("rawPath", "")),
        bool(event.get("isBase64Encoded")),
        str(event.get("body") or ""),
    ]
    return Claim(
        key=_digest([caller.issuer, caller.subject, key]),
        fingerprint=_digest(request),
        holder=holder,
        now_ms=now_ms,
        lock_until_ms=now_ms + remaining_ms,
    )
