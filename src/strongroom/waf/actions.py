"""Rule actions: Allow, Block, Count, CAPTCHA, Challenge, with custom requests and responses."""

from __future__ import annotations

import html
from importlib import resources
from typing import Any

from strongroom.waf import tokens
from strongroom.waf.context import Ctx
from strongroom.waf.decision import ActionOutcome, Decision, Response

# The body AWS WAF sends with its default Block response (HTTP 403).
DEFAULT_BLOCK_BODY = (
    "<html>\n<head><title>403 Forbidden</title></head>\n<body>\n<center><h1>403 Forbidden</h1></center>\n"
    "</body>\n</html>\n"
)
_CONTENT_TYPES = {"TEXT_PLAIN": "text/plain", "TEXT_HTML": "text/html", "APPLICATION_JSON": "application/json"}
HEADER_PREFIX = "x-amzn-waf-"


def template(name: str) -> str:
    return resources.files("strongroom.waf").joinpath("templates", name).read_text("utf-8")


def _custom_response(cfg: dict, bodies: dict[str, dict]) -> Response:
    status = int(cfg.get("ResponseCode", 403))
    headers = [(h["Name"], h["Value"]) for h in cfg.get("ResponseHeaders") or []]
    key = cfg.get("CustomResponseBodyKey")
    if key:
        body = bodies.get(key)
        if body is None:
            raise KeyError(f"custom response body {key} is not defined")
        return Response(status, headers, str(body["Content"]).encode(), _CONTENT_TYPES[body["ContentType"]])
    return Response(status, headers, b"", "text/plain")


def _insert(cfg: dict | None, decision: Decision) -> None:
    for h in ((cfg or {}).get("CustomRequestHandling") or {}).get("InsertHeaders") or []:
        decision.inserted_headers.append((HEADER_PREFIX + h["Name"], h["Value"]))


def _token_check(evaluator: Any, kind: str, rule: Any, ctx: Ctx, decision: Decision) -> str:
    cookie = next((v for k, v in ctx.request.cookies() if k == tokens.COOKIE), None)
    own = rule.captcha_immunity if kind == "captcha" else rule.challenge_immunity if rule else None
    default = evaluator.captcha_immunity if kind == "captcha" else evaluator.challenge_immunity
    state = tokens.token_state(
        evaluator.token_key, cookie, ctx.request.host, evaluator.token_domains, kind, own or default, ctx.now
    )
    decision.token_status[kind] = state
    ctx.add_label(f"awswaf:managed:token:{'accepted' if state == 'accepted' else 'rejected' if cookie else 'absent'}")
    return state


def apply_action(
    evaluator: Any, action: dict, rule: Any, ctx: Ctx, decision: Decision, bodies: dict[str, dict]
) -> ActionOutcome:
    ((kind, cfg),) = action.items()
    cfg = cfg or {}
    if kind == "Allow":
        _insert(cfg, decision)
        return ActionOutcome("ALLOW", True)
    if kind == "Count":
        _insert(cfg, decision)
        return ActionOutcome("COUNT", False)
    if kind == "Block":
        custom = cfg.get("CustomResponse")
        if custom:
            return ActionOutcome("BLOCK", True, _custom_response(custom, bodies))
        return ActionOutcome("BLOCK", True, Response(403, [], DEFAULT_BLOCK_BODY.encode(), "text/html", True))
    if kind in ("Captcha", "Challenge"):
        low = kind.lower()
        if _token_check(evaluator, low, rule, ctx, decision) == "accepted":
            _insert(cfg, decision)
            return ActionOutcome(kind.upper(), False)  # a valid token continues like Count
        if low == "captcha":
            decision.captcha_required = True
        else:
            decision.challenge_required = True
        page = template(f"{low}.html").replace("{domain}", html.escape(ctx.request.host))  # Host is client input
        status = 405 if low == "captcha" else 202
        return ActionOutcome(
            kind.upper(), True, Response(status, [("x-amzn-waf-action", low)], page.encode(), "text/html")
        )
    raise ValueError(f"unknown action {kind}")
