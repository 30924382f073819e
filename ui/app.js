// The dashboard's behaviour. It talks to the app only through Tauri's
// typed commands and three events (`status`, `activity`, `show-ways`); it
// never sees a token. Figures come from the app's snapshot, published by
// the app whenever they change; the page only shows them (it does not
// poll). Errors arrive as {kind, message}; the banner is part of the
// published state, so it stays until dismissed.
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
let lastAt = 0;

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
  last = s;
  lastAt = Date.now();
  // A sign-in that worked closes the ways: a new way in use, or a
  // sign-in window that ended without an error.
  const ended = wasSigningIn && !s.signing_in && !(s.notice && s.notice.kind === "error");
  if ((lastMode !== undefined && s.mode && s.mode !== lastMode) || (ended && s.mode)) waysOpen = false;
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
  setText("account-url", a ? a.account_url : "—");
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

function errorText(e) {
  return e && typeof e === "object" && "message" in e ? e.message : String(e);
}

function openWays() {
  waysOpen = true;
  if (last) render(last);
  else $("ways").hidden = false;
  $("ways").scrollIntoView();
}

// Runs a command; its error (one sentence from the app, which also keeps
// it on the banner until dismissed) is shown at once; "needs setup" opens
// the ways to sign in.
async function act(command, args) {
  try {
    const s = await invoke(command, args);
    if (s && typeof s === "object" && "first_run" in s) render(s);
    return s;
  } catch (e) {
    if (e && e.kind === "needs_setup") openWays();
    else showNotice({ kind: "error", text: errorText(e) });
    return null;
  }
}

async function refresh() {
  return act("get_status");
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
    const s = await act("sign_in_own_app", {
      clientId: $("own-id").value,
      clientSecret: $("own-secret").value,
      oauthUrl: oauthUrl(),
    });
    if (s) $("own-secret").value = "";
  });
  $("key-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    $("key-checking").hidden = false;
    $("key-submit").disabled = true;
    const s = await act("save_api_key", { accountUrl: $("key-account").value, apiKey: $("key-value").value });
    $("key-checking").hidden = true;
    $("key-submit").disabled = false;
    if (s) {
      $("key-value").value = "";
      waysOpen = false;
      render(s);
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
    b.addEventListener("click", () => act("connect_client", { client: b.dataset.client }).then(refresh)));
  document.querySelectorAll("button[data-link]").forEach((b) =>
    b.addEventListener("click", () => act("open_install_link", { client: b.dataset.link })));
  $("install-claude-extension").addEventListener("click", () => act("install_claude_extension").then(refresh));
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
    try {
      const s = await invoke("save_settings", { settings });
      formDirty = false;
      render(s);
    } catch (err) {
      setText("settings-error", errorText(err));
    }
  });
}

async function main() {
  wire();
  await listen("status", (e) => render(e.payload));
  await listen("activity", (e) => addCall(e.payload));
  await listen("show-ways", openWays);
  const calls = await invoke("get_activity");
  calls.forEach(addCall);
  await refresh();
  // The uptime counts up here, from the last published figure.
  setInterval(() => {
    if (last && last.server.running) {
      setText("server-uptime", duration(last.server.uptime_seconds + Math.floor((Date.now() - lastAt) / 1000)));
    }
  }, 1000);
}

main();
