"""What the template's HTTP API does before a function runs: its JWT authorizer and throttling.

Both are read from `HttpApi.Properties` (`Auth`, `DefaultRouteSettings`), with parameters at
their defaults; locally the issuer and audience are the local issuer's (src/python/lambda_devkit/local/issuer.py).
The authorizer follows API Gateway's documented workflow for JWT authorizers: the token from
the identity source (bare or after `Bearer `), its `kid` found in the issuer's JWKS (fetched
through OIDC discovery, as API Gateway does), an RSA signature (RS256, what the issuer's key
declares), then `iss`, `aud` (or `client_id` when there is no `aud`), `exp`, `nbf` and `iat`.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt

from lambda_devkit.local.issuer import AUDIENCE
from lambda_devkit.template import Unresolvable, parameter_values, resolve

# API Gateway's answers of its own, byte for byte as lambda_emulator.http_api.message writes them.
UNAUTHORIZED = "Unauthorized"
TOO_MANY_REQUESTS = "Too Many Requests"
IDENTITY_HEADER_PREFIX = "$request.header."
DEFAULT_IDENTITY_SOURCE = "$request.header.Authorization"  # SAM's default for a JWT authorizer


class TemplateNotEmulated(Unresolvable):
    """A template setting `serve` cannot reproduce faithfully: refused, never ignored."""


def resolved(template: Mapping[str, Any], value: Any) -> Any:
    """`value` as a deploy with every parameter at its default would have it."""
    return resolve(template, value, parameter_values(template))


# --- Throttling


@dataclass
class TokenBucket:
    """API Gateway's throttling: `burst` requests at once, refilled at `rate` a second."""

    rate: float
    burst: int
    tokens: float = field(init=False)
    updated: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


@dataclass(frozen=True)
class Throttling:
    rate: float
    burst: int


def route_throttling(template: Mapping[str, Any]) -> Throttling | None:
    """`HttpApi.Properties.DefaultRouteSettings`' limits, or None when it sets none."""
    settings = _http_api(template).get("DefaultRouteSettings") or {}
    rate = resolved(template, settings.get("ThrottlingRateLimit"))
    burst = resolved(template, settings.get("ThrottlingBurstLimit"))
    if rate is None and burst is None:
        return None
    if rate is None or burst is None:
        raise TemplateNotEmulated("DefaultRouteSettings: set both ThrottlingRateLimit and -Burst")
    return Throttling(float(rate), int(burst))


class Throttle:
    """One bucket per route, as a stage's default route settings limit each route on its own."""

    def __init__(self, limits: Throttling | None) -> None:
        self.limits = limits
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def admit(self, route_key: str) -> bool:
        if self.limits is None:
            return True
        with self._lock:
            bucket = self._buckets.get(route_key)
            if bucket is None:
                bucket = TokenBucket(self.limits.rate, self.limits.burst)
                self._buckets[route_key] = bucket
        return bucket.take()


# --- The JWT authorizer


@dataclass(frozen=True)
class AuthorizerConfig:
    """Which routes (METHOD, /path) need a token, and which request header carries it."""

    header: str  # lower case
    routes: frozenset[tuple[str, str]]


def _http_api(template: Mapping[str, Any]) -> Mapping[str, Any]:
    return dict(template["Resources"]["HttpApi"].get("Properties") or {})


def authorizer_config(template: Mapping[str, Any]) -> AuthorizerConfig | None:
    """The routes the HTTP API's JWT authorizer guards; None when it has no authorizer."""
    auth = _http_api(template).get("Auth") or {}
    authorizers = auth.get("Authorizers") or {}
    default = auth.get("DefaultAuthorizer")
    headers: set[str] = set()
    routes: set[tuple[str, str]] = set()
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event in (resource["Properties"].get("Events") or {}).values():
            if event["Type"] != "HttpApi":
                continue
            properties = event["Properties"]
            route_auth = properties.get("Auth") or {}
            chosen = route_auth.get("Authorizer", default)
            if chosen is None or chosen == "NONE":
                continue
            if route_auth.get("AuthorizationScopes"):
                raise TemplateNotEmulated(f"{name}: AuthorizationScopes are not emulated locally")
            spec = authorizers.get(chosen)
            if spec is None or "JwtConfiguration" not in spec:
                raise TemplateNotEmulated(f"{name}: authorizer {chosen!r} is not a JWT authorizer")
            source = spec.get("IdentitySource", DEFAULT_IDENTITY_SOURCE)
            if not (isinstance(source, str) and source.startswith(IDENTITY_HEADER_PREFIX)):
                raise TemplateNotEmulated(f"{chosen}: identity source {source!r} is not emulated")
            headers.add(source.removeprefix(IDENTITY_HEADER_PREFIX).lower())
            routes.add((str(properties["Method"]).upper(), str(properties["Path"])))
    if not routes:
        return None
    if len(headers) != 1:
        raise TemplateNotEmulated(f"authorizers read different headers {sorted(headers)}")
    return AuthorizerConfig(headers.pop(), frozenset(routes))


NO_TOKEN = "no token in the identity source"


class Denied(Exception):
    """A request the authorizer refuses; `description` says why (for www-authenticate)."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


def www_authenticate(denied: Denied) -> str | None:
    """The header API Gateway sends with a JWT authorizer's 401 (the shape its troubleshooting
    guide shows), for a token it refused; none when there was no token (RFC 6750, 3.1)."""
    if denied.description == NO_TOKEN:
        return None
    return f'Bearer scope="" error="invalid_token" error_description="{denied.description}"'


class JwtAuthorizer:
    """Validates bearer tokens against one issuer and audience, with its JWKS fetched once."""

    def __init__(self, issuer: str, audiences: tuple[str, ...]) -> None:
        self.issuer = issuer
        self.audiences = audiences
        self._lock = threading.Lock()
        self._jwks: jwt.PyJWKClient | None = None

    def _keys(self) -> jwt.PyJWKClient:
        with self._lock:
            if self._jwks is None:
                discovery_url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
                with urllib.request.urlopen(discovery_url, timeout=10) as response:
                    discovery = json.loads(response.read())
                self._jwks = jwt.PyJWKClient(discovery["jwks_uri"], cache_keys=True)
            return self._jwks

    def claims(self, authorization: str | None) -> dict[str, Any]:
        """The token's claims, or Denied saying why it is refused."""
        if not authorization or not authorization.strip():
            raise Denied(NO_TOKEN)
        token = authorization.strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise Denied("the token is not a valid JWT") from None
        if not header.get("kid"):
            raise Denied("the token has no kid")
        try:
            key = self._keys().get_signing_key(str(header["kid"]))
        except jwt.PyJWKClientError:
            raise Denied("no key in the issuer's JWKS matches the token's kid") from None
        # Only the algorithm the issuer's key declares (RS256): never `none`, never an HMAC
        # keyed with the public key.
        algorithm = key.algorithm_name
        if header.get("alg") != algorithm:
            raise Denied(f"the token's algorithm is not {algorithm}")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                issuer=self.issuer,
                options={"require": ["exp", "iss"], "verify_aud": False},
            )
        except jwt.InvalidSignatureError:
            raise Denied("the token's signature is invalid") from None
        except jwt.ExpiredSignatureError:
            raise Denied("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise Denied("the token is not valid yet") from None
        except jwt.InvalidIssuerError:
            raise Denied("the token does not have a valid issuer") from None
        except jwt.InvalidTokenError as error:
            raise Denied(f"the token is invalid: {error}") from None
        now = time.time()
        for claim in ("nbf", "iat"):
            if claim in claims and not (
                isinstance(claims[claim], int | float) and claims[claim] <= now
            ):
                raise Denied(f"the token's {claim} is not before the current time")
        # API Gateway checks client_id only when there is no aud.
        audience = claims["aud"] if "aud" in claims else claims.get("client_id")
        offered = audience if isinstance(audience, list) else [audience]
        if not any(isinstance(a, str) and a in self.audiences for a in offered):
            raise Denied("the token does not have a valid audience")
        return claims


class Gateway:
    """The HTTP API's checks before a route's function runs, in API Gateway's order."""

    def __init__(
        self, template: Mapping[str, Any], issuer_url: str, throttling: Throttling | None
    ) -> None:
        self.auth = authorizer_config(template)
        self.authorizer = JwtAuthorizer(issuer_url, (AUDIENCE,))
        self.throttle = Throttle(throttling)

    def guards(self, method: str, path: str) -> bool:
        return self.auth is not None and (method.upper(), path) in self.auth.routes
