"""What the WAF benchmark sends: the benign speed mix, the web ACL under test, and the CRS corpus replay.

The speed mix is ordinary application traffic, not attacks (an attack is answered by the WAF without reaching the
backend, which would measure something else): a form post, a JSON post and a GET with a query string, a few
variants of each, with a browser's headers. Both WAFs must pass all of it; the load generator counts anything
else as an error, so a false positive shows up in the errors column instead of as speed.

The web ACL is the issue's configuration: the six AWS managed groups (Common, SQLi, KnownBadInputs, Linux, Unix,
PHP) at their defaults, default action Allow, plus one probe rule (a header the benign mix never sends) that the
bench uses to check an enforcement point really evaluates the ACL before it measures it.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from bench.rawhttp import Answer, build_case, send
from bench.signing import Signed
from bench.waf_detection import GROUPS

# Not localhost: AWS's KnownBadInputs blocks a Host of localhost / 127.x (Host_localhost_HEADER), which a real
# client never sends; Apache serves one site whatever the Host, the gateway routes by path.
HOST = "www.example.com"
PROBE_HEADER = "x-bench-waf-probe"
PROBE_VALUE = "block-me"
ACL_NAME = "bench-six-groups"

_BROWSER = (
    ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
    ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    ("Accept-Language", "en-GB,en;q=0.5"),
    ("Accept-Encoding", "gzip, deflate"),
)

_FORMS = (
    {"name": "Jane Doe", "email": "jane.doe@example.com", "plan": "team", "seats": "12", "newsletter": "on"},
    {"name": "Luis Gómez", "email": "luis@example.org", "company": "Gómez & Hijos", "message": "Call me after 5pm"},
    {"title": "Quarterly report", "tags": "finance,q3", "visibility": "internal", "notify": "yes"},
    {"q_name": "Ada", "city": "London", "zip": "N1 9GU", "phone": "+44 20 7946 0958", "agree": "1"},
)
_JSON = (
    {"customer": 48213, "items": [{"sku": "SKU-1042", "qty": 2}, {"sku": "SKU-77", "qty": 1}], "coupon": "SPRING24"},
    {"user": {"name": "Mei", "locale": "zh-CN"}, "settings": {"theme": "dark", "digest": "weekly"}, "version": 3},
    {"event": "page_view", "path": "/pricing", "referrer": "https://www.example.com/", "ts": 1733500000123},
    {"title": "Meeting notes", "body": "Agreed to ship the beta next week; Sam owns the rollout.", "pinned": False},
)
_QUERIES = (
    {"q": "running shoes", "size": "42", "sort": "price_asc", "page": "2"},
    {"q": "blue denim jacket", "brand": "acme", "in_stock": "true"},
    {"category": "books", "author": "Tolkien", "format": "paperback", "limit": "24"},
    {"from": "2024-01-01", "to": "2024-03-31", "group_by": "week", "tz": "Europe/Paris"},
)


VARIANTS = 600  # requests per kind in the speed mix: each carries values no other request has


def benign_pool(host: str = HOST, prefix: str = "", variants: int = VARIANTS) -> list[Signed]:
    """The speed mix: form posts, JSON posts and GETs with a query for ``Host: host``, built on the templates above
    with per-request values (an order reference, a session id, a page number, a quantity) so that no two requests
    are the same: the engine's per-value result cache then helps only where real traffic repeats itself too
    (headers, common words), not because the bench replays a handful of requests."""
    rng = random.Random(20261206)
    pool: list[Signed] = []
    for n in range(variants):
        form, doc, query = _FORMS[n % 4], _JSON[n % 4], _QUERIES[n % 4]
        ref = f"{n:06d}-{rng.getrandbits(48):012x}"
        cookie = ("Cookie", f"session={rng.getrandbits(128):032x}; theme=light")
        body = urlencode({**form, "ref": ref}).encode()
        pool.append(
            Signed(
                "POST",
                f"{prefix}/account/signup",
                (("Host", host), *_BROWSER, cookie, ("Content-Type", "application/x-www-form-urlencoded")),
                body,
            )
        )
        pool.append(
            Signed(
                "POST",
                f"{prefix}/api/v1/orders/{n}",
                (("Host", host), *_BROWSER[:1], ("Accept", "application/json"), ("Content-Type", "application/json")),
                json.dumps({**doc, "ref": ref, "qty": rng.randint(1, 99)}).encode(),
            )
        )
        paged = {**query, "page": str(rng.randint(1, 500)), "ref": ref}
        pool.append(Signed("GET", f"{prefix}/search?{urlencode(paged)}", (("Host", host), *_BROWSER, cookie), b""))
    return pool


def probe(host: str = HOST, prefix: str = "") -> bytes:
    """A request only the ACL's probe rule blocks."""
    return Signed("GET", f"{prefix}/probe", (("Host", host), *_BROWSER, (PROBE_HEADER, PROBE_VALUE)), b"").raw()


def _visibility(name: str) -> dict[str, Any]:
    return {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": name}


def web_acl_rules() -> list[dict[str, Any]]:
    """The ACL's rules as CreateWebACL takes them: the six managed groups, then the probe rule."""
    rules: list[dict[str, Any]] = [
        {
            "Name": group,
            "Priority": n,
            "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": group}},
            "OverrideAction": {"None": {}},
            "VisibilityConfig": _visibility(group),
        }
        for n, group in enumerate(GROUPS)
    ]
    rules.append(
        {
            "Name": "bench-probe",
            "Priority": 100,
            # a regex, not a ByteMatch: CreateWebACL answers 500 for a ByteMatchStatement's blob on main today
            "Statement": {
                "RegexMatchStatement": {
                    "RegexString": f"^{PROBE_VALUE}$",
                    "FieldToMatch": {"SingleHeader": {"Name": PROBE_HEADER}},
                    "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
                }
            },
            "Action": {"Block": {}},
            "VisibilityConfig": _visibility("bench-probe"),
        }
    )
    return rules


def web_acl(account: str = "000000000000", region: str = "us-east-1") -> dict[str, Any]:
    """The same ACL as GetWebACL returns it, for the in-process engine."""
    return {
        "Name": ACL_NAME,
        "Id": "00000000-0000-4000-8000-000000000000",
        "ARN": f"arn:aws:wafv2:{region}:{account}:regional/webacl/{ACL_NAME}/00000000-0000-4000-8000-000000000000",
        "DefaultAction": {"Allow": {}},
        "Rules": web_acl_rules(),
        "VisibilityConfig": _visibility(ACL_NAME),
        "Capacity": 0,
    }


# -- the corpus replay over HTTP ---------------------------------------------------------------------------------


@dataclass
class Tally:
    """Block/pass counts of one WAF over the CRS corpus; "blocked" is a 403, as both WAFs answer a block.

    Positives are the cases a test judges by its rule's log line (``log_contains``); the few positives judged only
    by a status (malformed requests an HTTP server itself refuses) are counted apart: refusing them is the web
    server's job as much as the WAF's. Negatives are all the others. (The same split as bench/waf_detection.py.)
    """

    positives: int = 0
    blocked: int = 0
    negatives: int = 0
    passed: int = 0
    fired: int | None = None  # positives whose own CRS rule fired (from the peer's log); None: not known
    logged: int = 0  # positives looked up in that log (those with a rule id and an answer carrying the unique id)
    statuses: Counter[str] = field(default_factory=Counter)  # "positive 403", "negative 200", "positive none", ...
    status_only: int = 0
    status_only_refused: int = 0  # answered 4xx/5xx or not at all
    by_level: dict[int, list[int]] = field(
        default_factory=dict
    )  # CRS paranoia level of the case's rule -> [blocked, n]
    benign: int = 0
    benign_passed: int = 0
    passed_ua_count: int | None = None  # negatives passed with NoUserAgent_HEADER set to Count (in-process engine)
    seconds: float = 0.0

    @staticmethod
    def pct(part: int, whole: int) -> str:
        return f"{100 * part / whole:.1f}%" if whole else "—"


Lookup = Callable[[Answer], set[str] | None]


def tally(
    cases: Sequence[Any],
    answers: Sequence[Answer],
    rules_of: Lookup | None = None,
    levels: dict[str, int] | None = None,
) -> Tally:
    """Positives blocked and negatives passed; with ``rules_of`` (answer -> rule ids that fired), rules fired too;
    with ``levels`` (CRS rule id -> paranoia level), positives blocked by the level of the rule they test."""
    out = Tally(fired=0 if rules_of else None)
    for case, answer in zip(cases, answers, strict=True):
        kind = "positive" if case.positive else "negative"
        if case.positive and case.status_only:
            kind = "status-only positive"
        out.statuses[f"{kind} {answer.status if answer.status is not None else 'none'}"] += 1
        if case.positive and case.status_only:
            out.status_only += 1
            out.status_only_refused += answer.status is None or answer.status >= 400
        elif case.positive:
            out.positives += 1
            out.blocked += answer.status == 403
            if levels and case.rule_id in levels:
                cell = out.by_level.setdefault(levels[case.rule_id], [0, 0])
                cell[0] += answer.status == 403
                cell[1] += 1
            rules = rules_of(answer) if rules_of else None
            if rules is not None:
                out.logged += 1
                out.fired = (out.fired or 0) + (case.rule_id in rules)
        else:
            out.negatives += 1
            out.passed += answer.status != 403
    return out


def replay(cases: Sequence[Any], host: str, port: int, workers: int = 16, timeout: float = 5.0) -> list[Answer]:
    """Every case on its own connection, ``workers`` at a time, bytes as written (``raw`` when the case has it)."""
    requests = [build_case(c) for c in cases]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda r: send(host, port, r, timeout), requests))
