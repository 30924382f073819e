//! A dataset with lookup tables, so every answer is proportional to its
//! size rather than to the account's (the `large` dataset has 10,000 tasks,
//! and an answer that scanned every comment for every task would crawl).

use std::collections::HashMap;

use super::model::{Attachment, Comment, Dataset, FileEntry, Project, Relation, Task, User};

/// A dataset and its indexes; read-only once built.
#[derive(Debug)]
pub struct Account {
    pub data: Dataset,
    users: HashMap<u64, usize>,
    projects: HashMap<u64, usize>,
    tasks: HashMap<u64, usize>,
    children: HashMap<u64, Vec<usize>>,
    top_level: HashMap<u64, Vec<usize>>,
    comments: HashMap<u64, usize>,
    comments_of_task: HashMap<u64, Vec<usize>>,
    files: HashMap<u64, usize>,
    files_of: HashMap<Attachment, Vec<usize>>,
    relations_of: HashMap<u64, Vec<usize>>,
}

fn positions<T>(items: &[T], id: impl Fn(&T) -> u64) -> HashMap<u64, usize> {
    items.iter().enumerate().map(|(i, x)| (id(x), i)).collect()
}

impl Account {
    pub fn new(data: Dataset) -> Self {
        let mut children: HashMap<u64, Vec<usize>> = HashMap::new();
        let mut top_level: HashMap<u64, Vec<usize>> = HashMap::new();
        for (i, t) in data.tasks.iter().enumerate() {
            match t.parent {
                Some(p) => children.entry(p).or_default().push(i),
                None => top_level.entry(t.project).or_default().push(i),
            }
        }
        let mut comments_of_task: HashMap<u64, Vec<usize>> = HashMap::new();
        for (i, c) in data.comments.iter().enumerate() {
            comments_of_task.entry(c.task).or_default().push(i);
        }
        let mut files_of: HashMap<Attachment, Vec<usize>> = HashMap::new();
        for (i, f) in data.files.iter().enumerate() {
            files_of.entry(f.attached_to).or_default().push(i);
        }
        let mut relations_of: HashMap<u64, Vec<usize>> = HashMap::new();
        for (i, r) in data.relations.iter().enumerate() {
            relations_of.entry(r.from).or_default().push(i);
            relations_of.entry(r.to).or_default().push(i);
        }
        Self {
            users: positions(&data.users, |u| u.id),
            projects: positions(&data.projects, |p| p.id),
            tasks: positions(&data.tasks, |t| t.id),
            comments: positions(&data.comments, |c| c.id),
            files: positions(&data.files, |f| f.id),
            children,
            top_level,
            comments_of_task,
            files_of,
            relations_of,
            data,
        }
    }

    pub fn user(&self, id: u64) -> Option<&User> {
        self.users.get(&id).and_then(|&i| self.data.users.get(i))
    }

    pub fn project(&self, id: u64) -> Option<&Project> {
        self.projects
            .get(&id)
            .and_then(|&i| self.data.projects.get(i))
    }

    pub fn task(&self, id: u64) -> Option<&Task> {
        self.tasks.get(&id).and_then(|&i| self.data.tasks.get(i))
    }

    pub fn comment(&self, id: u64) -> Option<&Comment> {
        self.comments
            .get(&id)
            .and_then(|&i| self.data.comments.get(i))
    }

    pub fn file(&self, id: u64) -> Option<&FileEntry> {
        self.files.get(&id).and_then(|&i| self.data.files.get(i))
    }

    fn pick<'a, T>(
        &'a self,
        items: &'a [T],
        idx: Option<&'a Vec<usize>>,
    ) -> impl Iterator<Item = &'a T> + 'a {
        idx.into_iter().flatten().filter_map(move |&i| items.get(i))
    }

    /// Direct subtasks, in dataset order.
    pub fn children(&self, task: u64) -> impl Iterator<Item = &Task> {
        self.pick(&self.data.tasks, self.children.get(&task))
    }

    /// A project's tasks that are not subtasks.
    pub fn top_level_tasks(&self, project: u64) -> impl Iterator<Item = &Task> {
        self.pick(&self.data.tasks, self.top_level.get(&project))
    }

    /// A task's comments, oldest first.
    pub fn comments_of(&self, task: u64) -> impl Iterator<Item = &Comment> {
        self.pick(&self.data.comments, self.comments_of_task.get(&task))
    }

    pub fn files_of(&self, at: Attachment) -> impl Iterator<Item = &FileEntry> {
        self.pick(&self.data.files, self.files_of.get(&at))
    }

    /// Relations the task takes part in, on either side.
    pub fn relations_of(&self, task: u64) -> impl Iterator<Item = &Relation> {
        self.pick(&self.data.relations, self.relations_of.get(&task))
    }
}
