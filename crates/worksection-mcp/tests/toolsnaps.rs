//! A snapshot of every tool's definition (name, description, input and
//! output schema, annotations), of the resource templates and of the
//! prompts, in `src/tools/__toolsnaps__/`. The MCP surface is a contract
//! with assistants written for other Worksection servers, so any change to
//! it must be deliberate: a changed schema fails this test until the new
//! snapshot is reviewed and accepted (`cargo insta review`).

use worksection_mcp::tools::Registry;

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
        insta::assert_json_snapshot!(
            "resource_templates",
            worksection_mcp::resources::templates()
        );
        insta::assert_json_snapshot!("prompts", worksection_mcp::prompts::list());
    });
}
