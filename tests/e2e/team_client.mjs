// The MCP TypeScript SDK's OAuth client against a team server: signs in two
// people of the simulator (discovery, dynamic registration, PKCE, the
// simulator's page choosing the person, the server's own Allow), calls
// tools as each, and tries A's cursor, offload id and file as B.
//
//   node team_client.mjs '{"url": "...", "people": ["a@x", "b@x"], "file": "123"}'
//
// Prints one JSON line: per person the projects they saw and what the
// foreign cursor, offload id and file got.

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";

const config = JSON.parse(process.argv[2]);
const REDIRECT = "http://127.0.0.1:9/ts-callback";

/** Walks the browser part: our authorize, the simulator's page as `email`, our Allow. */
async function browse(authorizeUrl, email) {
  const manual = { redirect: "manual" };
  let resp = await fetch(authorizeUrl, manual);
  if (resp.status !== 302) throw new Error(`authorize answered ${resp.status}: ${await resp.text()}`);
  const atWorksection = new URL(resp.headers.get("location"));
  const form = new URLSearchParams(atWorksection.searchParams);
  form.set("decision", "allow");
  form.set("email", email);
  resp = await fetch(`${atWorksection.origin}/oauth2/authorize`, { ...manual, method: "POST", body: form });
  if (resp.status !== 302) throw new Error(`Worksection's page answered ${resp.status}`);
  // The callback sends the browser on to the consent page, the sign-in in a cookie.
  resp = await fetch(resp.headers.get("location"), manual);
  if (resp.status !== 303) throw new Error(`the callback answered ${resp.status}`);
  const cookie = (resp.headers.get("set-cookie") || "").split(";")[0];
  resp = await fetch(new URL(resp.headers.get("location"), authorizeUrl), { ...manual, headers: { cookie } });
  const html = await resp.text();
  const flow = /name="flow" value="([^"]+)"/.exec(html);
  if (!flow) throw new Error(`no consent form (${resp.status})`);
  resp = await fetch(new URL("/oauth/consent", authorizeUrl), {
    ...manual,
    method: "POST",
    body: new URLSearchParams({ flow: flow[1], decision: "allow" }),
  });
  const back = new URL(resp.headers.get("location"));
  if (back.searchParams.get("error")) throw new Error(`refused: ${back.searchParams.get("error")}`);
  return back.searchParams.get("code");
}

class Provider {
  constructor(email) {
    this.email = email;
    this.saved = {};
  }
  get redirectUrl() {
    return REDIRECT;
  }
  get clientMetadata() {
    return {
      client_name: "TypeScript SDK test",
      redirect_uris: [REDIRECT],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  clientInformation() {
    return this.saved.client;
  }
  saveClientInformation(info) {
    this.saved.client = info;
  }
  tokens() {
    return this.saved.tokens;
  }
  saveTokens(tokens) {
    this.saved.tokens = tokens;
  }
  saveCodeVerifier(v) {
    this.saved.verifier = v;
  }
  codeVerifier() {
    return this.saved.verifier;
  }
  async redirectToAuthorization(url) {
    this.code = await browse(url.toString(), this.email);
  }
}

async function connect(provider) {
  const url = new URL(config.url);
  let transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
  const client = new Client({ name: "team-e2e-ts", version: "1.0.0" });
  try {
    await client.connect(transport);
    return client;
  } catch (e) {
    if (!(e instanceof UnauthorizedError)) throw e;
  }
  await transport.finishAuth(provider.code);
  transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
  const again = new Client({ name: "team-e2e-ts", version: "1.0.0" });
  await again.connect(transport);
  return again;
}

function body(result) {
  const text = result.content.find((b) => b.type === "text")?.text ?? "";
  if (result.isError) return { error: text };
  return JSON.parse(text);
}

function projectIds(answer) {
  const rows = answer.data ?? [];
  if (!answer.columns) return rows.map((p) => String(p.id));
  const at = answer.columns.indexOf("id");
  return rows.map((r) => String(r[at]));
}

const out = {};
const sessions = [];
for (const email of config.people) {
  const provider = new Provider(email);
  const client = await connect(provider);
  sessions.push(client);
  const projects = body(await client.callTool({ name: "get_projects", arguments: { status_filter: "all" } }));
  const tasks = body(await client.callTool({ name: "get_all_tasks", arguments: {} }));
  out[email] = {
    projects: projectIds(projects),
    cursor: tasks.next_cursor ?? null,
    offload: tasks.offload_id ?? null,
    client_id: provider.saved.client?.client_id ?? null,
  };
}
const [a, b] = config.people;
const bClient = sessions[1];
const foreignCursor = body(
  await bClient.callTool({ name: "get_all_tasks", arguments: { cursor: out[a].cursor } }),
);
const foreignOffload = body(
  await bClient.callTool({ name: "read_offloaded_response_text", arguments: { response_id: out[a].offload } }),
);
const foreignFile = body(await bClient.callTool({ name: "get_file_content", arguments: { file_id: config.file } }));
const ownFile = body(await sessions[0].callTool({ name: "get_file_content", arguments: { file_id: config.file } }));
out.cross = {
  cursor: foreignCursor.error ?? null,
  offload: foreignOffload.error ?? null,
  file: foreignFile.error ?? null,
  own_file_ok: !ownFile.error,
};
for (const c of sessions) await c.close();
console.log(JSON.stringify(out));
