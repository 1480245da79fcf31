"""Build the AWS managed rule groups' detection content from OWASP CRS 3.3.4 (development time only).

    cd /tmp && apt-get download modsecurity-crs && dpkg-deb -x modsecurity-crs_*.deb /tmp/crs
    PYTHONPATH=src .venv/bin/python tools/crs/build_managed.py /tmp/crs/usr/share/modsecurity-crs/rules

Reads the SecRule files and .data lists, translates each CRS detection rule into wafv2 statements over the AWS
field its variables correspond to (ARGS -> AllQueryArguments / Body, REQUEST_COOKIES -> Cookies, REQUEST_HEADERS
-> Headers, REQUEST_FILENAME -> UriPath, ...), with CRS's t: transformations mapped to AWS's text transformations,
PCRE rewritten to RE2, and files every statement under the AWS rule (names and labels from
``src/strongroom/waf/managed_rules/catalog.json``) whose field and attack class it fits. Writes one
``<GroupName>.json`` per group next to the catalog, plus ``crs_map.json`` (CRS id -> AWS rules, and the CRS rules
left out with the reason). The output is committed; nothing here runs at install or test time.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import re2

sys.path.insert(0, str(Path(__file__).parent))
from crs_parse import SecRule, parse_file

OUT = Path(__file__).resolve().parents[2] / "src" / "strongroom" / "waf" / "managed_rules"

# CRS t: -> AWS TextTransformation; None: no AWS equivalent (approximation noted per rule)
T_MAP: dict[str, str | None] = {
    "urlDecodeUni": "URL_DECODE_UNI",
    "urlDecode": "URL_DECODE",
    "htmlEntityDecode": "HTML_ENTITY_DECODE",
    "lowercase": "LOWERCASE",
    "removeNulls": "REMOVE_NULLS",
    "replaceNulls": "REPLACE_NULLS",
    "cmdLine": "CMD_LINE",
    "compressWhitespace": "COMPRESS_WHITE_SPACE",
    "cssDecode": "CSS_DECODE",
    "jsDecode": "JS_DECODE",
    "normalisePath": "NORMALIZE_PATH",
    "normalizePath": "NORMALIZE_PATH",
    "normalizePathWin": "NORMALIZE_PATH_WIN",
    "normalisePathWin": "NORMALIZE_PATH_WIN",
    "utf8toUnicode": "UTF8_TO_UNICODE",
    "replaceComments": "REPLACE_COMMENTS",
    "base64Decode": "BASE64_DECODE",
    "base64decode": "BASE64_DECODE",
    "base64DecodeExt": "BASE64_DECODE_EXT",
    "hexDecode": "HEX_DECODE",
    "sqlHexDecode": "SQL_HEX_DECODE",
    "escapeSeqDecode": "ESCAPE_SEQ_DECODE",
    "md5": "MD5",
    # approximations: removeWhitespace has no AWS transform; compressing keeps words apart but loses
    # "s e l e c t" folding. removeComments / trim only widen what a regex can see.
    "removeWhitespace": "COMPRESS_WHITE_SPACE",
    "removeComments": "REPLACE_COMMENTS",
    "trim": None,
}

BODY = {"Body": {"OversizeHandling": "CONTINUE"}}
# ARGS in a body: a JSON body's keys and values one by one (as ModSecurity's JSON body processor exposes them),
# any other body (form, multipart, XML) as the raw text
ARGS_BODY = {
    "JsonBody": {
        "MatchPattern": {"All": {}},
        "MatchScope": "ALL",
        "InvalidFallbackBehavior": "EVALUATE_AS_STRING",
        "OversizeHandling": "CONTINUE",
    }
}
QARGS = {"AllQueryArguments": {}}
QSTRING = {"QueryString": {}}
URIPATH = {"UriPath": {}}


def _cookies(scope: str) -> dict:
    # names and values together, for the same reason as _args
    return {"Cookies": {"MatchPattern": {"All": {}}, "MatchScope": "ALL", "OversizeHandling": "CONTINUE"}}


def _headers(scope: str) -> dict:
    return {"Headers": {"MatchPattern": {"All": {}}, "MatchScope": scope, "OversizeHandling": "CONTINUE"}}


def _args(source: str, scope: str) -> dict:
    # engine-internal field (waf/managed_fields.py): ModSecurity's ARGS / ARGS_NAMES, one value per argument.
    # Names and values are always inspected together (argument names are as attacker-controlled as values): one
    # extraction and one RE2 set per transformation chain instead of three.
    return {"ManagedArgs": {"Source": source, "Scope": "VALUE" if source == "RAW_BODY" else "ALL"}}


# (class, field, transformations applied before CRS's own: the request parser's decoding in ModSecurity)
Target = tuple[str, dict, tuple[str, ...]]


def targets(variable: str) -> list[Target]:
    name, _, sel = variable.partition(":")
    if name.startswith("!") or name.startswith("&"):
        return []
    dec = ("URL_DECODE_UNI",)
    if name == "ARGS":
        return [("QUERYARGUMENTS", _args("QUERY", "VALUE"), dec), ("BODY", _args("BODY", "VALUE"), dec)]
    if name == "ARGS_NAMES":
        return [("QUERYARGUMENTS", _args("QUERY", "KEY"), dec), ("BODY", _args("BODY", "KEY"), dec)]
    if name == "ARGS_GET":
        return [("QUERYARGUMENTS", _args("QUERY", "VALUE"), dec)]
    if name == "ARGS_GET_NAMES":
        return [("QUERYARGUMENTS", _args("QUERY", "KEY"), dec)]
    if name in ("ARGS_POST", "XML", "FILES", "FILES_NAMES", "MULTIPART_PART_HEADERS"):
        return [("BODY", _args("BODY", "VALUE"), dec)]
    if name == "ARGS_POST_NAMES":
        return [("BODY", _args("BODY", "KEY"), dec)]
    if name == "REQUEST_BODY":
        return [("BODY", _args("RAW_BODY", "VALUE"), ())]
    if name == "REQUEST_COOKIES":
        return [("COOKIE", _cookies("VALUE"), ())]
    if name == "REQUEST_COOKIES_NAMES":
        return [("COOKIE", _cookies("KEY"), ())]
    if name == "REQUEST_HEADERS" and sel:
        return [("HEADER", {"SingleHeader": {"Name": sel.lower()}}, ())]
    if name == "REQUEST_HEADERS":
        return [("HEADER", _headers("VALUE"), ())]
    if name == "REQUEST_HEADERS_NAMES":
        return [("HEADER", _headers("KEY"), ())]
    if name in ("REQUEST_FILENAME", "REQUEST_BASENAME"):
        return [("URIPATH", URIPATH, ("URL_DECODE",))]
    if name in ("REQUEST_URI", "REQUEST_URI_RAW", "REQUEST_LINE"):
        return [("URIPATH", URIPATH, ()), ("QUERYSTRING", QSTRING, ())]
    if name == "QUERY_STRING":
        return [("QUERYSTRING", QSTRING, ())]
    if name == "REQUEST_METHOD":
        return [("METHOD", {"Method": {}}, ())]
    return []


# -- PCRE -> RE2 ---------------------------------------------------------------------------------------------

_OPTS = re2.Options()
_OPTS.log_errors = False
_OPTS.max_mem = 64 << 20


def re2_ok(pattern: str) -> bool:
    try:
        re2.compile(pattern.encode("utf-8"), _OPTS)
        return True
    except re2.error:
        return False


def _group_end(p: str, start: int) -> int:
    """Index just past the group opened at p[start] == '('."""
    depth, i, in_class = 0, start, False
    while i < len(p):
        c = p[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if p[i + 1 : i + 2] == "]":
                i += 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(p)


def _drop_possessive(p: str) -> str:
    out, i, in_class = [], 0, False
    while i < len(p):
        c = p[i]
        if c == "\\":
            out.append(p[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "+" and out and out[-1] in ("*", "+", "?", "}") and not (len(out) > 1 and out[-2] == "\\"):
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def translate(pattern: str) -> tuple[str | None, str]:
    """-> (RE2 pattern or None, note). Lookaheads/lookbehinds: positive ones become plain groups (they then
    consume, which only matters for overlapping matches), negative ones are dropped (wider match)."""
    if re2_ok(pattern):
        return pattern, ""
    p = pattern.replace("(?>", "(?:").replace("\\Z", "$")
    p = _drop_possessive(p)
    notes = []
    for opener, keep in (("(?<!", False), ("(?!", False), ("(?<=", True), ("(?=", True)):
        while opener in p:
            i = p.index(opener)
            end = _group_end(p, i)
            p = p[:i] + ("(?:" + p[i + len(opener) : end] if keep else "") + p[end:]
            notes.append(opener)
    if re.search(r"\\[1-9]", p):
        return None, "backreference"
    if re2_ok(p):
        return p, "rewritten: " + " ".join(sorted(set(notes))) if notes else "rewritten"
    return None, "RE2 refuses it"


# -- operators -> statements ---------------------------------------------------------------------------------


def _words_regex(words: list[str]) -> str:
    # @pm is a case-insensitive substring search
    uniq = sorted({w.lower() for w in words if w})
    return "(?i)(?:" + "|".join(re.escape(w) for w in uniq) + ")"


def load_data(rules_dir: Path, name: str) -> list[str]:
    lines = (rules_dir / name).read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


# -- refinements: CRS patterns that flag plain English, narrowed to the shell syntax that makes them attacks -------

# CRS 932150 ("direct Unix command execution") fires on a value that *starts* with a Unix command word followed by
# any whitespace: "cat food", "echo dot speaker", "python tutorial", "time to go" all look like commands to it. A
# command is only dangerous where a shell parses it, so the refined rule asks for what a shell would see after the
# word: an operator (; | & < > ` $( ) right after it; or a first argument only a command line has -- an option (-x,
# --long), a path (/, ~/, ./, ../), a variable ($HOME, ${..}, $(..)), a quoted, escaped or globbed word, a URL, a
# host name --; or later in the same value a shell operator (|, ;, `, &&, $( ), ${ }, a redirect to a path), an
# option, an absolute path of two levels or more, an IPv4 address or a script file name ("wget evil.example/x -O
# /tmp/x", "nc evil.example 4444 -e sh", "python exploit.py"). A word preceded by a path ("/bin/cat x") keeps CRS's
# own condition: the path is already shell context. Commands after a separator (";cat x", "|id") are
# 932100/932105/932106's class and are not affected.
_CMD_PATH = r"""(?:[\?\*\[\]\(\)\-\|+\w'"\./\\\\]+/)?"""
_CMD_TAIL = r"(?:\s|;|\||&|<|>)"
SHELL_CONTEXT = (
    r"(?:[;|&<>`]|\$\("
    # the first argument: an option, a path, a variable, a quoted/escaped/globbed word, a pipe or list operator,
    # a URL (also as second argument: "svn co http://.."), a host name ("nc evil.example 4444")
    r"|\s+(?:--?[A-Za-z0-9]|[/~]|\.{1,2}/|\$[A-Za-z_{(]|['\"`\\*]|[;|]|&&"
    r"|(?:\S+\s+)?[A-Za-z][A-Za-z0-9+.-]*://|[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?:[/:\s]|$))"
    # later in the value: an operator, a redirect to a path, an option, an absolute path, an IPv4 address, a script
    r"|\s.*(?:[|;`]|&&|\$[({]|[<>]\s*[/~&]|\s--?[A-Za-z][\w-]*(?:[\s=]|$)|\s/\w+/"
    r"|\b\d{1,3}(?:\.\d{1,3}){3}\b|\.(?:sh|bash|pl|py|php|rb|elf|bin)\b))"
)


def _shell_context(regex: str) -> tuple[str, str]:
    if not regex.endswith(_CMD_TAIL) or _CMD_PATH not in regex:
        raise ValueError("932150's pattern changed: review the refinement")
    with_path = regex.replace(_CMD_PATH, _CMD_PATH[:-1], 1)
    in_context = regex[: -len(_CMD_TAIL)] + SHELL_CONTEXT
    return f"(?:{with_path})|(?:{in_context})", "refined: a command word needs shell context (see SHELL_CONTEXT)"


REFINED = {"932150": _shell_context}


def operator_regex(rule: SecRule, rules_dir: Path) -> tuple[str | None, str]:
    op, arg = rule.operator, rule.argument
    if rule.negated:
        return None, f"negated @{op}"
    if "%{" in arg:
        return None, "macro in operand"
    if op == "rx":
        regex, note = translate(arg)
        if regex is not None and rule.id in REFINED:
            regex, extra = REFINED[rule.id](regex)
            note = "; ".join(x for x in (note, extra) if x)
        return regex, note
    if op == "pm":
        return _words_regex(arg.split()), ""
    if op in ("pmFromFile", "pmf"):
        words: list[str] = []
        for name in arg.split():
            words += load_data(rules_dir, name)
        return _words_regex(words), ""
    if op == "streq":
        return "^" + re.escape(arg) + "$", ""
    if op == "beginsWith":
        return "^" + re.escape(arg), ""
    if op == "endsWith":
        return re.escape(arg) + "$", ""
    if op == "contains":
        return re.escape(arg), ""
    return None, f"operator @{op}"


_CASE_NEUTRAL = {
    "COMPRESS_WHITE_SPACE",
    "REMOVE_NULLS",
    "REPLACE_NULLS",
    "NORMALIZE_PATH",
    "NORMALIZE_PATH_WIN",
    "REPLACE_COMMENTS",
}


def _fold_lowercase(regex: str, tts: list[str]) -> tuple[str, list[str]]:
    """A trailing LOWERCASE (only case-neutral steps after it) on a pattern without upper-case letters is the same
    as a case-insensitive pattern on the unlowered value: dropping it lets more CRS rules share one transformation
    chain, so one RE2 set scans one value for all of them."""
    if "LOWERCASE" not in tts:
        return regex, tts
    i = len(tts) - 1 - tts[::-1].index("LOWERCASE")
    if not set(tts[i + 1 :]) <= _CASE_NEUTRAL or re.search(r"[A-Z]", re.sub(r"\\.", "", regex)):
        return regex, tts
    return "(?i)" + regex, tts[:i] + tts[i + 1 :]


def _tts(names: list[str]) -> list[dict]:
    return [{"Priority": i, "Type": t} for i, t in enumerate(names)] or [{"Priority": 0, "Type": "NONE"}]


def aws_transforms(rule: SecRule, prefix: tuple[str, ...]) -> tuple[list[str], list[str]]:
    out, notes = list(prefix), []
    for t in rule.transforms:
        mapped = T_MAP.get(t)
        if t not in T_MAP:
            notes.append(f"t:{t} unsupported")
            continue
        if mapped is None:
            continue
        if t in ("removeWhitespace", "removeComments"):
            notes.append(f"t:{t}~{mapped}")
        if not out or out[-1] != mapped:
            out.append(mapped)
    return out, notes


def link_statements(rule: SecRule, rules_dir: Path, inherit: list[Target] | None) -> tuple[dict[str, list], str]:
    """One SecRule -> {class: [statement per field]} (or a reason it cannot be expressed)."""
    if rule.operator == "detectSQLi" or rule.operator == "detectXSS":
        kind = "SqliMatchStatement" if rule.operator == "detectSQLi" else "XssMatchStatement"

        def make(field: dict, tts: list[str]) -> dict:
            body: dict[str, Any] = {"FieldToMatch": field, "TextTransformations": _tts(tts)}
            if kind == "SqliMatchStatement":
                body["SensitivityLevel"] = "LOW"
            return {kind: body}

        note = ""
    else:
        regex, note = operator_regex(rule, rules_dir)
        if regex is None:
            return {}, note

        def make(field: dict, tts: list[str]) -> dict:
            return {
                "RegexMatchStatement": {"RegexString": regex, "FieldToMatch": field, "TextTransformations": _tts(tts)}
            }

    tgts: list[Target] = []
    for v in rule.variables:
        if v in ("MATCHED_VAR", "MATCHED_VARS") and inherit is not None:
            tgts += inherit
        else:
            tgts += targets(v)
    tgts = _merge_scopes(tgts)
    out: dict[str, list] = {}
    seen: set[str] = set()
    for cls, field, prefix in tgts:
        tts, tnotes = aws_transforms(rule, prefix)
        key = json.dumps([cls, field, tts], sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        out.setdefault(cls, []).append(make(field, tts))
        note = "; ".join(dict.fromkeys(x for x in [*note.split("; "), *tnotes] if x))
    if not out:
        return {}, "no AWS field for " + "|".join(rule.variables)
    return out, note


def _merge_scopes(tgts: list[Target]) -> list[Target]:
    """ARGS and ARGS_NAMES of one source inspected with one ALL-scope field instead of two passes."""
    scopes: dict[tuple[str, str], set[str]] = {}
    for cls, field, _prefix in tgts:
        if "ManagedArgs" in field:
            scopes.setdefault((cls, field["ManagedArgs"]["Source"]), set()).add(field["ManagedArgs"]["Scope"])
    out: list[Target] = []
    for cls, field, prefix in tgts:
        if "ManagedArgs" in field:
            src = field["ManagedArgs"]["Source"]
            both = {"KEY", "VALUE"} <= scopes[(cls, src)]
            if src != "RAW_BODY":
                field = _args(src, "ALL" if both else field["ManagedArgs"]["Scope"])
        out.append((cls, field, prefix))
    return out


def _and(stmts: list[dict]) -> dict:
    return stmts[0] if len(stmts) == 1 else {"AndStatement": {"Statements": stmts}}


def _or(stmts: list[dict]) -> dict:
    return stmts[0] if len(stmts) == 1 else {"OrStatement": {"Statements": stmts}}


# chained conditions that only read CRS's own configuration (TX) and can be left out without widening the match
# beyond the rule's documented intent
IGNORABLE_CHAIN = {"933151": False}


def rule_statements(rule: SecRule, rules_dir: Path) -> tuple[dict[str, list[dict]], str]:
    first, note = link_statements(rule, rules_dir, None)
    if not first:
        return {}, note
    if not rule.chain:
        return first, note
    # A chain is an AND; a MATCHED_VAR link inspects the field the first link matched, so per class: AND of the
    # per-field statements (field by field when every link inherits the field).
    inherit_all = all(set(c.variables) <= {"MATCHED_VAR", "MATCHED_VARS"} for c in rule.chain)
    out: dict[str, list[dict]] = {}
    for cls, stmts in first.items():
        per_field: list[dict] = []
        for stmt in stmts:
            inner = next(iter(stmt.values()))
            field = inner["FieldToMatch"]
            prefix = _prefix(field)
            links = [stmt]
            for link in rule.chain:
                inherit = [(cls, field, prefix)]
                got, why = link_statements(link, rules_dir, inherit)
                if not got:
                    return {}, f"chain link: {why}"
                if inherit_all:
                    links += got.get(cls, [])
                else:
                    links.append(_or(got.get(cls, [])) if got.get(cls) else _or([s for v in got.values() for s in v]))
            per_field.append(_and(links))
        out[cls] = per_field
    return out, note


def _prefix(field: dict) -> tuple[str, ...]:
    # the decoding the first link's field got (ModSecurity's parser): chained links inspect the same value
    if any(k in field for k in ("AllQueryArguments", "Body", "JsonBody", "QueryString", "ManagedArgs")):
        return ("URL_DECODE_UNI",)
    return ("URL_DECODE",) if "UriPath" in field else ()


# -- CRS rule -> AWS rule ------------------------------------------------------------------------------------

# (first id, last id) -> [(group, AWS rule name prefix)]; per field class the first group/prefix that has a rule
# for that class takes the statement. Rules not listed (protocol enforcement 920/921/922, method policy 911,
# session fixation 943, Node.js 934, IP reputation 910, DoS 912) have no AWS managed rule of their class.
SQLI, COMMON, KBI = "AWSManagedRulesSQLiRuleSet", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"
LINUX, UNIX, WINDOWS = "AWSManagedRulesLinuxRuleSet", "AWSManagedRulesUnixRuleSet", "AWSManagedRulesWindowsRuleSet"
PHP = "AWSManagedRulesPHPRuleSet"
ROUTES: list[tuple[int, int, list[tuple[str, str]]]] = [
    (913100, 913100, [(COMMON, "UserAgent_BadBots")]),
    (913110, 913110, [(COMMON, "UserAgent_BadBots")]),
    (913120, 913120, [(KBI, "ExploitablePaths")]),
    # editor backup / working files (index.php~): the backup class of crs-setup's restricted_extensions (.bak, .old,
    # .swp, ...), which AWS's RestrictedExtensions rule describes ("extensions that are unsafe to read or run")
    (920500, 920500, [(COMMON, "RestrictedExtensions")]),
    (930100, 930110, [(COMMON, "GenericLFI"), (LINUX, "LFI")]),
    (930120, 930120, [(LINUX, "LFI"), (COMMON, "GenericLFI")]),
    (930130, 930130, [(KBI, "ExploitablePaths")]),
    (931000, 931999, [(COMMON, "GenericRFI")]),
    (932100, 932106, [(UNIX, "UNIXShellCommandsVariables")]),
    (932110, 932115, [(WINDOWS, "WindowsShellCommands")]),
    (932120, 932120, [(WINDOWS, "PowerShellCommands")]),
    (932130, 932130, [(UNIX, "UNIXShellCommandsVariables")]),
    (932140, 932140, [(WINDOWS, "WindowsShellCommands")]),
    (932150, 932999, [(UNIX, "UNIXShellCommandsVariables")]),
    (933000, 933999, [(PHP, "PHPHighRiskMethodsVariables")]),
    (941000, 941999, [(COMMON, "CrossSiteScripting")]),
    (942000, 942999, [(SQLI, "SQLi")]),
    (944000, 944999, [(KBI, "JavaDeserializationRCE")]),
]

# Field class -> the AWS rule suffixes that may take it, in order of preference (an AWS rule named _HEADER
# inspects all headers, cookies included; _QUERYSTRING and _QUERYARGUMENTS both cover the query).
CLASS_SUFFIX = {
    "QUERYARGUMENTS": ["QUERYARGUMENTS", "QUERYSTRING"],
    "QUERYSTRING": ["QUERYSTRING", "QUERYARGUMENTS"],
    "BODY": ["BODY"],
    "COOKIE": ["COOKIE", "HEADER"],
    "HEADER": ["HEADER"],
    "URIPATH": ["URIPATH"],
}

# CRS rules left out on purpose, by class: each flags ordinary text on bench/waf_benign.py (its false positives
# per 2,400 benign requests in brackets), so it would block real users at AWS's "default settings" bar.
EXCLUDED: dict[str, str] = {
    "932190": "PL3 wildcard-bypass heuristic: any word with '*'/'?' and '/' (80 benign FPs)",
    "932200": "PL2 RCE bypass heuristic: quotes/backslashes/'$' plus '/' and whitespace (109 benign FPs)",
    "942380": "PL2 SQL keyword pairs ('order by ...' in search text: 29 benign FPs)",
    "942390": "PL2 'x or y' keyword logic (20 benign FPs)",
    "942440": "PL2 SQL comment sequences ('--', '#' in prose: 57 benign FPs)",
    "942421": "PL4 SQL special-character counter (2,057 benign FPs)",
    "942432": "PL4 SQL special-character counter (472 benign FPs)",
    "942431": "PL3 SQL special-character counter (7 benign FPs)",
    "942460": "PL3 repetitive non-word characters (46 benign FPs)",
    "942511": "PL3 SQLi bypass: ticks/quotes (apostrophes in names: 61 benign FPs)",
    "942251": "PL3 HAVING injections ('having' in prose: 12 benign FPs)",
    "942310": "PL2 chained SQL injection (2 benign FPs)",
    "942200": "PL2 comment/space-obfuscated injections (JSON-like text: 1 benign FP)",
    "942260": "PL2 basic SQL authentication bypass (1 benign FP)",
    "942110": 'PL2 quote at a value\'s start or end: exact-phrase searches ("red dress"), possessives (45 benign FPs)',
    "942300": "PL2 'or'/'and' before a call-like word: prose such as 'red or blue(ish)' (27 benign FPs)",
    "942410": "PL2 SQL function names before '(': prose such as 'the price is (roughly) $50' (31 benign FPs)",
    "933161": "PL3 common PHP function names before '(': 'the 2-pack (not the 3-pack)' (30 benign FPs)",
    "942510": "PL2 backtick-quoted words: Markdown code spans in comments ('run `npm install`': 12 benign FPs)",
}

# Paranoia levels: all CRS levels are candidates; the rules above are the ones that flag ordinary text.
MAX_PARANOIA = 4
MAX_PARANOIA_BY_FILE: dict[str, int] = {}


# The bot-control group from CRS's user-agent data: CRS rule -> AWS Bot Control rule (exact name; inspects the
# User-Agent header). Scripting clients (913101) and aggressive crawlers (913102) are not "bad bots" for the Common
# group (AWS blocks scanners there), so they only feed these categories.
BOT = "AWSManagedRulesBotControlRuleSet"
BOT_ROUTES = {"913100": "CategorySecurity", "913101": "CategoryHttpLibrary", "913102": "CategoryScrapingFramework"}


def route(rule_id: str) -> list[tuple[str, str]]:
    n = int(rule_id) if rule_id.isdigit() else 0
    for lo, hi, dest in ROUTES:
        if lo <= n <= hi:
            return dest
    return []


def _rx(regex: str, field: dict, tts: list[str]) -> dict:
    return {"RegexMatchStatement": {"RegexString": regex, "FieldToMatch": field, "TextTransformations": _tts(tts)}}


def custom_statements(rules_dir: Path, setup: Path) -> dict[str, list[dict]]:
    """AWS rules whose logic is AWS's documented behaviour (built on CRS data where CRS has it)."""
    ua = {"SingleHeader": {"Name": "user-agent"}}
    host = {"SingleHeader": {"Name": "host"}}
    ext_line = next(ln for ln in setup.read_text().splitlines() if "tx.restricted_extensions=" in ln)
    exts = [e.strip("./") for e in ext_line.split("=", 1)[1].strip("'\"").split() if e.strip("./")]
    ext_rx = r"(?i)\.(?:" + "|".join(re.escape(e) for e in sorted(set(exts))) + r")$"
    ssrf = (
        r"(?i)(?:169\.254\.169\.254|\[?fd00:ec2::254\]?|2852039166|0xa9fea9fe|0251\.0376\.0251\.0376|169\.254\.170\.2)"
    )
    log4j = r"(?i)\$\{(?:[^}]*\$\{|\s*(?:jndi|j\}|lower:|upper:|env:|sys:|date:|::-)|[^}]*:(?:ldaps?|rmi|dns|iiop|corba|nds|nis|https?)://)"
    # Java RCE through expression languages and data binding, the class AWS's JavaDeserializationRCE rules name
    # (Spring Core CVE-2022-22965: "class.module.classLoader" property binding; Spring Cloud Function CVE-2022-22963:
    # a SpEL routing expression header), plus Struts 2 OGNL in headers (CVE-2017-5638: "%{(#..." in Content-Type);
    # CRS 3.3.4's 944 rules name Java classes and serialized objects, not these.
    java_el = (
        r"(?i)(?:\bclass\.module\.classloader\b|%\{\s*\(?\s*#|#_memberaccess|@ognl\.|\bognl\.ognlcontext\b"
        r"|#context\[)"
    )
    routing = {"SingleHeader": {"Name": "spring.cloud.function.routing-expression"}}
    # a shell separator followed by an absolute path into a system binary directory (";/bin/ca? /et*/passwd"):
    # shell context whatever the command name (CRS 932200's bypasses of the command word lists, without its
    # wide quote/slash heuristic)
    bin_path = r"(?:[;|&`\n]|\$\()\s*/(?:usr/(?:local/)?)?s?bin/\S"
    restricted = load_data(rules_dir, "restricted-files.data") + load_data(rules_dir, "scanners-urls.data")
    dec_uni, low = ["URL_DECODE_UNI"], ["URL_DECODE_UNI", "LOWERCASE"]
    return {
        # CRS 920320 / 920330: no User-Agent header, or an empty one
        "NoUserAgent_HEADER": [
            {
                "NotStatement": {
                    "Statement": {
                        "SizeConstraintStatement": {
                            "FieldToMatch": ua,
                            "ComparisonOperator": "GT",
                            "Size": 0,
                            "TextTransformations": _tts([]),
                        }
                    }
                }
            }
        ],
        # AWS's documented limits (bytes): query string 2 KB, cookie header 10 KB, body 8 KB, URI path 1 KB
        "SizeRestrictions_QUERYSTRING": [_size(QSTRING, 2048)],
        "SizeRestrictions_Cookie_HEADER": [_size({"SingleHeader": {"Name": "cookie"}}, 10240)],
        "SizeRestrictions_BODY": [_size({"Body": {"OversizeHandling": "MATCH"}}, 8192)],
        "SizeRestrictions_URIPATH": [_size(URIPATH, 1024)],
        "EC2MetaDataSSRF_BODY": [_rx(ssrf, BODY, dec_uni)],
        "EC2MetaDataSSRF_COOKIE": [_rx(ssrf, _cookies("VALUE"), dec_uni)],
        "EC2MetaDataSSRF_URIPATH": [_rx(ssrf, URIPATH, dec_uni)],
        "EC2MetaDataSSRF_QUERYARGUMENTS": [_rx(ssrf, QARGS, dec_uni)],
        # CRS 920440's restricted_extensions (crs-setup.conf) on the path's last segment / argument values
        "RestrictedExtensions_URIPATH": [_rx(ext_rx, URIPATH, ["URL_DECODE_UNI"])],
        "RestrictedExtensions_QUERYARGUMENTS": [_rx(ext_rx, QARGS, dec_uni)],
        "Host_localhost_HEADER": [
            _rx(r"(?i)^\s*(?:localhost|127(?:\.\d{1,3}){3}|\[?::1\]?|0\.0\.0\.0)(?::\d+)?\s*$", host, [])
        ],
        "PROPFIND_METHOD": [_rx("^(?i)propfind$", {"Method": {}}, [])],
        # CRS 930130 restricted-files.data + 913120 scanners-urls.data (CRS rules routed here too)
        "ExploitablePaths_URIPATH": [_rx(_words_regex(restricted), URIPATH, ["URL_DECODE_UNI", "NORMALIZE_PATH"])],
        "Log4JRCE_QUERYSTRING": [_rx(log4j, QSTRING, low)],
        "Log4JRCE_BODY": [_rx(log4j, BODY, low)],
        "Log4JRCE_URIPATH": [_rx(log4j, URIPATH, low)],
        "Log4JRCE_HEADER": [_rx(log4j, _headers("VALUE"), low)],
        "JavaDeserializationRCE_HEADER": [
            _rx(java_el, _headers("VALUE"), dec_uni),
            _rx(r"\bT\s*\(\s*[\w.$]+\s*\)", routing, dec_uni),  # a SpEL type reference: T(java.lang.Runtime)
        ],
        "JavaDeserializationRCE_QUERYSTRING": [_rx(java_el, QSTRING, dec_uni)],
        "JavaDeserializationRCE_BODY": [_rx(java_el, BODY, dec_uni)],
        "JavaDeserializationRCE_URIPATH": [_rx(java_el, URIPATH, dec_uni)],
        "UNIXShellCommandsVariables_QUERYARGUMENTS": [_rx(bin_path, _args("QUERY", "ALL"), dec_uni)],
        "UNIXShellCommandsVariables_BODY": [_rx(bin_path, _args("BODY", "ALL"), dec_uni)],
        "UNIXShellCommandsVariables_HEADER": [_rx(bin_path, _headers("VALUE"), dec_uni)],
        "WordPressExploitableCommands_QUERYSTRING": [
            _rx(
                r"(?i)(?:^|&)(?:action|do)=(?:do-reset-wordpress|delete-plugin|install-plugin|upload-plugin|"
                r"add-user|createuser|reset_password)\b",
                QSTRING,
                dec_uni,
            )
        ],
        "WordPressExploitablePaths_URIPATH": [
            _rx(
                r"(?i)/(?:xmlrpc\.php|wp-config\.php|wp-admin/(?:install|setup-config)\.php|wp-content/debug\.log)",
                URIPATH,
                dec_uni,
            )
        ],
        "AdminProtection_URIPATH": [
            _rx(
                r"(?i)^/(?:admin|administrator|wp-admin|phpmyadmin|manager/html)(?:/|$)",
                URIPATH,
                ["URL_DECODE_UNI", "NORMALIZE_PATH"],
            )
        ],
    }


def _size(field: dict, limit: int) -> dict:
    return {
        "SizeConstraintStatement": {
            "FieldToMatch": field,
            "ComparisonOperator": "GT",
            "Size": limit,
            "TextTransformations": _tts([]),
        }
    }


def build(rules_dir: Path, setup: Path) -> None:
    catalog = json.loads((OUT / "catalog.json").read_text())
    groups = {g["Name"]: g for g in catalog["Groups"]}
    stmts: dict[tuple[str, str], list[dict]] = {}
    sources: dict[tuple[str, str], list[str]] = {}
    crs_map: dict[str, Any] = {"mapped": {}, "left_out": {}, "approximated": {}}
    for name, extra in custom_statements(rules_dir, setup).items():
        for gname, g in groups.items():
            if any(r["Name"] == name for r in g["Rules"]):
                stmts.setdefault((gname, name), []).extend(extra)
    for conf in sorted(rules_dir.glob("REQUEST-9*.conf")):
        for rule in parse_file(conf):
            if not rule.id or not rule.msg:
                continue  # flow control / bookkeeping rules
            dest = route(rule.id)
            if rule.id in BOT_ROUTES:
                bot_stmts, _ = rule_statements(rule, rules_dir)
                target = (BOT, BOT_ROUTES[rule.id])
                stmts.setdefault(target, []).extend(s for v in bot_stmts.values() for s in v)
                sources.setdefault(target, []).append(rule.id)
                crs_map["mapped"].setdefault(rule.id, []).append(BOT_ROUTES[rule.id])
            if not dest and rule.id in BOT_ROUTES:
                continue
            if not dest:
                crs_map["left_out"][rule.id] = f"no AWS managed rule of this class ({rule.msg})"
                continue
            max_pl = MAX_PARANOIA_BY_FILE.get(rule.id[:3], MAX_PARANOIA)
            if rule.paranoia > max_pl:
                crs_map["left_out"][rule.id] = f"paranoia level {rule.paranoia} (above {max_pl} for its class)"
                continue
            if rule.id in EXCLUDED:
                crs_map["left_out"][rule.id] = EXCLUDED[rule.id]
                continue
            by_class, note = rule_statements(rule, rules_dir)
            if not by_class:
                crs_map["left_out"][rule.id] = note
                continue
            if note:
                crs_map["approximated"][rule.id] = note
            placed: list[str] = []
            for cls, cls_stmts in by_class.items():
                target = _place(groups, dest, cls)
                if target is None:
                    continue
                stmts.setdefault(target, []).extend(cls_stmts)
                sources.setdefault(target, []).append(rule.id)
                placed.append(target[1])
            if placed:
                crs_map["mapped"][rule.id] = sorted(set(placed) | set(crs_map["mapped"].get(rule.id, [])))
            else:
                crs_map["left_out"][rule.id] = "its fields have no AWS rule in " + ", ".join(p for _, p in dest)
    for gname, g in groups.items():
        rules = []
        for prio, r in enumerate(g["Rules"]):
            body = stmts.get((gname, r["Name"]))
            if not body:
                continue
            rules.append(
                {
                    "Name": r["Name"],
                    "Priority": prio,
                    "Action": {r["Action"]: {}},
                    "Statement": _or(_dedupe(body)),
                    "RuleLabels": [{"Name": r["Label"]}],
                    "VisibilityConfig": {
                        "SampledRequestsEnabled": True,
                        "CloudWatchMetricsEnabled": True,
                        "MetricName": r["Name"],
                    },
                    "CrsRules": sorted(set(sources.get((gname, r["Name"]), []))),
                }
            )
        doc = {"Name": gname, "LabelNamespace": g["LabelNamespace"], "Source": "OWASP CRS 3.3.4", "Rules": rules}
        (OUT / f"{gname}.json").write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n")
    (OUT / "crs_map.json").write_text(json.dumps(crs_map, indent=1, sort_keys=True) + "\n")
    print(f"mapped {len(crs_map['mapped'])} CRS rules, left out {len(crs_map['left_out'])}")


def _dedupe(stmts: list[dict]) -> list[dict]:
    seen, out = set(), []
    for s in stmts:
        k = json.dumps(s, sort_keys=True)
        if k not in seen:
            seen.add(k)
            out.append(s)
    return out


def _place(groups: dict[str, Any], dest: list[tuple[str, str]], cls: str) -> tuple[str, str] | None:
    for suffix in CLASS_SUFFIX.get(cls, []):
        for gname, prefix in dest:
            name = f"{prefix}_{suffix}"
            if any(r["Name"] == name for r in groups[gname]["Rules"]):
                return gname, name
    return None


if __name__ == "__main__":
    rules = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/crs/usr/share/modsecurity-crs/rules")
    setup = Path(sys.argv[2] if len(sys.argv) > 2 else "/tmp/crs/etc/modsecurity/crs/crs-setup.conf")
    build(rules, setup)
