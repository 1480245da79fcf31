"""What the layering contract (import-linter, ``make lint``) cannot see: imports hidden in functions and strings.

import-linter counts function-level imports as edges but does not forbid them, and never sees
``importlib.import_module("...")``. Function-level imports hide cycles and import-time costs, so outside ``cli/``
(which imports lazily to start fast) each one needs a reason listed here; module names in strings are allowed only
where the set of modules is open by design.
"""

from __future__ import annotations

import ast
import functools
import importlib
from pathlib import Path

from strongroom.store.schema import TABLE_OWNERS

SRC = Path(__file__).resolve().parents[2] / "src" / "strongroom"

# (file under src/strongroom, imported module): why it is imported inside a function.
FUNCTION_IMPORTS = {
    ("server/workers.py", "strongroom.keyring.factory"): "boot: imported by the CLI before the workers are spawned",
    ("server/workers.py", "strongroom.server.logs"): "boot: imported by the CLI before the workers are spawned",
    ("server/workers.py", "strongroom.store.engine"): "boot: imported by the CLI before the workers are spawned",
    ("server/workers.py", "strongroom.server.app"): "boot: imported by the CLI before the workers are spawned",
    ("server/workers.py", "strongroom.server.httpproto"): "boot: imported by the CLI before the workers are spawned",
    ("server/workers.py", "strongroom.server.runtime"): "boot: imported by the CLI before the workers are spawned",
    ("server/workers.py", "strongroom.server.shield"): "boot: imported by the CLI before the workers are spawned",
    ("services/acm/request.py", "strongroom.services.acm.acme_issuer"): "cost: the acme library takes ~90 ms",
    ("store/engine.py", "strongroom.store.migrate"): "cost: Alembic takes ~100 ms, only migrating processes need it",
    ("server/app.py", "strongroom.server.admin"): "start-up: admin endpoints' modules, ~0.5 s",
    ("server/console.py", "strongroom.server.signin"): "start-up: sign-in's modules and password hash, ~0.15 s",
    ("server/console.py", "strongroom.server.console_deliveries"): "start-up: the events outbox reader",
    ("server/gateway.py", "strongroom.server"): "start-up: stages' WAF and Shield, ~0.2 s",
    ("server/gateway.py", "strongroom.services.apigateway.invoke.gateway"): "start-up: the data plane, with its use",
    ("server/gateway.py", "strongroom.services.shield.provider"): "start-up: as above",
    ("server/gateway.py", "strongroom.services.wafv2.enforcement"): "start-up: as above",
}

# Files that may import modules named in strings, and why.
IMPORTLIB = {
    "services/registry.py": "providers and access tables by service name",
    "store/schema.py": "TABLE_OWNERS, so every table is declared before Alembic or seal migrate looks",
    "services/lambda_/bootstrap.py": "the user's handler module",
    "waf/__init__.py": "the package's names from their modules on first use (PEP 562): a submodule's importers do "
    "not load the engine and RE2",
    "services/guardduty/live.py": "a detection engine factory other than strongroom.detection's, named by "
    "STRONGROOM_GUARDDUTY_ENGINE (the e2e tests' stand-in)",
}


@functools.cache
def _sources() -> list[tuple[str, ast.Module]]:
    return [
        (path.relative_to(SRC).as_posix(), ast.parse(path.read_text(), str(path))) for path in sorted(SRC.rglob("*.py"))
    ]


def _function_imports(tree: ast.Module) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("strongroom"):
                found.append((node.lineno, node.module or ""))
            elif isinstance(node, ast.Import):
                found += [(node.lineno, a.name) for a in node.names if a.name.startswith("strongroom")]
    return found


def test_no_unlisted_function_level_imports_outside_cli() -> None:
    seen: set[tuple[str, str]] = set()
    unlisted: list[str] = []
    for rel, tree in _sources():
        if rel.startswith("cli/"):
            continue
        for line, module in _function_imports(tree):
            seen.add((rel, module))
            if (rel, module) not in FUNCTION_IMPORTS:
                unlisted.append(f"{rel}:{line} imports {module} inside a function")
    assert not unlisted, "hoist these to the top of the module (or list them with a reason):\n" + "\n".join(unlisted)
    assert not set(FUNCTION_IMPORTS) - seen, f"listed but gone, remove: {sorted(set(FUNCTION_IMPORTS) - seen)}"


def test_import_module_only_where_listed() -> None:
    users = set()
    for rel, tree in _sources():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr == "import_module") or (
                isinstance(node, ast.Name) and node.id == "__import__"
            ):
                users.add(rel)
    assert users <= set(IMPORTLIB), (
        f"modules named in strings outside the listed files: {sorted(users - set(IMPORTLIB))}"
    )


def test_table_owners_lists_every_module_declaring_tables() -> None:
    """``all_tables()`` imports TABLE_OWNERS: a module missing there is invisible to Alembic and ``seal migrate``."""
    declaring = set()
    for rel, tree in _sources():
        for node in tree.body:
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name)
                and node.value.func.id == "Table"
            ):
                declaring.add("strongroom." + rel.removesuffix(".py").replace("/", "."))
    assert declaring == set(TABLE_OWNERS)
    for module in TABLE_OWNERS:
        importlib.import_module(module)


def test_the_runtime_announces_api_calls_to_eventbridge(tmp_path: Path) -> None:
    """The audit log reaches EventBridge through a hook the server registers (``audit/`` does not import ``events/``,
    so a rename cannot silently stop "AWS API Call via CloudTrail"): a Runtime has exactly that one hook."""
    from strongroom.core.config import load_config
    from strongroom.events.bus import publish_api_call_event
    from strongroom.server.runtime import Runtime
    from tests.support.server import ServerProcess

    ServerProcess(tmp_path).init()
    runtime = Runtime.open(load_config(tmp_path, test_mode=True))
    try:
        hooks = runtime.audit._api_call_hooks
        assert len(hooks) == 1
        hook = hooks[0]
        assert isinstance(hook, functools.partial)
        assert hook.func is publish_api_call_event and hook.args == (runtime,)
    finally:
        runtime.close()


# Imported only by the requests that need them (measured: together ~25 MB in every server process, which most
# deployments never spend): a module-level import of any of these in a module the server loads undoes that.
LAZY_PACKAGES = (
    "bandit",  # Inspector's code scan
    "dns",  # ACM's DNS validation and DNS-01
    "lxml",  # SAML federation
    "phonenumbers",  # Macie's phone-number identifiers
    "pkcs11",  # the HSM seal and custom key stores
    "rich",  # bandit's, and the CLI's progress bars
    "segno",  # virtual MFA devices' QR codes
    "signxml",  # SAML federation
    "sqlalchemy.dialects.postgresql",  # PostgreSQL deployments only
    "univers",  # Inspector's version ranges outside PyPI
    "yaml",  # API Gateway's YAML definitions, OSV's YAML advisories
)

_SERVER_PROCESS = """
import sys
from strongroom.core.config import load_config
from strongroom.server.app import StrongroomApp
from strongroom.server.runtime import Runtime

runtime = Runtime.open(load_config(sys.argv[1]), migrate=False)
StrongroomApp(runtime, owns_runtime=True)
print(" ".join(sorted(name for name in sys.modules if name.split(".")[0] in {p.split(".")[0] for p in sys.argv[2:]}
                      and any(name == p or name.startswith(p + ".") for p in sys.argv[2:]))))
"""


def test_a_server_process_imports_heavy_optional_packages_only_when_used(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.support.server import ServerProcess

    ServerProcess(tmp_path).init()
    out = subprocess.run(
        [sys.executable, "-c", _SERVER_PROCESS, str(tmp_path), *LAZY_PACKAGES],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert out.stdout.split() == [], f"imported when the server loaded: {out.stdout.split()}"


def test_a_waf_submodule_does_not_import_the_engine() -> None:
    """The workers' supervisor imports ``waf.geoip`` for its start-up checks; the engine (RE2, the rule compiler)
    comes with the package's names only when one is asked for (waf/__init__.py)."""
    import subprocess
    import sys

    probe = "import sys, strongroom.waf.geoip; print('strongroom.waf.engine' in sys.modules, 're2' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["False", "False"]
    from strongroom.waf import WebAclEvaluator, issue_token
    from strongroom.waf.engine import WebAclEvaluator as direct

    assert WebAclEvaluator is direct and callable(issue_token)
