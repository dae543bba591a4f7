"""The partner guide's five code examples, run as printed (but for base URL and API key) against a live mock."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import GUIDE_URL, KEY_A, ROOT, LiveServer, guide_block

pytestmark = pytest.mark.live
# The JS, Python, PHP examples (and the Java harness) read the key from here, as the guide tells partners to.
KEY_ENV = {"JAFARSHOP_API_KEY": KEY_A}
# scripts/install-client-runtimes puts axios here (git-ignored); the guide's block does a bare require('axios').
NODE_MODULES = ROOT / ".clients" / "node" / "node_modules"
GSON_JAR = Path("/usr/share/java/gson.jar")  # Debian's libgoogle-gson-java
INSTALL_HINT = "(or run: bash scripts/install-client-runtimes)"
CREATED = re.compile(r"Order created: ([0-9a-f-]{36})")
Ran = subprocess.CompletedProcess[str]


def pointed_at(block: str, live_server: LiveServer) -> str:
    """`block` with the guide's production base URL replaced by the live mock's."""
    assert GUIDE_URL in block, f"the example no longer uses {GUIDE_URL}"
    return block.replace(GUIDE_URL, live_server.url)


def require(command: str, install: str) -> str:
    """The path of `command`, or skip the test naming what to install."""
    path = shutil.which(command)
    if path is None:
        pytest.skip(f"{command} not found: {install} {INSTALL_HINT}")
    return path


def run(args: list[str], *, timeout: float, env: dict[str, str] | None = None) -> Ran:
    """Run a client to completion; a failure shows both of its streams."""
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})
    assert result.returncode == 0, f"{args[0]} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def created_id(result: Ran) -> str:
    """The supplier order id from an example's "Order created: <id>" line."""
    match = CREATED.search(result.stdout)
    # The JS and PHP examples catch their errors, print them and exit 0: show what they said.
    assert match, f"no 'Order created: <id>' in the client's output:\n{result.stdout}\n{result.stderr}"
    return match.group(1)


def read_order(live_server: LiveServer, order_id: str) -> dict[str, Any]:
    """GET /orders/{id} as partner A, who sent every example's order."""
    request = urllib.request.Request(
        f"{live_server.url}/orders/{order_id}", headers={"Authorization": f"Bearer {KEY_A}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        order: dict[str, Any] = json.loads(response.read())
    return order


def assert_guide_order(live_server: LiveServer, order_id: str) -> None:
    """The mock holds exactly one order, the guide's cart, under `order_id`."""
    assert len(live_server.state.orders) == 1
    order = read_order(live_server, order_id)
    assert order["id"] == order_id
    assert order["partner_order_id"] == "ORDER-2024-001"
    assert order["status"] == "PENDING_CONFIRMATION"
    assert order["customer_name"] == "John Doe"
    assert order["customer_phone"] == "+1234567890"
    assert order["shipping_address"] == {
        "street": "123 Main Street",
        "city": "Amman",
        "state": None,
        "postal_code": "11118",
        "country": "JO",
    }
    assert order["cart_total"] == 69.78
    assert order["payment_status"] == "paid"
    assert order["payment_method"] == "Cash On Delivery (COD)"
    [item] = order["items"]
    assert {key: item[key] for key in ("sku", "title", "price", "quantity", "is_supplier_item")} == {
        "sku": "JDTQ1834",
        "title": "JafarShop Product",
        "price": 29.99,
        "quantity": 2,
        "is_supplier_item": True,
    }


def test_guides_curl_example_creates_an_order(live_server: LiveServer, tmp_path: Path) -> None:
    require("curl", "apt-get install curl")
    script = pointed_at(guide_block("### cURL", "bash"), live_server)
    assert "your-api-key-here" in script
    script = script.replace("your-api-key-here", KEY_A)
    path = os.environ["PATH"]
    if shutil.which("uuidgen") is None:
        # The example calls uuidgen (Debian: uuid-runtime), which not every machine has: provide one.
        shim = tmp_path / "uuidgen"
        shim.write_text(f"#!/bin/sh\nexec {sys.executable} -c 'import uuid; print(uuid.uuid4())'\n")
        shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
        path = f"{tmp_path}{os.pathsep}{path}"
    answer = json.loads(run(["bash", "-c", script], timeout=30, env={"PATH": path}).stdout)
    assert answer["status"] == "PENDING_CONFIRMATION"
    assert_guide_order(live_server, answer["supplier_order_id"])


def test_guides_python_example_creates_an_order(live_server: LiveServer) -> None:
    code = pointed_at(guide_block("### Python", "python"), live_server)
    # requests is a dev dependency of the kit, so this interpreter has it.
    result = run([sys.executable, "-c", code], timeout=60, env=KEY_ENV)
    assert_guide_order(live_server, created_id(result))


def test_guides_javascript_example_creates_an_order(live_server: LiveServer, tmp_path: Path) -> None:
    node = require("node", "apt-get install nodejs npm")
    if not (NODE_MODULES / "axios" / "package.json").is_file():
        pytest.skip(f"axios not found in {NODE_MODULES}: npm install --prefix .clients/node axios@1 {INSTALL_HINT}")
    script = tmp_path / "client.js"
    script.write_text(pointed_at(guide_block("### JavaScript/Node.js", "javascript"), live_server))
    result = run([node, str(script)], timeout=60, env={**KEY_ENV, "NODE_PATH": str(NODE_MODULES)})
    assert_guide_order(live_server, created_id(result))


def test_guides_php_example_creates_an_order(live_server: LiveServer, tmp_path: Path) -> None:
    php = require("php", "apt-get install php-cli php-curl")
    has_curl = subprocess.run([php, "-r", "exit(extension_loaded('curl') ? 0 : 1);"], capture_output=True, timeout=30)
    if has_curl.returncode != 0:
        pytest.skip(f"php has no curl extension: apt-get install php-curl {INSTALL_HINT}")
    script = tmp_path / "client.php"
    script.write_text(pointed_at(guide_block("### PHP", "php"), live_server))
    result = run([php, str(script)], timeout=60, env=KEY_ENV)
    assert_guide_order(live_server, created_id(result))


# The Java example is a class only: it uses OrderRequest and OrderResponse without defining them and has no main.
# The harness below adds the least that compiles and runs it: Gson POJOs whose field names are the guide's JSON names,
# and a Main that builds the guide's cart (the other examples' usage section) and prints the id as they do.
JAVA_HARNESS = {
    "OrderRequest.java": """
import java.util.List;

public class OrderRequest {
    String partner_order_id;
    List<Item> items;
    Customer customer;
    Shipping shipping;
    Totals totals;
    String payment_status;
    String payment_method;

    static class Item {
        String sku; String title; double price; int quantity;
        Item(String sku, String title, double price, int quantity) {
            this.sku = sku; this.title = title; this.price = price; this.quantity = quantity;
        }
    }

    static class Customer {
        String name; String phone;
        Customer(String name, String phone) { this.name = name; this.phone = phone; }
    }

    static class Shipping {
        String street; String city; String postal_code; String country;
        Shipping(String street, String city, String postal_code, String country) {
            this.street = street; this.city = city; this.postal_code = postal_code; this.country = country;
        }
    }

    static class Totals {
        double subtotal; double tax; double shipping; double total;
        Totals(double subtotal, double tax, double shipping, double total) {
            this.subtotal = subtotal; this.tax = tax; this.shipping = shipping; this.total = total;
        }
    }
}
""",
    "OrderResponse.java": """
public class OrderResponse {
    String supplier_order_id;
    String status;
}
""",
    "Main.java": """
import java.util.List;

public class Main {
    public static void main(String[] args) throws Exception {
        OrderRequest order = new OrderRequest();
        order.partner_order_id = "ORDER-2024-001";
        order.items = List.of(new OrderRequest.Item("JDTQ1834", "JafarShop Product", 29.99, 2));
        order.customer = new OrderRequest.Customer("John Doe", "+1234567890");
        order.shipping = new OrderRequest.Shipping("123 Main Street", "Amman", "11118", "JO");
        order.totals = new OrderRequest.Totals(59.98, 4.80, 5.00, 69.78);
        order.payment_status = "paid";
        order.payment_method = "Cash On Delivery (COD)";
        JafarShopClient client = new JafarShopClient(System.getenv("JAFARSHOP_API_KEY"), args[0]);
        OrderResponse result = client.submitOrder(order);
        System.out.println(result == null ? "No JafarShop products" : "Order created: " + result.supplier_order_id);
    }
}
""",
}


def test_guides_java_example_creates_an_order(live_server: LiveServer, tmp_path: Path) -> None:
    javac = require("javac", "apt-get install default-jdk-headless")
    java = require("java", "apt-get install default-jdk-headless")
    if not GSON_JAR.is_file():
        pytest.skip(f"{GSON_JAR} not found: apt-get install libgoogle-gson-java {INSTALL_HINT}")
    client = guide_block("### Java", "java")
    # The class takes its base URL and key as constructor arguments, so Main passes the mock's: no text to replace.
    assert "public class JafarShopClient" in client and GUIDE_URL not in client
    (tmp_path / "JafarShopClient.java").write_text(client)
    for name, source in JAVA_HARNESS.items():
        (tmp_path / name).write_text(source)
    classes = tmp_path / "classes"
    sources = sorted(str(path) for path in tmp_path.glob("*.java"))
    run([javac, "-d", str(classes), "-cp", str(GSON_JAR), *sources], timeout=120)
    # The HttpClient's header log shows the request it really sent: by default (HTTP/2 preferred) a POST over http://
    # offers an h2c upgrade, and some servers reject such a request or drop its body (uvicorn with httptools: 400).
    log_headers = "-Djdk.httpclient.HttpClient.log=headers"
    command = [java, log_headers, "-cp", f"{classes}{os.pathsep}{GSON_JAR}", "Main", live_server.url]
    result = run(command, timeout=60, env=KEY_ENV)
    # The header log goes to stderr, the example's own output to stdout.
    assert re.search(r"upgrade: h2c", result.stderr, re.I), f"no h2c upgrade offered:\n{result.stdout}\n{result.stderr}"
    assert_guide_order(live_server, created_id(result))
