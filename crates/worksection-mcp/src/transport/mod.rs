//! The two ways an assistant reaches the server: streamable HTTP (the
//! desktop app and the headless server) and stdio (an assistant that
//! starts the server itself).

pub mod http;
pub mod stdio;
