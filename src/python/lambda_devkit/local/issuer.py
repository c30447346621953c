"""A local OpenID Connect-style token issuer on loopback: discovery, JWKS and a token endpoint.

The RSA key pair is generated when the issuer starts and lives in memory only: a restart
invalidates every token it handed out, as rotating a real issuer's keys would.

    GET  /.well-known/openid-configuration   issuer, jwks_uri, token_endpoint (OIDC discovery)
    GET  /.well-known/jwks.json              the public key, as a JSON Web Key Set
    POST /token                              a signed RS256 access token; answers loopback only

A token request's body is optional JSON: `{"sub": "alice", "expires_in": 3600, "claims": {...}}`
where `claims` adds to, overrides or (with null) removes the token's claims: an expired or
foreign-issuer token, for testing what a client does with a 401.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import sys
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ALGORITHM = "RS256"
# The audience local tokens are issued for; the local authorizer accepts this one in place of
# the template's JwtAudience (as the local issuer replaces JwtIssuer).
AUDIENCE = "local-api"
DEFAULT_SUBJECT = "local-user"
DEFAULT_LIFETIME_S = 3600
DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/.well-known/jwks.json"
TOKEN_PATH = "/token"
MAX_BODY_BYTES = 64 * 1024
# How often the server threads look for a stop: serve's SIGTERM is answered in milliseconds,
# not in serve_forever's default half second per server.
POLL_S = 0.05


class TokenRequestError(ValueError):
    """A token request the issuer refuses: the message says which field and why."""


class LocalIssuer:
    """An RSA key pair made at start, and the tokens it signs for `url` (set once serving)."""

    def __init__(self, url: str = "") -> None:
        self.url = url
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_urlsafe(12)

    def jwks(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": ALGORITHM}]}

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "jwks_uri": self.url + JWKS_PATH,
            "token_endpoint": self.url + TOKEN_PATH,
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "token_endpoint_auth_methods_supported": ["none"],
        }

    def mint(
        self,
        subject: str = DEFAULT_SUBJECT,
        lifetime_s: int = DEFAULT_LIFETIME_S,
        claims: Mapping[str, Any] | None = None,
    ) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.url,
            "sub": subject,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + lifetime_s,
            "jti": secrets.token_urlsafe(12),
            "token_use": "access",
        }
        payload.update(claims or {})
        payload = {name: value for name, value in payload.items() if value is not None}
        return jwt.encode(payload, self._key, algorithm=ALGORITHM, headers={"kid": self.kid})

    def mint_from_request(self, body: bytes) -> dict[str, Any]:
        """The token endpoint's answer to `body` (see the module docstring)."""
        try:
            request = json.loads(body) if body.strip() else {}
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise TokenRequestError(f"body: not JSON ({error})") from None
        if not isinstance(request, dict):
            raise TokenRequestError("body: must be a JSON object")
        unknown = sorted(set(request) - {"sub", "expires_in", "claims"})
        if unknown:
            raise TokenRequestError(f"{unknown[0]}: unknown field (sub, expires_in, claims)")
        subject = request.get("sub", DEFAULT_SUBJECT)
        if not isinstance(subject, str) or not subject:
            raise TokenRequestError("sub: must be a non-empty string")
        lifetime = request.get("expires_in", DEFAULT_LIFETIME_S)
        if isinstance(lifetime, bool) or not isinstance(lifetime, int) or lifetime <= 0:
            raise TokenRequestError("expires_in: must be a positive whole number of seconds")
        claims = request.get("claims", {})
        if not isinstance(claims, dict):
            raise TokenRequestError("claims: must be a JSON object")
        return {
            "access_token": self.mint(subject, lifetime, claims),
            "token_type": "Bearer",
            "expires_in": lifetime,
        }


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _handler(issuer: LocalIssuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == DISCOVERY_PATH:
                self._json(200, issuer.discovery())
            elif path == JWKS_PATH:
                self._json(200, issuer.jwks())
            else:
                self._json(404, {"message": "Not Found"})

        def do_POST(self) -> None:
            if self.path.split("?", 1)[0] != TOKEN_PATH:
                self._json(404, {"message": "Not Found"})
                return
            # Bound to 127.0.0.1 already; refusing anything else keeps that true if it changes.
            if not _is_loopback(self.client_address[0]):
                self._json(403, {"message": "Forbidden: tokens are minted for loopback only"})
                return
            length = self.headers.get("Content-Length", "0").strip()
            if not length.isdigit() or int(length) > MAX_BODY_BYTES:
                self.close_connection = True
                self._json(400, {"message": f"Content-Length: {length!r} is not accepted"})
                return
            try:
                answer = issuer.mint_from_request(self.rfile.read(int(length)))
            except TokenRequestError as error:
                self._json(400, {"message": str(error)})
                return
            self._json(200, answer)

        def _json(self, status: int, document: Mapping[str, Any]) -> None:
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            print(f"[issuer] {self.address_string()} {format % args}", file=sys.stderr)

    return Handler


class IssuerServer:
    """The issuer's HTTP server on 127.0.0.1:`port` (0: any free port), in a thread."""

    def __init__(self, port: int) -> None:
        self.issuer = LocalIssuer()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self.issuer))
        self._server.daemon_threads = True
        self.issuer.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": POLL_S}, daemon=True
        )

    @property
    def url(self) -> str:
        return self.issuer.url

    def __enter__(self) -> IssuerServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
