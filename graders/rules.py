"""The guide's client rules, one row each: MUST or SHOULD as the guide words it, the guide section it comes from, what
a client does to exercise it, and its grader (graders/rules_*.py), which reads the record the mock kept
(`GET /__admin/certification`) and returns pass, fail or "not exercised" with the entries that show it."""

from __future__ import annotations

from dataclasses import dataclass

from graders import rules_polling as polling
from graders import rules_requests as requests
from graders import rules_retries as retries
from graders.record import (
    CLIENT_ERROR_STATUSES,
    FAIL,
    MUST,
    NOT_EXERCISED,
    PASS,
    SHOULD,
    Record,
    Rule,
    Run,
    Verdict,
    statuses_words,
)
from graders.record import Condition as C
from jafarshop_kit.guide import MAX_RETRIES, backoff_words

# The statuses the no-retry rule names, written from the set its grader reads: 400, 401, 403, 413, 415 and 422.
_CLIENT_ERRORS = statuses_words(CLIENT_ERROR_STATUSES).replace(" or ", " and ")

__all__ = ["FAIL", "MUST", "NOT_EXERCISED", "PASS", "RULES", "SHOULD", "Graded", "Rule", "Verdict", "grade"]

RULES: tuple[Rule, ...] = (
    Rule(
        "auth-bearer",
        MUST,
        "Authentication",
        "Every request sends `Authorization: Bearer {api_key}`",
        "send any request",
        requests.auth_bearer,
    ),
    Rule(
        "content-type-json",
        MUST,
        "1. Submit Cart",
        "Every submit sends Content-Type: application/json",
        "submit a cart",
        requests.content_type_json,
    ),
    Rule(
        "body-valid",
        MUST,
        "Field Reference",
        "Every submitted cart is valid against the spec",
        "submit a cart",
        requests.body_valid,
    ),
    Rule(
        "key-not-in-url",
        MUST,
        "Security Best Practices",
        "The API key never appears in a URL or query string",
        "send any request",
        requests.key_not_in_url,
    ),
    Rule(
        "key-not-logged",
        SHOULD,
        "5. Security",
        "The API key never appears in the client's output",
        "run the client with jafarshop-certify -- COMMAND",
        requests.key_not_logged,
    ),
    Rule(
        "https-production", SHOULD, "Security Best Practices", "HTTPS only in production", "", requests.https_production
    ),
    Rule(
        "idempotency-key-present",
        MUST,
        "Idempotency; 1. Idempotency",
        "Every submit carries an Idempotency-Key",
        "submit a cart",
        requests.key_present,
    ),
    Rule(
        "idempotency-key-unique",
        MUST,
        "Idempotency",
        "Each order has its own key (not one constant key)",
        "submit at least two orders",
        requests.key_unique,
    ),
    Rule(
        "idempotency-retry-same",
        MUST,
        "Idempotency",
        "A retry resends the same key and the same payload",
        "retry a failed submit",
        requests.retry_same,
        (C.ONCE_503, C.ONCE_500, C.ALWAYS_500, C.DROP_AFTER_CREATE, C.SLOW),
    ),
    Rule(
        "conflict-new-key",
        SHOULD,
        "Retry Strategy; 409 Conflict",
        "After a 409, a new key (never the same)",
        "get a 409 and submit the order again",
        requests.conflict_new_key,
        (C.ONCE_409,),
    ),
    Rule(
        "retry-transient",
        SHOULD,
        "Retry Strategy",
        "500, 503, dropped connections and timeouts are retried",
        "meet a 500, 503, dropped connection or slow answer",
        retries.retry_transient,
        (C.ONCE_503, C.ONCE_500, C.ALWAYS_500, C.DROP_AFTER_CREATE, C.SLOW),
    ),
    Rule(
        "retry-backoff",
        SHOULD,
        "Retry Strategy",
        f"Retries wait at least {backoff_words()} (exponential backoff)",
        "retry a failed submit",
        retries.retry_backoff,
        (C.ONCE_503, C.ONCE_500, C.ALWAYS_500, C.DROP_AFTER_CREATE),
        timed=True,
    ),
    Rule(
        "retry-max",
        SHOULD,
        "Retry Strategy",
        f"At most {MAX_RETRIES} retries of one order",
        f"retry an order that keeps failing {MAX_RETRIES} times",
        retries.retry_max,
        (C.ALWAYS_500,),
    ),
    Rule(
        "no-retry-client-errors",
        SHOULD,
        "Retry Strategy",
        f"{_CLIENT_ERRORS} are not retried unchanged",
        "get a 422 and go on",
        retries.no_retry_client_errors,
        (C.ALWAYS_422,),
    ),
    Rule(
        "timeout-handling",
        SHOULD,
        "6. Performance",
        "A slow answer is given up on (a timeout, 30 s of guide time at most)",
        "submit an order that answers slowly, and time out",
        retries.timeout_handling,
        (C.SLOW,),
        timed=True,
    ),
    Rule(
        "no-content-handled",
        MUST,
        "204 No Content",
        "A 204 means 'no JafarShop items': not an error, no retry",
        "get a 204 and go on",
        polling.no_content_handled,
        (C.ALWAYS_204,),
    ),
    Rule(
        "poll-returned-id",
        MUST,
        "2. Get Order Status",
        "Reads ask for the supplier_order_id a 200 returned",
        "read an order you created",
        polling.poll_returned_id,
    ),
    Rule(
        "poll-cadence",
        SHOULD,
        "Polling Recommendations",
        "Polls every 5-10 min pending, 15-30 min confirmed, daily shipped (not more often)",
        "read an order you created twice or more",
        polling.poll_cadence,
    ),
    Rule(
        "poll-stop-terminal",
        SHOULD,
        "Status Transitions",
        "No polling after REJECTED, CANCELLED or DELIVERED",
        "poll an order until it is REJECTED (1 min guide time after it was made), then stop",
        polling.poll_stop_terminal,
        (C.REJECTED,),
    ),
)


@dataclass
class Graded:
    rule: Rule
    verdict: Verdict
    to_exercise: str = ""  # for a rule not exercised: what would, in this run's scenario


def grade(record: Record) -> list[Graded]:
    """Every rule's verdict on this record."""
    run = Run(record)
    scenario = list(record.get("scenario", []))
    return [Graded(rule, rule.grade(run), rule.how_to_exercise(scenario)) for rule in RULES]
