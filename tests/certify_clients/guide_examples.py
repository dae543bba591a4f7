"""The partner guide's five code examples as `jafarshop-certify` commands: each as printed, but for the base URL and
the key, which it takes from the run's environment (JAFARSHOP_BASE_URL, JAFARSHOP_API_KEY).

    python -m tests.certify_clients.guide_examples DIR [NAME ...] [-- CERTIFY OPTIONS]

writes them into DIR and certifies each (docs/certification.md records what they got). tests/test_certify.py uses
`commands()` for its slow run of one of them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import GUIDE_URL, ROOT, guide_block
from tests.test_guide_clients import GSON_JAR, INSTALL_HINT, JAVA_HARNESS, NODE_MODULES

NAMES = ("curl", "javascript", "python", "php", "java", "javascript-best-practices")
# The guide's Best Practices call sleep() and getOrderStatus() without defining them, and show no program that uses
# them: the usual definitions (sleep on the run's clock), and a loop over the scenario's orders as the guide's usage
# section submits one. Nothing of the guide's own code is changed.
BEST_PRACTICES_GLUE = """
const TIME_SCALE = Number(process.env.JAFARSHOP_TIME_SCALE || '1');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms / TIME_SCALE));

async function getOrderStatus(orderId) {
  const headers = { Authorization: `Bearer ${API_KEY}` };
  const response = await axios.get(`${BASE_URL}/orders/${orderId}`, { headers });
  return response.data;
}

async function main() {
  const sku = process.env.JAFARSHOP_MAPPED_SKUS.split(',')[0];
  const created = [];
  for (let n = 1; n <= Number(process.env.JAFARSHOP_CERTIFY_ORDERS || '10'); n++) {
    const items = [{ ...orderData.items[0], sku }];
    const order = { ...orderData, partner_order_id: `ORDER-${Date.now()}-${n}`, items };
    try {
      const result = await submitWithRetry(order);
      console.log('Order created:', result.supplier_order_id);
      if (result.supplier_order_id) created.push(result.supplier_order_id);
    } catch (error) {
      console.error('Failed to submit order:', error);
    }
  }
  await Promise.all(created.map((id) => pollOrderStatus(id).then(
    (order) => console.log(id, order.status), (error) => console.error(id, error.message))));
}

main();
"""


class Missing(Exception):
    """A runtime the example needs is not installed: the message says what to install."""


def commands(directory: Path, names: tuple[str, ...] = NAMES) -> dict[str, list[str] | str]:
    """name -> the command that runs that example, or why it cannot run here."""
    found: dict[str, list[str] | str] = {}
    for name in names:
        try:
            found[name] = _BUILDERS[name](directory)
        except Missing as missing:
            found[name] = f"{missing} {INSTALL_HINT}"
    return found


def _need(command: str, install: str) -> str:
    path = shutil.which(command)
    if path is None:
        raise Missing(f"{command} not found: {install}")
    return path


def _curl(directory: Path) -> list[str]:
    _need("curl", "apt-get install curl")
    _need("uuidgen", "apt-get install uuid-runtime")
    block = guide_block("### cURL", "bash").replace(GUIDE_URL, "$JAFARSHOP_BASE_URL")
    script = directory / "guide_example.sh"
    script.write_text(block.replace("your-api-key-here", "$JAFARSHOP_API_KEY"), encoding="utf-8")
    return ["bash", str(script)]


def _javascript(directory: Path) -> list[str]:
    node = _need("node", "apt-get install nodejs npm")
    if not (NODE_MODULES / "axios" / "package.json").is_file():
        raise Missing(f"axios not found in {NODE_MODULES}: npm install --prefix .clients/node axios@1")
    block = guide_block("### JavaScript/Node.js", "javascript")
    script = directory / "guide_example.js"
    script.write_text(block.replace(f"'{GUIDE_URL}'", "process.env.JAFARSHOP_BASE_URL"), encoding="utf-8")
    return ["env", f"NODE_PATH={NODE_MODULES}", node, str(script)]


def _javascript_best_practices(directory: Path) -> list[str]:
    """The JavaScript example's submitOrder with the Best Practices' submitWithRetry and pollOrderStatus."""
    command = _javascript(directory)
    example = guide_block("### JavaScript/Node.js", "javascript")
    example = example[: example.rindex("submitOrder(orderData)")].replace(
        f"'{GUIDE_URL}'", "process.env.JAFARSHOP_BASE_URL"
    )
    parts = [
        example,
        guide_block("### 3. Retry Logic", "javascript"),
        guide_block("### 4. Status Polling", "javascript"),
    ]
    script = directory / "guide_best_practices.js"
    script.write_text("\n".join([*parts, BEST_PRACTICES_GLUE]), encoding="utf-8")
    return [*command[:-1], str(script)]


def _python(directory: Path) -> list[str]:
    block = guide_block("### Python", "python")
    script = directory / "guide_example.py"
    script.write_text(block.replace(f"'{GUIDE_URL}'", "os.environ['JAFARSHOP_BASE_URL']"), encoding="utf-8")
    return [sys.executable, str(script)]


def _php(directory: Path) -> list[str]:
    php = _need("php", "apt-get install php-cli php-curl")
    has_curl = subprocess.run([php, "-r", "exit(extension_loaded('curl') ? 0 : 1);"], capture_output=True, timeout=30)
    if has_curl.returncode != 0:
        raise Missing("php has no curl extension: apt-get install php-curl")
    block = guide_block("### PHP", "php")
    script = directory / "guide_example.php"
    script.write_text(block.replace(f"'{GUIDE_URL}'", "getenv('JAFARSHOP_BASE_URL')"), encoding="utf-8")
    return [php, str(script)]


def _java(directory: Path) -> list[str]:
    """The guide's class with the least harness that runs it (tests/test_guide_clients.py says why)."""
    javac = _need("javac", "apt-get install default-jdk-headless")
    java = _need("java", "apt-get install default-jdk-headless")
    if not GSON_JAR.is_file():
        raise Missing(f"{GSON_JAR} not found: apt-get install libgoogle-gson-java")
    sources = directory / "java"
    sources.mkdir(parents=True, exist_ok=True)
    (sources / "JafarShopClient.java").write_text(guide_block("### Java", "java"), encoding="utf-8")
    for name, source in JAVA_HARNESS.items():
        (sources / name).write_text(source, encoding="utf-8")
    classes = sources / "classes"
    files = sorted(str(path) for path in sources.glob("*.java"))
    compile_ = [javac, "-d", str(classes), "-cp", str(GSON_JAR), *files]
    compiled = subprocess.run(compile_, capture_output=True, text=True, timeout=180)
    if compiled.returncode != 0:
        raise Missing(f"javac failed: {compiled.stderr.strip()[:300]}")
    # Main takes the base URL as its argument: the shell gives it the run's.
    run = f'exec {java} -cp {classes}{os.pathsep}{GSON_JAR} Main "$JAFARSHOP_BASE_URL"'
    return ["sh", "-c", run]


_BUILDERS = {"curl": _curl, "javascript": _javascript, "python": _python, "php": _php, "java": _java,
             "javascript-best-practices": _javascript_best_practices}  # fmt: skip


def main(argv: list[str]) -> int:
    """Certify the named examples (all by default) one after the other; each scorecard goes to DIR/NAME/."""
    options: list[str] = []
    if "--" in argv:
        argv, options = argv[: argv.index("--")], argv[argv.index("--") + 1 :]
    directory, names = Path(argv[0]).resolve(), tuple(argv[1:]) or NAMES
    directory.mkdir(parents=True, exist_ok=True)
    for name, command in commands(directory, names).items():
        if isinstance(command, str):
            print(f"== {name}: skipped: {command}", flush=True)
            continue
        print(f"== {name}", flush=True)
        certify = [sys.executable, "-m", "certify", "--reports", str(directory / name), "--quiet", *options, "--"]
        code = subprocess.run([*certify, *command], cwd=ROOT).returncode
        print(f"== {name}: exit {code}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
