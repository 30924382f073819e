// The official MCP TypeScript SDK (`@modelcontextprotocol/sdk`, the client
// Claude Desktop, Claude Code, Cursor and VS Code run) as an end-to-end
// client, driven by the pytest suite (ts_sdk.py) and run with the pinned
// Node 22 (E2E_NODE, from scripts/e2e-tools).
//
//   node ts_client.mjs PLAN.json
//
// The plan (JSON) says how to connect and what to call:
//   {
//     "transport": {"kind": "http", "url": "http://127.0.0.1:PORT/mcp"}
//                | {"kind": "stdio", "command": "...", "args": [...],
//                   "env": {...}, "cwd": "...", "stderr": "path of a log"},
//     "calls": [{"tool": "get_task", "arguments": {"task_id": "1"}}, ...],
//     "follow": true,        // walk next_cursor pages and offloaded answers
//     "timeout_ms": 90000,
//     "session_calls": 500   // a new session after that many calls (below)
//   }
// For each session it connects, lists the tools first (the SDK then validates every
// `structuredContent` against its tool's `outputSchema`, as those clients
// do), calls each tool in order with `client.callTool`, and closes the
// session as a client does (a DELETE of the session over HTTP).
//
// Out, one JSON object a line on stdout:
//   {"event": "initialized", "server": {...}, "protocol": "..."}   (each session)
//   {"event": "tools", "tools": [{"name", "inputSchema", "outputSchema"}]}   (each session)
//   {"event": "call", "i": N, "tool", "arguments", "of": M|null,
//    "isError": bool, "structuredContent": {...}|null, "text": "..."}
//     or, when the SDK threw, with "error": {"code", "message"} instead
//     (`of` is the plan's index of the call a follow-up page belongs to)
//   {"event": "log", "source": "console.warn"|"client.onerror"|..., "message"}
//     for every warning or error the SDK reports
//   {"event": "closed"}     last, after every session closed cleanly
// Exits 0 when it got to the end (failed calls are data, not a crash);
// 1 with {"event": "fatal", "message"} when it could not connect or close.

import { readFileSync, openSync, createWriteStream } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

function text(err) {
  if (err instanceof Error) return err.stack || err.message;
  return typeof err === "string" ? err : JSON.stringify(err);
}

// Whatever the SDK (or Ajv beneath it) writes to the console is a warning
// the suite sees; stdout stays ours (JSON lines).
for (const level of ["warn", "error", "log", "info", "debug"]) {
  console[level] = (...args) => emit({ event: "log", source: `console.${level}`, message: args.map(text).join(" ") });
}
process.on("warning", (w) => emit({ event: "log", source: "process.warning", message: text(w) }));

// The standing GET streams a session opened (the SDK opens one to hear
// the server between requests), each a promise that settles when the
// server ends it: a session closed with a DELETE must end them, and the
// client closes only then. Closing while one is open aborts it, which the
// SDK reports as an error ("SSE stream disconnected").
const openStreams = new Set();

async function trackingFetch(url, init) {
  const response = await fetch(url, init);
  if ((init?.method ?? "GET") !== "GET" || !response.ok || !response.body) return response;
  let ended;
  const done = new Promise((resolve) => (ended = resolve));
  openStreams.add(done);
  done.then(() => openStreams.delete(done));
  const body = response.body.pipeThrough(new TransformStream({ flush: () => ended() }));
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

async function streamsEnded(ms) {
  let timer;
  const late = new Promise((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const ended = await Promise.race([Promise.all([...openStreams]).then(() => true), late]);
  clearTimeout(timer);
  await new Promise((resolve) => setImmediate(resolve));
  return ended;
}

function transportOf(spec) {
  if (spec.kind === "http") {
    return new StreamableHTTPClientTransport(new URL(spec.url), { fetch: trackingFetch });
  }
  if (spec.kind === "stdio") {
    const transport = new StdioClientTransport({
      command: spec.command,
      args: spec.args ?? [],
      env: spec.env,
      cwd: spec.cwd,
      stderr: "pipe",
    });
    if (spec.stderr) {
      const log = createWriteStream(null, { fd: openSync(spec.stderr, "a") });
      transport.stderr?.pipe(log);
    }
    return transport;
  }
  throw new Error(`unknown transport kind ${JSON.stringify(spec.kind)}`);
}

function firstText(result) {
  const block = (result.content ?? []).find((b) => b.type === "text");
  return block ? block.text : "";
}

async function session(plan, calls, first) {
  const timeout = plan.timeout_ms ?? 90000;
  const client = new Client({ name: "e2e-typescript-sdk", version: "0.0.0" }, { capabilities: {} });
  client.onerror = (err) => emit({ event: "log", source: "client.onerror", message: text(err) });
  const transport = transportOf(plan.transport);

  await client.connect(transport, { timeout });
  emit({
    event: "initialized",
    server: client.getServerVersion() ?? null,
    protocol: transport.protocolVersion ?? null,
    instructions: client.getInstructions() ?? null,
  });

  // Every page of tools/list (the SDK caches each tool's output validator).
  const tools = [];
  let cursor;
  do {
    const page = await client.listTools(cursor ? { cursor } : {}, { timeout });
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  emit({
    event: "tools",
    tools: tools.map((t) => ({ name: t.name, inputSchema: t.inputSchema, outputSchema: t.outputSchema ?? null })),
  });

  async function call(tool, args, of) {
    const n = counter.next++;
    try {
      const result = await client.callTool({ name: tool, arguments: args }, undefined, { timeout });
      const sc = result.structuredContent ?? null;
      emit({
        event: "call",
        i: n,
        tool,
        arguments: args,
        of,
        isError: result.isError === true,
        structuredContent: sc,
        text: result.isError === true || sc === null ? firstText(result) : undefined,
      });
      return result.isError === true ? null : sc;
    } catch (err) {
      emit({
        event: "call",
        i: n,
        tool,
        arguments: args,
        of,
        error: { code: err?.code ?? null, message: err?.message ?? text(err) },
      });
      return null;
    }
  }

  // A list answer's further pages, and an offloaded answer read back,
  // as an assistant would after this answer.
  async function follow(tool, args, sc, of) {
    let page = sc;
    while (page && typeof page.next_cursor === "string") {
      page = await call(tool, { ...args, cursor: page.next_cursor }, of);
    }
    for (const id of new Set([sc?.response_id, sc?.offload_id])) {
      if (typeof id !== "string") continue;
      await call("get_offloaded_response_info", { response_id: id }, of);
      let offset = 0;
      for (;;) {
        const chunk = await call("read_offloaded_response_text", { response_id: id, offset }, of);
        if (!chunk || chunk.has_more !== true || typeof chunk.next_offset !== "number") break;
        offset = chunk.next_offset;
      }
    }
  }

  for (const [k, c] of calls.entries()) {
    const args = c.arguments ?? {};
    const sc = await call(c.tool, args, null);
    if (plan.follow && sc) await follow(c.tool, args, sc, first + k);
  }

  // Closing as a client does: the session ends with a DELETE over HTTP
  // (terminateSession reports a refused one through onerror), after which
  // the server ends the session's GET stream; then the transport closes
  // (over stdio: the child's stdin, then the child).
  if (plan.transport.kind === "http") {
    try {
      await transport.terminateSession();
    } catch {
      // Already reported: the SDK passes it to client.onerror first.
    }
    if (!(await streamsEnded(5000))) {
      emit({ event: "log", source: "server", message: "the session's GET stream was still open 5 s after its DELETE" });
    }
  }
  await client.close();
}

const counter = { next: 0 };

// The plan's calls go over sessions of at most `session_calls` calls
// each, one after the other, as a client reconnects now and then. Within
// one session every request's fetch hangs an abort listener on the
// transport's one AbortSignal, which undici drops only when the request is
// garbage-collected, and Node warns (MaxListenersExceededWarning) at
// 1,500 of them: the runtime's doing, neither the SDK's nor the server's.
async function main() {
  const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
  const calls = plan.calls ?? [];
  const size = plan.session_calls ?? 500;
  for (let first = 0; first === 0 || first < calls.length; first += size) {
    await session(plan, calls.slice(first, first + size), first);
  }
  emit({ event: "closed" });
}

main().then(
  () => process.exit(0),
  (err) => {
    emit({ event: "fatal", message: text(err) });
    process.exit(1);
  },
);
