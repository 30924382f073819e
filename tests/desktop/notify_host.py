"""A stand-in for the desktop's notification service, on the tests' private
D-Bus session bus.

On Linux an app's notifications (tauri-plugin-notification, through
notify-rust) are calls to whoever owns `org.freedesktop.Notifications` on
the session bus: GNOME Shell, KDE Plasma, dunst, mako... Xvfb has none,
so this module plays one, to the Desktop Notifications Specification
(1.2): it owns the name and serves `/org/freedesktop/Notifications` with
`GetCapabilities`, `GetServerInformation`, `Notify` (recording each
notification) and `CloseNotification` (answered with the
`NotificationClosed` signal). It runs on a thread with its own bus
connection.

Pure Python (jeepney), like tray_host.py.
"""

from __future__ import annotations

import dataclasses
import time

from jeepney import DBusAddress, HeaderFields, MessageType, message_bus, new_error, new_method_return, new_signal
from jeepney.io.blocking import open_dbus_connection
from jeepney.wrappers import unwrap_msg

from bus_service import BusService

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
IFACE = "org.freedesktop.Notifications"
INTROSPECT_IFACE = "org.freedesktop.DBus.Introspectable"
# NotificationClosed's reason: closed by a call to CloseNotification.
CLOSED_BY_CALL = 3

INTROSPECTION = f"""<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
  <interface name="{IFACE}">
    <method name="GetCapabilities"><arg type="as" direction="out"/></method>
    <method name="Notify">
      <arg name="app_name" type="s" direction="in"/><arg name="replaces_id" type="u" direction="in"/>
      <arg name="app_icon" type="s" direction="in"/><arg name="summary" type="s" direction="in"/>
      <arg name="body" type="s" direction="in"/><arg name="actions" type="as" direction="in"/>
      <arg name="hints" type="a{{sv}}" direction="in"/><arg name="expire_timeout" type="i" direction="in"/>
      <arg name="id" type="u" direction="out"/>
    </method>
    <method name="CloseNotification"><arg name="id" type="u" direction="in"/></method>
    <method name="GetServerInformation">
      <arg name="name" type="s" direction="out"/><arg name="vendor" type="s" direction="out"/>
      <arg name="version" type="s" direction="out"/><arg name="spec_version" type="s" direction="out"/>
    </method>
    <signal name="NotificationClosed"><arg name="id" type="u"/><arg name="reason" type="u"/></signal>
    <signal name="ActionInvoked"><arg name="id" type="u"/><arg name="action_key" type="s"/></signal>
  </interface>
  <interface name="{INTROSPECT_IFACE}">
    <method name="Introspect"><arg type="s" direction="out"/></method>
  </interface>
</node>
"""


@dataclasses.dataclass
class Shown:
    """One notification as the app sent it."""

    id: int
    app_name: str
    app_icon: str
    summary: str
    body: str
    actions: list[str]
    hints: dict
    expire_timeout: int
    sender_pid: int | None


class NotificationServer(BusService):
    """The notification service. Use as a context manager: on entry it owns
    `org.freedesktop.Notifications` (or raises), on exit it lets it go."""

    def __init__(self) -> None:
        super().__init__()
        self._shown: list[Shown] = []
        self._next_id = 1
        self.closed: list[int] = []

    def __enter__(self) -> "NotificationServer":
        self._own(open_dbus_connection(bus="SESSION"), NAME, "notification-server")
        return self

    @property
    def shown(self) -> list[Shown]:
        with self._lock:
            return list(self._shown)

    def wait_for(self, predicate, timeout: float) -> Shown:
        """The first notification that satisfies `predicate`, waiting up to
        `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for n in self.shown:
                if predicate(n):
                    return n
            time.sleep(0.1)
        raise TimeoutError(f"no such notification within {timeout} s; shown: {self.shown}")

    def _pid_of(self, sender: str) -> int | None:
        # Asked on a connection of its own: this one's replies are read
        # by the serving loop.
        try:
            with open_dbus_connection(bus="SESSION") as c:
                (pid,) = unwrap_msg(c.send_and_get_reply(message_bus.GetConnectionUnixProcessID(sender), timeout=5))
                return pid
        except Exception:  # noqa: BLE001 - the sender may have left already
            return None

    def _handle(self, msg) -> None:
        assert self._conn is not None
        if msg.header.message_type != MessageType.method_call:
            return
        fields = msg.header.fields
        member = fields.get(HeaderFields.member)
        iface = fields.get(HeaderFields.interface)
        sender = fields.get(HeaderFields.sender, "")
        if iface in (IFACE, None) and member == "GetCapabilities":
            reply = new_method_return(msg, "as", (["body"],))
        elif iface in (IFACE, None) and member == "GetServerInformation":
            reply = new_method_return(msg, "ssss", ("desktop-test", "worksection-mcp tests", "1", "1.2"))
        elif iface in (IFACE, None) and member == "Notify":
            app_name, replaces_id, app_icon, summary, body, actions, hints, expire_timeout = msg.body
            with self._lock:
                nid = replaces_id or self._next_id
                if not replaces_id:
                    self._next_id += 1
            shown = Shown(
                id=nid,
                app_name=app_name,
                app_icon=app_icon,
                summary=summary,
                body=body,
                actions=list(actions),
                hints=dict(hints),
                expire_timeout=expire_timeout,
                sender_pid=self._pid_of(sender),
            )
            with self._lock:
                self._shown.append(shown)
            reply = new_method_return(msg, "u", (nid,))
        elif iface in (IFACE, None) and member == "CloseNotification":
            (nid,) = msg.body
            self.closed.append(nid)
            self._conn.send(new_method_return(msg))
            emitter = DBusAddress(PATH, interface=IFACE)
            self._conn.send(new_signal(emitter, "NotificationClosed", "uu", (nid, CLOSED_BY_CALL)))
            return
        elif iface == INTROSPECT_IFACE and member == "Introspect":
            reply = new_method_return(msg, "s", (INTROSPECTION,))
        elif iface == "org.freedesktop.DBus.Peer" and member == "Ping":
            reply = new_method_return(msg)
        else:
            reply = new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s", (f"{iface}.{member}",))
        self._conn.send(reply)
