"""Contract coverage: which documented statuses a run saw, and which of the guide's rules it checked.

Written after every run to reports/contract-coverage.json and .md (beside the JUnit report) and summed up in the
terminal. A rule is "passed" only when every test that checks it ran and passed; "partly checked" when some passed
and others were skipped, "not checked" when all were skipped, each with the skip reasons (no second key, order cap
reached, no admin token...). Each rule is checked through the partner API alone, or needs the supplier's side (the
kit mock's admin API, to move an order or rotate a key): staging and production can complete the first set only.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from contract_tests.spec import spec


class Checked(StrEnum):
    """A guide rule's verdict in the coverage report (written as it is to contract-coverage.json and .md)."""

    PASSED = "passed"  # every test that checks it ran and passed
    FAILED = "failed"
    PARTLY = "partly checked"  # some passed, others were skipped
    NOT_CHECKED = "not checked"  # all were skipped


PARTNER, SUPPLIER = "partner", "supplier"
SIDES = {
    PARTNER: "partner-side rules (checked through the partner API alone, on any target)",
    SUPPLIER: "supplier-side rules (they move orders or rotate keys: the kit mock's admin API, JAFARSHOP_ADMIN_TOKEN)",
}


@dataclass(frozen=True)
class Rule:
    id: str
    rule: str
    guide: str  # the guide's section that states it
    tests: tuple[str, ...]  # test function (or class) names that check it
    side: str = PARTNER


RULES = (
    Rule("auth-required", "a request without a valid Bearer key is 401", "Authentication; Error Handling",
         ("test_submit_without_a_valid_key_is_401", "test_submit_with_a_malformed_authorization_header_is_401",
          "test_get_order_without_a_valid_key_is_401", "test_get_order_with_a_malformed_authorization_header_is_401",
          "test_unknown_order_without_a_key_is_401")),
    Rule("key-rotation", "a rotated key stops working at once; the new key reads the partner's orders",
         "Security Best Practices; 401 Unauthorized", ("test_rotated_key_is_refused_and_the_new_key_reads_the_order",),
         SUPPLIER),
    Rule("partner-isolation-403", "another partner's order is 403 and not shown", "Get Order Status; 403 Forbidden",
         ("test_another_partners_order_is_403",)),
    Rule("unknown-order-404", "an order that does not exist is 404", "Get Order Status",
         ("test_unknown_order_id_is_404", "test_order_id_that_is_not_a_uuid_is_404_or_400")),
    Rule("order-created-pending", "a cart with a mapped SKU creates a PENDING_CONFIRMATION order that reads back",
         "How It Works; Submit Cart", ("test_cart_with_mapped_sku_creates_pending_order_that_reads_back_unchanged",
                                       "test_non_ascii_text_is_accepted_and_reads_back_unchanged")),
    Rule("stored-exactly", "what a store sends reads back exactly, up to the largest sizes a target must accept: "
         "hundreds of lines, long text in any script and emoji, three-decimal amounts, ids from other systems",
         "Submit Cart; Field Reference; Idempotency",
         ("test_the_largest_cart_a_store_sends_reads_back_exactly_and_replays",
          "test_cart_with_mapped_sku_creates_pending_order_that_reads_back_unchanged")),
    Rule("times-utc", "an order reports when it was created, in UTC (and, with the supplier's side, when it changed)",
         "Get Order Status", ("test_an_order_reports_when_it_was_created_in_utc",)),
    Rule("id-spellings", "a spelling of an order id a target accepts reads that order, and is 403 for another "
         "partner", "Get Order Status; 403 Forbidden",
         ("test_each_spelling_of_an_order_id_reads_that_order_or_none",
          "test_each_spelling_of_an_order_id_is_403_for_another_partner")),
    Rule("key-spellings", "a spelling of an Idempotency-Key a target takes as the key keeps replay and 409",
         "Idempotency",
         ("test_each_spelling_of_an_idempotency_key_conflicts_or_is_new_never_replays_another_payload",)),
    Rule("past-the-largest", "past the largest sizes a target may take a cart or refuse it with a 4xx, never a 5xx "
         "or a dropped connection", "Field Reference; Error Handling",
         ("test_values_past_the_largest_sizes_are_taken_or_refused_with_a_4xx",)),
    Rule("whole-api-model", "both partners' concurrent and sequential submits, replays, conflicts and reads, in every "
         "id and key spelling, keep the model of the guide: no order lost, mixed up or found by an altered id, no "
         "idempotency record rewritten", "Idempotency; Get Order Status; 403 Forbidden; SKU Mapping",
         ("test_concurrent_workload_of_both_partners_keeps_every_rule_of_the_model",
          "test_sequences_of_both_partners_keep_every_rule_of_the_model")),
    Rule("mixed-cart", "a mixed cart keeps both kinds of items, is_supplier_item exactly on mapped ones",
         "Mixed Carts; SKU Mapping", ("test_mixed_cart_keeps_both_kinds_of_items",)),
    Rule("unmapped-cart-204", "a cart with no mapped SKU is 204 with no body and creates no order",
         "SKU Mapping; 204 No Content", ("test_cart_without_mapped_sku_answers_204_with_no_body",)),
    Rule("idempotent-replay", "same key and same payload returns the existing order, no duplicate",
         "Idempotency", ("test_replay_with_same_key_returns_same_order",
                         "test_replay_after_reading_the_order_returns_same_order",
                         "test_concurrent_submits_with_one_key_create_one_order",
                         "test_replay_of_a_cart_without_mapped_sku_answers_204_again")),
    Rule("replay-after-backoff", "a retry at the end of the guide's backoff (7 s) still replays", "Retry Strategy",
         ("test_retry_at_the_end_of_the_guides_backoff_replays_the_same_order",)),
    Rule("same-json-value-replays", "the same payload serialized differently replays", "Idempotency",
         ("test_same_cart_serialized_differently_replays_the_same_order",)),
    Rule("idempotency-conflict-409", "same key with a different payload is 409 and keeps the first order",
         "Idempotency; 409 Conflict", ("test_same_key_with_different_payload_is_409_and_keeps_the_first_order",)),
    Rule("new-key-new-order", "different keys create different orders", "Idempotency",
         ("test_different_keys_create_different_orders",)),
    Rule("idempotency-partner-scope", "two partners using one key neither see nor block each other",
         "Idempotency; Authentication", ("test_partners_using_the_same_key_do_not_see_or_block_each_other",)),
    Rule("refused-request-creates-nothing", "a refused submission creates no order, also under its key later",
         "Idempotency; Error Handling", ("test_rejected_submission_creates_no_order_under_its_key",)),
    Rule("validation-422", "missing required fields and broken constraints are 422 and create nothing",
         "Field Reference; 422", ("test_each_missing_required_field_is_422", "test_each_broken_constraint_is_422",
                                  "test_any_valid_cart_with_one_rule_broken_is_422")),
    Rule("request-form", "a body that is not JSON is 400, another media type 415 (or 400), an oversized body a 4xx",
         "Error Handling", ("test_body_that_is_not_json_is_400", "test_json_that_is_not_an_object_is_rejected",
                            "test_body_in_another_media_type_is_415_or_400", "test_oversized_body_is_refused_promptly",
                            "test_hostile_body_is_refused_with_a_4xx_and_no_stack_trace")),
    Rule("error-envelope", 'every error is {"error": ..., "details": ...}', "Error Response Format",
         ("test_each_documented_error_status_answers_the_envelope",)),
    Rule("no-secrets-in-answers", "no answer carries an API key that was sent, or a stack trace",
         "Security Best Practices", ("test_no_answer_echoes_a_key_or_a_stack_trace",)),
    Rule("lifecycle-observed", "an order read over time has a documented status and only moves forward",
         "Order Lifecycle; Status Transitions",
         ("test_order_observed_over_time_moves_only_along_documented_transitions",)),
    Rule("lifecycle-transitions", "every documented transition reads back with its status fields and its time (UTC); "
         "others change nothing", "Order Lifecycle; Status Transitions",
         ("test_every_documented_transition_reads_back",), SUPPLIER),
    Rule("spec-conformance", "statuses, bodies and headers as the OpenAPI contract documents, for any input",
         "API Endpoints; Field Reference", ("test_api_conforms_to_the_spec",
                                            "test_api_conforms_to_the_spec_at_its_boundaries", "TestStatefulWorkflow",
                                            "test_no_answer_to_the_preflight_was_a_server_error")),
)  # fmt: skip
# Documented statuses a client cannot make a correct target answer: server failures, and the 400 for oversized
# headers that only the kit's own mock promises on reads. Counted when seen, never required.
NOT_PROVOKABLE = {
    500: "a server failure: seen only if the target fails",
    503: "a transient failure: seen only if the target is unavailable or full",
}
NOT_PROVOKABLE_BY_OPERATION = {("getOrder", 400): "the guide names no bad request for a read (the mock's header limit)"}
OPERATIONS = {("POST", "/carts/submit"): "submitCart", ("GET", "/orders/{supplier_order_id}"): "getOrder"}


def documented_statuses() -> dict[str, list[int]]:
    """Each partner operation's documented statuses, from the spec."""
    found = {}
    for (method, path), operation in OPERATIONS.items():
        responses = spec()["paths"][path][method.lower()]["responses"]
        found[operation] = sorted(int(code) for code in responses if code.isdigit())
    return found


@dataclass
class Outcomes:
    """Test outcomes keyed by test name (function or class), gathered from every report (xdist workers' too)."""

    by_test: dict[str, Counter[str]] = field(default_factory=dict)
    reasons: dict[str, set[str]] = field(default_factory=dict)

    def add(self, nodeid: str, outcome: str, reason: str = "") -> None:
        names = [part.split("[", 1)[0] for part in nodeid.split("::")[1:]]
        for name in names:
            self.by_test.setdefault(name, Counter())[outcome] += 1
            if reason:
                self.reasons.setdefault(name, set()).add(reason)


def rule_verdicts(outcomes: Outcomes) -> list[dict[str, Any]]:
    """One line per rule: passed, failed or not checked (and why)."""
    lines = []
    for rule in RULES:
        counts: Counter[str] = Counter()
        reasons: set[str] = set()
        for test in rule.tests:
            counts.update(outcomes.by_test.get(test, Counter()))
            reasons |= outcomes.reasons.get(test, set())
        if counts["failed"]:  # the counts are pytest's outcomes: passed, failed, skipped
            verdict = Checked.FAILED
        elif counts["passed"] and not counts["skipped"]:
            verdict = Checked.PASSED
        elif counts["passed"]:
            verdict = Checked.PARTLY
        else:
            verdict = Checked.NOT_CHECKED
            if not reasons:
                reasons = {"no test of it ran (deselected, or stopped before it)"}
        lines.append({
            "id": rule.id, "rule": rule.rule, "guide": rule.guide, "side": rule.side, "verdict": verdict,
            "tests": dict(counts), "why_not_checked": sorted(reasons) if verdict in INCOMPLETE else [],
        })  # fmt: skip
    return lines


INCOMPLETE = (Checked.PARTLY, Checked.NOT_CHECKED)


def missing(data: dict[str, Any], required: str) -> list[str]:
    """What keeps a run's coverage from `required` ("partner": the statuses and the partner-side rules; "all": every
    rule too): unseen statuses and rules not (fully) checked."""
    sides = (PARTNER,) if required == PARTNER else tuple(SIDES)
    rules = [rule["id"] for rule in data["rules"] if rule["verdict"] in INCOMPLETE and rule["side"] in sides]
    return [*data["unseen_statuses"], *rules]


def missing_line(data: dict[str, Any], required: str) -> str:
    """One line naming each status and rule that kept the coverage from `required`, with why it went unchecked."""
    reasons = {rule["id"]: rule["why_not_checked"] for rule in data["rules"]}
    parts = [
        f"{item} ({rule_verdict(data, item)}: {'; '.join(reasons[item])})"
        if reasons.get(item)
        else f"{item} (not seen)"
        for item in missing(data, required)
    ]
    return f"coverage incomplete under --require-full-coverage={required}; missing: {', '.join(parts) or 'nothing'}"


def rule_verdict(data: dict[str, Any], rule_id: str) -> str:
    return next((rule["verdict"] for rule in data["rules"] if rule["id"] == rule_id), Checked.NOT_CHECKED)


def report(statuses: Counter[tuple[str, int]], outcomes: Outcomes) -> dict[str, Any]:
    """The coverage of one run, as written to contract-coverage.json."""
    operations = {}
    for operation, documented in documented_statuses().items():
        seen = {status: count for (op, status), count in statuses.items() if op == operation}
        operations[operation] = {
            "documented": {str(status): seen.get(status, 0) for status in documented},
            "undocumented_seen": {str(s): n for s, n in sorted(seen.items()) if s not in documented},
        }
    rules = rule_verdicts(outcomes)
    optional = {
        f"{op} {status}": why
        for op, statuses_ in documented_statuses().items()
        for status in statuses_
        if (why := NOT_PROVOKABLE_BY_OPERATION.get((op, status)) or NOT_PROVOKABLE.get(status))
    }
    unseen = [
        f"{op} {code}"
        for op, data in operations.items()
        for code, n in data["documented"].items()
        if not n and f"{op} {code}" not in optional
    ]
    return {
        "operations": operations,
        "rules": rules,
        "sides": SIDES,
        "unseen_statuses": unseen,
        "not_required": optional,
        "unchecked_rules": [rule["id"] for rule in rules if rule["verdict"] in INCOMPLETE],
        "unchecked_partner_rules": [
            rule["id"] for rule in rules if rule["verdict"] in INCOMPLETE and rule["side"] == PARTNER
        ],
    }


def markdown(data: dict[str, Any]) -> str:
    """The same as a Markdown page."""
    lines = ["# Contract coverage", "", "| operation | status | responses seen |", "|---|---|---|"]
    for operation, info in data["operations"].items():
        for code, count in info["documented"].items():
            why = data["not_required"].get(f"{operation} {code}")
            lines.append(f"| {operation} | {code} | {count}{f' (not required: {why})' if why and not count else ''} |")
        lines += [f"| {operation} | {code} (undocumented) | {n} |" for code, n in info["undocumented_seen"].items()]
    for side, meaning in data["sides"].items():
        rules = [rule for rule in data["rules"] if rule["side"] == side]
        done = sum(rule["verdict"] not in INCOMPLETE for rule in rules)
        lines += ["", f"## The {meaning}: {done} of {len(rules)} checked", ""]
        lines += ["| rule | guide | verdict | tests passed / failed / skipped |", "|---|---|---|---|"]
        for rule in rules:
            tests = rule["tests"]
            why = f": {'; '.join(rule['why_not_checked'])}" if rule["why_not_checked"] else ""
            counts = f"{tests.get('passed', 0)} / {tests.get('failed', 0)} / {tests.get('skipped', 0)}"
            lines.append(f"| {rule['rule']} | {rule['guide']} | {rule['verdict']}{why} | {counts} |")
    if data.get("notes"):
        lines += ["", "## Notes (allowed by the guide, worth knowing)", ""] + [f"- {note}" for note in data["notes"]]
    if "orders" in data:
        lines += orders_markdown(data["orders"])
    return "\n".join(lines) + "\n"


def orders_markdown(orders: dict[str, Any]) -> list[str]:
    """The orders section: how many the run created, by which tests, and how to find them on the target."""
    cap = f" (cap {orders['cap']})" if orders.get("cap") is not None else ""
    lines = ["", f"## Orders created on the target: {orders['created']}{cap}", "",
             f"Every partner_order_id the suite's own carts send starts with `{orders['partner_order_id_prefix']}`; "
             "contract-orders.csv lists each order's id, partner_order_id and test.", "",
             "| test | orders |", "|---|---|"]  # fmt: skip
    lines += [f"| {test or '(outside a test)'} | {count} |" for test, count in orders["by_test"].items()]
    return lines


def write_orders(orders: dict[str, Any], path: Path) -> Path:
    """contract-orders.csv: one line an order the run created (id, partner_order_id, test)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["supplier_order_id", "partner_order_id", "test"])
        for order in orders["list"]:
            writer.writerow([order["id"], order["partner_order_id"], order["test"]])
    return path


def write(data: dict[str, Any], base: Path) -> list[Path]:
    """Write base.json and base.md; return their paths."""
    base.parent.mkdir(parents=True, exist_ok=True)
    paths = [base.with_suffix(".json"), base.with_suffix(".md")]
    paths[0].write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    paths[1].write_text(markdown(data), encoding="utf-8")
    return paths
