"""A parser for the subset of ModSecurity's SecRule language OWASP CRS 3.3.4 uses (development tool only).

``parse_file`` returns the rules of one .conf file: variables, operator (with negation), actions (id, t:
transformations, tags, chain) and the chained rules that follow a ``chain`` action.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class SecRule:
    variables: list[str]
    operator: str  # "rx", "pm", "pmFromFile", "detectSQLi", ...
    argument: str
    negated: bool
    actions: list[tuple[str, str]]
    chain: list[SecRule] = field(default_factory=list)

    def action(self, name: str) -> str | None:
        return next((v for k, v in self.actions if k == name), None)

    @property
    def id(self) -> str:
        return self.action("id") or ""

    @property
    def transforms(self) -> list[str]:
        return [v for k, v in self.actions if k == "t" and v != "none"]

    @property
    def tags(self) -> list[str]:
        return [v for k, v in self.actions if k == "tag"]

    @property
    def paranoia(self) -> int:
        for tag in self.tags:
            if tag.startswith("paranoia-level/"):
                return int(tag.split("/")[1])
        return 1

    @property
    def msg(self) -> str:
        return self.action("msg") or ""


def _statements(text: str) -> list[str]:
    """Logical lines: continuation backslashes joined, comments dropped."""
    out: list[str] = []
    buf = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        buf += stripped
        out.append(buf)
        buf = ""
    if buf:
        out.append(buf)
    return out


def _tokens(stmt: str) -> list[str]:
    """Split on whitespace, honouring double quotes; inside quotes ``\\"`` is a quote, other escapes stay."""
    toks: list[str] = []
    i, n = 0, len(stmt)
    while i < n:
        if stmt[i].isspace():
            i += 1
            continue
        if stmt[i] == '"':
            i += 1
            buf = []
            while i < n and stmt[i] != '"':
                if stmt[i] == "\\" and i + 1 < n and stmt[i + 1] == '"':
                    buf.append('"')
                    i += 2
                    continue
                buf.append(stmt[i])
                i += 1
            toks.append("".join(buf))
            i += 1
        else:
            j = i
            while j < n and not stmt[j].isspace():
                j += 1
            toks.append(stmt[i:j])
            i = j
    return toks


def _actions(text: str) -> list[tuple[str, str]]:
    """Split an action list on commas outside single quotes."""
    out: list[tuple[str, str]] = []
    buf: list[str] = []
    quoted = False
    for ch in text + ",":
        if ch == "'":
            quoted = not quoted
            buf.append(ch)
        elif ch == "," and not quoted:
            item = "".join(buf).strip()
            buf = []
            if item:
                name, _, value = item.partition(":")
                value = value.strip()
                if len(value) >= 2 and value[0] == "'" and value[-1] == "'":
                    value = value[1:-1]
                out.append((name.strip(), value))
        else:
            buf.append(ch)
    return out


_OP = re.compile(r"^(!?)@(\w+)\s?(.*)$", re.S)


def parse_file(path: Path) -> list[SecRule]:
    rules: list[SecRule] = []
    open_chain: SecRule | None = None
    for stmt in _statements(path.read_text(encoding="utf-8")):
        toks = _tokens(stmt)
        if not toks or toks[0] != "SecRule" or len(toks) < 3:
            continue
        variables = toks[1].split("|")
        m = _OP.match(toks[2])
        if m:
            negated, operator, argument = m.group(1) == "!", m.group(2), m.group(3)
        else:  # a bare operand is @rx
            negated, operator, argument = toks[2].startswith("!"), "rx", toks[2].lstrip("!")
        actions = _actions(toks[3]) if len(toks) > 3 else []
        rule = SecRule(variables, operator, argument, negated, actions)
        chained = any(k == "chain" for k, _ in actions)
        if open_chain is not None:
            open_chain.chain.append(rule)
            if not chained:
                open_chain = None
            continue
        rules.append(rule)
        if chained:
            open_chain = rule
    return rules
