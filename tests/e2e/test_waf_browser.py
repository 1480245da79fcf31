"""CAPTCHA and Challenge solved by a real browser: Debian's Chromium driven by Playwright (no browser download),
against the ASGI middleware served by uvicorn. The page's own JavaScript does the proof of work and posts the
CAPTCHA answer; the test reads the expected CAPTCHA text through the middleware's ``captcha_text`` parameter (a
test double for the random generator), and moves time with its ``clock`` parameter."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import uvicorn

from strongroom.waf import tokens
from strongroom.waf.asgi import WafMiddleware, derive_token_key
from tests.e2e.apigateway_invoke_support import deploy, method, resource
from tests.e2e.apigateway_support import make_api
from tests.e2e.waf_support import name, start_proxy, upstream
from tests.support.server import ServerProcess, free_port

__all__ = ["start_proxy", "upstream"]  # fixtures

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
ARN = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/site/0f0f0f0f-0000-4000-8000-0000000000aa"
SECRET = b"browser-test-secret-0123456789ab"
VIS = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "m"}


def starts(prefix: str) -> dict[str, Any]:
    return {
        "ByteMatchStatement": {
            "SearchString": prefix.encode(),
            "FieldToMatch": {"UriPath": {}},
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
            "PositionalConstraint": "STARTS_WITH",
        }
    }


ACL = {
    "Name": "site",
    "ARN": ARN,
    "DefaultAction": {"Allow": {}},
    "VisibilityConfig": VIS,
    "ChallengeConfig": {"ImmunityTimeProperty": {"ImmunityTime": 120}},
    "Rules": [
        {
            "Name": "challenge",
            "Priority": 0,
            "Statement": starts("/challenge"),
            "Action": {"Challenge": {}},
            "VisibilityConfig": VIS,
        },
        {
            "Name": "captcha",
            "Priority": 1,
            "Statement": starts("/captcha"),
            "Action": {"Captcha": {}},
            "VisibilityConfig": VIS,
            "CaptchaConfig": {"ImmunityTimeProperty": {"ImmunityTime": 60}},
        },
    ],
}


async def content(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b"<!DOCTYPE html><html><body><h1 id='content'>protected content</h1></body></html>"
    headers = [(b"content-type", b"text/html"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Site:
    def __init__(self) -> None:
        self.offset = 0.0
        self.answers: list[str] = []
        texts = iter(["ACDEF", "HJK34", "MNPRT", "UVWXY", "ACDEF", "HJK34"])

        def captcha_text() -> str:
            text = next(texts)
            self.answers.append(text)
            return text

        self.app = WafMiddleware(
            content,
            ACL,
            token_secret=SECRET,
            clock=lambda: time.time() + self.offset,
            captcha_text=captcha_text,
        )
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_config=None, lifespan="off")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    s = Site()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    p = context.new_page()
    yield p
    context.close()


def token_cookie(page: Any) -> str | None:
    return next((c["value"] for c in page.context.cookies() if c["name"] == tokens.COOKIE), None)


def test_challenge_is_solved_by_the_browser_and_expires(site: Site, page: Any) -> None:
    response = page.goto(site.base + "/challenge/page")
    assert response.status == 202 and response.headers["x-amzn-waf-action"] == "challenge"
    page.wait_for_selector("#content", timeout=20_000)  # the script solved the proof of work and reloaded
    assert page.text_content("#content") == "protected content"
    cookie = token_cookie(page)
    assert cookie is not None and tokens.read_token(derive_token_key(SECRET, ARN), cookie) is not None
    assert page.goto(site.base + "/challenge/other").status == 200  # the token now lets it through
    site.offset += 121  # past the ACL's ChallengeConfig immunity time
    try:
        response = page.goto(site.base + "/challenge/page")
        assert response.status == 202  # the interstitial again, and the browser solves it again
        page.wait_for_selector("#content", timeout=20_000)
        assert token_cookie(page) != cookie
    finally:
        site.offset = 0


def test_captcha_is_answered_in_the_page(site: Site, page: Any) -> None:
    response = page.goto(site.base + "/captcha/form")
    assert response.status == 405 and response.headers["x-amzn-waf-action"] == "captcha"
    page.wait_for_selector("#captcha-image[data-ready]")
    assert page.eval_on_selector("#captcha-image", "img => img.naturalWidth") == 220
    # a wrong answer: refused, and a new puzzle replaces the spent one
    page.fill("#captcha-answer", "WRONG")
    page.click("#captcha-submit")
    page.wait_for_function("document.getElementById('captcha-error').textContent.length > 0")
    page.wait_for_selector("#captcha-image[data-ready]")
    assert token_cookie(page) is None
    page.fill("#captcha-answer", site.answers[-1].lower())
    page.click("#captcha-submit")
    page.wait_for_selector("#content", timeout=10_000)
    assert page.goto(site.base + "/captcha/form").status == 200
    assert page.goto(site.base + "/challenge/x").status == 200  # a CAPTCHA solve counts as a challenge solve
    site.offset += 61  # past the rule's CaptchaConfig immunity
    try:
        assert page.goto(site.base + "/captcha/form").status == 405
    finally:
        site.offset = 0


@pytest.mark.parametrize("case", ["tampered", "other-acl", "other-domain"])
def test_forged_and_foreign_tokens_are_refused(site: Site, page: Any, case: str) -> None:
    key = derive_token_key(SECRET, ARN)
    good = tokens.issue_token(key, "127.0.0.1", "captcha", time.time())
    value = {
        "tampered": good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),
        "other-acl": tokens.issue_token(derive_token_key(SECRET, ARN + "x"), "127.0.0.1", "captcha", time.time()),
        "other-domain": tokens.issue_token(key, "example.com", "captcha", time.time()),
    }[case]
    page.context.add_cookies([{"name": tokens.COOKIE, "value": value, "url": site.base}])
    assert page.goto(site.base + "/captcha/form").status == 405
    page.context.clear_cookies()
    page.context.add_cookies([{"name": tokens.COOKIE, "value": good, "url": site.base}])
    assert page.goto(site.base + "/captcha/form").status == 200  # the control: a genuine token passes


def test_challenge_through_the_proxy(
    server: ServerProcess, upstream: str, start_proxy: Callable[..., Any], page: Any
) -> None:
    """The same pages through `strongroom waf proxy`, its web ACL made with boto3 on the server."""
    waf = server.client("wafv2")
    rules = [{**r, "VisibilityConfig": {**VIS, "MetricName": r["Name"]}} for r in ACL["Rules"]]
    made = waf.create_web_acl(
        Name=name("browser"), Scope="REGIONAL", DefaultAction={"Allow": {}}, VisibilityConfig=VIS, Rules=rules
    )["Summary"]
    proxy = start_proxy(made["ARN"], upstream)
    base = f"http://127.0.0.1:{proxy.port}"
    response = page.goto(base + "/challenge/through-proxy")
    assert response.status == 202
    page.wait_for_function("document.body.innerText.includes('/challenge/through-proxy')", timeout=20_000)
    assert token_cookie(page) is not None  # the echo upstream answered: the page solved the challenge
    assert page.goto(base + "/captcha/x").status == 405  # a challenge solve does not count as a CAPTCHA


def test_challenge_and_captcha_on_an_api_gateway_stage(server: ServerProcess, page: Any) -> None:
    """A web ACL on a stage: the interstitial's script earns the token from the server's ``/.aws-waf/`` and the
    stage accepts it (the installation's token key, bound to the host); a CAPTCHA still asks for its own solve."""
    apigw, waf = server.client("apigateway"), server.client("wafv2")
    api = make_api(apigw)
    area = resource(apigw, api["id"], api["rootResourceId"], "area")
    answer = {"application/json": '{"inside": "$context.resourcePath"}'}
    method(
        apigw,
        api["id"],
        area,
        integration={"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
        responses={"200": {"selectionPattern": "", "responseTemplates": answer}},
    )
    deploy(apigw, api["id"])
    rules = [
        {**ACL["Rules"][0], "Statement": starts("/test/area"), "VisibilityConfig": {**VIS, "MetricName": "c"}},
        {
            **ACL["Rules"][1],
            "Priority": 1,
            "Statement": starts("/test/captcha"),
            "VisibilityConfig": {**VIS, "MetricName": "k"},
        },
    ]
    rules[0]["Priority"] = 0
    made = waf.create_web_acl(
        Name=name("stage"), Scope="REGIONAL", DefaultAction={"Allow": {}}, VisibilityConfig=VIS, Rules=rules
    )["Summary"]
    waf.associate_web_acl(
        WebACLArn=made["ARN"], ResourceArn=f"arn:aws:apigateway:us-east-1::/restapis/{api['id']}/stages/test"
    )
    url = f"{server.endpoint}/restapis/{api['id']}/test/_user_request_/area"
    deadline = time.monotonic() + 10
    while (response := page.goto(url)).status != 202:  # the stage follows the association within a second
        assert time.monotonic() < deadline, response.status
        time.sleep(0.3)
    assert response.headers["x-amzn-waf-action"] == "challenge"
    page.wait_for_function("document.body.innerText.includes('/area')", timeout=20_000)
    assert token_cookie(page) is not None
    assert page.goto(url).status == 200  # the token lets the next request through
    captcha = f"{server.endpoint}/restapis/{api['id']}/test/_user_request_/captcha"
    assert page.goto(captcha).status == 405  # a challenge solve is not a CAPTCHA solve
    page.context.add_cookies([{"name": tokens.COOKIE, "value": "forged.token", "url": server.endpoint}])
    assert page.goto(url).status == 202  # a forged cookie is refused
