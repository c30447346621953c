"""Who is calling: the identity the HTTP API's JWT authorizer verified, read from the event.

API Gateway checks the token (signature, issuer, audience, expiry) before a function runs and
passes its claims in `requestContext.authorizer.jwt.claims`. The functions trust those claims,
never the raw `Authorization` header, and refuse an event without them (fail closed): a route
deployed without the authorizer, or a direct invoke, must not act for an anonymous caller.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class Unauthenticated(Exception):
    """The event carries no verified caller; answered 401, as the authorizer would."""


@dataclass(frozen=True)
class Caller:
    """A caller is an issuer's subject: `sub` alone is unique only within its issuer."""

    issuer: str
    subject: str

    @property
    def key(self) -> str:
        """Stable and opaque: the same caller always, and nothing of the claims readable."""
        # JSON keeps the pair unambiguous ("a\nb", "c" is not "a", "b\nc").
        digest = hashlib.sha256(json.dumps([self.issuer, self.subject]).encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _claims(event: Mapping[str, Any]) -> Mapping[str, Any]:
    node: Any = event
    for name in ("requestContext", "authorizer", "jwt", "claims"):
        node = node.get(name) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


def caller_of(event: Mapping[str, Any]) -> Caller:
    """The verified caller of a payload 2.0 event; Unauthenticated if there is none."""
    claims = _claims(event)
    issuer, subject = claims.get("iss"), claims.get("sub")
    if not (isinstance(issuer, str) and issuer and isinstance(subject, str) and subject):
        raise Unauthenticated("no verified caller: the request has no JWT authorizer claims")
    return Caller(issuer=issuer, subject=subject)
