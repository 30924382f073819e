//! The server's own pages (the consent page, sign-in problems): a small
//! frame, escaping, and headers that keep them out of other sites' frames.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

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

/// A page with `title` and `body` (already escaped HTML).
pub fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} · Worksection MCP</title><style>\
         body{{font-family:system-ui,sans-serif;background:#f4f6f8;color:#1d2733;margin:0}}\
         main{{max-width:30rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:8px;\
         box-shadow:0 1px 4px #0002}}h1{{font-size:1.25rem}}li{{margin:.3rem 0}}\
         .who{{padding-bottom:.75rem;border-bottom:1px solid #e3e8ee}}.actions{{margin-top:1.5rem}}\
         button{{font-size:1rem;padding:.5rem 1.5rem;border-radius:6px;border:1px solid #8a97a5;\
         background:#fff;cursor:pointer;margin-right:.5rem}}#allow{{background:#2f80ed;color:#fff;border-color:#2f80ed}}\
         .warn{{color:#8a5a00}}.error{{color:#b00020}}code{{word-break:break-all}}</style></head>\
         <body><main><h1>{t}</h1>{body}</main></body></html>",
        t = escape(title),
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
            ),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        html,
    )
        .into_response()
}
