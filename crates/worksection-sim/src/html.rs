//! HTML for people who open the simulator in a browser: the page frame and
//! escaping.

/// A small self-contained HTML page in Worksection's spirit.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Worksection</title><style>\
         body{{font-family:system-ui,sans-serif;background:#f4f6f8;color:#1d2733;margin:0}}\
         main{{max-width:28rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:8px;\
         box-shadow:0 1px 4px #0002}}h1{{font-size:1.25rem}}li{{margin:.3rem 0}}\
         button{{font-size:1rem;padding:.5rem 1.5rem;border-radius:6px;border:1px solid #8a97a5;\
         background:#fff;cursor:pointer}}#allow{{background:#2f80ed;color:#fff;border-color:#2f80ed}}\
         .error{{color:#b00020}}</style></head><body><main><h1>{title}</h1>{body}</main></body></html>",
        title = escape(title),
    )
}

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
