"""Every function fails closed: without the JWT authorizer's claims, a 401 and nothing done."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from calculator.functions.add import handler as add
from calculator.functions.history import handler as history
from calculator.shared.history import HistoryStore
from lambda_devkit import service_spec
from lambda_devkit.testing.events import CALLER, EventFactory, as_caller, without_caller

# Every function the template deploys, a new one included.
MODULES = {f.name: importlib.import_module(f.handler_module) for f in service_spec.functions()}


@pytest.fixture(autouse=True)
def injected_store(store: HistoryStore, monkeypatch: pytest.MonkeyPatch) -> HistoryStore:
    for module in MODULES.values():
        if hasattr(module, "store"):
            monkeypatch.setattr(module, "store", store)
    return store


def claims_of(event: dict[str, Any]) -> dict[str, Any]:
    return dict(event["requestContext"]["authorizer"]["jwt"]["claims"])


def with_claims(event: dict[str, Any], claims: Any) -> dict[str, Any]:
    jwt = {**event["requestContext"]["authorizer"]["jwt"], "claims": claims}
    return {**event, "requestContext": {**event["requestContext"], "authorizer": {"jwt": jwt}}}


UNVERIFIED: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "no authorizer": without_caller,
    "no jwt": lambda e: {**e, "requestContext": {**e["requestContext"], "authorizer": {}}},
    "claims not an object": lambda e: with_claims(e, "sub=alice"),
    "no sub": lambda e: with_claims(e, {k: v for k, v in claims_of(e).items() if k != "sub"}),
    "empty sub": lambda e: as_caller(e, ""),
    "no iss": lambda e: with_claims(e, {k: v for k, v in claims_of(e).items() if k != "iss"}),
    "sub not a string": lambda e: with_claims(e, {**claims_of(e), "sub": 7}),
}


@pytest.mark.parametrize("name", MODULES)
@pytest.mark.parametrize("unverify", UNVERIFIED.values(), ids=UNVERIFIED.keys())
def test_without_a_verified_caller_every_function_answers_401_and_records_nothing(
    api_event: EventFactory,
    lambda_context: LambdaContext,
    injected_store: HistoryStore,
    name: str,
    unverify: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    response = MODULES[name].handler(unverify(api_event(name)), lambda_context)
    assert response["statusCode"] == 401
    assert json.loads(response["body"]) == {"message": "Unauthorized"}
    assert injected_store.recent(CALLER, 10).items == []


def test_an_unrouted_path_without_a_caller_is_401_not_404(
    api_event: EventFactory, lambda_context: LambdaContext
) -> None:
    event = without_caller(api_event("add", rawPath="/nowhere"))
    assert add.handler(event, lambda_context)["statusCode"] == 401


def test_callers_with_the_same_subject_at_different_issuers_do_not_share_history(
    api_event: EventFactory, lambda_context: LambdaContext
) -> None:
    event = as_caller(api_event("add"), CALLER.subject, issuer="https://other.example.com")
    assert add.handler(event, lambda_context)["statusCode"] == 200
    listing = history.handler(api_event("history"), lambda_context)
    assert json.loads(listing["body"]) == {"items": []}
    theirs = as_caller(api_event("history"), CALLER.subject, issuer="https://other.example.com")
    assert len(json.loads(history.handler(theirs, lambda_context)["body"])["items"]) == 1
