"""HistoryStore against moto's DynamoDB server: exact round-trips, exactly-once writes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from botocore.exceptions import UnknownServiceError
from botocore.loaders import Loader

from calculator.shared.arithmetic import Operation, multiply
from calculator.shared.history import (
    DEFAULT_RETENTION_DAYS,
    EXPIRES_AT,
    RETENTION_DAYS_ENV,
    HistoryStore,
    InvalidCursor,
    KnownServicesLoader,
    botocore_session,
    retention_days_from,
)
from calculator.shared.models import Calculation
from lambda_devkit.testing.aws import (
    MotoServer,
    create_history_table,
    dynamodb_client,
    patient_clients,
)
from lambda_devkit.testing.events import CALLER
from lambda_http.identity import Caller


def calculation(id: str, a: int | Decimal, b: int | Decimal) -> Calculation:
    return Calculation(
        id=id,
        operation=Operation.MULTIPLY,
        a=a,
        b=b,
        result=multiply(a, b),
        timestamp="2026-11-27T09:00:00.000+00:00",
    )


def test_numbers_beyond_dynamodbs_38_digits_round_trip_exactly(store: HistoryStore) -> None:
    a = 12345678901234567890123456789012345678901234567890  # 50 digits
    b = Decimal("0.000000000000000000000000000000000000000123456789")
    store.record(CALLER, calculation("big", a, b), epoch_ms=1)
    (item,) = store.recent(CALLER, 1).items
    exact_product = Decimal("1524157875.171467887517146788751714678875171467887501905210")
    assert (item.a, item.b, item.result) == (a, b, exact_product)
    assert len(exact_product.as_tuple().digits) > 38


def test_recording_the_same_request_twice_keeps_one_record(store: HistoryStore) -> None:
    store.record(CALLER, calculation("same", 2, 3), epoch_ms=5)
    store.record(CALLER, calculation("same", 2, 3), epoch_ms=5)
    assert [item.id for item in store.recent(CALLER, 10).items] == ["same"]


def test_a_forged_cursor_is_rejected(store: HistoryStore) -> None:
    with pytest.raises(InvalidCursor):
        store.recent(CALLER, 10, cursor="%%%")


def test_each_item_expires_after_the_retention_period(moto_server: MotoServer) -> None:
    client = dynamodb_client(moto_server.endpoint)
    table = create_history_table(client)
    store = HistoryStore(patient_clients(moto_server.endpoint), table, retention_days=7)
    store.record(CALLER, calculation("kept-a-week", 2, 3), epoch_ms=1_795_770_000_999)
    (item,) = client.scan(TableName=table)["Items"]
    assert item[EXPIRES_AT] == {"N": str(1_795_770_000 + 7 * 86_400)}


def test_callers_never_share_a_partition_or_a_page(store: HistoryStore) -> None:
    bob = Caller(issuer=CALLER.issuer, subject="bob")
    store.record(CALLER, calculation("alice-1", 1, 1), epoch_ms=1)
    store.record(bob, calculation("bob-1", 2, 2), epoch_ms=2)
    assert [item.id for item in store.recent(CALLER, 10).items] == ["alice-1"]
    assert [item.id for item in store.recent(bob, 10).items] == ["bob-1"]


@pytest.mark.parametrize(("text", "days"), [(None, DEFAULT_RETENTION_DAYS), ("1", 1), ("365", 365)])
def test_retention_comes_from_the_environment(text: str | None, days: int) -> None:
    environ = {} if text is None else {RETENTION_DAYS_ENV: text}
    assert retention_days_from(environ) == days


@pytest.mark.parametrize("text", ["0", "-1", "ten", "1.5", "", " 7"])
def test_a_bad_retention_setting_stops_init_naming_it(text: str) -> None:
    with pytest.raises(RuntimeError, match=f"{RETENTION_DAYS_ENV}="):
        retention_days_from({RETENTION_DAYS_ENV: text})


def test_the_session_knows_only_our_services_and_botocore_ships_them() -> None:
    # Told, not listed (docs/decisions/0004): any other service fails by name, at creation.
    session = botocore_session()
    assert session.get_available_services() == ["dynamodb"]
    session.create_client("dynamodb", region_name="us-east-1").close()
    with pytest.raises(UnknownServiceError, match="'s3'"):
        session.create_client("s3", region_name="us-east-1")
    assert set(KnownServicesLoader.SERVICES) <= set(Loader().list_available_services("service-2"))
