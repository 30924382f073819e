//! A snapshot of every tool's definition (name, description, input and
//! output schema, annotations), of the resource templates and of the
//! prompts, in `src/tools/__toolsnaps__/`. The MCP surface is a contract
//! with assistants written for other Worksection servers, so any change to
//! it must be deliberate: a changed schema fails this test until the new
//! snapshot is reviewed and accepted (`cargo insta review`).

use worksection_mcp::Registry;

fn snapshots() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../src/tools/__toolsnaps__");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}

#[test]
fn every_tool_definition_is_as_snapshotted() {
    let registry = Registry::new();
    snapshots().bind(|| {
        for tool in registry.list() {
            insta::assert_json_snapshot!(tool.name.as_ref(), tool);
        }
    });
}

#[test]
fn resource_templates_and_prompts_are_as_snapshotted() {
    snapshots().bind(|| {
        insta::assert_json_snapshot!("resource_templates", worksection_mcp::resource_templates());
        insta::assert_json_snapshot!("prompts", worksection_mcp::prompts());
    });
}

/// `TOOLS.md` at the top of the repository, written whole from the
/// registry (each tool's toolset, scopes and upstream cost, as each tool
/// declares them), so the documented surface is the served one.
/// `UPDATE_TOOLS_MD=1 cargo test -p worksection-mcp --test toolsnaps`
/// writes it anew after a change.
#[test]
fn tools_md_is_generated_from_the_registry() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../TOOLS.md");
    let fresh = tools_md::render(&Registry::new());
    if std::env::var_os("UPDATE_TOOLS_MD").is_some() {
        std::fs::write(&path, &fresh).expect("write TOOLS.md");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "TOOLS.md is not what the registry serves; run `UPDATE_TOOLS_MD=1 cargo test -p worksection-mcp --test toolsnaps` and commit it"
    );
}

mod tools_md {
    use std::fmt::Write as _;

    use rmcp::model::Tool;
    use serde_json::{Map, Value};
    use worksection_mcp::{Registry, Toolset};

    /// What an answer holds: the rule every answer type follows, said once.
    const RULE: &str = "\
## What an answer holds

Each tool's `outputSchema` (JSON Schema 2020-12) is generated from the Rust type its answer is \
serialized from, so every `structuredContent` validates against it, for every record; the \
TypeScript SDK in Claude, Cursor and VS Code checks it and refuses an answer that does not. What \
is always there and what may be left out:

- **Always there**, even when empty or zero (the schema's `required`): what a tool computes and \
what it is asked for: counts and totals (`total_count`, `blocks_count`, `totals`), flags \
(`truncated`, `running`) and the lists it answers (`data`, `relations.from`, `relations.to`, \
`tags`, `attachments`, `by_person`). An empty list is an answer: `[]`, never a missing field.
- **Only when there is something to say**: the arguments an answer repeats (`project_id`, \
`date_start`, `filter`), `next_cursor` (more pages), the offload fields (`offload_id`, \
`response_id`, size and SHA-256: the answer is over the budget), `skipped`, and a list's tables \
(`every`, `columns`, `projects`, `emails`).
- **Records from Worksection** (tasks, projects, people, comments, files, events, cost lines, \
wherever they appear) are compact: their empty and null fields (`null`, `\"\"`, `[]`, `{}`) \
are left out, at any depth. A person is `{id, name}` (the email once, in `emails`), a project \
`project_id` (the name once, in `projects`; its page is `/project/{id}/`), and a task's page is \
said by its ids (a subtask's `parent_id`). Nothing else is dropped: every name, email and page \
reads back. A record answered alone (`get_task`, `get_project`, `get_user`, \
`get_current_user`) always has its `id`.
- **Lists** come as rows of `columns` (`null`: the record has no such field), what every record \
shares said once in `every`; a list of one record gives it as an object.
- An **object answer over the budget** is replaced by where it is kept: `offloaded`, \
`offload_id` (also `response_id`), its size and an `outline`; every object tool's schema allows \
it.

";

    pub fn render(registry: &Registry) -> String {
        let tools = registry.list();
        let visible = worksection_mcp::model_visible_bytes(tools);
        let mut out = String::new();
        out.push_str(
            "# Tools, resources and prompts\n\n\
             Generated from the server's registry by `crates/worksection-mcp/tests/toolsnaps.rs`; \
             do not edit by hand (`UPDATE_TOOLS_MD=1 cargo test -p worksection-mcp --test \
             toolsnaps` writes it anew). Every tool is read-only.\n\n",
        );
        let _ = writeln!(
            out,
            "{} tools; what a model reads of `tools/list` (names, titles, descriptions, input \
             schemas, annotations): {visible} bytes.\n",
            tools.len()
        );
        out.push_str(
            "A tool that answers a list takes `limit` (the page size) and `cursor` (the \
             `next_cursor` of the page before); the server's instructions tell the model so once, \
             instead of each tool's schema.\n\n",
        );
        out.push_str(RULE);
        out.push_str(TOOLSETS);
        for set in Toolset::ALL {
            let _ = writeln!(out, "### `{}`\n\n{}\n", set.name(), set.about());
            toolset_table(&mut out, registry, |name| {
                registry.toolset(name) == Some(set)
            });
        }
        out.push_str(
            "### Always served\n\nThe offload readers: any answer may point at them, so \
             `MCP_TOOLSETS` never leaves them out.\n\n",
        );
        toolset_table(&mut out, registry, |name| registry.toolset(name).is_none());
        for tool in tools {
            section(&mut out, registry, tool);
        }
        out.push_str("\n## Resource templates\n\n| URI | name | what it is |\n|---|---|---|\n");
        for t in worksection_mcp::resource_templates() {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} |",
                t.uri_template,
                t.name,
                cell(t.description.as_deref().unwrap_or_default())
            );
        }
        out.push_str("\n## Prompts\n\n| prompt | arguments | what it asks |\n|---|---|---|\n");
        for p in worksection_mcp::prompts() {
            let args = p
                .arguments
                .iter()
                .flatten()
                .map(|a| {
                    let required = if a.required == Some(true) { "" } else { "?" };
                    format!("`{}{required}`", a.name)
                })
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(
                out,
                "| `{}` | {} | {} |",
                p.name,
                if args.is_empty() { "—".into() } else { args },
                cell(p.description.as_deref().unwrap_or_default())
            );
        }
        out
    }

    /// What the toolsets are, and what their tables say.
    const TOOLSETS: &str = "\
## Toolsets

The tools come in toolsets, which `MCP_TOOLSETS` picks (a comma-separated list of the names \
below, or `all`, the default). For each tool:

- **scopes**: what a person signed in with OAuth must have granted for it to answer. Signing in \
asks for every `_read` scope, and `administrative` only when webhooks are wanted. A server \
serving an account with its admin API key needs no scope: the key may call every action.
- **upstream cost**: the most requests to Worksection one call makes when nothing is cached, \
and the Worksection actions it calls (what it asks and when, in brackets). A repeated call \
answers from the cache while it is fresh (`RESPONSE_CACHE_TTL_SECONDS`; a file, \
`FILE_CACHE_RETENTION_HOURS`) and makes none; calls at the same moment \
share one request; tools that need the same answer share it too.

";

    /// One toolset's table: tool, title, scopes, upstream cost.
    fn toolset_table(out: &mut String, registry: &Registry, member: impl Fn(&str) -> bool) {
        out.push_str("| tool | title | scopes | upstream cost |\n|---|---|---|---|\n");
        for tool in registry.list().iter().filter(|t| member(&t.name)) {
            let Some(up) = registry.upstream(&tool.name) else {
                continue;
            };
            let _ = writeln!(
                out,
                "| [`{0}`](#{0}) | {1} | {2} | {3} |",
                tool.name,
                cell(tool.title.as_deref().unwrap_or_default()),
                up.scope_names(),
                cell(&up.cost())
            );
        }
        out.push('\n');
    }

    fn section(out: &mut String, registry: &Registry, tool: &Tool) {
        let _ = writeln!(out, "\n## `{}`\n", tool.name);
        let _ = writeln!(out, "{}\n", tool.description.as_deref().unwrap_or_default());
        let set = registry
            .toolset(&tool.name)
            .map_or("always served".to_owned(), |s| {
                format!("toolset `{}`", s.name())
            });
        if let Some(up) = registry.upstream(&tool.name) {
            let _ = writeln!(
                out,
                "In {set}; scopes: {}; upstream: {}.\n",
                up.scope_names(),
                up.cost()
            );
        }
        let props = tool
            .input_schema
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let required: Vec<&str> = tool
            .input_schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if props.is_empty() {
            out.push_str("No parameters.\n");
        } else {
            out.push_str("| parameter | type | description |\n|---|---|---|\n");
            for (name, schema) in &props {
                let mark = if required.contains(&name.as_str()) {
                    ""
                } else {
                    "?"
                };
                let _ = writeln!(
                    out,
                    "| `{name}{mark}` | {} | {} |",
                    type_of(schema),
                    cell(&describe(schema))
                );
            }
        }
        let _ = writeln!(out, "\nAnswers: {}.", answers(tool));
    }

    /// A schema's type in a few words: `string`, `integer`, `"a" \| "b"`.
    fn type_of(schema: &Value) -> String {
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            return values
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(" \\| ");
        }
        let types: Vec<String> = match schema.get("type") {
            Some(Value::String(t)) => vec![t.clone()],
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
                .map(str::to_owned)
                .collect(),
            _ => schema
                .get("anyOf")
                .or_else(|| schema.get("oneOf"))
                .and_then(Value::as_array)
                .map(|alts| alts.iter().map(type_of).filter(|t| t != "null").collect())
                .unwrap_or_default(),
        };
        if types.is_empty() {
            "any".into()
        } else {
            types.join(" or ")
        }
    }

    fn describe(schema: &Value) -> String {
        let mut text = schema
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if let Some(default) = schema.get("default").filter(|d| !d.is_null()) {
            let _ = write!(text, " Default: `{default}`.");
        }
        text
    }

    /// The fields of every list answer (see `output::ListEnvelope`).
    const ENVELOPE: [&str; 14] = [
        "projects",
        "emails",
        "every",
        "columns",
        "total_count",
        "returned_count",
        "truncated",
        "truncation_reason",
        "next_cursor",
        "offload_id",
        "response_id",
        "offload_size_bytes",
        "offload_sha256",
        "offload_uri",
    ];

    /// What a tool answers, from its output schema: the fields always
    /// there, and those there only when they say something.
    fn answers(tool: &Tool) -> String {
        let schema = tool.output_schema.as_deref().cloned().unwrap_or_default();
        let props: Map<String, Value> = schema
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        // An object's required fields are one branch of its `anyOf` (the
        // other is the offloaded account); a list's are at the top.
        let required: Vec<&str> = schema
            .get("required")
            .or_else(|| schema.get("anyOf")?.get(0)?.get("required"))
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let quoted = |keys: Vec<&String>| {
            keys.iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let is_list = props.contains_key("total_count");
        let list_key = if is_list {
            props.keys().next_back()
        } else {
            None
        };
        let own = |k: &&String| {
            !(is_list
                && (ENVELOPE.contains(&k.as_str()) || Some(*k) == list_key || *k == "skipped"))
        };
        let always = quoted(
            props
                .keys()
                .filter(own)
                .filter(|k| required.contains(&k.as_str()))
                .collect(),
        );
        let sometimes = quoted(
            props
                .keys()
                .filter(own)
                .filter(|k| !required.contains(&k.as_str()))
                .collect(),
        );
        let mut text = match list_key {
            Some(key) => {
                let mut t = format!("a list, `{key}`");
                if !always.is_empty() {
                    t.push_str(&format!(", with {always}"));
                }
                t
            }
            None if always.is_empty() => "an object".to_owned(),
            None => always,
        };
        if !is_list && schema.get("additionalProperties") == Some(&Value::Bool(true)) {
            text.push_str(", and the record's own fields");
        }
        if !sometimes.is_empty() {
            text.push_str(&format!("; when there is something to say: {sometimes}"));
        }
        text
    }

    fn cell(text: &str) -> String {
        text.replace('|', "\\|").replace('\n', " ")
    }
}
