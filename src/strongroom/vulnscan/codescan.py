"""Code scanning of a function's own Python and JavaScript: hard-coded credentials, injection, weak crypto.

Python goes through **bandit** (PyCQA's static analyser), run as a library on the in-memory file (no subprocess,
nothing written to disk); its test ids are mapped to CWE ids and to detectors named the way Amazon's detector
library (CodeGuru / Amazon Q, which Inspector's Lambda code scanning uses) names them: ``python/<slug>@v1.0``.
Bandit tests that are not about security of the running function (``assert`` use, ``import subprocess``, …) are
not mapped and so not reported. Hard-coded secrets in both languages come from a small rule set of well-known
credential formats (AWS access key ids and secret keys, private keys, GitHub/Slack/Stripe/Google tokens), and
JavaScript gets a few rules for ``eval``, shell commands and weak hashes — regexes, documented below, not a
JavaScript parser. Vendored dependencies (files a ``*.dist-info/RECORD`` lists, ``node_modules/``,
``site-packages/``) are the package scan's business and are skipped, as Inspector scans the function's own code.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

from strongroom.vulnscan.model import CodeMatch

MAX_SOURCE = 2 * 1024 * 1024  # a "source file" larger than this is generated or minified: not scanned
_PY = (".py",)
_JS = (".js", ".mjs", ".cjs", ".ts", ".jsx", ".tsx")
_VENDORED = ("node_modules/", "site-packages/", "dist-packages/", "__pycache__/", ".venv/")

# bandit logs a warning per in-memory file ("Unable to find qualified name for module") and per parse error
logging.getLogger("bandit").setLevel(logging.ERROR)


@dataclass(frozen=True, slots=True)
class Detector:
    slug: str
    name: str
    cwes: tuple[str, ...]
    severity: str


HARDCODED = Detector("hardcoded-credentials", "Hardcoded credentials", ("CWE-798",), "CRITICAL")
OS_COMMAND = Detector("os-command-injection", "OS command injection", ("CWE-77", "CWE-78", "CWE-88"), "HIGH")
SQL = Detector("sql-injection", "SQL injection", ("CWE-89",), "HIGH")
CODE_INJECTION = Detector("code-injection", "Unsanitized input is run as code", ("CWE-94",), "HIGH")
HASHING = Detector("insecure-hashing", "Insecure hashing", ("CWE-327", "CWE-328"), "MEDIUM")
CRYPTO = Detector("insecure-cryptography", "Insecure cryptography", ("CWE-327",), "HIGH")
DESERIALIZATION = Detector("unsafe-deserialization", "Deserialization of untrusted object", ("CWE-502",), "HIGH")
CERTIFICATE = Detector("improper-certificate-validation", "Improper certificate validation", ("CWE-295",), "HIGH")
CONNECTION = Detector("insecure-connection", "Insecure connection using unencrypted protocol", ("CWE-319",), "HIGH")
XXE = Detector("xml-external-entity", "XML External Entity", ("CWE-611",), "HIGH")
TEMPFILE = Detector("insecure-temp-file", "Insecure temporary file or directory", ("CWE-377",), "MEDIUM")
PERMISSIONS = Detector("loose-file-permissions", "Loose file permissions", ("CWE-732", "CWE-266"), "HIGH")
SOCKET = Detector("insecure-socket-bind", "Insecure Socket Bind", ("CWE-200",), "MEDIUM")
XSS = Detector("cross-site-scripting", "Cross-site scripting", ("CWE-20", "CWE-79", "CWE-80"), "HIGH")
TAR = Detector("path-traversal", "Path traversal", ("CWE-22",), "HIGH")
RANDOM = Detector("insecure-cryptography", "Insecure cryptography", ("CWE-330",), "MEDIUM")

# bandit test id → detector; tests missing here are not reported.
BANDIT: dict[str, Detector] = {
    "B102": CODE_INJECTION,
    "B103": PERMISSIONS,
    "B104": SOCKET,
    "B105": HARDCODED,
    "B106": HARDCODED,
    "B107": HARDCODED,
    "B108": TEMPFILE,
    "B202": TAR,
    "B301": DESERIALIZATION,
    "B302": DESERIALIZATION,
    "B303": HASHING,
    "B304": CRYPTO,
    "B305": CRYPTO,
    "B306": TEMPFILE,
    "B307": CODE_INJECTION,
    "B312": CONNECTION,
    "B313": XXE,
    "B314": XXE,
    "B315": XXE,
    "B316": XXE,
    "B317": XXE,
    "B318": XXE,
    "B319": XXE,
    "B320": XXE,
    "B321": CONNECTION,
    "B323": CERTIFICATE,
    "B324": HASHING,
    "B501": CERTIFICATE,
    "B502": CRYPTO,
    "B503": CRYPTO,
    "B504": CRYPTO,
    "B505": CRYPTO,
    "B506": DESERIALIZATION,
    "B507": CERTIFICATE,
    "B601": OS_COMMAND,
    "B602": OS_COMMAND,
    "B604": OS_COMMAND,
    "B605": OS_COMMAND,
    "B608": SQL,
    "B609": OS_COMMAND,
    "B610": SQL,
    "B611": SQL,
    "B614": DESERIALIZATION,
    "B701": XSS,
    "B702": XSS,
    "B703": XSS,
    "B704": XSS,
}


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str
    pattern: re.Pattern[str]
    detector: Detector
    description: str


_QUOTE = r"[\"'`]"
# Well-known credential formats (each documented by its issuer); both languages.
SECRET_RULES: tuple[Rule, ...] = (
    Rule(
        "aws-access-key-id",
        re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Z0-9])"),
        HARDCODED,
        "An AWS access key id is hard-coded.",
    ),
    Rule(
        "aws-secret-access-key",
        re.compile(
            r"(?i)(?:aws)?_?secret_?(?:access)?_?key(?:_?id)?"
            + _QUOTE
            + r"?\s*[:=,]\s*"
            + _QUOTE
            + r"([A-Za-z0-9/+]{40})"
            + _QUOTE
        ),
        HARDCODED,
        "An AWS secret access key is hard-coded.",
    ),
    Rule(
        "private-key",
        re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----"),
        HARDCODED,
        "A private key is hard-coded.",
    ),
    Rule("github-token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"), HARDCODED, "A GitHub token is hard-coded."),
    Rule("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"), HARDCODED, "A Slack token is hard-coded."),
    Rule("stripe-key", re.compile(r"\b[sr]k_live_[0-9a-zA-Z]{24,}\b"), HARDCODED, "A Stripe live key is hard-coded."),
    Rule("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), HARDCODED, "A Google API key is hard-coded."),
)
JS_RULES: tuple[Rule, ...] = (
    Rule(
        "js-hardcoded-password",
        re.compile(
            r"(?i)\b(?:password|passwd|pwd|secret|api_?key|access_?token|auth_?token)\b"
            + _QUOTE
            + r"?\s*[:=]\s*"
            + _QUOTE
            + r"[^\"'`\s]{8,}"
            + _QUOTE
        ),
        HARDCODED,
        "A password or token is hard-coded.",
    ),
    Rule(
        "js-eval",
        re.compile(r"(?<![\w.])(?:eval|Function)\s*\(\s*[^\"'`)\s]"),
        CODE_INJECTION,
        "eval() or new Function() runs a value that is not a literal as code.",
    ),
    Rule(
        "js-child-process-exec",
        re.compile(r"\b(?:exec|execSync)\s*\(\s*(?:`[^`]*\$\{|[\"'][^\"']*[\"']\s*\+|[A-Za-z_$][\w$.]*\s*[,)])"),
        OS_COMMAND,
        "A shell command is built from a value that is not a literal.",
    ),
    Rule(
        "js-weak-hash",
        re.compile(r"createHash\s*\(\s*[\"'](?:md5|sha1|md4)[\"']", re.IGNORECASE),
        HASHING,
        "MD5/SHA-1 are broken for security purposes.",
    ),
    Rule(
        "js-tls-verification-disabled",
        re.compile(r"rejectUnauthorized\s*:\s*false|NODE_TLS_REJECT_UNAUTHORIZED[\"']?\]?\s*=\s*[\"']0"),
        CERTIFICATE,
        "TLS certificate verification is turned off.",
    ),
)


def is_source(path: str) -> bool:
    """Files the code scan reads: Python/JavaScript sources, and pip's RECORDs (to tell vendored files apart)."""
    lowered = path.lower()
    if any(f"/{v}" in f"/{lowered}" for v in _VENDORED):
        return False
    return lowered.endswith(_PY + _JS) or path.endswith(".dist-info/RECORD")


def _vendored(files: Mapping[str, bytes]) -> set[str]:
    """Files that pip installed (listed in a RECORD): dependencies, not the function's code."""
    out: set[str] = set()
    for path, data in files.items():
        if path.endswith(".dist-info/RECORD"):
            root = path.rsplit("/", 2)[0] + "/" if path.count("/") >= 2 else ""
            for line in data.decode("utf-8", "replace").splitlines():
                name = line.split(",", 1)[0]
                if name:
                    out.add(root + name)
    return out


def _bandit(path: str, data: bytes) -> list[CodeMatch]:
    # Imported with the first Python file scanned: bandit, stevedore and rich are ~8 MB in every server process
    # that loads Inspector, and most never scan code.
    with warnings.catch_warnings():
        # bandit's plugin loading passes stevedore an argument it deprecated: noise for every importer
        warnings.simplefilter("ignore", DeprecationWarning)
        from bandit.core import config as bandit_config
        from bandit.core import manager as bandit_manager

    manager = bandit_manager.BanditManager(bandit_config.BanditConfig(), "file", quiet=True)
    manager._parse_file(path, io.BytesIO(data), [path])  # the in-memory entry point bandit uses for stdin
    out: list[CodeMatch] = []
    for issue in manager.results:
        detector = BANDIT.get(issue.test_id)
        if detector is None:
            continue
        lines = [n for n in (issue.linerange or [issue.lineno]) if isinstance(n, int)] or [int(issue.lineno)]
        out.append(
            CodeMatch(
                file_path=path,
                start_line=min(lines),
                end_line=max(lines),
                cwes=detector.cwes,
                detector_id=f"python/{detector.slug}@v1.0",
                detector_name=detector.name,
                rule_id=f"python-{issue.test_id}-{issue.test}",
                severity=detector.severity if detector is HARDCODED else str(issue.severity),
                # bandit's text for B105-B107 quotes the password: the finding must not carry the secret
                description="A password or secret is hard-coded." if detector is HARDCODED else str(issue.text),
            )
        )
    return out


def _regex(path: str, text: str, language: str, rules: tuple[Rule, ...]) -> list[CodeMatch]:
    out: list[CodeMatch] = []
    starts = [0]
    starts.extend(i + 1 for i, ch in enumerate(text) if ch == "\n")

    def line_of(offset: int) -> int:
        lo, hi = 0, len(starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    for rule in rules:
        for found in rule.pattern.finditer(text):
            end = found.end()
            if rule.rule_id == "private-key":
                closing = text.find("-----END", end)
                end = closing if closing != -1 else end
            out.append(
                CodeMatch(
                    file_path=path,
                    start_line=line_of(found.start()),
                    end_line=line_of(max(found.start(), end - 1)),
                    cwes=rule.detector.cwes,
                    detector_id=f"{language}/{rule.detector.slug}@v1.0",
                    detector_name=rule.detector.name,
                    rule_id=f"{language}-{rule.rule_id}",
                    severity=rule.detector.severity,
                    description=rule.description,
                )
            )
    return out


def scan_code(files: Mapping[str, bytes]) -> list[CodeMatch]:
    """CodeMatches for every Python/JavaScript file of a function's own code (vendored packages skipped), in
    (path, line) order, one per (file, detector, line range)."""
    vendored = _vendored(files)
    out: list[CodeMatch] = []
    for path in sorted(files):
        lowered = path.lower()
        data = files[path]
        if path in vendored or any(f"/{v}" in f"/{path}" for v in _VENDORED):
            continue
        if len(data) > MAX_SOURCE:
            continue
        if lowered.endswith(_PY):
            # the specific credential rules first: on a line bandit's B105 also flags, theirs is the finding kept
            found = _regex(path, data.decode("utf-8", "replace"), "python", SECRET_RULES) + _bandit(path, data)
        elif lowered.endswith(_JS):
            found = _regex(path, data.decode("utf-8", "replace"), "javascript", SECRET_RULES + JS_RULES)
        else:
            continue
        seen: set[tuple[str, int, int]] = set()
        for item in sorted(found, key=lambda m: (m.start_line, m.end_line, m.detector_id)):
            key = (item.detector_id, item.start_line, item.end_line)
            if key not in seen:  # bandit's B105 and the AWS-key rule on one line are one finding
                seen.add(key)
                out.append(item)
    return out
