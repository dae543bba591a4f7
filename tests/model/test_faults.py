"""The fault store's rules, without HTTP: which drop a request names, what is refused, the defaults."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.model.domain import ValidationFailed
from mockserver.model.faults import DEFAULT_STATUS, Drop, FaultStore, drop_kind


@pytest.mark.parametrize(
    ("given", "kind"),
    [
        (None, None),
        (False, None),
        (True, Drop.BEFORE_CREATE),  # what `drop_connection: true` always meant
        ("before-create", Drop.BEFORE_CREATE),
        ("after-create", Drop.AFTER_CREATE),
    ],
)
def test_drop_connection_names_where_the_connection_is_cut(given: Any, kind: Drop | None) -> None:
    assert drop_kind(given) is kind


@pytest.mark.parametrize("given", ["after", "AFTER-CREATE", "", "true"])
def test_an_unknown_drop_is_a_422_naming_the_choices(given: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        drop_kind(given)
    assert refused.value.status == 422 and "before-create, after-create" in refused.value.details


@pytest.mark.parametrize("drop", [True, "before-create", "after-create"])
@pytest.mark.parametrize("status", [500, 503])
def test_a_status_and_a_drop_together_are_refused(status: int, drop: Any) -> None:
    store = FaultStore()
    with pytest.raises(ValidationFailed) as refused:
        store.add(1, status=status, drop_connection=drop)
    assert "either answers a status or drops the connection" in refused.value.details
    assert not store  # nothing was added


@pytest.mark.parametrize(
    ("options", "status"),
    [
        ({}, DEFAULT_STATUS),  # no effect named: a plain 500
        ({"status": 503}, 503),
        ({"delay_ms": 100}, None),  # a delay alone, then the normal answer
        ({"drop_connection": "after-create"}, None),
        ({"delay_ms": 100, "drop_connection": True}, None),
    ],
)
def test_the_default_status_is_500_only_when_nothing_else_is_named(options: dict[str, Any], status: int | None) -> None:
    assert FaultStore().add(1, **options).status == status


def test_a_fault_describes_its_drop_in_words_and_lists_it_by_name() -> None:
    store = FaultStore()
    fault = store.add(2, operation="submitCart", delay_ms=50, drop_connection="after-create")
    assert fault.describe() == (
        "fault 1, delay 50 ms, connection dropped after the request was handled (an order it made exists)"
    )
    assert fault.as_json() == {
        "id": 1, "count": 2, "remaining": 2, "operation": "submitCart", "delay_ms": 50,
        "drop_connection": "after-create",
    }  # fmt: skip
    assert "drop_connection" not in store.add(1, status=503).as_json()


def test_each_matching_request_uses_one_count_of_the_first_matching_fault() -> None:
    store = FaultStore()
    store.add(2, operation="getOrder", status=503)
    store.add(1, status=500)
    assert [getattr(store.take("submitCart"), "status", None) for _ in range(2)] == [500, None]
    assert [getattr(store.take("getOrder"), "status", None) for _ in range(3)] == [503, 503, None]
