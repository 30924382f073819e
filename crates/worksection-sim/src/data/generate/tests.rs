//! The generated accounts are repeatable, consistent, and have what the
//! product's questions need.

use std::collections::HashSet;

use chrono::NaiveDateTime;

use super::*;

fn now() -> NaiveDateTime {
    NaiveDateTime::parse_from_str("2026-11-24T10:30:00", "%Y-%m-%dT%H:%M:%S").expect("valid")
}

fn demo() -> Dataset {
    generate(DatasetKind::Demo, 42, now()).expect("demo generates")
}

#[test]
fn same_seed_same_account_other_seed_other_account() {
    let a = format!("{:?}", demo());
    let b = format!("{:?}", demo());
    assert!(a == b, "generation is deterministic");
    let c = format!(
        "{:?}",
        generate(DatasetKind::Demo, 7, now()).expect("generates")
    );
    assert_ne!(a, c);
}

#[test]
fn demo_is_a_small_believable_company() {
    let d = demo();
    assert!(
        (10..=15).contains(&d.users.len()),
        "{} users",
        d.users.len()
    );
    assert!((5..=8).contains(&d.projects.len()));
    assert!(
        (150..=300).contains(&d.tasks.len()),
        "{} tasks",
        d.tasks.len()
    );
    assert!((8..=12).contains(&d.contacts.len()));
    assert!(d.user_groups.iter().any(|g| g.client));
    assert!(d.projects.iter().any(|p| p.name == "Owl brand launch"));
    assert!(d.projects.iter().any(|p| p.manager.is_none()));
    for status in [
        ProjectStatus::Active,
        ProjectStatus::Pending,
        ProjectStatus::Archive,
    ] {
        assert!(d.projects.iter().any(|p| p.status == status), "{status:?}");
    }
    assert!(d.tasks.iter().any(|t| t.user_to == Assignee::Noone));
    assert!(d.tasks.iter().any(|t| t.user_to == Assignee::Any));
    assert!(
        (15..=30).contains(&d.relations.len()),
        "{} relations",
        d.relations.len()
    );
    assert!(
        (300..=800).contains(&d.costs.len()),
        "{} costs",
        d.costs.len()
    );
    assert!((2..=4).contains(&d.timers.len()));
    assert!(d.timers.iter().any(|t| t.user_from == d.me));
    assert!(d.webhooks.iter().any(|w| w.status == "paused"));
    assert!(d.events.len() >= 200, "{} events", d.events.len());
    assert_eq!(d.users.iter().filter(|u| !u.active).count(), 1);
    let grandchildren = d
        .tasks
        .iter()
        .filter(|t| {
            t.parent
                .is_some_and(|p| d.tasks.iter().any(|x| x.id == p && x.parent.is_some()))
        })
        .count();
    assert!(grandchildren > 0, "some subtasks have subtasks");
}

#[test]
fn overdue_work_is_concentrated() {
    let d = demo();
    let overdue: Vec<&Task> = d
        .tasks
        .iter()
        .filter(|t| t.status == TaskStatus::Active && t.date_end.is_some_and(|e| e < d.today))
        .collect();
    assert!(overdue.len() >= 10, "{} overdue", overdue.len());
    let mut per_person = std::collections::HashMap::new();
    for t in &overdue {
        if let Assignee::User(u) = t.user_to {
            *per_person.entry(u).or_insert(0) += 1;
        }
    }
    let mut counts: Vec<usize> = per_person.values().copied().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let top_two: usize = counts.iter().take(2).sum();
    assert!(
        top_two * 2 >= overdue.len(),
        "two people carry most overdue work: {counts:?}"
    );
}

#[test]
fn everything_refers_to_something_that_exists() {
    for d in [
        demo(),
        generate(DatasetKind::Large, 1, now()).expect("large"),
    ] {
        let users: HashSet<u64> = d.users.iter().map(|u| u.id).collect();
        let projects: HashSet<u64> = d.projects.iter().map(|p| p.id).collect();
        let comments: HashSet<u64> = d.comments.iter().map(|c| c.id).collect();
        let mut tasks = HashSet::new();
        for t in &d.tasks {
            assert!(projects.contains(&t.project));
            if let Some(p) = t.parent {
                assert!(tasks.contains(&p), "parent {p} comes before {}", t.id);
            }
            assert!(users.contains(&t.user_from));
            if let Assignee::User(u) = t.user_to {
                assert!(users.contains(&u));
            }
            if t.status == TaskStatus::Done {
                let closed = t.date_closed.expect("done tasks are closed");
                assert!(closed >= t.date_added && closed <= d.now);
            }
            assert!(tasks.insert(t.id), "task ids are unique");
        }
        for c in &d.comments {
            assert!(tasks.contains(&c.task));
            assert!(c.date_added <= d.now);
        }
        for r in &d.relations {
            let (a, b) = (
                d.tasks.iter().find(|t| t.id == r.from),
                d.tasks.iter().find(|t| t.id == r.to),
            );
            let (a, b) = (a.expect("from exists"), b.expect("to exists"));
            assert_eq!(a.project, b.project);
            assert_ne!(a.id, b.id);
        }
        for f in &d.files {
            match f.attached_to {
                Attachment::Task(t) => assert!(tasks.contains(&t)),
                Attachment::Comment(c) => assert!(comments.contains(&c)),
                Attachment::Project(p) => assert!(projects.contains(&p)),
            }
        }
        for c in &d.costs {
            assert!(tasks.contains(&c.task) && users.contains(&c.user_from));
            assert!(c.date <= d.today && c.date > d.today - Duration::days(91));
        }
        for e in &d.events {
            let ok = match e.object {
                EventObject::Project(p) => projects.contains(&p),
                EventObject::Task(t) => tasks.contains(&t),
                EventObject::Comment(c) => comments.contains(&c),
            };
            assert!(ok && e.date_added <= d.now && e.date_added > d.now - Duration::days(30));
        }
        assert!(
            d.events
                .windows(2)
                .all(|w| w[0].date_added <= w[1].date_added),
            "oldest first"
        );
        for t in &d.task_tags {
            assert!(d.task_tag_groups.iter().any(|g| g.id == t.group));
        }
    }
}

#[test]
fn demo_has_every_attachment_format() {
    let d = demo();
    let magic = |ext: &str| -> &'static [u8] {
        match ext {
            "png" => b"\x89PNG",
            "jpg" => b"\xFF\xD8",
            "pdf" => b"%PDF",
            _ => b"PK",
        }
    };
    for ext in ["png", "jpg", "pdf", "docx", "xlsx", "pptx"] {
        let f = d
            .files
            .iter()
            .find(|f| f.name.ends_with(ext))
            .unwrap_or_else(|| panic!("a .{ext} file"));
        assert!(
            f.bytes.starts_with(magic(ext)),
            "{} starts with its magic bytes",
            f.name
        );
    }
    for ext in ["txt", "md", "csv", "json"] {
        assert!(d.files.iter().any(|f| f.name.ends_with(ext)), ".{ext}");
    }
    assert!(
        d.files.iter().any(|f| f.name.contains("..")),
        "a path-hostile name"
    );
    assert!(
        d.files.iter().any(|f| !f.name.is_ascii()),
        "a non-ASCII name"
    );
    assert!(
        d.files
            .iter()
            .any(|f| matches!(f.attached_to, Attachment::Comment(_)))
    );
    assert!(
        d.files
            .iter()
            .any(|f| matches!(f.attached_to, Attachment::Project(_)))
    );
    let ids: HashSet<u64> = d.files.iter().map(|f| f.id).collect();
    assert_eq!(ids.len(), d.files.len());
}

#[test]
fn large_has_exactly_ten_thousand_tasks() {
    let d = generate(DatasetKind::Large, 42, now()).expect("large");
    assert_eq!(d.tasks.len(), 10_000);
    assert!(d.projects.len() >= 30);
    assert!(d.users.len() >= 50);
    assert!(d.files.len() > 100);
}

#[test]
fn dataset_names_parse_and_others_do_not() {
    assert_eq!("demo".parse::<DatasetKind>(), Ok(DatasetKind::Demo));
    assert_eq!("large".parse::<DatasetKind>(), Ok(DatasetKind::Large));
    let e = "huge".parse::<DatasetKind>().expect_err("unknown");
    assert!(e.contains("`huge`") && e.contains("demo"));
    assert_eq!(DatasetKind::Large.to_string(), "large");
}
