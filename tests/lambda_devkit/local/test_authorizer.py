"""`serve`'s JWT authorizer, as the template configures it on every route, its local issuer
and the `token` command."""

from __future__ import annotations

import argparse
import base64
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from lambda_devkit import template as sam
from lambda_devkit.local import main as local_main
from lambda_devkit.local.issuer import AUDIENCE
from lambda_devkit.testing.local_server import (
    BODY_ROUTE,
    DEFAULT_CALLER,
    PATIENCE_S,
    Server,
    cli,
    environment,
    get_json,
    mint,
)

UNAUTHORIZED_BODY = {"message": "Unauthorized"}
HOUR = 3600


def sign(claims: dict[str, Any], key: rsa.RSAPrivateKey | None, kid: str | None) -> str:
    """A token signed by `key` (None: `alg: none`, an empty signature)."""
    headers = {} if kid is None else {"kid": kid}
    if key is not None:
        return jwt.encode(claims, key, algorithm="RS256", headers=headers)
    segments = [{"alg": "none", "typ": "JWT", **headers}, claims]
    encoded = [
        base64.urlsafe_b64encode(json.dumps(s).encode()).rstrip(b"=").decode() for s in segments
    ]
    return ".".join(encoded) + "."


def valid_claims(server: Server) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": server.issuer, "sub": "mallory", "aud": AUDIENCE, "iat": now, "exp": now + HOUR}


def issuer_kid(server: Server) -> str:
    return str(get_json(server.issuer + "/.well-known/jwks.json")["keys"][0]["kid"])


def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def tampered(token: str) -> str:
    """`token` with its payload changed after signing (another subject)."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


# Every route of the template: a route added without the authorizer fails the case below.
ROUTES = sorted(
    f"{event['Properties']['Method'].upper()} {event['Properties']['Path']}"
    for resource in sam.load()["Resources"].values()
    if resource["Type"] == "AWS::Serverless::Function"
    for event in resource["Properties"].get("Events", {}).values()
    if event["Type"] == "HttpApi"
)


# Each case: the Authorization header a client sends, made from the running server.
REFUSED: dict[str, Any] = {
    "no-token": lambda s: None,
    "empty": lambda s: "",
    "bearer-only": lambda s: "Bearer ",
    "not-a-jwt": lambda s: "Bearer not.a.jwt",
    "basic-scheme": lambda s: "Basic dXNlcjpwYXNz",
    "expired": lambda s: "Bearer " + mint(s.issuer, claims={"exp": int(time.time()) - 60}),
    "not-yet-valid": lambda s: "Bearer " + mint(s.issuer, claims={"nbf": int(time.time()) + HOUR}),
    "issued-in-the-future": lambda s: (
        "Bearer " + mint(s.issuer, claims={"iat": int(time.time()) + HOUR})
    ),
    "wrong-issuer": lambda s: "Bearer " + mint(s.issuer, claims={"iss": "https://elsewhere"}),
    "wrong-audience": lambda s: "Bearer " + mint(s.issuer, claims={"aud": "another-api"}),
    "no-audience": lambda s: "Bearer " + mint(s.issuer, claims={"aud": None}),
    "no-expiry": lambda s: "Bearer " + mint(s.issuer, claims={"exp": None}),
    "bad-signature": lambda s: "Bearer " + tampered(s.token()),
    "alg-none": lambda s: "Bearer " + sign(valid_claims(s), None, issuer_kid(s)),
    "another-key-same-kid": lambda s: "Bearer " + sign(valid_claims(s), other_key(), issuer_kid(s)),
    "another-key-own-kid": lambda s: "Bearer " + sign(valid_claims(s), other_key(), "mine"),
    "no-kid": lambda s: "Bearer " + sign(valid_claims(s), other_key(), None),
}


def assert_refused(server: Server, route: str, authorization: str | None) -> None:
    method, path = route.split()
    body = {"a": 1, "b": 2} if method == "POST" else None
    status, headers, document = server.request(
        method, path, body, caller=None, authorization=authorization
    )
    assert (status, document) == (401, UNAUTHORIZED_BODY)
    assert headers["content-type"] == "application/json"
    if authorization:  # a refused token is described; no token at all is not (RFC 6750)
        assert headers["www-authenticate"].startswith('Bearer scope="" error="invalid_token"')
    else:
        assert "www-authenticate" not in {name.lower() for name in headers}


# The authorizer is one piece of code in front of every route: each kind of bad token is
# checked against one route, and one bad token against every route, which together prove what
# their product would.
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_every_kind_of_bad_token_is_refused_as_api_gateway_does(server: Server, case: str) -> None:
    assert_refused(server, str(BODY_ROUTE), REFUSED[case](server))


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_refuses_a_forged_token(server: Server, route: str) -> None:
    # Signed by the issuer, then changed: only a route that verifies signatures refuses it.
    assert_refused(server, route, REFUSED["bad-signature"](server))


@pytest.mark.parametrize(
    "authorization",
    [
        # The identity source may hold the token alone, or after "Bearer " (API Gateway's docs).
        lambda s: s.token(),
        # client_id stands in for a missing aud (Cognito access tokens have no aud).
        lambda s: "Bearer " + mint(s.issuer, claims={"aud": None, "client_id": AUDIENCE}),
        lambda s: "Bearer " + mint(s.issuer, claims={"aud": ["another-api", AUDIENCE]}),
    ],
    ids=["bare-token", "client-id-without-aud", "one-of-several-audiences"],
)
def test_tokens_api_gateway_accepts_are_accepted(server: Server, authorization: Any) -> None:
    status, _, seen = server.request(
        *BODY_ROUTE, {"a": 1}, caller=None, authorization=authorization(server)
    )
    assert (status, seen["authorizer"]["jwt"]["claims"]["sub"]) == (200, DEFAULT_CALLER)


def test_an_allowed_request_carries_the_claims_as_api_gateway_passes_them(server: Server) -> None:
    extra = {"groups": ["admin", "ops"], "email_verified": True, "scope": "read write"}
    token = mint(server.issuer, "alice", claims=extra)
    status, _, seen = server.request(*BODY_ROUTE, {"a": 1}, authorization=f"Bearer {token}")
    assert status == 200
    authorizer = seen["authorizer"]
    payload = jwt.decode(token, options={"verify_signature": False})
    # Every claim a string; arrays space-separated in brackets; scopes null (no route scopes).
    assert authorizer == {
        "jwt": {
            "claims": {
                **{name: str(value) for name, value in payload.items()},
                "groups": "[admin ops]",
                "email_verified": "true",
            },
            "scopes": None,
        }
    }
    assert authorizer["jwt"]["claims"]["sub"] == "alice"
    assert authorizer["jwt"]["claims"]["iss"] == server.issuer


def test_the_issuer_publishes_discovery_and_the_key_its_tokens_verify_with(server: Server) -> None:
    discovery = get_json(server.issuer + "/.well-known/openid-configuration")
    assert discovery["issuer"] == server.issuer
    (published,) = get_json(discovery["jwks_uri"])["keys"]
    token = server.token()
    assert jwt.get_unverified_header(token) == {
        "alg": "RS256",
        "kid": published["kid"],
        "typ": "JWT",
    }
    claims = jwt.decode(
        token,
        jwt.PyJWK(published).key,
        algorithms=["RS256"],
        audience=AUDIENCE,
        issuer=discovery["issuer"],
    )
    assert claims["sub"] == DEFAULT_CALLER


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"sub": ""}', "sub"),
        (b'{"expires_in": -1}', "expires_in"),
        (b'{"expires_in": true}', "expires_in"),
        (b'{"claims": [1]}', "claims"),
        (b'{"subject": "x"}', "subject"),
        (b"[1]", "body"),
        (b"{nope", "body"),
    ],
)
def test_the_token_endpoint_answers_a_bad_request_400_naming_the_field(
    server: Server, body: bytes, field: str
) -> None:
    request = urllib.request.Request(server.issuer + "/token", data=body, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=PATIENCE_S)
    assert refused.value.code == 400
    assert json.loads(refused.value.read())["message"].startswith(f"{field}: ")


def test_the_token_command_prints_a_token_serve_accepts(server: Server, buildroot: Path) -> None:
    completed = subprocess.run(
        cli(buildroot, "token", "--issuer", server.issuer, "--sub", "carol"),
        capture_output=True,
        text=True,
        env=environment(),
        timeout=PATIENCE_S,
    )
    assert completed.returncode == 0, completed.stderr
    token = completed.stdout.strip()
    assert jwt.decode(token, options={"verify_signature": False})["sub"] == "carol"
    status, _, seen = server.request(*BODY_ROUTE, caller=None, authorization=f"Bearer {token}")
    assert (status, seen["authorizer"]["jwt"]["claims"]["sub"]) == (200, "carol")


def test_the_token_command_without_an_issuer_says_how_to_start_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The command in process: its one run as a process of its own is the test above (a
    # process costs the command's imports, seconds, for the same code).
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = local_main.token(argparse.Namespace(issuer=f"http://127.0.0.1:{port}", sub="carol"))
    stdout, stderr = capsys.readouterr()
    assert (code, stdout) == (1, "")
    assert f"no local issuer answers at http://127.0.0.1:{port}" in stderr
    assert "run src/python/lambda_devkit/local/main.py -- serve" in stderr
    assert "Traceback" not in stderr
