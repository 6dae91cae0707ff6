"""A small headless-Chromium driver over the DevTools protocol, for the report's browser test.

Chromium is started with ``--remote-debugging-pipe``: it reads protocol messages (JSON, each ended
by a NUL byte) on file descriptor 3 and writes its own on descriptor 4, which is how Puppeteer and
Playwright drive it too. So no TCP port, no websocket library, nothing but the standard library.

    with Chromium.launch(tmp_path / "profile") as browser:
        page = browser.new_page()
        page.goto(Path("report/index.html").resolve().as_uri())
        page.evaluate("document.images.length")

The browser runs in its own process group; :meth:`Chromium.close` (also on any exception inside
the ``with``) asks it to quit, then kills that group by its id.
"""

from __future__ import annotations

import base64
import ctypes
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Self

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--no-default-browser-check",
    "--remote-debugging-pipe",
)


class BrowserError(RuntimeError):
    """The browser did not start, answered with an error, or took too long."""


def find_chromium() -> str | None:
    """The Chromium executable: ``$CHROMIUM`` if set, else the first of :data:`CANDIDATES` on PATH."""
    if os.environ.get("CHROMIUM"):
        return shutil.which(os.environ["CHROMIUM"])
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def _set_subreaper(on: bool) -> bool:
    """Linux: adopt our orphaned descendants (PR_SET_CHILD_SUBREAPER), so that Chromium's helper processes,
    orphaned when the browser exits, can be reaped here instead of lingering as zombies."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(36, int(on), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _group_members(pgid: int) -> list[int]:
    """Ids of the live (or zombie) processes of process group ``pgid`` (Linux /proc; empty elsewhere)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:
            pids.append(int(stat.parent.name))
    return pids


def _high_fd(fd: int) -> int:
    """A close-on-exec duplicate of ``fd`` numbered 10 or more (so that moving it to 3 or 4 clobbers nothing)."""
    new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return new


class Chromium:
    def __init__(self, proc: subprocess.Popen, to_browser: int, from_browser: int, stderr_path: Path):
        self.proc = proc
        self._out = to_browser
        self._in = from_browser
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict] = []
        self.stderr_path = stderr_path

    @classmethod
    def launch(cls, user_data_dir: Path, executable: str | None = None, *, window=(1280, 900), timeout: float = 30.0) -> Chromium:
        exe = executable or find_chromium()
        if not exe:
            raise BrowserError("no Chromium executable found (install Debian's chromium package or set CHROMIUM)")
        user_data_dir = Path(user_data_dir)
        user_data_dir.mkdir(parents=True, exist_ok=True)
        child_reads, we_write = (_high_fd(fd) for fd in os.pipe())
        we_read, child_writes = (_high_fd(fd) for fd in os.pipe())

        def wire_pipes():  # in the child, before exec: its fd 3 reads our commands, its fd 4 carries its answers
            os.dup2(child_reads, 3)
            os.dup2(child_writes, 4)

        stderr_path = user_data_dir.parent / f"{user_data_dir.name}.stderr.log"
        _set_subreaper(True)
        args = [exe, *FLAGS, f"--user-data-dir={user_data_dir}", f"--window-size={window[0]},{window[1]}", "about:blank"]
        with open(stderr_path, "wb") as err:
            # close_fds=False: Python's own descriptors are close-on-exec anyway (PEP 446), and closing would drop fds 3 and 4
            proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                close_fds=False,
                preexec_fn=wire_pipes,  # noqa: PLW1509 (the child only calls dup2; the tests start no threads)
                start_new_session=True,
            )
        os.close(child_reads)
        os.close(child_writes)
        browser = cls(proc, we_write, we_read, stderr_path)
        try:
            browser.send("Browser.getVersion", timeout=timeout)
        except BaseException:
            browser.close()
            raise
        return browser

    # ------------------------------------------------------------ protocol

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("timed out waiting for the browser")
            ready, _, _ = select.select([self._in], [], [], left)
            if ready:
                chunk = os.read(self._in, 1 << 20)
                if not chunk:
                    raise BrowserError(f"the browser closed its pipe (exit code {self.proc.poll()}); see {self.stderr_path}")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, *, session: str | None = None, timeout: float = 30.0) -> dict:
        """Send one command and return its result; events that arrive meanwhile are kept for :meth:`events`."""
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self._out, data) :]
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message')} {reply['error'].get('data', '')}".strip())
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def wait_event(self, method: str, *, session: str | None = None, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        for i, e in enumerate(self._events):
            if e["method"] == method and (session is None or e.get("sessionId") == session):
                return self._events.pop(i)
        while True:
            e = self._read_message(deadline)
            if e.get("method") == method and (session is None or e.get("sessionId") == session):
                return e
            if "method" in e:
                self._events.append(e)

    def events(self, session: str | None = None) -> list[dict]:
        return [e for e in self._events if session is None or e.get("sessionId") == session]

    def new_page(self) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        for domain in ("Page", "Runtime", "Log"):
            page.send(f"{domain}.enable")
        return page

    # ------------------------------------------------------------ shutdown

    def close(self) -> None:
        """Ask the browser to quit, then kill its process group (by the id we started it with)."""
        if self.proc.poll() is None:
            try:
                self.send("Browser.close", timeout=5)
            except (BrowserError, OSError):
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        helpers = [pid for pid in _group_members(self.proc.pid) if pid != self.proc.pid]
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # helpers (zygote, renderer) that outlived the browser
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        for pid in helpers:  # adopted by us as subreaper: reap them
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        _set_subreaper(False)
        for fd in (self._in, self._out):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Page:
    """One tab, attached through a flat session."""

    def __init__(self, browser: Chromium, session: str):
        self.browser = browser
        self.session = session

    def send(self, method: str, params: dict | None = None, timeout: float = 30.0) -> dict:
        return self.browser.send(method, params, session=self.session, timeout=timeout)

    def goto(self, url: str, timeout: float = 30.0) -> None:
        result = self.send("Page.navigate", {"url": url}, timeout=timeout)
        if result.get("errorText"):
            raise BrowserError(f"navigating to {url}: {result['errorText']}")
        self.browser.wait_event("Page.loadEventFired", session=self.session, timeout=timeout)

    def evaluate(self, expression: str):
        """The value of a JavaScript expression (awaited if it is a promise), returned by value."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise BrowserError(
                f"{expression!r} threw: {result['exceptionDetails'].get('text')} {result['exceptionDetails'].get('exception', {}).get('description', '')}"
            )
        return result["result"].get("value")

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries (failed loads, blocked content) so far."""
        out = []
        for e in self.browser.events(self.session):
            p = e.get("params", {})
            if e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif e["method"] == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                out.append(f"exception: {d.get('text')} {d.get('exception', {}).get('description', '')}")
            elif e["method"] == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                entry = p["entry"]
                out.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".strip())
        return out

    def screenshot(self, path: Path, *, full_page: bool = True, width: int = 1280) -> Path:
        """A PNG of the page; ``full_page`` grows the viewport to the document's height first."""
        if full_page:
            size = self.send("Page.getLayoutMetrics")["cssContentSize"]
            height = int(min(size["height"], 16000))
            self.send(
                "Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
            )
        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": full_page}, timeout=60)["data"]
        if full_page:
            self.send("Emulation.clearDeviceMetricsOverride")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def pdf(self, path: Path) -> Path:
        """The page printed (print CSS, A4 from the page's @page rule), as a PDF."""
        data = self.send("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True}, timeout=120)["data"]
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path
