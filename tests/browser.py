"""Load a local HTML page in headless Chromium and report what a user would see go wrong.

Stdlib only: the browser is driven through the DevTools protocol over ``--remote-debugging-pipe``
(Chromium reads NUL-terminated JSON commands on file descriptor 3 and writes replies and events on
4). :func:`render` loads a ``file://`` page, waits for its load event, lets animations run briefly,
and returns the console errors and the natural size of every ``<img>`` and ``<video>``.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--mute-audio",
    "--disable-breakpad",
    "--disable-crash-reporter",
    "--remote-debugging-pipe",
)

# For every <img> and <video>: its natural size and whether it finished loading.
MEDIA_JS = """Array.from(document.querySelectorAll('img, video'), (e) => e.tagName === 'IMG'
  ? {tag: 'img', src: e.currentSrc.slice(0, 40), width: e.naturalWidth, height: e.naturalHeight, complete: e.complete}
  : {tag: 'video', src: e.currentSrc.slice(0, 40), width: e.videoWidth, height: e.videoHeight,
     complete: e.readyState >= 2})"""


class BrowserError(RuntimeError):
    """The browser failed, or did not answer in time."""


@dataclass
class PageReport:
    """What loading a page showed.

    Attributes:
        console_errors: console.error calls, uncaught exceptions and browser log errors.
        media: per ``<img>``/``<video>``: ``tag``, ``src`` (its start), natural ``width`` and
            ``height``, and ``complete``.
        dialogs: messages of alert/confirm/prompt dialogs the page opened (dismissed).
        value: the value of the extra expression given to :func:`render`, if any.
    """

    console_errors: list[str] = field(default_factory=list)
    media: list[dict[str, Any]] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    value: Any = None


def find_browser() -> str:
    """The path of a Chromium-family browser on PATH; skips the calling test when there is none."""
    for name in BROWSERS:
        if found := shutil.which(name):
            return found
    pytest.skip(f"no browser on PATH ({', '.join(BROWSERS)}); install one, e.g. apt-get install chromium")


class _DevTools:
    """One DevTools connection over the browser's pipes, with a deadline for every wait."""

    def __init__(self, send_fd: int, receive_fd: int, deadline: float, report: PageReport) -> None:
        self._send_fd, self._receive_fd = send_fd, receive_fd
        self._deadline = deadline
        self._report = report
        self._buffer = b""
        self._next_id = 0
        self._fired: set[str] = set()

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> int:
        """Send a command without waiting; return its id."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        try:
            os.write(self._send_fd, json.dumps(message).encode() + b"\0")
        except BrokenPipeError as err:
            raise BrowserError("the browser closed its DevTools pipe (did it crash?)") from err
        return self._next_id

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        """Send a command and return its result, handling the events that arrive meanwhile."""
        wanted = self.send(method, params, session)
        reply = self._until(lambda m: m.get("id") == wanted, f"the reply to {method}")
        if "error" in reply:
            raise BrowserError(f"{method} failed: {reply['error']}")
        return reply["result"]

    def wait_event(self, method: str) -> None:
        """Wait for an event, unless it already came (while waiting for a reply)."""
        if method not in self._fired:
            self._until(lambda m: m.get("method") == method, f"the event {method}")

    def pump(self, seconds: float) -> None:
        """Handle events for a while."""
        end = min(time.monotonic() + seconds, self._deadline)
        while (message := self._receive(end)) is not None:
            self._handle(message)

    def _until(self, done: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
        while True:
            message = self._receive(self._deadline)
            if message is None:
                raise BrowserError(f"timed out waiting for {what}")
            self._handle(message)
            if done(message):
                return message

    def _receive(self, end: float) -> dict[str, Any] | None:
        """The next message, or None when ``end`` passes first."""
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._receive_fd], [], [], max(0.0, end - time.monotonic()))
            if not ready:
                return None
            chunk = os.read(self._receive_fd, 1 << 16)
            if not chunk:
                raise BrowserError("the browser closed its DevTools pipe (did it crash?)")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def _handle(self, message: dict[str, Any]) -> None:
        """Record console errors and dialogs (dismissing the dialogs, which would block the page)."""
        method, params = message.get("method"), message.get("params", {})
        self._fired.add(method)
        errors = self._report.console_errors
        if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            errors.append(" ".join(str(arg.get("value", arg.get("description", ""))) for arg in params["args"]))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            errors.append(details.get("exception", {}).get("description") or details["text"])
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            errors.append(f"{entry['text']} ({entry.get('url', '')})")
        elif method == "Page.javascriptDialogOpening":
            self._report.dialogs.append(params["message"])
            self.send("Page.handleJavaScriptDialog", {"accept": False}, message.get("sessionId"))


def _launch(browser: str, profile: Path, commands: int, replies: int) -> subprocess.Popen:
    """Start the browser with ``commands`` as its descriptor 3 and ``replies`` as its 4.

    The pipes were opened after any descriptor 3 and 4 of this process (the lowest free ones are
    taken), so 3 and 4 exist here: the child keeps them (``pass_fds``) and points them at the pipes.
    """

    def point_at_pipes() -> None:
        low_in, low_out = os.dup(commands), os.dup(replies)  # above 4, so neither is overwritten
        os.dup2(low_in, 3)
        os.dup2(low_out, 4)

    with (profile / "stderr.txt").open("wb") as log:
        return subprocess.Popen(
            [browser, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            pass_fds=(3, 4),
            preexec_fn=point_at_pipes,
            start_new_session=True,
        )


def _stop(process: subprocess.Popen) -> None:
    """Kill the browser and every process it started (its own process group)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


def _load(devtools: _DevTools, url: str, settle: float, expressions: list[str]) -> list[Any]:
    """Open ``url`` in the browser's page, wait for its load event, settle; evaluate ``expressions``."""
    targets = devtools.call("Target.getTargets")["targetInfos"]
    page = next(t["targetId"] for t in targets if t["type"] == "page")
    session = devtools.call("Target.attachToTarget", {"targetId": page, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log"):
        devtools.call(f"{domain}.enable", session=session)
    navigation = devtools.call("Page.navigate", {"url": url}, session)
    if navigation.get("errorText"):
        raise BrowserError(f"cannot open {url}: {navigation['errorText']}")
    devtools.wait_event("Page.loadEventFired")
    devtools.pump(settle)
    return [_evaluate(devtools, expression, session) for expression in expressions]


def _evaluate(devtools: _DevTools, expression: str, session: str) -> Any:
    result = devtools.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
    if "exceptionDetails" in result:
        raise BrowserError(f"evaluating {expression!r} failed: {result['exceptionDetails']['text']}")
    return result["result"].get("value")


def render(path: Path, *, expression: str | None = None, timeout: float = 60.0, settle: float = 0.5) -> PageReport:
    """Load a local page in headless Chromium and report its console errors and media sizes.

    Args:
        path: the HTML file.
        expression: a JavaScript expression to evaluate after loading; its JSON value lands in
            :attr:`PageReport.value`.
        timeout: seconds for the whole visit before :class:`BrowserError`.
        settle: seconds to let the page run (animations, late errors) after its load event.

    Raises:
        BrowserError: the browser failed, or did not finish in ``timeout`` seconds.
    """
    browser = find_browser()
    report = PageReport()
    commands_read, commands_write = os.pipe()
    replies_read, replies_write = os.pipe()
    ours = [commands_write, replies_read]
    try:
        with tempfile.TemporaryDirectory(prefix="vqi-browser-") as profile:
            try:
                process = _launch(browser, Path(profile), commands_read, replies_write)
            finally:  # the browser's ends: closed here, so its exit reads as the pipe's end
                os.close(commands_read)
                os.close(replies_write)
            devtools = _DevTools(commands_write, replies_read, time.monotonic() + timeout, report)
            try:
                url = Path(path).resolve().as_uri()
                report.media, report.value = _load(devtools, url, settle, [MEDIA_JS, expression or "null"])
            except BrowserError as err:
                log = (Path(profile) / "stderr.txt").read_text(errors="replace")[-2000:]
                raise BrowserError(f"{err}; browser stderr ends:\n{log}") from err
            finally:
                _stop(process)
    finally:
        for fd in ours:
            os.close(fd)
    return report
