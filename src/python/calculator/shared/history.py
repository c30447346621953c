"""Calculation history in DynamoDB, through botocore.

Table layout: one partition per caller (`pk = "caller#<Caller.key>"`), sorted by
`sk = "<epoch ms>#<id>"`, so a single Query reads a caller's most recent first and nobody
else's, and load spreads over as many partitions as there are callers. Numbers are stored as
strings: DynamoDB's number type keeps only 38 digits, and ours may have up to a thousand. Each
item carries `expires_at` (epoch seconds), the table's TTL attribute: DynamoDB deletes it, at no
write cost, some time after the retention period (HISTORY_RETENTION_DAYS).

The store also keeps the idempotency keys of the routes that write (lambda_http.idempotency),
in the same table, each in a partition of its own (`pk = "idempotency#<Claim.key>"`, `sk =
"key"`), so that a caller's history Query never reads one. The item holds `state` (IN_PROGRESS
or COMPLETED), `holder` (the request id), `lock_until` (epoch ms), `fingerprint` and, once
completed, the answer's `status` and `body`. A calculation sent with a key is written in one
transaction with its key's answer, on the condition that the request still holds the key. A key
is kept as long as the record it wrote (HISTORY_RETENTION_DAYS from its claim), and an expired
key is free whether or not DynamoDB has deleted it yet.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, cast

import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    EndpointConnectionError,
    HTTPClientError,
)
from botocore.loaders import Loader

from calculator.shared.arithmetic import Operation
from calculator.shared.models import Calculation
from calculator.shared.numbers import parse_exact
from lambda_http import snapstart
from lambda_http.budget import FULL_ATTEMPT, Deadline, Timeouts
from lambda_http.errors import InvalidInput, Unavailable
from lambda_http.idempotency import Answer, Claim, Completion, Held
from lambda_http.identity import Caller

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TABLE_NAME_ENV = "HISTORY_TABLE_NAME"
RETENTION_DAYS_ENV = "HISTORY_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 90
# The table's TimeToLiveSpecification names this attribute (infra/template.yaml).
EXPIRES_AT = "expires_at"
SECONDS_PER_DAY = 86_400
# Retries are ours, not botocore's: botocore's standard mode knows nothing of the invocation's
# deadline. Ours retry what it retries (throttling, 5xx, connection failures and timeouts), with
# exponential backoff and full jitter, within lambda_http.budget.
MAX_ATTEMPTS = 3
BACKOFF_BASE_S = 0.1
RETRIED_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "ThrottlingException",
        "Throttling",
        "InternalServerError",
        "ServiceUnavailable",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
# Each client has fixed timeouts (botocore has no per-call ones), so a few are kept, by timeouts.
MAX_CLIENTS = 4
ClientFactory = Callable[[Config], "DynamoDBClient"]


def client_config(timeouts: Timeouts) -> Config:
    return Config(
        retries={"total_max_attempts": 1},
        connect_timeout=timeouts.connect_s,
        read_timeout=timeouts.read_s,
    )


class HistoryUnavailable(Unavailable):
    """The store could not be written or read, even after retries, within the time budget."""

    answer = "History is unavailable; nothing was recorded. Try again shortly."


class InvalidCursor(InvalidInput):
    """A `cursor` that this service did not hand out."""

    field = "cursor"


NOT_A_CURSOR = "is not a cursor this service returned"
OTHER_CALLERS_CURSOR = "was returned to another caller; page with your own cursors"
# How much of Caller.key a cursor carries: enough to tell callers apart, so that another
# caller's cursor is refused rather than read as a position in this caller's history.
CURSOR_TAG_CHARS = 16


@dataclass(frozen=True)
class Page:
    items: list[Calculation]
    next_cursor: str | None


def _partition(caller: Caller) -> str:
    return f"caller#{caller.key}"


def _sort_key(epoch_ms: int, calculation_id: str) -> str:
    return f"{epoch_ms:013d}#{calculation_id}"


IN_PROGRESS = "IN_PROGRESS"
COMPLETED = "COMPLETED"
# Free to claim: never taken, expired (DynamoDB deletes expired items late), released (lock 0)
# or locked by an invocation that has timed out.
CLAIMABLE = (
    "attribute_not_exists(pk) OR expires_at < :now_s "
    "OR (#state = :in_progress AND lock_until < :now_ms)"
)
# Still this request's: completing and releasing change nothing once it has lost the key.
STILL_HELD = "#state = :in_progress AND holder = :holder"


def _key_item_key(claim: Claim) -> dict[str, Any]:
    return {"pk": {"S": f"idempotency#{claim.key}"}, "sk": {"S": "key"}}


# A sort key this service writes: 13-digit epoch milliseconds, "#", the request id (printable
# ASCII). Only such a key may reach DynamoDB as a start key: anything else (empty, too long,
# another shape) would make it answer ValidationException, a client's mistake.
SORT_KEY = re.compile(r"[0-9]{13}#[!-~]{1,128}")
MAX_CURSOR_CHARS = 256


def encode_cursor(caller: Caller, sort_key: str) -> str:
    """`[caller tag, sort key]` as URL-safe base64 JSON: opaque to clients, bound to `caller`."""
    position = json.dumps([caller.key[:CURSOR_TAG_CHARS], sort_key], separators=(",", ":"))
    return base64.urlsafe_b64encode(position.encode()).decode()


def _decode_cursor(caller: Caller, cursor: str) -> dict[str, Any]:
    if len(cursor) > MAX_CURSOR_CHARS:
        raise InvalidCursor(NOT_A_CURSOR)
    try:
        position = json.loads(base64.b64decode(cursor, altchars=b"-_", validate=True))
    except (binascii.Error, ValueError):  # UnicodeDecodeError and JSONDecodeError included
        raise InvalidCursor(NOT_A_CURSOR) from None
    match position:
        case [str(tag), str(sort_key)] if SORT_KEY.fullmatch(sort_key):
            pass
        case _:
            raise InvalidCursor(NOT_A_CURSOR)
    if tag != caller.key[:CURSOR_TAG_CHARS]:
        raise InvalidCursor(OTHER_CALLERS_CURSOR)
    return {"pk": {"S": _partition(caller)}, "sk": {"S": sort_key}}


def retention_days_from(environ: Mapping[str, str]) -> int:
    """HISTORY_RETENTION_DAYS: a whole number of days, at least 1 (default 90)."""
    text = environ.get(RETENTION_DAYS_ENV, str(DEFAULT_RETENTION_DAYS))
    if not (text.isascii() and text.isdigit() and int(text) >= 1):
        raise RuntimeError(f"{RETENTION_DAYS_ENV}={text!r}: expected a whole number of days >= 1")
    return int(text)


class KnownServicesLoader(Loader):
    """botocore's data loader, told which services exist instead of finding out.

    Before creating a client, botocore checks the service's name against every service it
    ships: it lists and stats the ~445 directories of its data, twice (the service model and
    its endpoint rules), ~18 ms of every cold start for a list we know. A client for any other
    service from this session fails with botocore's own UnknownServiceError.
    """

    SERVICES = ("dynamodb",)

    def __init__(self, search_paths: list[str]) -> None:
        super().__init__(extra_search_paths=list(search_paths), include_default_search_paths=False)

    def list_available_services(self, type_name: str) -> list[str]:
        return list(self.SERVICES)


def botocore_session() -> botocore.session.Session:
    """A session whose data loader knows our services (KnownServicesLoader), else botocore's."""
    session = botocore.session.get_session()
    loader = session.get_component("data_loader")
    session.register_component("data_loader", KnownServicesLoader(loader.search_paths))
    return session


class HistoryStore:
    """Records calculations exactly once and lists them newest first."""

    def __init__(
        self,
        clients: ClientFactory,
        table_name: str,
        retention_days: int = DEFAULT_RETENTION_DAYS,
    ) -> None:
        self._make_client = clients
        self._clients: dict[Timeouts, DynamoDBClient] = {}
        self._table = table_name
        self._retention_s = retention_days * SECONDS_PER_DAY
        self._client(FULL_ATTEMPT)  # the one a healthy store needs: made now, at init

    @classmethod
    def from_environment(cls) -> HistoryStore:
        """Clients per container; endpoint and region come from the standard AWS settings."""
        table_name = os.environ.get(TABLE_NAME_ENV)
        if not table_name:
            raise RuntimeError(f"{TABLE_NAME_ENV} is not set: the function cannot find its table")
        # botocore, not boto3: a client is all we need, and `import boto3` also imports
        # s3transfer (docs/decisions/0003). One session, so later clients (other timeouts)
        # reuse the service model it has loaded.
        session = botocore_session()

        def make_client(config: Config) -> DynamoDBClient:
            # botocore's stubs type every client as BaseClient; this one is DynamoDB's.
            return cast("DynamoDBClient", session.create_client("dynamodb", config=config))

        store = cls(make_client, table_name, retention_days_from(os.environ))
        snapstart.survive_snapshots(store)
        return store

    def close(self) -> None:
        """Closes every client's connections; each reconnects on its next call."""
        for client in self._clients.values():
            client.close()

    def _client(self, timeouts: Timeouts) -> DynamoDBClient:
        client = self._clients.get(timeouts)
        if client is None:
            if len(self._clients) >= MAX_CLIENTS:
                # The oldest shortened one goes; the full-attempt client (first) stays.
                oldest = next(k for k in self._clients if k != FULL_ATTEMPT)
                self._clients.pop(oldest).close()
            client = self._clients[timeouts] = self._make_client(client_config(timeouts))
        return client

    def _call(self, operation: str, deadline: Deadline | None, **request: Any) -> Any:
        """One DynamoDB operation, retried while the budget allows; ClientError if refused."""
        deadline = deadline or Deadline.unbounded()
        failure: Exception | None = None
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                deadline.pause(random.uniform(0, BACKOFF_BASE_S * 2**attempt))
            timeouts = deadline.next_attempt()
            if timeouts is None:
                break
            try:
                return getattr(self._client(timeouts), operation)(**request)
            except ClientError as error:
                status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                if _error_code(error) not in RETRIED_CODES and status < 500:
                    raise
                failure = error
            except (EndpointConnectionError, ConnectionError, HTTPClientError) as error:
                failure = error  # refused, reset, timed out: worth another attempt
            except BotoCoreError as error:
                raise HistoryUnavailable(str(error)) from error
        raise HistoryUnavailable(f"{operation}: {failure or 'no time left for an attempt'}")

    def _expires_at(self, epoch_ms: int) -> dict[str, str]:
        return {"N": str(epoch_ms // 1000 + self._retention_s)}

    def _key_item(self, claim: Claim, state: str, lock_until_ms: int) -> dict[str, Any]:
        return {
            **_key_item_key(claim),
            EXPIRES_AT: self._expires_at(claim.now_ms),
            "state": {"S": state},
            "holder": {"S": claim.holder},
            "lock_until": {"N": str(lock_until_ms)},
            "fingerprint": {"S": claim.fingerprint},
        }

    def _completed_item(self, completion: Completion) -> dict[str, Any]:
        return {
            **self._key_item(completion.claim, COMPLETED, 0),
            "status": {"N": str(completion.answer.status)},
            "body": {"S": completion.answer.body},
        }

    def _held_condition(self, claim: Claim) -> dict[str, Any]:
        return {
            "ConditionExpression": STILL_HELD,
            "ExpressionAttributeNames": {"#state": "state"},
            "ExpressionAttributeValues": {
                ":in_progress": {"S": IN_PROGRESS},
                ":holder": {"S": claim.holder},
            },
        }

    def claim(self, claim: Claim, deadline: Deadline | None = None) -> Held | None:
        """Takes the key (None) or says what holds it, in one conditional put: the item
        already there comes back with the refusal (ReturnValuesOnConditionCheckFailure)."""
        item = self._key_item(claim, IN_PROGRESS, claim.lock_until_ms)
        try:
            self._call(
                "put_item",
                deadline,
                TableName=self._table,
                Item=item,
                ConditionExpression=CLAIMABLE,
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":in_progress": {"S": IN_PROGRESS},
                    ":now_s": {"N": str(claim.now_ms // 1000)},
                    ":now_ms": {"N": str(claim.now_ms)},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if _error_code(error) != "ConditionalCheckFailedException":
                _refused(error)
            held: dict[str, Any] = cast(dict[str, Any], error.response).get("Item", {})
            if held.get("holder", {}).get("S") == claim.holder:
                return None  # taken by an earlier attempt of this same put
            return _held(held)
        return None

    def complete(self, completion: Completion, deadline: Deadline | None = None) -> None:
        """Stores the answer on the key, if the request still holds it."""
        self._put_while_held(self._completed_item(completion), completion.claim, deadline)

    def release(self, claim: Claim, deadline: Deadline | None = None) -> None:
        """Frees the key (its lock set to 0), if the request still holds it in progress."""
        self._put_while_held(self._key_item(claim, IN_PROGRESS, 0), claim, deadline)

    def _put_while_held(
        self, item: dict[str, Any], claim: Claim, deadline: Deadline | None
    ) -> None:
        """Puts the key's `item` if `claim` still holds it in progress; nothing otherwise."""
        try:
            self._call(
                "put_item",
                deadline,
                TableName=self._table,
                Item=item,
                **self._held_condition(claim),
            )
        except ClientError as error:
            if _error_code(error) != "ConditionalCheckFailedException":
                _refused(error)

    def record(
        self,
        caller: Caller,
        calculation: Calculation,
        epoch_ms: int,
        deadline: Deadline | None = None,
        completion: Completion | None = None,
    ) -> None:
        """Writes the calculation once; with `completion`, in one transaction with the answer
        on the request's idempotency key (HistoryUnavailable, and nothing written, if the
        request no longer holds the key)."""
        item = {
            "pk": {"S": _partition(caller)},
            "sk": {"S": _sort_key(epoch_ms, calculation.id)},
            EXPIRES_AT: self._expires_at(epoch_ms),
            "id": {"S": calculation.id},
            "operation": {"S": calculation.operation.value},
            "a": {"S": str(calculation.a)},
            "b": {"S": str(calculation.b)},
            "result": {"S": str(calculation.result)},
            "timestamp": {"S": calculation.timestamp},
        }
        if completion is not None:
            self._record_with(item, completion, deadline)
            return
        try:
            # The condition makes a retry of a put that did land (its answer lost) harmless.
            self._call(
                "put_item",
                deadline,
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(sk)",
            )
        except ClientError as error:
            if _error_code(error) == "ConditionalCheckFailedException":
                return  # already recorded by an earlier attempt of this same request
            _refused(error)

    def _record_with(
        self, item: dict[str, Any], completion: Completion, deadline: Deadline | None
    ) -> None:
        """The record and the answer on its key, in one transaction."""
        try:
            self._call(
                "transact_write_items",
                deadline,
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": item,
                            "ConditionExpression": "attribute_not_exists(sk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": self._completed_item(completion),
                            **self._held_condition(completion.claim),
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        }
                    },
                ],
            )
        except ClientError as error:
            if _error_code(error) != "TransactionCanceledException":
                _refused(error)
            reasons = cast(dict[str, Any], error.response).get("CancellationReasons", [])
            key_now = reasons[1].get("Item", {}) if len(reasons) == 2 else {}
            if key_now.get("holder", {}).get("S") == completion.claim.holder and (
                key_now.get("state", {}).get("S") == COMPLETED
            ):
                return  # written by an earlier attempt of this same transaction
            raise HistoryUnavailable(f"idempotency key lost before the write: {error}") from error

    def recent(
        self,
        caller: Caller,
        limit: int,
        cursor: str | None = None,
        deadline: Deadline | None = None,
    ) -> Page:
        """`caller`'s calculations, newest first; a cursor only ever pages `caller`'s own."""
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": _partition(caller)}},
            "ScanIndexForward": False,
            # One more than asked tells whether a next page exists.
            "Limit": limit + 1,
        }
        if cursor is not None:
            query["ExclusiveStartKey"] = _decode_cursor(caller, cursor)
        try:
            response = self._call("query", deadline, **query)
        except ClientError as error:
            if cursor is not None and _error_code(error) == "ValidationException":
                # The cursor is the only part of the query a client controls.
                raise InvalidCursor(NOT_A_CURSOR) from error
            _refused(error)
        items = response.get("Items", [])
        page, more = items[:limit], len(items) > limit
        return Page(
            items=[_to_calculation(item) for item in page],
            next_cursor=encode_cursor(caller, page[-1]["sk"]["S"]) if more else None,
        )


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _refused(error: ClientError) -> NoReturn:
    """A request DynamoDB refused: our bug (left to the 500 handler), or the store unusable."""
    if _error_code(error) == "ValidationException":
        # Not a fault to retry later: the same request would be refused again, so a 503 with
        # Retry-After would have clients retry it forever.
        raise error
    raise HistoryUnavailable(str(error)) from error


def _held(item: dict[str, Any]) -> Held:
    answer = None
    if item.get("state", {}).get("S") == COMPLETED:
        answer = Answer(int(item["status"]["N"]), item["body"]["S"])
    return Held(item.get("fingerprint", {}).get("S", ""), answer)


def _to_calculation(item: dict[str, Any]) -> Calculation:
    return Calculation(
        id=item["id"]["S"],
        operation=Operation(item["operation"]["S"]),
        a=parse_exact(item["a"]["S"]),
        b=parse_exact(item["b"]["S"]),
        result=parse_exact(item["result"]["S"]),
        timestamp=item["timestamp"]["S"],
    )
