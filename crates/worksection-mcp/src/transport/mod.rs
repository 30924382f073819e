//! The two ways an assistant reaches the server: streamable HTTP (the
//! desktop app and the headless server) and stdio (an assistant that
//! starts the server itself), and the bridge from stdio to a server
//! already running over HTTP (the desktop app's).

pub mod bridge;
pub mod http;
pub mod stdio;
