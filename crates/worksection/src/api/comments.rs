//! Comments of a task.

use super::Query;
use crate::models::Comment;
use crate::{Client, Error};

/// `get_comments`.
#[derive(Debug, Clone)]
pub struct GetComments {
    task: u64,
    files: bool,
}

impl GetComments {
    pub fn new(task: u64) -> Self {
        Self { task, files: false }
    }

    /// Include each comment's attached files.
    pub fn with_files(mut self) -> Self {
        self.files = true;
        self
    }
}

impl Client {
    /// All comments of a task, newest first.
    pub async fn get_comments(&self, p: GetComments) -> Result<Vec<Comment>, Error> {
        let q = Query::default()
            .push("id_task", p.task)
            .opt("extra", p.files.then_some("files"))
            .done();
        Ok(self.call("get_comments", q).await?.data.unwrap_or_default())
    }
}
