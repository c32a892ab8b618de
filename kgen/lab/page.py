"""A lab page's server side: a worker thread that owns the page's models, takes validated
controls from the HTTP threads, and publishes JSON state snapshots for the page's stream."""

import inspect
import queue
import threading
import time

from kgen.core.errors import KgenTypeError
from kgen.core.validation import check_choice, fail

PUBLISH_INTERVAL = 0.05
"""Seconds between state snapshots while the page is running (20 per second)."""
CONTROL_TIMEOUT = 120.0
"""Seconds a control waits for the worker to apply it (building and tracing models can take a while)."""


class LabPage:
    """Base of the lab's pages.

    A subclass names its `actions` (action name -> the method that validates that
    action's parameters and returns a zero-argument function applying it) and
    implements `snapshot()` (the page's JSON state) and, when it trains, `advance()`
    (one unit of work while `running`; return False when there is nothing to do).
    Everything touching the page's models happens in the worker thread: HTTP threads
    only validate and queue. The worker starts on the first request, so a page nobody
    opens costs nothing.
    """

    name = ""
    actions = {}

    def __init__(self):
        self.running = False
        self.error = None
        self._commands = queue.Queue()
        self._state = None
        self._version = 0
        self._published = threading.Condition()
        self._stop = threading.Event()
        self._thread = None
        self._start_lock = threading.Lock()

    # ------------------------------------------------------------------ HTTP threads

    def control(self, payload):
        """Validate a control {"action": name, ...parameters} and queue it; raises a KgenError on bad input."""
        if not isinstance(payload, dict):
            fail("control", payload, 'a JSON object such as {"action": "play"}', KgenTypeError)
        action = check_choice("action", payload.get("action"), tuple(sorted(self.actions)))
        params = {key: value for key, value in payload.items() if key != "action"}
        method = getattr(self, self.actions[action])
        try:
            inspect.signature(method).bind(**params)
        except TypeError:
            names = ", ".join(inspect.signature(method).parameters) or "none"
            fail("control", payload, f'the parameters of "{action}" ({names})', KgenTypeError)
        apply = method(**params)
        self._ensure_started()
        done = threading.Event()
        self._commands.put((apply, done))
        done.wait(timeout=CONTROL_TIMEOUT)
        return {"ok": True, "version": self._version}

    def latest(self, after_version=-1, timeout=15.0):
        """The newest (version, state) once its version is above `after_version`, or the current one on timeout."""
        self._ensure_started()
        with self._published:
            self._published.wait_for(lambda: self._version > max(after_version, 0), timeout=timeout)
            return self._version, self._state

    def close(self):
        """Stop the worker thread and wait for it."""
        self._stop.set()
        self._commands.put((None, None))
        if self._thread is not None:
            self._thread.join(timeout=10.0)

    # ------------------------------------------------------------------ worker thread

    def setup(self):
        """Build the page's models (in the worker thread, before the first snapshot)."""

    def advance(self):
        """One unit of work while running; returns whether there was any."""
        return False

    def snapshot(self):
        """The page's state as a JSON-serialisable dict."""
        raise NotImplementedError

    def publish(self):
        state = self.snapshot()
        state["running"] = self.running
        state["error"] = self.error
        with self._published:
            self._state = state
            self._version += 1
            self._published.notify_all()

    def _ensure_started(self):
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name=f"kgen-lab-{self.name}", daemon=True)
                self._thread.start()

    def _work(self):
        with self._published:  # the page can show that it is loading its models
            self._state, self._version = {"loading": True, "running": False, "error": None}, 1
            self._published.notify_all()
        self.setup()
        self.publish()
        last_publish = time.perf_counter()
        while not self._stop.is_set():
            applied = self._apply_commands(block=not self.running)
            changed = bool(applied)
            if self._stop.is_set():
                break
            if self.running:
                try:
                    self.advance()
                except Exception as error:  # a training failure stops the run and shows on the page
                    self.running = False
                    self.error = f"{type(error).__name__}: {error}"
                    changed = True
            now = time.perf_counter()
            if changed or (self.running and now - last_publish >= PUBLISH_INTERVAL):
                self.publish()
                last_publish = now
            for done in applied:  # a control returns once the state it made is published
                done.set()
        for done in self._drain():
            done.set()

    def _apply_commands(self, block):
        """Apply the queued commands (waiting for one when `block`); returns their `done` events."""
        applied = []
        while True:
            try:
                apply, done = self._commands.get(block=block and not applied, timeout=0.5 if block else None)
            except queue.Empty:
                return applied
            if apply is None:
                return applied
            try:
                self.error = None
                apply()
            except Exception as error:  # a control that fails while applied is reported, the page goes on
                self.error = f"{type(error).__name__}: {error}"
            applied.append(done)

    def _drain(self):
        """The `done` events of commands still queued when the worker stops."""
        pending = []
        while True:
            try:
                _, done = self._commands.get(block=False)
            except queue.Empty:
                return pending
            if done is not None:
                pending.append(done)
