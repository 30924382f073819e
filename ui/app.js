// The dashboard's behaviour. It talks to the app only through Tauri's
// typed commands and two events (`status`, `activity`); it never sees a
// token. Figures come from the app's snapshot; the page only shows them.
"use strict";

const { invoke } = window.__TAURI__.core;
const { listen } = window.__TAURI__.event;

const $ = (id) => document.getElementById(id);
const MAX_ROWS = 200;
let formDirty = false;

function setText(id, text) {
  const el = $(id);
  if (el.textContent !== text) el.textContent = text;
}

function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function duration(secs) {
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const s = secs % 60;
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min ${s} s`;
  return `${s} s`;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "—";
}

function showNotice(notice) {
  const box = $("notice");
  if (!notice) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  box.className = `notice ${notice.kind}`;
  box.setAttribute("role", notice.kind === "error" ? "alert" : "status");
  setText("notice-text", notice.text);
}

function render(s) {
  showNotice(s.notice);
  $("welcome").hidden = !s.first_run;
  $("dashboard").hidden = s.first_run;
  $("welcome-waiting").hidden = !s.signing_in;
  for (const id of ["welcome-sign-in", "welcome-demo"]) $(id).disabled = s.signing_in;
  if (s.first_run) return;

  const a = s.account;
  setText("account-user", a ? a.user : "—");
  setText("account-url", a ? a.account_url : "—");
  setText("account-expiry", a ? (a.demo ? "the demo never expires" : when(a.token_expires_at)) : "—");
  setText("sign-in-again", s.mode === "account" ? "Sign in again" : "Sign in to Worksection");
  setText("sign-out", s.mode === "demo" ? "Leave the demo" : "Sign out");

  const srv = s.server;
  setText("server-address", srv.address);
  const state = $("server-state");
  const kind = srv.error ? "error" : srv.running ? "running" : "stopped";
  state.className = `pill ${kind}`;
  setText("server-state", kind === "error" ? "error" : kind);
  setText("server-sessions", String(srv.sessions));
  setText("server-uptime", srv.running ? duration(srv.uptime_seconds) : "—");
  $("server-error").hidden = !srv.error;
  setText("server-error", srv.error || "");
  $("copy-address").disabled = !srv.running;

  const h = s.health;
  setText("health-reachable", h.reachable === null ? "not checked yet" : h.reachable ? "reachable" : "not reachable");
  setText("health-latency", h.latency_ms === null ? "—" : `${h.latency_ms} ms`);
  setText("health-queued", String(h.queued));
  setText("health-error", h.last_error || "none");

  const c = s.cache;
  setText("cache-files", c ? String(c.files) : "0");
  setText("cache-bytes", c ? bytes(c.bytes) : "0 B");
  setText("cache-hit-rate", c && c.hits + c.misses > 0 ? `${Math.round(c.hit_rate * 100)} %` : "—");
  setText("cache-retention", `${s.settings.cache_retention_hours} h, up to ${s.settings.cache_max_mb} MB`);
  $("clear-cache").disabled = !srv.running;

  renderConnected(s.connected);
  if (!formDirty) fillSettings(s.settings);
}

let connectedKey = "";
function renderConnected(list) {
  // Rebuilt only when it changed, so keyboard focus on Undo survives the
  // periodic refresh.
  const key = JSON.stringify(list);
  if (key === connectedKey) return;
  connectedKey = key;
  const box = $("connected");
  box.replaceChildren();
  for (const c of list) {
    const item = document.createElement("div");
    item.className = "item";
    const head = document.createElement("div");
    head.className = "row";
    const text = document.createElement("span");
    text.textContent = `${c.client}: wrote ${c.path}` + (c.backup ? ` (previous file kept as ${c.backup})` : "");
    const undo = document.createElement("button");
    undo.type = "button";
    undo.className = "small";
    undo.textContent = "Undo";
    undo.dataset.undo = clientId(c.client);
    undo.id = `undo-${clientId(c.client)}`;
    head.append(text, " ", undo);
    const pre = document.createElement("pre");
    pre.textContent = JSON.stringify(c.entry, null, 2);
    item.append(head, pre);
    box.append(item);
  }
}

function clientId(label) {
  return { "Claude Desktop": "claude-desktop", "Claude Code": "claude-code", "Cursor": "cursor", "VS Code": "vscode" }[label] || label;
}

function fillSettings(st) {
  $("set-port").value = st.port;
  $("set-retention").value = st.cache_retention_hours;
  $("set-cache-mb").value = st.cache_max_mb;
  $("set-autostart").checked = st.start_at_login;
  $("set-webhooks").checked = st.webhook_access;
  $("set-token").checked = st.local_token;
}

function row(call) {
  const tr = document.createElement("tr");
  const cells = [
    new Date(call.at).toLocaleTimeString(),
    call.tool,
    `${call.duration_ms} ms`,
    String(call.upstream_requests),
    bytes(call.response_bytes),
    call.error || "",
  ];
  cells.forEach((text, i) => {
    const td = document.createElement("td");
    td.textContent = text;
    if (i >= 2 && i <= 4) td.className = "num";
    if (i === 5 && text) td.className = "err";
    tr.append(td);
  });
  tr.dataset.tool = call.tool;
  return tr;
}

function addCall(call) {
  const body = $("activity");
  body.prepend(row(call));
  while (body.children.length > MAX_ROWS) body.lastElementChild.remove();
  $("activity-empty").hidden = body.children.length > 0;
}

// Runs a command; its error (one sentence from the app) goes to the banner.
async function act(command, args) {
  try {
    const s = await invoke(command, args);
    if (s && typeof s === "object" && "first_run" in s) render(s);
    return s;
  } catch (e) {
    showNotice({ kind: "error", text: String(e) });
    return null;
  }
}

async function refresh() {
  const s = await act("get_status");
  return s;
}

function wire() {
  $("welcome-sign-in").addEventListener("click", () => act("sign_in"));
  $("welcome-demo").addEventListener("click", () => act("choose_demo"));
  $("sign-in-again").addEventListener("click", () => act("sign_in"));
  $("sign-out").addEventListener("click", () => act("sign_out"));
  $("copy-address").addEventListener("click", async () => {
    if ((await act("copy_address")) !== null) setText("copy-address", "Copied");
    setTimeout(() => setText("copy-address", "Copy"), 1500);
  });
  $("check-health").addEventListener("click", () => act("check_health"));
  $("clear-cache").addEventListener("click", () => act("clear_cache"));
  $("notice-close").addEventListener("click", () => act("dismiss_notice"));
  document.querySelectorAll("button[data-client]").forEach((b) =>
    b.addEventListener("click", () => act("connect_client", { client: b.dataset.client }).then(refresh)));
  $("connected").addEventListener("click", (e) => {
    const client = e.target.dataset && e.target.dataset.undo;
    if (client) act("undo_connect", { client });
  });
  $("settings").addEventListener("input", () => { formDirty = true; });
  $("settings").addEventListener("submit", async (e) => {
    e.preventDefault();
    const settings = {
      mode: null,
      port: Number($("set-port").value),
      cache_retention_hours: Number($("set-retention").value),
      cache_max_mb: Number($("set-cache-mb").value),
      start_at_login: $("set-autostart").checked,
      webhook_access: $("set-webhooks").checked,
      local_token: $("set-token").checked,
    };
    setText("settings-error", "");
    try {
      const s = await invoke("save_settings", { settings });
      formDirty = false;
      render(s);
    } catch (err) {
      setText("settings-error", String(err));
    }
  });
}

async function main() {
  wire();
  await listen("status", (e) => render(e.payload));
  await listen("activity", (e) => addCall(e.payload));
  const calls = await invoke("get_activity");
  calls.forEach(addCall);
  await refresh();
  // Uptime, sessions and cache figures move on their own.
  setInterval(refresh, 2000);
}

main();
