//! Icons a client may show beside the server and its tools (MCP's
//! `icons`): the app's own icon for the server, and one small glyph per
//! toolset for its tools.
//!
//! They are `data:` URIs of SVG, so a client needs nothing from the
//! network to show them. Icons are not what the model reads, but every
//! tool's icon is in `tools/list`: each glyph is one short path in the
//! app's green (under 300 bytes a tool, escapes included).

use rmcp::model::Icon;

/// The app's icon (`icons/icon.svg`): a green rounded square with a white W.
const APP: &str = "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 1024 1024'><rect x='64' y='64' width='896' height='896' rx='200' fill='#1f7a5a'/><path d='M232 336 352 704 512 432 672 704 792 336' fill='none' stroke='#fff' stroke-width='88' stroke-linecap='round' stroke-linejoin='round'/></svg>";

/// One stroke path per toolset (by its `MCP_TOOLSETS` name), on a 24×24
/// grid.
fn glyph(toolset: &str) -> Option<&'static str> {
    Some(match toolset {
        // A folder.
        "projects" => "M3 6h7l2 2h9v11H3z",
        // A check mark.
        "tasks" => "M4 12l5 5L20 6",
        // A speech bubble.
        "comments" => "M4 5h16v11H9l-5 4z",
        // A page with a folded corner.
        "files" => "M6 3h8l4 4v14H6zM14 3v4h4",
        // A clock.
        "time" => "M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18M12 7v5l3 3",
        // A person.
        "people" => "M12 4a4 4 0 1 0 0 8a4 4 0 1 0 0-8M4 21c0-4 4-6 8-6s8 2 8 6",
        // A tag.
        "tags" => "M3 3h8l10 10-8 8L3 11zM7 7h1",
        // A pulse line.
        "activity" => "M3 12h4l3-7 4 14 3-7h4",
        // Bars of a chart.
        "analytics" => "M5 20V11M12 20V4M19 20v-6",
        // A power sign.
        "system" => "M12 3v8M7 6a8 8 0 1 0 10 0",
        _ => return None,
    })
}

/// `data:` URI of an SVG, percent-encoding what a URI may not hold as it
/// is (spaces, `<`, `>`, `#`, `"`, `%`): clients and the conformance suite
/// check `src` is a URI.
fn svg(body: &str) -> Icon {
    let mut uri = String::from("data:image/svg+xml,");
    for b in body.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    let mut icon = Icon::new(uri);
    icon.mime_type = Some("image/svg+xml".to_owned());
    icon.sizes = Some(vec!["any".to_owned()]);
    icon
}

/// The server's icon.
pub fn server() -> Vec<Icon> {
    vec![svg(APP)]
}

/// The icon of a toolset's tools (none for a name without a glyph).
pub fn toolset(name: &str) -> Vec<Icon> {
    glyph(name)
        .map(|path| {
            svg(&format!(
                "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24' fill='none' stroke='#1f7a5a' stroke-width='2'><path d='{path}'/></svg>"
            ))
        })
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icons_are_svg_data_uris() {
        let sets = [
            "projects",
            "tasks",
            "comments",
            "files",
            "time",
            "people",
            "tags",
            "activity",
            "analytics",
            "system",
        ];
        assert!(toolset("other").is_empty());
        let all = server()
            .into_iter()
            .chain(sets.iter().flat_map(|t| toolset(t)));
        for icon in all {
            let body = icon
                .src
                .strip_prefix("data:image/svg+xml,")
                .expect("a data: URI of SVG");
            assert!(
                body.starts_with("%3Csvg%20") && body.ends_with("%3C/svg%3E"),
                "{body}"
            );
            // Only what a URI may hold (RFC 3986), escapes included.
            assert!(
                body.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b)),
                "{body}"
            );
            assert!(icon.src.len() < 460, "{}", icon.src.len());
        }
    }
}
