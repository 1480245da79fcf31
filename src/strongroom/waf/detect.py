"""SQL injection and cross-site scripting detection, libinjection-style.

No libinjection binding installs as a wheel on CPython 3.11 x86_64 (libinjection-python, pylibinjection and
libinjection-wheel ship source only, and need a compiler at install time), so this module follows
libinjection's method in pure Python: tokenize the input as SQL in the three contexts an injection can start
in (bare, after a closing ``'``, after a closing ``"``), reduce each token stream to a short fingerprint of
token classes, and flag fingerprints that only injected SQL produces. The tokenizer is a single pass: linear.

HIGH sensitivity (AWS: "more attacks detected, more false positives") additionally flags: a SQL comment
right after a quote break, a bare tautology (``1=1``, ``'a'='a'``), well-known SQL functions used for probing
(``sleep(``, ``benchmark(``, ``char(``, ``concat(``, ``load_file(``...), ``information_schema`` / system
catalog references, and ``0x`` hex literals following an operator.
"""

from __future__ import annotations

import re2

_KEYWORDS_E = {
    "select",
    "insert",
    "update",
    "delete",
    "drop",
    "create",
    "alter",
    "exec",
    "execute",
    "truncate",
    "declare",
    "shutdown",
    "grant",
    "revoke",
    "replace",
    "merge",
    "call",
    "load",
    "handler",
}
_LOGIC = {"and", "or", "xor", "not", "&&", "||"}
_KEYWORDS_K = {
    "from",
    "where",
    "having",
    "order",
    "group",
    "by",
    "limit",
    "into",
    "values",
    "table",
    "like",
    "between",
    "is",
    "null",
    "case",
    "when",
    "then",
    "else",
    "end",
    "as",
    "join",
    "procedure",
    "waitfor",
    "delay",
    "regexp",
    "rlike",
    "sounds",
    "div",
    "mod",
    "all",
    "distinct",
    "top",
    "offset",
    "database",
    "schema",
    "outfile",
    "dumpfile",
    "set",
    "in",
    "collate",
    "escape",
    "exists",
}
_FUNCS = {
    "sleep",
    "benchmark",
    "char",
    "chr",
    "concat",
    "concat_ws",
    "load_file",
    "ascii",
    "substring",
    "substr",
    "mid",
    "version",
    "user",
    "database",
    "pg_sleep",
    "extractvalue",
    "updatexml",
    "group_concat",
    "hex",
    "unhex",
    "cast",
    "convert",
    "count",
    "if",
    "ifnull",
    "length",
    "md5",
    "sha1",
    "ord",
    "waitfor",
    "rand",
    "utl_inaddr",
    "dbms_pipe",
    "xp_cmdshell",
    "current_user",
    "system_user",
    "@@version",
    "row",
}
_OPERATORS = set("=<>!+-*/%^|&~")


def _tokens(text: str, start_quote: str | None) -> list[str]:
    """Token classes: s string, 1 number, n name, f function, k keyword, E statement, U union, & logic,
    o operator, c comment, ( ) , ; v variable. At most 8 tokens, as libinjection's fingerprints."""
    out: list[str] = []
    i, n = 0, len(text)
    if start_quote is not None:
        end = text.find(start_quote)
        if end < 0:
            return []
        out.append("s")
        i = end + 1
    while i < n and len(out) < 8:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "'\"`":
            end = text.find(ch, i + 1)
            out.append("s" if ch != "`" else "n")
            i = n if end < 0 else end + 1
        elif ch == "#" or text.startswith("--", i):
            out.append("c")
            i = n
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            out.append("c")
            i = n if end < 0 else end + 2
        elif ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "."):
                j += 1
            out.append("1")
            i = j
        elif ch.isalpha() or ch in "_@$":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] in "_@$."):
                j += 1
            word = text[i:j].lower()
            k = j
            while k < n and text[k].isspace():
                k += 1
            if word.startswith("@"):
                out.append("v")
            elif word == "union":
                out.append("U")
            elif word in _LOGIC:
                out.append("&")
            elif word in _KEYWORDS_E:
                out.append("E")
            elif k < n and text[k] == "(" and word in _FUNCS:
                out.append("f")
            elif word in _KEYWORDS_K:
                out.append("k")
            else:
                out.append("n")
            i = j
        elif ch in "();,":
            out.append(ch)
            i += 1
        elif ch in _OPERATORS:
            j = i + 1
            while j < n and text[j] in _OPERATORS and j < i + 3:
                j += 1
            op = text[i:j]
            out.append("&" if op in ("&&", "||") else "o")
            i = j
        else:
            i += 1
    return out


def _injected(fp: str, quoted: bool) -> bool:
    if "UE" in fp or "U(E" in fp or ("Uk" in fp and "E" in fp):
        return True
    if ";E" in fp:
        return True
    if "f(" in fp and (quoted or fp.startswith(("1&", "1o", "&", "o"))):
        return True
    if quoted:
        # a string was closed early and SQL follows it
        rest = fp[1:]
        if rest.startswith(("&", "o", "c", ";", ")", "k", "U", "E")) and len(rest) >= 1:
            if rest[0] == "c":
                return len(rest) == 1 or fp.startswith("sc")
            if rest[0] in "&o" and len(rest) >= 2 and rest[1] in "1sn(vf":
                return True
            return rest[0] in ";)kUE" and len(rest) >= 2
        return False
    # bare (numeric) context: 1 or 1=1, 1 and sleep(5)
    if fp.startswith(("1&", "n&")) and len(fp) >= 3 and fp[2] in "1snf(v":
        return True
    return fp.startswith(("1)", "1;")) and len(fp) >= 3 and fp[2] in "&EkU"


def fingerprints(text: str) -> list[str]:
    return ["".join(_tokens(text, q)) for q in (None, "'", '"')]


_HIGH = re2.compile(
    r"(?i)(?:['\"`]\s*(?:--|#|/\*)|\b(\d+)\s*=\s*\d+\b|'([^']*)'\s*=\s*'|"
    r"\b(?:sleep|benchmark|pg_sleep|char|chr|concat|concat_ws|load_file|extractvalue|updatexml|group_concat)\s*\(|"
    r"information_schema|\bsysobjects\b|\bpg_catalog\b|\bmysql\.user\b|[=<>(,]\s*0x[0-9a-f]+)"
)


def is_sqli(data: bytes, high: bool = False) -> bool:
    text = data.decode("latin-1")
    for quote, fp in zip((None, "'", '"'), fingerprints(text), strict=True):
        if fp and _injected(fp, quote is not None):
            return True
    return bool(high and _HIGH.search(text))


# XSS: HTML constructs that execute script, as libinjection's HTML5 tokenizer flags them: script-capable tags,
# event-handler attributes, and script URLs in attributes. RE2 keeps the scan linear.
_XSS = re2.compile(
    r"(?is)(?:<\s*/?\s*(?:script|iframe|frame|frameset|object|embed|applet|svg|math|base|link|meta|form|"
    r"isindex|style|xml|import|vmlframe|template)\b|"
    r"<[^>]*?[\s/\"'](?:on[a-z]+)\s*=|"
    r"(?:java|vb|live)script\s*:|data\s*:\s*text/html|"
    r"<[^>]*style\s*=[^>]*expression\s*\(|"
    r"\bon(?:error|load|click|mouseover|focus|blur|submit|change|mouse[a-z]+|key[a-z]+|toggle|animation[a-z]+|"
    r"pointer[a-z]+|begin|end)\s*=)"
)


def is_xss(data: bytes) -> bool:
    return bool(_XSS.search(data.decode("latin-1")))
