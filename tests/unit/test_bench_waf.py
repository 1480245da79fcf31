"""The WAF benchmark's pure helpers: the raw request builder, the Apache config, the audit-log reader, the tally."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

from bench.crs_corpus import CrsCase
from bench.load import Cell
from bench.modsecurity import levels_from_conf, render_config, rules_by_request
from bench.rawhttp import build_case, build_request, parse_head, send
from bench.waf import BACKEND, ENGINE, MODSEC, PEER, WafResults, named_host
from bench.waf_report import BEGIN, END, render
from bench.waf_traffic import GROUPS, HOST, Tally, benign_pool, tally, web_acl_rules

from strongroom.waf import WafRequest, WebAclEvaluator
from strongroom.waf.managed import EmptyManagedRules

RECOMMENDED = """# Debian's file, abridged
SecRuleEngine DetectionOnly
SecRequestBodyAccess On
SecAuditEngine RelevantOnly
SecAuditLogParts ABDEFHIJZ
SecAuditLog /var/log/apache2/modsec_audit.log
SecTmpDir /tmp/
SecDataDir /tmp/
SecUnicodeMapFile unicode.mapping 20127
"""


def _case(**overrides: object) -> CrsCase:
    fields: dict[str, object] = {
        "test_title": "942100-1",
        "rule_id": "942100",
        "file": "REQUEST-942-APPLICATION-ATTACK-SQLI",
        "positive": True,
        "method": "GET",
        "uri": "/?id=1",
        "version": "HTTP/1.0",
        "headers": (("Host", "localhost"), ("User-Agent", "ModSecurity CRS 3 Tests")),
        "body": b"",
        "raw": None,
    }
    fields.update(overrides)
    return CrsCase(**fields)  # type: ignore[arg-type]


def test_request_is_built_as_python_ftw_puts_it_on_the_wire() -> None:
    built = build_request("POST", "/x?a=1", "HTTP/1.1", [("Host", "h"), ("X-Dup", "1"), ("X-Dup", "2")], "a=b")
    assert built == (
        b"POST /x?a=1 HTTP/1.1\r\nHost: h\r\nX-Dup: 1\r\nX-Dup: 2\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\na=b"
    )
    # the case's own Content-Length (even a wrong one) and Content-Type are kept; stop_magic adds nothing
    kept = build_request("POST", "/", "HTTP/1.0", {"content-length": "99", "Content-Type": "text/plain"}, b"x")
    assert kept == b"POST / HTTP/1.0\r\ncontent-length: 99\r\nContent-Type: text/plain\r\n\r\nx"
    assert build_request("POST", "/", "HTTP/1.0", {}, b"x", stop_magic=True) == b"POST / HTTP/1.0\r\n\r\nx"
    assert build_request("GET", "/", "", {}) == b"GET / \r\n\r\n"  # no version: python-ftw's trailing space
    assert build_request("GET", "/", raw=b"GARBAGE\n\n") == b"GARBAGE\n\n"


def test_text_values_go_out_as_the_corpus_loader_reads_them() -> None:
    # "\xNN" escapes in the YAML are code points below 256: one byte each; anything wider is UTF-8
    built = build_request("GET", "/\xe9", "HTTP/1.1", {"X": "\u2603"})
    assert built == b"GET /\xe9 HTTP/1.1\r\nX: \xe2\x98\x83\r\n\r\n"


def test_a_corpus_case_is_sent_as_written() -> None:
    assert build_case(_case()) == (
        b"GET /?id=1 HTTP/1.0\r\nHost: localhost\r\nUser-Agent: ModSecurity CRS 3 Tests\r\n\r\n"
    )
    assert build_case(_case(raw=b"GET /\x00 HTTP/1.1\r\n\r\n")) == b"GET /\x00 HTTP/1.1\r\n\r\n"


def test_strongroom_replays_name_a_real_host_instead_of_localhost() -> None:
    renamed = named_host(_case())
    assert dict(renamed.headers)["Host"] == HOST
    assert dict(named_host(_case(headers=(("Host", "evil.example"),))).headers)["Host"] == "evil.example"
    raw = named_host(_case(raw=b"GET / HTTP/1.1\r\nhost:  localhost\r\nX: localhost\r\n\r\n")).raw
    assert raw == b"GET / HTTP/1.1\r\nhost:  " + HOST.encode() + b"\r\nX: localhost\r\n\r\n"


def test_response_head_parsing() -> None:
    answer = parse_head(b"HTTP/1.1 403 Forbidden\r\nX-Bench-Unique-Id: abc\r\nContent-Length: 5\r\n\r\nnope!")
    assert answer.status == 403 and answer.headers["x-bench-unique-id"] == "abc"
    assert parse_head(b"").status is None and parse_head(b"").error == "no answer"
    assert parse_head(b"SSH-2.0-OpenSSH\r\n").status is None


def test_send_reads_only_the_head_on_a_fresh_connection() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    received: list[bytes] = []

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            received.append(conn.recv(65536))
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\npartial")  # and keeps the connection

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        answer = send("127.0.0.1", port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
    finally:
        thread.join(5)
        listener.close()
    assert answer.status == 200 and received == [b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"]


def test_apache_config_is_private_and_switches_modsecurity_on(tmp_path: Path) -> None:
    conf = render_config(tmp_path, 18080, "http://127.0.0.1:9000", recommended=RECOMMENDED, user="www-data")
    assert f'ServerRoot "{tmp_path}"' in conf and f'PidFile "{tmp_path / "apache2.pid"}"' in conf
    assert f'ErrorLog "{tmp_path / "error.log"}"' in conf and "Listen 127.0.0.1:18080" in conf
    assert "/etc/apache2" not in conf and "/var/log" not in conf
    assert "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so" in conf
    assert 'ProxyPass "/" "http://127.0.0.1:9000/"' in conf
    assert "SecRuleEngine On" in conf and "DetectionOnly" not in conf
    assert f'SecAuditLog "{tmp_path / "modsec_audit.log"}"' in conf and "SecAuditEngine RelevantOnly" in conf
    assert "tx.paranoia_level=1" in conf and 'Include "/usr/share/modsecurity-crs/rules/*.conf"' in conf
    assert conf.index("crs-setup.conf") < conf.index("modsecurity-crs/rules")  # setup before the rules
    assert "headers_module" not in conf and "User www-data" in conf
    detection = render_config(tmp_path, 1, "http://b", recommended=RECOMMENDED, expose_unique_id=True)
    assert "SecAuditEngine On" in detection and "SecAuditLogParts AHZ" in detection
    assert 'Header always set x-bench-unique-id "%{UNIQUE_ID}e"' in detection and "User " not in detection
    plain = render_config(tmp_path, 1, "http://b", recommended=RECOMMENDED, modsecurity=False)
    assert "security2" not in plain and "SecRuleEngine" not in plain


def test_audit_log_gives_the_rules_that_fired_per_request() -> None:
    log = (
        "--1a2b3c4d-A--\n"
        "[06/Dec/2026:19:00:38.269314 +0000] axWw1Eef 127.0.0.1 36480 127.0.0.1 8080\n"
        "--1a2b3c4d-H--\n"
        'Message: Warning. Pattern match ... [id "942100"] [msg "SQL Injection Attack Detected via libinjection"]\n'
        'Message: Access denied with code 403 (phase 2). ... [id "949110"] [msg "Inbound Anomaly Score Exceeded"]\n'
        "Stopwatch: 1733511638269314 2038 (- - -)\n"
        "--1a2b3c4d-Z--\n"
        "\n"
        "--5e6f7a8b-A--\n"
        "[06/Dec/2026:19:00:38.300000 +0000] bxWw2Fgh 127.0.0.1 36482 127.0.0.1 8080\n"
        "--5e6f7a8b-H--\n"
        "Stopwatch: 1733511638300000 900 (- - -)\n"
        "--5e6f7a8b-Z--\n"
    )
    assert rules_by_request(log) == {"axWw1Eef": {"942100", "949110"}, "bxWw2Fgh": set()}


def test_paranoia_levels_come_from_the_skip_markers_before_each_rule() -> None:
    conf = """
SecRule TX:EXECUTING_PARANOIA_LEVEL "@lt 1" "id:942011,phase:1,pass,nolog,skipAfter:END-REQUEST-942"
SecRule ARGS "@detectSQLi" \\
    "id:942100,\\
    phase:2,\\
    tag:'paranoia-level/1'"
SecRule TX:EXECUTING_PARANOIA_LEVEL "@lt 2" "id:942013,phase:1,pass,nolog,skipAfter:END-REQUEST-942"
SecRule ARGS "@rx x" "id:942200,phase:2,block"
SecRule TX:EXECUTING_PARANOIA_LEVEL "@lt 4" "id:942017,phase:1,pass,nolog,skipAfter:END-REQUEST-942"
SecRule ARGS "@rx y" "id:'942400',phase:2,block"
"""
    assert levels_from_conf(conf) == {"942100": 1, "942200": 2, "942400": 4}


def test_tally_counts_403_as_blocked_and_status_only_cases_apart() -> None:
    from bench.rawhttp import Answer

    cases = [
        _case(),
        _case(rule_id="942110"),
        _case(positive=False),
        _case(positive=False),
        _case(status_only=True),
    ]
    answers = [Answer(403, {"u": "1"}), Answer(200, {"u": "2"}), Answer(200), Answer(403), Answer(400)]
    fired = {"1": {"942100", "949110"}, "2": {"920350"}}
    result = tally(cases, answers, lambda a: fired.get(a.headers.get("u", "")), {"942100": 1, "942110": 2})
    assert (result.positives, result.blocked, result.negatives, result.passed) == (2, 1, 2, 1)
    assert (result.fired, result.logged) == (1, 2) and result.by_level == {1: [1, 1], 2: [0, 1]}
    assert (result.status_only, result.status_only_refused) == (1, 1)
    assert result.statuses["positive 403"] == 1 and result.statuses["status-only positive 400"] == 1


def test_the_web_acl_is_the_six_groups_and_the_probe() -> None:
    rules = web_acl_rules()
    managed = [r["Statement"]["ManagedRuleGroupStatement"]["Name"] for r in rules[:-1]]
    assert tuple(managed) == GROUPS and rules[-1]["Action"] == {"Block": {}}
    evaluator = WebAclEvaluator(
        {"Name": "t", "DefaultAction": {"Allow": {}}, "Rules": rules, "VisibilityConfig": {"MetricName": "t"}},
        managed_rules=EmptyManagedRules(),
    )
    probe = WafRequest("GET", "/probe", headers=(("Host", HOST), ("x-bench-waf-probe", "block-me")))
    assert evaluator.evaluate(probe, now=0).action == "BLOCK"
    for signed in benign_pool():
        path, _, query = signed.path.partition("?")
        request = WafRequest(signed.method, path, query, signed.headers, signed.body)
        assert evaluator.evaluate(request, now=0).action == "ALLOW"


def test_report_replaces_only_its_block() -> None:
    results = WafResults(generator="python", seconds=1.0, cases=3)
    results.options.concurrency = (1,)
    results.detection[PEER] = Tally(positives=4, blocked=3, negatives=2, passed=2, fired=2, logged=4)
    results.cells[BACKEND] = {1: Cell(1000, 1.0, 0, 0.05, 0.1, 0.2)}
    results.cells[MODSEC] = {1: Cell(300, 1.0, 0, 2.05, 3.1, 4.0)}
    previous = f"# Benchmarks\n\nanalysis\n\n{BEGIN}\nold\n{END}\n\nmore\n"
    text = render(results, previous)
    assert "analysis" in text and "more" in text and "\nold\n" not in text
    assert "| 3 / 4 (75.0%) | 2 / 2 (100.0%) |" in text
    assert f"| {MODSEC} | {BACKEND} | +2.00 ms | +3.00 ms | 300 at c=1 | 30% |" in text
    appended = render(results, "# Benchmarks\n")
    assert appended.startswith("# Benchmarks\n\n" + BEGIN) and appended.rstrip().endswith(END)


def test_report_gives_the_negatives_with_no_user_agent_at_count_apart() -> None:
    results = WafResults(generator="python", seconds=1.0, cases=3)
    results.options.concurrency = (1,)
    results.detection[ENGINE] = Tally(positives=4, blocked=3, negatives=10, passed=6, passed_ua_count=9)
    text = render(results, "")
    assert "| 6 / 10 (60.0%) |" in text  # the groups at their defaults
    assert "with NoUserAgent_HEADER set to Count" in text and "negatives passed 9 / 10 (90.0%)" in text
    assert "negatives passed with NoUserAgent_HEADER set to Count" in text and "| 90.0% | **no** |" in text
