// The dashboard's behaviour. It talks to the app only through Tauri's
// typed commands and two events; it never sees a token. Everything it
// shows of the app's state comes one way: the `status` event, which the
// app sends whenever its state changed (whoever changed it: this page, the
// tray, a health check), and `get_status` once at load. Commands answer
// only facts (an address copied, a report); `activity` brings the tool
// calls. The page never polls. Errors arrive as {kind, message}, and the
// banner is part of the state, so it stays until dismissed; the page
// chooses its advice by the error's kind (ADVICE).
"use strict";

const { invoke } = window.__TAURI__.core;
const { listen } = window.__TAURI__.event;

const $ = (id) => document.getElementById(id);
const MAX_ROWS = 200;
let formDirty = false;
// The three ways to sign in, open over the welcome screen or the dashboard.
let waysOpen = false;
let lastMode;
let wasSigningIn = false;
let last = null;
// The last "needs setup" notice the ways were opened for.
let setupNotice = 0;

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

// What the page offers for each kind of error: the message says what
// happened and what to do; the button takes the person there.
const ADVICE = {
  not_signed_in: ["Sign in", () => signIn()],
  key_refused: ["Enter the key again", () => showField("key-value")],
  unreachable: ["Check the address", () => showField($("key-account").value ? "key-account" : "oauth-url")],
  port_taken: ["Choose another port", () => showField("set-port")],
};

// Shows (or hides) the advice button `id` for an error of `kind`.
function advise(id, kind) {
  const button = $(id);
  const advice = kind && ADVICE[kind];
  button.hidden = !advice;
  if (advice) {
    setText(id, advice[0]);
    button.dataset.kind = kind;
  }
}

// Brings a field into view, with its section open, and selects it.
function showField(id) {
  const field = $(id);
  const inWays = $("ways").contains(field);
  if (inWays !== waysOpen) {
    waysOpen = inWays;
    if (last) render(last);
  }
  const details = field.closest("details");
  if (details) details.open = true;
  field.scrollIntoView({ block: "center" });
  field.focus();
  if (field.select) field.select();
}

function showNotice(notice) {
  const box = $("notice");
  if (!notice) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  box.className = `notice ${notice.level}`;
  box.setAttribute("role", notice.level === "error" ? "alert" : "status");
  if (notice.kind) box.dataset.kind = notice.kind;
  else delete box.dataset.kind;
  setText("notice-text", notice.text);
  advise("notice-action", notice.kind);
}

// A newer version, downloaded and checked, offered until installed.
function renderUpdate(update) {
  $("update").hidden = !update;
  if (!update) return;
  setText("update-version", `Worksection MCP ${update.version}`);
  setText("update-notes", update.notes ? ` · ${update.notes}` : "");
  $("update-install").disabled = update.installing;
  setText("update-install", update.installing ? "Installing…" : "Install and restart");
}

const WAY_NAMES = {
  environment: "the Worksection app from the environment (WORKSECTION_CLIENT_ID)",
  own: "your own Worksection app",
  built_in: "Worksection (this app's built-in sign-in)",
};

function renderWays(s) {
  const w = s.ways;
  const ready = w.app === "built_in" || w.app === "environment";
  $("builtin-sign-in").hidden = !ready;
  $("builtin-sign-in").disabled = s.signing_in;
  $("builtin-missing").hidden = ready;
  setText("builtin-sign-in", w.app === "environment" ? "Sign in (app from the environment)" : "Sign in with Worksection");
  setText("ways-intro", ready
    ? "Choose how this app reads your Worksection account."
    : "This build has no Worksection app built in. Choose one of these two ways; each takes a minute.");
  $("own-saved").hidden = !w.own_app_client_id;
  setText("own-client-id", w.own_app_client_id || "");
  $("own-sign-in").disabled = s.signing_in;
  setText("own-submit", w.own_app_client_id ? "Replace and sign in" : "Sign in with this app");
  $("own-submit").disabled = s.signing_in;
  setText("redirect-uri", w.redirect_uri);
  const scopes = $("scopes");
  const key = w.scopes.join(",");
  if (scopes.dataset.key !== key) {
    scopes.dataset.key = key;
    scopes.replaceChildren(...w.scopes.map((name) => {
      const c = document.createElement("code");
      c.textContent = name;
      return c;
    }));
  }
  setText("ways-store", w.store || "the OS keychain or the encrypted token file");
  $("ways-store-error").hidden = !w.store_error;
  setText("ways-store-error", w.store_error || "");
  const url = $("oauth-url");
  if (document.activeElement !== url && !url.dataset.edited) {
    url.value = w.oauth_url === "https://worksection.com" ? "" : w.oauth_url;
  }
}

function render(s) {
  // Each state has its number: one that arrives late (the answer to
  // get_status after a newer event) is not shown over the newer.
  if (last && s.version < last.version) return;
  last = s;
  // A sign-in that worked closes the ways: a new way in use, or a
  // sign-in window that ended without an error.
  const ended = wasSigningIn && !s.signing_in && !(s.notice && s.notice.level === "error");
  if ((lastMode !== undefined && s.mode && s.mode !== lastMode) || (ended && s.mode)) waysOpen = false;
  // "Choose how to sign in" (from here or from the tray) opens the ways, once.
  if (s.notice && s.notice.kind === "needs_setup" && s.notice.id !== setupNotice) {
    setupNotice = s.notice.id;
    waysOpen = true;
  }
  lastMode = s.mode;
  wasSigningIn = s.signing_in;
  showNotice(s.notice);
  renderUpdate(s.update);
  renderWays(s);
  $("ways").hidden = !waysOpen;
  $("welcome").hidden = !s.first_run || waysOpen;
  $("dashboard").hidden = s.first_run || waysOpen;
  $("welcome-waiting").hidden = !s.signing_in;
  for (const id of ["welcome-sign-in", "welcome-demo"]) $(id).disabled = s.signing_in;
  if (s.first_run) return;

  const a = s.account;
  setText("account-user", a ? a.user : "—");
  setText("account-url", a ? a.name : "—");
  setText("account-expiry", a ? (a.demo ? "the demo never expires" : when(a.token_expires_at)) : "—");
  setText("sign-in-again", s.mode === "account" ? "Sign in again" : "Sign in to Worksection");
  setText("sign-out", s.mode === "demo" ? "Leave the demo" : "Sign out");
  const way = s.mode === "demo" ? "demo data (nothing of yours)"
    : s.mode === "api_key" ? `the admin API key of ${s.ways.api_key_account || "the account"}`
    : s.mode === "account" ? (WAY_NAMES[s.ways.app] || "a Worksection app that is no longer saved")
    : "—";
  setText("account-way", way);
  const limits = s.mode === "api_key"
    ? "An admin API key is not a person: questions about you (your own tasks, your running timer) need a personal sign-in, and every answer comes from the whole account."
    : s.mode === "demo" ? "Demo data only: sign in to see your own account." : "";
  $("account-limits").hidden = !limits;
  setText("account-limits", limits);

  const srv = s.server;
  setText("server-address", srv.address);
  const state = $("server-state");
  const kind = srv.error ? "error" : srv.running ? "running" : "stopped";
  state.className = `pill ${kind}`;
  setText("server-state", kind === "error" ? "error" : kind);
  setText("server-sessions", String(srv.sessions));
  showUptime();
  $("server-error").hidden = !srv.error;
  setText("server-error", srv.error ? srv.error.message : "");
  if (srv.error) $("server-error").dataset.kind = srv.error.kind;
  else delete $("server-error").dataset.kind;
  advise("server-advice", srv.error && srv.error.kind);
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
  // redraw of every status event.
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

function errorText(e) {
  return e && typeof e === "object" && "message" in e ? e.message : String(e);
}

// How long the server has served, counted here from when it started.
function showUptime() {
  const srv = last && last.server;
  const up = srv && srv.running && srv.started_at
    ? duration(Math.max(0, Math.floor((Date.now() - Date.parse(srv.started_at)) / 1000)))
    : "—";
  setText("server-uptime", up);
}

function openWays() {
  waysOpen = true;
  if (last) render(last);
  else $("ways").hidden = false;
  $("ways").scrollIntoView();
}

// Runs a command: its answer (or `true`), or null when it failed. A
// failure is on the banner already: the app put it in its state, which
// comes back as a `status` event with the error's kind.
async function act(command, args) {
  try {
    const answer = await invoke(command, args);
    return answer === null || answer === undefined ? true : answer;
  } catch (e) {
    if (e && e.kind === "needs_setup") openWays();
    return null;
  }
}

// The Advanced sign-in server address, as typed (empty: the usual one).
function oauthUrl() {
  return $("oauth-url").value.trim();
}

// "Sign in": straight to Worksection's page when an app is ready, else the
// three ways. Never nothing.
function signIn() {
  if (last && last.ways.app) act("sign_in");
  else openWays();
}

function wire() {
  $("welcome-sign-in").addEventListener("click", signIn);
  $("welcome-demo").addEventListener("click", () => act("choose_demo"));
  $("sign-in-again").addEventListener("click", signIn);
  $("change-way").addEventListener("click", openWays);
  $("ways-close").addEventListener("click", () => { waysOpen = false; if (last) render(last); });
  $("builtin-sign-in").addEventListener("click", () => act("sign_in", { oauthUrl: oauthUrl() }));
  $("own-sign-in").addEventListener("click", () => act("sign_in", { oauthUrl: oauthUrl() }));
  $("own-remove").addEventListener("click", () => act("remove_own_app"));
  $("oauth-url").addEventListener("input", () => { $("oauth-url").dataset.edited = "1"; });
  $("copy-redirect").addEventListener("click", async () => {
    if ((await act("copy_redirect_uri")) !== null) setText("copy-redirect", "Copied");
    setTimeout(() => setText("copy-redirect", "Copy"), 1500);
  });
  $("own-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const done = await act("sign_in_own_app", {
      clientId: $("own-id").value,
      clientSecret: $("own-secret").value,
      oauthUrl: oauthUrl(),
    });
    if (done) $("own-secret").value = "";
  });
  $("key-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    $("key-checking").hidden = false;
    $("key-submit").disabled = true;
    const done = await act("save_api_key", { accountUrl: $("key-account").value, apiKey: $("key-value").value });
    $("key-checking").hidden = true;
    $("key-submit").disabled = false;
    if (done) {
      $("key-value").value = "";
      waysOpen = false;
      if (last) render(last);
    }
  });
  $("sign-out").addEventListener("click", () => act("sign_out"));
  $("copy-address").addEventListener("click", async () => {
    if ((await act("copy_address")) !== null) setText("copy-address", "Copied");
    setTimeout(() => setText("copy-address", "Copy"), 1500);
  });
  $("check-health").addEventListener("click", () => act("check_health"));
  $("check-tools").addEventListener("click", async () => {
    // Every tool once, at the account's pace: a minute or two.
    $("check-tools").disabled = true;
    setText("check-tools", "Checking every tool…");
    const report = await act("check_tools");
    $("check-tools").disabled = false;
    setText("check-tools", "Check every tool");
    if (report === null) return;
    setText("check-report", report);
    $("check-report").hidden = false;
    $("copy-report").hidden = false;
  });
  $("copy-report").addEventListener("click", async () => {
    if ((await act("copy_report", { report: $("check-report").textContent })) !== null) setText("copy-report", "Copied");
    setTimeout(() => setText("copy-report", "Copy report"), 1500);
  });
  $("clear-cache").addEventListener("click", () => act("clear_cache"));
  $("notice-close").addEventListener("click", () => act("dismiss_notice"));
  $("update-install").addEventListener("click", () => act("install_update"));
  $("open-logs").addEventListener("click", () => act("open_logs"));
  document.querySelectorAll("button[data-client]").forEach((b) =>
    b.addEventListener("click", () => act("connect_client", { client: b.dataset.client })));
  document.querySelectorAll("button[data-link]").forEach((b) =>
    b.addEventListener("click", () => act("open_install_link", { client: b.dataset.link })));
  $("install-claude-extension").addEventListener("click", () => act("install_claude_extension"));
  for (const id of ["notice-action", "server-advice"]) {
    $(id).addEventListener("click", () => {
      const advice = ADVICE[$(id).dataset.kind];
      if (advice) advice[1]();
    });
  }
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
      oauth_url: last ? last.settings.oauth_url : null,
    };
    setText("settings-error", "");
    delete $("settings-error").dataset.kind;
    try {
      await invoke("save_settings", { settings });
      formDirty = false;
      if (last) render(last);
    } catch (err) {
      setText("settings-error", errorText(err));
      if (err && err.kind) $("settings-error").dataset.kind = err.kind;
    }
  });
}

async function main() {
  wire();
  await listen("status", (e) => render(e.payload));
  await listen("activity", (e) => addCall(e.payload));
  const calls = await invoke("get_activity");
  calls.forEach(addCall);
  // The state as it is now; every change after this comes as `status`.
  render(await invoke("get_status"));
  // The uptime counts up here, from when the server started (a clock on
  // the page, not a question to the app).
  setInterval(showUptime, 1000);
}

main();
