"""Calculation history in DynamoDB, through botocore.

Table layout: one partition (`pk = "calculations"`) sorted by `sk = "<epoch ms>#<id>"`, so a
single Query reads the most recent first. Numbers are stored as strings: DynamoDB's number
type keeps only 38 digits, and ours may have up to a thousand.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from calculator.shared import snapstart
from calculator.shared.arithmetic import Operation
from calculator.shared.models import Calculation
from calculator.shared.numbers import parse_exact

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TABLE_NAME_ENV = "HISTORY_TABLE_NAME"
PARTITION = "calculations"
# Standard retry mode: exponential backoff with jitter, throttling and 5xx retried. Short
# timeouts: an API Gateway request has 30 s, and a slow store must become a 503, not a 504.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},
    connect_timeout=2,
    read_timeout=5,
)


class HistoryUnavailable(Exception):
    """The store could not be written or read, even after retries."""


class InvalidCursor(ValueError):
    """A `cursor` that this service did not hand out."""


@dataclass(frozen=True)
class Page:
    items: list[Calculation]
    next_cursor: str | None


def _encode_cursor(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key["sk"]["S"]).encode()).decode()


def _decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        sort_key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursor("is not a cursor this service returned") from None
    if not isinstance(sort_key, str):
        raise InvalidCursor("is not a cursor this service returned")
    return {"pk": {"S": PARTITION}, "sk": {"S": sort_key}}


class HistoryStore:
    """Records calculations exactly once and lists them newest first."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    @classmethod
    def from_environment(cls) -> HistoryStore:
        """One client per container; endpoint and region come from the standard AWS settings."""
        table_name = os.environ.get(TABLE_NAME_ENV)
        if not table_name:
            raise RuntimeError(f"{TABLE_NAME_ENV} is not set: the function cannot find its table")
        # botocore, not boto3: a client is all we need, and `import boto3` also imports
        # s3transfer (README, "Cold start").
        client = botocore.session.get_session().create_client("dynamodb", config=CLIENT_CONFIG)
        snapstart.survive_snapshots(client)
        # botocore's stubs type every client as BaseClient; this one is DynamoDB's.
        return cls(cast("DynamoDBClient", client), table_name)

    def record(self, calculation: Calculation, epoch_ms: int) -> None:
        item = {
            "pk": {"S": PARTITION},
            "sk": {"S": f"{epoch_ms:013d}#{calculation.id}"},
            "id": {"S": calculation.id},
            "operation": {"S": calculation.operation.value},
            "a": {"S": str(calculation.a)},
            "b": {"S": str(calculation.b)},
            "result": {"S": str(calculation.result)},
            "timestamp": {"S": calculation.timestamp},
        }
        try:
            # The condition makes botocore's retries of a put that did land harmless.
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(sk)",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return  # already recorded by an earlier attempt of this same request
            raise HistoryUnavailable(str(error)) from error
        except BotoCoreError as error:
            raise HistoryUnavailable(str(error)) from error

    def recent(self, limit: int, cursor: str | None = None) -> Page:
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": PARTITION}},
            "ScanIndexForward": False,
            # One more than asked tells whether a next page exists.
            "Limit": limit + 1,
        }
        if cursor is not None:
            query["ExclusiveStartKey"] = _decode_cursor(cursor)
        try:
            response = self._client.query(**query)
        except (ClientError, BotoCoreError) as error:
            raise HistoryUnavailable(str(error)) from error
        items = response.get("Items", [])
        page, more = items[:limit], len(items) > limit
        return Page(
            items=[_to_calculation(item) for item in page],
            next_cursor=_encode_cursor(page[-1]) if more else None,
        )


def _to_calculation(item: dict[str, Any]) -> Calculation:
    return Calculation(
        id=item["id"]["S"],
        operation=Operation(item["operation"]["S"]),
        a=parse_exact(item["a"]["S"]),
        b=parse_exact(item["b"]["S"]),
        result=parse_exact(item["result"]["S"]),
        timestamp=item["timestamp"]["S"],
    )
