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

/// `TOOLS.md` at the top of the repository, written from the registry, so
/// the documented surface is the served one. `UPDATE_TOOLS_MD=1 cargo test
/// --workspace --test toolsnaps` writes it anew after a change.
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
        "TOOLS.md is not what the registry serves; run `UPDATE_TOOLS_MD=1 cargo test --workspace --test toolsnaps` and commit it"
    );
}

mod tools_md {
    use std::fmt::Write as _;

    use rmcp::model::Tool;
    use serde_json::{Map, Value};
    use worksection_mcp::Registry;

    pub fn render(registry: &Registry) -> String {
        let tools = registry.list();
        let visible = worksection_mcp::model_visible_bytes(tools);
        let mut out = String::new();
        out.push_str(
            "# Tools, resources and prompts\n\n\
             Generated from the server's registry by `crates/worksection-mcp/tests/toolsnaps.rs`; \
             do not edit by hand (`UPDATE_TOOLS_MD=1 cargo test --workspace --test toolsnaps` \
             writes it anew). Every tool is read-only.\n\n",
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
        out.push_str("| tool | what it is for |\n|---|---|\n");
        for tool in tools {
            let _ = writeln!(
                out,
                "| [`{0}`](#{0}) | {1} |",
                tool.name,
                tool.title.as_deref().unwrap_or_default()
            );
        }
        for tool in tools {
            section(&mut out, tool);
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

    fn section(out: &mut String, tool: &Tool) {
        let _ = writeln!(out, "\n## `{}`\n", tool.name);
        let _ = writeln!(out, "{}\n", tool.description.as_deref().unwrap_or_default());
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

    /// What a tool answers, from its output schema.
    fn answers(tool: &Tool) -> String {
        let props: Map<String, Value> = tool
            .output_schema
            .as_ref()
            .and_then(|s| s.get("properties"))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if props.contains_key("data") {
            "a list: `data`, with `total_count`, `returned_count` and what was left out".into()
        } else if props.is_empty() {
            "an object".into()
        } else {
            let keys: Vec<String> = props.keys().map(|k| format!("`{k}`")).collect();
            format!("an object with {}", keys.join(", "))
        }
    }

    fn cell(text: &str) -> String {
        text.replace('|', "\\|").replace('\n', " ")
    }
}
