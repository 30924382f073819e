"""What the test's stand-in D-Bus services share (`tray_host`'s
StatusNotifierWatcher, `notify_host`'s notification server): owning their
well-known name on the session bus, answering calls on a thread of their
own until they are closed, and keeping what a bad call raised in `errors`
instead of stopping."""

from __future__ import annotations

import threading

from jeepney import message_bus
from jeepney.io.blocking import DBusConnection
from jeepney.wrappers import unwrap_msg

PRIMARY_OWNER = 1  # RequestName's answer: the name is ours
DO_NOT_QUEUE = 4  # RequestName's flag: fail rather than wait in line


class BusService:
    """A service on the session bus; a subclass answers each message in
    `_handle` and enters with `_own`."""

    def __init__(self) -> None:
        self._conn: DBusConnection | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.errors: list[str] = []

    def _own(self, conn: DBusConnection, name: str, thread_name: str) -> None:
        """Owns `name` on `conn` (or closes it and raises), then serves."""
        (answer,) = unwrap_msg(conn.send_and_get_reply(message_bus.RequestName(name, DO_NOT_QUEUE), timeout=5))
        if answer != PRIMARY_OWNER:
            conn.close()
            raise RuntimeError(f"could not own {name} (RequestName answered {answer})")
        self._conn = conn
        self._thread = threading.Thread(target=self._serve, name=thread_name, daemon=True)
        self._thread.start()

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        if self._conn:
            self._conn.close()

    def _serve(self) -> None:
        assert self._conn is not None
        while not self._stop.is_set():
            try:
                msg = self._conn.receive(timeout=0.2)
            except TimeoutError:
                continue
            except OSError:
                break
            try:
                self._handle(msg)
            except Exception as e:  # a bad call must not stop the service
                self.errors.append(repr(e))

    def _handle(self, msg) -> None:
        raise NotImplementedError
