"""A stand-in for the desktop's tray (its "system tray" or panel), on the
tests' private D-Bus session bus.

On Linux the app's tray icon is a StatusNotifierItem (libayatana-appindicator,
through Tauri's tray-icon): at start it looks for the owner of
`org.kde.StatusNotifierWatcher`, calls its `RegisterStatusNotifierItem`, and
exports its menu as `com.canonical.dbusmenu`. A desktop's panel (KDE Plasma,
GNOME's AppIndicator extension, waybar...) owns that watcher name and draws
what the items export. Xvfb has no panel, so this module plays both parts:

- `StatusNotifierWatcher`: the watcher service, minimal but to the spec
  (owns the name, `RegisterStatusNotifierItem`, `RegisterStatusNotifierHost`,
  the `RegisteredStatusNotifierItems`, `IsStatusNotifierHostRegistered` and
  `ProtocolVersion` properties, the `StatusNotifierItemRegistered` and
  `...Unregistered` signals; an item is dropped when its owner leaves the
  bus). It runs on a thread with its own bus connection.
- `TrayItem`: what a panel does with a registered item: reads its
  properties, reads its menu with `GetLayout`, and clicks an entry with
  `Event(id, "clicked", ...)`, as a person clicking the menu would.

Pure Python (jeepney), so the tests need no system D-Bus bindings.
"""

from __future__ import annotations

import time

from jeepney import (
    DBusAddress,
    HeaderFields,
    MatchRule,
    MessageType,
    Properties,
    message_bus,
    new_error,
    new_method_call,
    new_method_return,
    new_signal,
)
from jeepney.io.blocking import open_dbus_connection
from jeepney.wrappers import DBusErrorResponse, unwrap_msg

from bus_service import BusService

WATCHER_NAME = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"
WATCHER_IFACE = "org.kde.StatusNotifierWatcher"
ITEM_IFACE = "org.kde.StatusNotifierItem"
MENU_IFACE = "com.canonical.dbusmenu"
PROPS_IFACE = "org.freedesktop.DBus.Properties"
INTROSPECT_IFACE = "org.freedesktop.DBus.Introspectable"

INTROSPECTION = f"""<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
  <interface name="{WATCHER_IFACE}">
    <method name="RegisterStatusNotifierItem"><arg name="service" type="s" direction="in"/></method>
    <method name="RegisterStatusNotifierHost"><arg name="service" type="s" direction="in"/></method>
    <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
    <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
    <property name="ProtocolVersion" type="i" access="read"/>
    <signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
    <signal name="StatusNotifierItemUnregistered"><arg type="s"/></signal>
    <signal name="StatusNotifierHostRegistered"/>
  </interface>
  <interface name="{PROPS_IFACE}">
    <method name="Get"><arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="v" direction="out"/></method>
    <method name="GetAll"><arg type="s" direction="in"/><arg type="a{{sv}}" direction="out"/></method>
  </interface>
  <interface name="{INTROSPECT_IFACE}">
    <method name="Introspect"><arg type="s" direction="out"/></method>
  </interface>
</node>
"""


class StatusNotifierWatcher(BusService):
    """The watcher service. Use as a context manager: on entry it owns
    `org.kde.StatusNotifierWatcher` (or raises), on exit it lets it go."""

    def __init__(self) -> None:
        super().__init__()
        self._items: list[str] = []
        self._hosts: list[str] = []

    # --- the service's life ---------------------------------------------------

    def __enter__(self) -> "StatusNotifierWatcher":
        conn = open_dbus_connection(bus="SESSION")
        # To drop the items of apps that leave the bus, as a panel does.
        conn.send_and_get_reply(
            message_bus.AddMatch(
                MatchRule(
                    type="signal",
                    sender="org.freedesktop.DBus",
                    interface="org.freedesktop.DBus",
                    member="NameOwnerChanged",
                )
            ),
            timeout=5,
        )
        self._own(conn, WATCHER_NAME, "tray-host")
        return self

    @property
    def items(self) -> list[str]:
        """The registered items, as `bus-name/object/path` (the spec's form)."""
        with self._lock:
            return list(self._items)

    def wait_for_item(self, timeout: float, pid: int | None = None) -> str:
        """The first registered item (of process `pid`, when given: an app
        of an earlier test may still be on its way out), waiting up to
        `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for item in self.items:
                if pid is None:
                    return item
                try:
                    with TrayItem(item) as seen:
                        if seen.pid() == pid:
                            return item
                except Exception:  # noqa: BLE001 - an item leaving the bus
                    pass
            time.sleep(0.1)
        raise TimeoutError(f"no StatusNotifierItem registered within {timeout} s")

    # --- the service itself -----------------------------------------------------

    def _emit(self, signal: str, signature: str | None = None, body: tuple = ()) -> None:
        assert self._conn is not None
        emitter = DBusAddress(WATCHER_PATH, interface=WATCHER_IFACE)
        self._conn.send(new_signal(emitter, signal, signature, body))

    def _properties(self) -> dict:
        with self._lock:
            return {
                "RegisteredStatusNotifierItems": ("as", list(self._items)),
                "IsStatusNotifierHostRegistered": ("b", True),
                "ProtocolVersion": ("i", 0),
            }

    def _handle(self, msg) -> None:
        assert self._conn is not None
        fields = msg.header.fields
        kind = msg.header.message_type
        member = fields.get(HeaderFields.member)
        if kind == MessageType.signal:
            if member == "NameOwnerChanged":
                self._owner_changed(*msg.body)
            return
        if kind != MessageType.method_call:
            return
        iface = fields.get(HeaderFields.interface)
        sender = fields.get(HeaderFields.sender, "")
        reply = None
        if member == "RegisterStatusNotifierItem" and iface in (WATCHER_IFACE, None):
            (service,) = msg.body
            # An item names either its object path (the bus name is then
            # the caller's) or its bus name (the path is then the default).
            if service.startswith("/"):
                item = f"{sender}{service}"
            else:
                item = f"{service}/StatusNotifierItem"
            with self._lock:
                new = item not in self._items
                if new:
                    self._items.append(item)
            reply = new_method_return(msg)
            self._conn.send(reply)
            if new:
                self._emit("StatusNotifierItemRegistered", "s", (item,))
            return
        if member == "RegisterStatusNotifierHost" and iface in (WATCHER_IFACE, None):
            with self._lock:
                self._hosts.append(msg.body[0])
            self._conn.send(new_method_return(msg))
            self._emit("StatusNotifierHostRegistered")
            return
        if iface == PROPS_IFACE and member == "Get":
            wanted_iface, name = msg.body
            props = self._properties()
            if wanted_iface == WATCHER_IFACE and name in props:
                reply = new_method_return(msg, "v", (props[name],))
            else:
                reply = new_error(msg, "org.freedesktop.DBus.Error.UnknownProperty", "s", (name,))
        elif iface == PROPS_IFACE and member == "GetAll":
            props = self._properties() if msg.body[0] == WATCHER_IFACE else {}
            reply = new_method_return(msg, "a{sv}", (props,))
        elif iface == INTROSPECT_IFACE and member == "Introspect":
            reply = new_method_return(msg, "s", (INTROSPECTION,))
        elif iface == "org.freedesktop.DBus.Peer" and member == "Ping":
            reply = new_method_return(msg)
        else:
            reply = new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s", (f"{iface}.{member}",))
        self._conn.send(reply)

    def _owner_changed(self, name: str, old: str, new: str) -> None:
        if new:
            return
        with self._lock:
            gone = [i for i in self._items if i.split("/", 1)[0] in (name, old)]
            self._items = [i for i in self._items if i not in gone]
        for item in gone:
            self._emit("StatusNotifierItemUnregistered", "s", (item,))


def _variant_value(value):
    """A jeepney variant is (signature, value); the value is what we want."""
    return value[1] if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str) else value


class MenuEntry:
    """One entry of a dbusmenu layout."""

    def __init__(self, raw) -> None:
        item_id, props, children = raw
        self.id: int = item_id
        self.props: dict = {k: _variant_value(v) for k, v in props.items()}
        self.children = [MenuEntry(_variant_value(c)) for c in children]

    @property
    def label(self) -> str:
        return self.props.get("label", "")

    @property
    def is_separator(self) -> bool:
        return self.props.get("type") == "separator"

    @property
    def enabled(self) -> bool:
        # dbusmenu leaves out properties at their defaults (enabled: true).
        return bool(self.props.get("enabled", True))

    @property
    def visible(self) -> bool:
        return bool(self.props.get("visible", True))

    @property
    def toggle_state(self) -> int | None:
        return self.props.get("toggle-state")

    def __repr__(self) -> str:
        return f"MenuEntry({self.id}, {self.props!r})"


class TrayItem:
    """A registered StatusNotifierItem, seen the way a panel sees it."""

    def __init__(self, item: str, timeout: float = 10.0) -> None:
        self.bus_name, path = item.split("/", 1)
        self.path = "/" + path
        self.timeout = timeout
        self.conn = open_dbus_connection(bus="SESSION")
        self.address = DBusAddress(self.path, bus_name=self.bus_name, interface=ITEM_IFACE)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "TrayItem":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _call(self, msg):
        return unwrap_msg(self.conn.send_and_get_reply(msg, timeout=self.timeout))

    def prop(self, name: str):
        (value,) = self._call(Properties(self.address).get(name))
        return _variant_value(value)

    def pid(self) -> int:
        """The process that owns the item's bus connection."""
        (pid,) = self._call(message_bus.GetConnectionUnixProcessID(self.bus_name))
        return pid

    def _menu(self) -> DBusAddress:
        return DBusAddress(self.prop("Menu"), bus_name=self.bus_name, interface=MENU_IFACE)

    def menu(self) -> list[MenuEntry]:
        """The menu's top-level entries, in order (as the panel would draw
        them, separators included)."""
        menu = self._menu()
        # A panel says it is about to show the menu first; some menus fill
        # themselves only then.
        try:
            self._call(new_method_call(menu, "AboutToShow", "i", (0,)))
        except DBusErrorResponse:
            pass
        _revision, root = self._call(new_method_call(menu, "GetLayout", "iias", (0, -1, [])))
        return MenuEntry(root).children

    def entry(self, label: str) -> MenuEntry:
        for e in self.menu():
            if e.label == label:
                return e
        raise LookupError(f"no menu entry {label!r} in {[e.label for e in self.menu()]}")

    def click(self, label: str) -> None:
        """Clicks the entry with this label. The app rebuilds its menu on
        every change of state (new ids), so an id read a moment ago may be
        gone: then the layout is read again and the click retried."""
        deadline = time.monotonic() + self.timeout
        while True:
            e = self.entry(label)
            menu = self._menu()
            try:
                self._call(new_method_call(menu, "Event", "isvu", (e.id, "clicked", ("i", 0), int(time.time()))))
                return
            except DBusErrorResponse:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
