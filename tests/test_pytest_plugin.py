"""The `jafarshop_mock` pytest plugin, run in a partner's test session (pytester)."""

from __future__ import annotations

import pytest

from tests.helpers import ROOT

pytest_plugins = ["pytester"]
EXAMPLE = ROOT / "examples" / "test_partner_client.py"
pytestmark = pytest.mark.live


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # A subprocess, as a partner's own `pytest` would run: the plugin comes from the installed kit's entry point.
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=120)


def test_readme_example_client_passes_with_the_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_partner_client=EXAMPLE.read_text(encoding="utf-8"))
    result = _run(pytester)
    result.assert_outcomes(passed=3)


def test_readme_shows_the_example_as_it_is_tested() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    body = EXAMPLE.read_text(encoding="utf-8").split('"""', 2)[2].strip()
    assert body in readme


def test_each_test_starts_from_the_fixtures_and_the_handle_drives_the_admin_api(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import json, urllib.request, uuid

        def submit(mock, cart_sku="JDTQ1834"):
            cart = {"partner_order_id": "P-1", "items": [{"sku": cart_sku, "title": "T", "price": 1, "quantity": 1}],
                    "customer": {"name": "N"}, "totals": {"subtotal": 1, "tax": 0, "shipping": 0, "total": 1},
                    "shipping": {"street": "S", "city": "C", "postal_code": "1", "country": "JO"}}
            request = urllib.request.Request(f"{mock.base_url}/carts/submit", data=json.dumps(cart).encode(),
                method="POST", headers={"Authorization": f"Bearer {mock.api_key}",
                "Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())})
            with urllib.request.urlopen(request) as answer:
                return answer.status, answer.read()

        def test_first(jafarshop_mock):
            status, body = submit(jafarshop_mock)
            order_id = json.loads(body)["supplier_order_id"]
            assert jafarshop_mock.confirm(order_id)["status"] == "CONFIRMED"
            assert jafarshop_mock.ship(order_id)["status"] == "SHIPPED"
            jafarshop_mock.map_sku("MY-OWN-1")
            assert submit(jafarshop_mock, "MY-OWN-1")[0] == 200

        def test_second_starts_clean(jafarshop_mock):
            assert jafarshop_mock.orders() == [] and jafarshop_mock.journal() == []
            assert submit(jafarshop_mock, "MY-OWN-1")[0] == 204  # the mapping of test_first is gone
            assert jafarshop_mock.other_api_key != jafarshop_mock.api_key
            assert "JDTQ1834" in jafarshop_mock.mapped_skus
        """
    )
    result = _run(pytester, "-v")
    result.assert_outcomes(passed=2)


def test_a_bad_fixtures_file_is_one_clear_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(jafarshop_mock):\n    pass\n")
    (pytester.path / "bad.yaml").write_text("partners: 3\n")
    result = _run(pytester, "--jafarshop-fixtures", "bad.yaml")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*jafarshop_mock: bad fixtures: bad.yaml*"])
