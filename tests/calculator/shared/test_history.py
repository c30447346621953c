"""HistoryStore against moto's DynamoDB server: exact round-trips, exactly-once writes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from calculator.shared.arithmetic import Operation, multiply
from calculator.shared.history import HistoryStore, InvalidCursor
from calculator.shared.models import Calculation


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
    store.record(calculation("big", a, b), epoch_ms=1)
    (item,) = store.recent(1).items
    exact_product = Decimal("1524157875.171467887517146788751714678875171467887501905210")
    assert (item.a, item.b, item.result) == (a, b, exact_product)
    assert len(exact_product.as_tuple().digits) > 38


def test_recording_the_same_request_twice_keeps_one_record(store: HistoryStore) -> None:
    store.record(calculation("same", 2, 3), epoch_ms=5)
    store.record(calculation("same", 2, 3), epoch_ms=5)
    assert [item.id for item in store.recent(10).items] == ["same"]


def test_a_forged_cursor_is_rejected(store: HistoryStore) -> None:
    with pytest.raises(InvalidCursor):
        store.recent(10, cursor="%%%")
