//! The account being served: its client, its caches, and one cached method
//! per upstream read.
//!
//! Tools never call the Worksection client directly; they ask the
//! [`Account`], which answers from the response cache when it can and
//! otherwise makes exactly one upstream request for however many tools are
//! asking at the same moment. Keys are the action and its full parameters,
//! so two tools that need the same answer (the analytics tools all read a
//! project's task list with its subtasks) share one request.

use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use chrono::NaiveDate;
use worksection::api::costs::GetCosts;
use worksection::api::events::GetEvents;
use worksection::api::files::GetFiles;
use worksection::api::projects::{GetProject, GetProjects};
use worksection::api::tags::TagQuery;
use worksection::api::tasks::{GetAllTasks, GetTask, GetTasks, SearchTasks};
use worksection::models::{
    Comment, Contact, ContactGroup, CostTotals, Costs, Event, FileRef, MyTimer, Project,
    ProjectGroup, Tag, TagGroup, Task, Timer, User, UserGroup, Webhook,
};
use worksection::{Client, Error};

use crate::cache::ResponseCache;
use crate::error::ToolError;
use crate::file_cache::{CachedFile, FileCache};

/// One Worksection account, as the tools see it.
pub struct Account {
    client: Client,
    cache: ResponseCache,
    files: FileCache,
    started: Instant,
    /// Where the account's data comes from, for people: "demo" or the URL.
    label: String,
}

impl Account {
    pub fn new(client: Client, cache: ResponseCache, files: FileCache, label: String) -> Self {
        Self {
            client,
            cache,
            files,
            started: Instant::now(),
            label,
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn cache(&self) -> &ResponseCache {
        &self.cache
    }

    pub fn files(&self) -> &FileCache {
        &self.files
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn uptime(&self) -> std::time::Duration {
        self.started.elapsed()
    }

    /// Today in the account's local date. Worksection does not publish an
    /// account's time zone, so this is the computer's own, which for a
    /// desktop app is the person's.
    pub fn today(&self) -> NaiveDate {
        chrono::Local::now().date_naive()
    }

    async fn cached<T, Fut>(
        &self,
        action: &str,
        params: impl Debug,
        fut: Fut,
    ) -> Result<Arc<T>, ToolError>
    where
        T: Send + Sync + 'static,
        Fut: Future<Output = Result<T, Error>> + Send + 'static,
    {
        let key = format!("{action} {params:?}");
        Ok(self.cache.get_or_fetch(key, || fut).await?)
    }

    pub async fn me(&self) -> Result<Arc<User>, ToolError> {
        let c = self.client.clone();
        self.cached("me", (), async move { c.me().await }).await
    }

    /// One uncached round trip, for the health check: `me` when a user is
    /// signed in (it is theirs), else the lightest admin action.
    pub async fn probe(&self) -> Result<Option<User>, ToolError> {
        match self.client.auth_kind() {
            worksection::auth::AuthKind::OAuth2 => Ok(Some(self.client.me().await?)),
            worksection::auth::AuthKind::ApiKey => {
                self.client.get_project_groups().await?;
                Ok(None)
            }
        }
    }

    pub async fn users(&self) -> Result<Arc<Vec<User>>, ToolError> {
        let c = self.client.clone();
        self.cached("get_users", (), async move { c.get_users().await })
            .await
    }

    pub async fn user_groups(&self) -> Result<Arc<Vec<UserGroup>>, ToolError> {
        let c = self.client.clone();
        self.cached(
            "get_user_groups",
            (),
            async move { c.get_user_groups().await },
        )
        .await
    }

    pub async fn contacts(&self) -> Result<Arc<Vec<Contact>>, ToolError> {
        let c = self.client.clone();
        self.cached("get_contacts", (), async move { c.get_contacts().await })
            .await
    }

    pub async fn contact_groups(&self) -> Result<Arc<Vec<ContactGroup>>, ToolError> {
        let c = self.client.clone();
        self.cached("get_contact_groups", (), async move {
            c.get_contact_groups().await
        })
        .await
    }

    pub async fn projects(&self, p: GetProjects) -> Result<Arc<Vec<Project>>, ToolError> {
        let c = self.client.clone();
        self.cached(
            "get_projects",
            p.clone(),
            async move { c.get_projects(p).await },
        )
        .await
    }

    pub async fn project(&self, p: GetProject) -> Result<Arc<Project>, ToolError> {
        let c = self.client.clone();
        self.cached(
            "get_project",
            p.clone(),
            async move { c.get_project(p).await },
        )
        .await
    }

    pub async fn project_groups(&self) -> Result<Arc<Vec<ProjectGroup>>, ToolError> {
        let c = self.client.clone();
        self.cached("get_project_groups", (), async move {
            c.get_project_groups().await
        })
        .await
    }

    pub async fn all_tasks(&self, p: GetAllTasks) -> Result<Arc<Vec<Task>>, ToolError> {
        let c = self.client.clone();
        self.cached("get_all_tasks", p.clone(), async move {
            c.get_all_tasks(p).await
        })
        .await
    }

    pub async fn tasks(&self, p: GetTasks) -> Result<Arc<Vec<Task>>, ToolError> {
        let c = self.client.clone();
        self.cached("get_tasks", p.clone(), async move { c.get_tasks(p).await })
            .await
    }

    pub async fn task(&self, p: GetTask) -> Result<Arc<Task>, ToolError> {
        let c = self.client.clone();
        self.cached("get_task", p.clone(), async move { c.get_task(p).await })
            .await
    }

    pub async fn search_tasks(&self, p: SearchTasks) -> Result<Arc<Vec<Task>>, ToolError> {
        let c = self.client.clone();
        self.cached(
            "search_tasks",
            p.clone(),
            async move { c.search_tasks(p).await },
        )
        .await
    }

    pub async fn comments(
        &self,
        task: u64,
        with_files: bool,
    ) -> Result<Arc<Vec<Comment>>, ToolError> {
        use worksection::api::comments::GetComments;
        let c = self.client.clone();
        let p = if with_files {
            GetComments::new(task).with_files()
        } else {
            GetComments::new(task)
        };
        self.cached(
            "get_comments",
            p.clone(),
            async move { c.get_comments(p).await },
        )
        .await
    }

    pub async fn files_of(&self, of: GetFiles) -> Result<Arc<Vec<FileRef>>, ToolError> {
        let c = self.client.clone();
        self.cached("get_files", of, async move { c.get_files(of).await })
            .await
    }

    pub async fn costs(&self, p: GetCosts) -> Result<Arc<Costs>, ToolError> {
        let c = self.client.clone();
        self.cached("get_costs", p.clone(), async move { c.get_costs(p).await })
            .await
    }

    pub async fn costs_total(&self, p: GetCosts) -> Result<Arc<CostTotals>, ToolError> {
        let c = self.client.clone();
        self.cached("get_costs_total", p.clone(), async move {
            c.get_costs_total(p).await
        })
        .await
    }

    pub async fn timers(&self) -> Result<Arc<Vec<Timer>>, ToolError> {
        let c = self.client.clone();
        self.cached("get_timers", (), async move { c.get_timers().await })
            .await
    }

    pub async fn my_timer(&self) -> Result<Arc<Option<MyTimer>>, ToolError> {
        let c = self.client.clone();
        self.cached("get_my_timer", (), async move { c.get_my_timer().await })
            .await
    }

    pub async fn task_tags(&self, q: TagQuery) -> Result<Arc<Vec<Tag>>, ToolError> {
        let c = self.client.clone();
        self.cached("get_task_tags", q.clone(), async move {
            c.get_task_tags(q).await
        })
        .await
    }

    pub async fn task_tag_groups(&self, q: TagQuery) -> Result<Arc<Vec<TagGroup>>, ToolError> {
        let c = self.client.clone();
        self.cached("get_task_tag_groups", q.clone(), async move {
            c.get_task_tag_groups(q).await
        })
        .await
    }

    pub async fn project_tags(&self, q: TagQuery) -> Result<Arc<Vec<Tag>>, ToolError> {
        let c = self.client.clone();
        self.cached("get_project_tags", q.clone(), async move {
            c.get_project_tags(q).await
        })
        .await
    }

    pub async fn project_tag_groups(&self, q: TagQuery) -> Result<Arc<Vec<TagGroup>>, ToolError> {
        let c = self.client.clone();
        self.cached("get_project_tag_groups", q.clone(), async move {
            c.get_project_tag_groups(q).await
        })
        .await
    }

    pub async fn events(&self, p: GetEvents) -> Result<Arc<Vec<Event>>, ToolError> {
        let c = self.client.clone();
        self.cached(
            "get_events",
            p.clone(),
            async move { c.get_events(p).await },
        )
        .await
    }

    pub async fn webhooks(&self) -> Result<Arc<Vec<Webhook>>, ToolError> {
        let c = self.client.clone();
        self.cached("get_webhooks", (), async move { c.get_webhooks().await })
            .await
    }

    /// A file's bytes and facts, through the file cache.
    pub async fn file(
        &self,
        id: u64,
        name_hint: Option<&str>,
    ) -> Result<(CachedFile, Bytes), ToolError> {
        let c = self.client.clone();
        self.files
            .get_or_fetch(id, name_hint, |limit| async move {
                let download = c.download(id, limit).await?;
                let name = download.file_name.clone();
                Ok((download.bytes().await?, name))
            })
            .await
    }
}
