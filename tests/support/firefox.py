"""Debian's Firefox ESR driven over WebDriver BiDi, the W3C protocol Firefox serves itself (no geckodriver).

Playwright's Firefox needs its own patched build (a download) and its BiDi channel asks for commands newer than the
ESR has, so the console's Firefox test speaks BiDi directly: start ``firefox-esr --headless
--remote-debugging-port=0`` with a fresh profile, read the WebSocket address it prints, open a session, navigate
and evaluate scripts in the page. That is enough to drive the console the way a user does (fill fields, click,
read what the page shows), because the console is plain DOM.

The profile sends every request that is not for loopback to a closed local port and turns off the browser's own
network services (updates, telemetry, remote settings, safe browsing), so the test never talks to anything but
the server under test.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

FIREFOX = "/usr/bin/firefox-esr"

# Everything not on loopback goes to a proxy on a closed loopback port; the browser's background services are off.
PREFS: dict[str, Any] = {
    "network.proxy.type": 1,
    "network.proxy.http": "127.0.0.1",
    "network.proxy.http_port": 9,
    "network.proxy.ssl": "127.0.0.1",
    "network.proxy.ssl_port": 9,
    "network.proxy.no_proxies_on": "127.0.0.1,localhost",
    "network.proxy.allow_hijacking_localhost": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "app.update.disabledForTesting": True,
    "app.normandy.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.region.network.url": "",
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "toolkit.telemetry.enabled": False,
    "messaging-system.rsexperimentloader.enabled": False,
    "services.settings.server": "http://127.0.0.1:9/",
    "extensions.update.enabled": False,
    "browser.newtabpage.enabled": False,
}


class BidiError(Exception):
    pass


class Firefox:
    """One headless Firefox with one BiDi session and its first tab."""

    def __init__(self, executable: str = FIREFOX, width: int = 1280, height: int = 800) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="strongroom-firefox-"))
        (self.profile / "user.js").write_text(
            "".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in PREFS.items())
        )
        self.process = subprocess.Popen(
            [executable, "--headless", "--no-remote", "--remote-debugging-port=0", "--profile", str(self.profile)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        address = self._address(timeout=60)
        self._ids = itertools.count(1)
        self.ws: ClientConnection = connect(address + "/session", max_size=None, legacy=True)
        self.send("session.new", {"capabilities": {"alwaysMatch": {"acceptInsecureCerts": True}}})
        self.context = self.send("browsingContext.getTree", {})["contexts"][0]["context"]
        self.send(
            "browsingContext.setViewport", {"context": self.context, "viewport": {"width": width, "height": height}}
        )

    def _address(self, timeout: float) -> str:
        found: list[str] = []
        done = threading.Event()

        def read() -> None:
            assert self.process.stderr is not None
            for line in self.process.stderr:  # keep draining: a full pipe would stall the browser
                match = re.search(r"WebDriver BiDi listening on (ws://\S+)", line)
                if match and not found:
                    found.append(match.group(1))
                    done.set()

        threading.Thread(target=read, daemon=True).start()
        if not done.wait(timeout):
            self.close()
            raise BidiError("Firefox did not start its WebDriver BiDi server")
        return found[0]

    def send(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        command = next(self._ids)
        self.ws.send(json.dumps({"id": command, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") != command:
                continue  # an event: none are subscribed, but the protocol allows them
            if message.get("type") == "error":
                raise BidiError(f"{method}: {message.get('error')}: {message.get('message')}")
            result: dict[str, Any] = message["result"]
            return result

    def goto(self, url: str) -> None:
        self.send("browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"})

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (awaited when it is a promise), as JSON allows."""
        out = self.send(
            "script.evaluate",
            {
                "expression": f"(async () => JSON.stringify(await ({expression})))()",
                "target": {"context": self.context},
                "awaitPromise": True,
            },
        )
        if out.get("type") == "exception":
            raise BidiError(out["exceptionDetails"].get("text", "script error"))
        value = out["result"].get("value")
        return None if value is None else json.loads(value)

    def wait_for(self, expression: str, timeout: float = 15.0) -> Any:
        """Evaluate ``expression`` until it is truthy; its value."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            try:
                last = self.evaluate(expression)
            except BidiError as exc:  # the page is between documents
                last = exc
            if last and not isinstance(last, BidiError):
                return last
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {expression!r} (last: {last!r})")

    def screenshot(self, path: Path) -> None:
        import base64

        data = self.send("browsingContext.captureScreenshot", {"context": self.context})["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            if hasattr(self, "ws"):
                try:
                    self.send("session.end", {})
                except Exception:
                    pass
                self.ws.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            shutil.rmtree(self.profile, ignore_errors=True)
