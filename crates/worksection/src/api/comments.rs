//! Comments of a task.

use bytes::Bytes;
use serde::Serialize;
use serde_with::skip_serializing_none;

use crate::action::Action;
use crate::client::Client;
use crate::error::Error;
use crate::models::Comment;
use crate::transport::list;

/// `get_comments`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GetComments {
    #[serde(rename = "id_task")]
    task: u64,
    extra: Option<&'static str>,
}

impl GetComments {
    pub fn new(task: u64) -> Self {
        Self { task, extra: None }
    }

    /// Include each comment's attached files.
    pub fn with_files(mut self) -> Self {
        self.extra = Some("files");
        self
    }
}

impl Action for GetComments {
    const NAME: &'static str = "get_comments";
    type Answer = Vec<Comment>;
    fn read(body: &Bytes) -> Result<Vec<Comment>, Error> {
        list(body)
    }
}

impl Client {
    /// All comments of a task, newest first.
    pub async fn get_comments(&self, p: GetComments) -> Result<Vec<Comment>, Error> {
        self.send(&p).await
    }
}
