//! MCP over stdin/stdout. Logs go to stderr only: stdout carries nothing
//! but JSON-RPC.

use rmcp::ServiceExt;
use tokio_util::sync::CancellationToken;

use crate::config::ConfigError;
use crate::server::WorksectionServer;

pub async fn serve(
    server: WorksectionServer,
    shutdown: CancellationToken,
) -> Result<(), ConfigError> {
    let running = server
        .serve_with_ct(rmcp::transport::stdio(), shutdown)
        .await
        .map_err(|e| ConfigError(format!("The stdio session could not start: {e}")))?;
    running
        .waiting()
        .await
        .map(|_| ())
        .map_err(|e| ConfigError(format!("The stdio session ended with an error: {e}")))
}
