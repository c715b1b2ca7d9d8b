"""One headless Chromium driven over the DevTools protocol: the rendering tests open pages in
it, read the DOM and the boxes of laid-out elements, move and drag a real mouse and turn the
wheel. One browser serves a whole test module (starting Chromium costs about a second).

The network is cut for every page (`Network.emulateNetworkConditions` offline) and every
request a page makes is recorded, so a test can assert that a page needs nothing but itself.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--remote-debugging-port=0", "--remote-allow-origins=*"]


class Browser:
    def __init__(self, profile: Path):
        from websockets.sync.client import connect

        if CHROMIUM is None:
            raise RuntimeError("chromium is not installed; .ci/run installs Debian's chromium")
        self.process = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}",
                                         "about:blank"], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and len(port_file.read_text().split()) == 2):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.05)
        port, path = port_file.read_text().split()
        self.socket = connect(f"ws://127.0.0.1:{port}{path}", max_size=None, legacy=True)
        self.counter = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self.counter += 1
        message = {"id": self.counter, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.socket.send(json.dumps(message))
        while True:
            reply = json.loads(self.socket.recv(timeout=60))
            if reply.get("id") == self.counter:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for index, event in enumerate(self.events):
                if event.get("method") == method and event.get("sessionId") == session:
                    return self.events.pop(index)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(method)
            self.events.append(json.loads(self.socket.recv(timeout=remaining)))

    def open(self, page: Path, width: int = 1400, height: int = 1000,
             javascript: bool = True) -> "Tab":
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target,
                                                      "flatten": True})["sessionId"]
        tab = Tab(self, target, session)
        for method in ("Page.enable", "Network.enable", "Runtime.enable"):
            self.send(method, session=session)
        self.send("Network.emulateNetworkConditions", {"offline": True, "latency": 0,
                                                       "downloadThroughput": -1,
                                                       "uploadThroughput": -1}, session)
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                         "deviceScaleFactor": 1,
                                                         "mobile": False}, session)
        if not javascript:
            self.send("Emulation.setScriptExecutionDisabled", {"value": True}, session)
        self.send("Page.navigate", {"url": Path(page).resolve().as_uri()}, session)
        self.wait_for("Page.loadEventFired", session)
        return tab

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except Exception:   # the browser may close the socket before it answers
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Tab:
    def __init__(self, browser: Browser, target: str, session: str):
        self.browser, self.target, self.session = browser, target, session

    def evaluate(self, expression: str):
        result = self.browser.send("Runtime.evaluate", {"expression": expression,
                                                        "returnByValue": True,
                                                        "awaitPromise": True}, self.session)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def mouse(self, kind: str, x: float, y: float, buttons: int = 0, **extra) -> None:
        """kind: mouseMoved, mousePressed, mouseReleased or mouseWheel (CSS pixels)."""
        params = {"type": kind, "x": x, "y": y, "buttons": buttons, **extra}
        if kind in ("mousePressed", "mouseReleased"):
            params.update(button="left", clickCount=1)
        self.browser.send("Input.dispatchMouseEvent", params, self.session)

    def drag(self, start: tuple[float, float], stop: tuple[float, float], steps: int = 8) -> None:
        self.mouse("mouseMoved", *start)
        self.mouse("mousePressed", *start, buttons=1)
        for step in range(1, steps + 1):
            share = step / steps
            self.mouse("mouseMoved", start[0] + (stop[0] - start[0]) * share,
                       start[1] + (stop[1] - start[1]) * share, buttons=1)
        self.mouse("mouseReleased", *stop)

    def requests(self) -> list[str]:
        """Every URL the page asked for (its own file included)."""
        return [event["params"]["request"]["url"] for event in self.browser.events
                if event.get("method") == "Network.requestWillBeSent"
                and event.get("sessionId") == self.session]

    def screenshot(self, path: Path) -> Path:
        data = self.browser.send("Page.captureScreenshot", {"format": "png"}, self.session)
        path.write_bytes(base64.b64decode(data["data"]))
        return path

    def close(self) -> None:
        self.browser.send("Target.closeTarget", {"targetId": self.target})
