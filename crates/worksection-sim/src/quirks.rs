//! `--quirks`: answers in the odd forms real Worksection accounts send, at
//! random, so that clients are tested against them and not only against
//! the collections' tidy examples.
//!
//! The forms (each one documented by Worksection's SDKs or API pages; the
//! client crate's `reconciliation` lists the sources):
//! - a one-object action (`me`, `get_task`, `get_project`, `get_my_timer`)
//!   answers a one-element list;
//! - a list action with nothing to list leaves `data` out;
//! - ids, priorities, sizes, money and planned hours as numbers where the
//!   collections write strings, and the other way round;
//! - flags as booleans where the collections write 0/1, and the other way
//!   round;
//! - `null` where a string is usual (for empty ones), and PHP's `[]` for
//!   an empty object (`tags` of a record without tags, an event's `new` or
//!   `old` with nothing in it);
//! - a keyed collection (`get_costs_total`'s `projects` and each project's
//!   `tasks`, a project's `users`, a task's `subscribers`) as an object
//!   keyed by id, as PHP encodes an associative array, with the id repeated
//!   inside each record or not (`get_costs_total`'s `projects` keyed in
//!   one of its two answers, by project or by task, and listed in the
//!   other, which by the seed; the others once in two times); and tags as
//!   a list of `{id, title}` records
//!   where the collections write `{id: name}`;
//! - a tag's group as its name alone (a plain string);
//! - an event about a task pointing at `/task/{t}/` instead of
//!   `/project/{p}/{t}/`.
//!
//! Every form keeps the data: only its shape changes, so a client that
//! reads Worksection right shows exactly what it shows without quirks.
//!
//! Choices are seeded (`--seed`) and made per record and field, not per
//! request: the same record comes in the same form in every answer, so
//! answers stay comparable (a task in a list and alone), as they are on a
//! real account. A request with `quirks=off` is answered plainly: the tests'
//! own view of the account's data, against which a client's is checked.

use serde_json::{Map, Value, json};

/// The query parameter that turns quirks off for one request.
pub const OFF_PARAM: &str = "quirks";

/// Actions that answer one object.
const ONE_OBJECT: [&str; 4] = ["me", "get_task", "get_project", "get_my_timer"];

/// Fields written as numbers or strings, either way.
const NUMERIC: [&str; 6] = ["priority", "size", "max_time", "max_money", "money", "rate"];

/// Collections of records keyed by id (PHP's associative arrays): sent as
/// a list or as an object keyed by id.
const KEYED: [&str; 4] = ["projects", "tasks", "users", "subscribers"];

/// Fields written as 0/1 or as booleans, either way.
const FLAGS: [&str; 3] = ["is_timer", "has_comments", "client"];

/// Text fields that come as `null` when empty. The official SDKs read
/// these with an empty-string default; optional ones (a task's `text`, a
/// contact's `email`) are left alone, since for them `null` is "not
/// asked for" and `""` "empty".
const NULLABLE: [&str; 11] = [
    "title",
    "first_name",
    "last_name",
    "name",
    "avatar",
    "group",
    "department",
    "company",
    "comment",
    "role",
    "url",
];

#[derive(Debug, Clone, Copy)]
pub struct Quirks {
    seed: u64,
}

impl Quirks {
    pub fn new(seed: u64) -> Self {
        Self { seed }
    }

    /// Reshapes a successful answer of `action` in place.
    pub fn apply(&self, action: &str, body: &mut Value) {
        let Some(obj) = body.as_object_mut() else {
            return;
        };
        if obj.get("status").and_then(Value::as_str) != Some("ok") {
            return;
        }
        if let Some(data) = obj.get_mut("data") {
            self.walk(data, "");
        }
        if let Some(total) = obj.get_mut("total") {
            self.walk(total, "total");
        }
        // `get_costs_total`'s projects, beside `total`.
        if let Some(projects) = obj.get_mut("projects") {
            self.walk(projects, "projects");
            // Keyed in one of the two answers (by project, or by task with
            // each project's `tasks`), listed in the other: both forms
            // come, whatever the seed.
            let by_task = projects
                .as_array()
                .is_some_and(|a| a.iter().any(|p| p.get("tasks").is_some()));
            self.keyed(projects, "projects", by_task);
        }
        match obj.get("data") {
            Some(Value::Array(a)) if a.is_empty() && self.chance(&[action, "no data"], 2) => {
                obj.remove("data");
            }
            Some(Value::Object(m))
                if ONE_OBJECT.contains(&action)
                    && !m.is_empty()
                    && self.chance(&[action, &record_key(m), "as a list"], 2) =>
            {
                if let Some(one) = obj.remove("data") {
                    obj.insert("data".into(), Value::Array(vec![one]));
                }
            }
            _ => {}
        }
    }

    /// Reshapes every object under `v`; `owner` names the record the
    /// object belongs to, so a choice sticks to the record.
    fn walk(&self, v: &mut Value, owner: &str) {
        match v {
            Value::Array(items) => {
                for item in items {
                    self.walk(item, owner);
                }
            }
            Value::Object(m) => {
                let key = format!("{owner}/{}", record_key(m));
                self.reshape(m, &key);
                for (field, child) in m.iter_mut() {
                    // An event's `new` and `old` are what changed, as it
                    // was typed: clients keep them as they come.
                    if matches!(field.as_str(), "new" | "old") {
                        continue;
                    }
                    if child.is_object() || child.is_array() {
                        let owner = format!("{key}.{field}");
                        self.walk(child, &owner);
                    }
                }
                self.key_collections(m, &key);
            }
            _ => {}
        }
    }

    /// The record's keyed collections in their other forms: lists of
    /// records as objects keyed by id, and the tag map as a list.
    fn key_collections(&self, m: &mut Map<String, Value>, key: &str) {
        for field in KEYED {
            if let Some(list) = m.get_mut(field) {
                self.keyed(list, &format!("{key}.{field}"), false);
            }
        }
        // The SDKs' form of tags: a list of `{id, title}` records.
        if let Some(Value::Object(tags)) = m.get("tags")
            && !tags.is_empty()
            && self.chance(&[key, "tags as a list"], 2)
        {
            let listed = tags
                .iter()
                .map(|(id, title)| json!({ "id": id, "title": title }))
                .collect();
            m.insert("tags".into(), Value::Array(listed));
        }
    }

    /// A list of records as an object keyed by their ids, once in two
    /// times by `owner` and the ids (the other times with `flip`); each
    /// record keeps its id inside or not, once in two times by its id. A
    /// list whose records do not all have distinct ids stays a list.
    fn keyed(&self, list: &mut Value, owner: &str, flip: bool) {
        let Value::Array(items) = list else {
            return;
        };
        let ids: Option<Vec<String>> = items
            .iter()
            .map(|item| item.as_object().and_then(id_text))
            .collect();
        let Some(ids) = ids.filter(|ids| !ids.is_empty()) else {
            return;
        };
        let keyed: Map<String, Value> = ids.iter().cloned().zip(items.iter().cloned()).collect();
        if keyed.len() != ids.len() || self.chance(&[owner, "keyed", &ids.join(",")], 2) == flip {
            return;
        }
        let keyed = keyed
            .into_iter()
            .map(|(id, mut record)| {
                if !self.chance(&[owner, &id, "id inside"], 2)
                    && let Some(r) = record.as_object_mut()
                {
                    r.remove("id");
                }
                (id, record)
            })
            .collect();
        *list = Value::Object(keyed);
    }

    fn reshape(&self, m: &mut Map<String, Value>, key: &str) {
        let is_event = m.contains_key("action") && m.contains_key("object");
        let fields: Vec<String> = m.keys().cloned().collect();
        for field in fields {
            let pick = |n| self.chance(&[key, &field], n);
            let Some(value) = m.get_mut(&field) else {
                continue;
            };
            match value {
                Value::String(s) if field == "id" && is_number(s) && pick(2) => {
                    if let Ok(n) = s.parse::<u64>() {
                        *value = n.into();
                    }
                }
                Value::String(s) if NUMERIC.contains(&field.as_str()) && pick(2) => {
                    if let Some(n) = number(s) {
                        *value = n;
                    }
                }
                Value::Number(n) if NUMERIC.contains(&field.as_str()) && pick(2) => {
                    *value = n.to_string().into();
                }
                Value::Number(n) if field == "time" && pick(2) => {
                    // `get_my_timer`'s seconds.
                    *value = n.to_string().into();
                }
                Value::Number(n) if FLAGS.contains(&field.as_str()) && pick(2) => {
                    if let Some(i) = n.as_i64().filter(|i| *i == 0 || *i == 1) {
                        *value = (i == 1).into();
                    }
                }
                Value::Bool(b) if FLAGS.contains(&field.as_str()) && pick(2) => {
                    *value = u8::from(*b).into();
                }
                Value::String(s)
                    if s.is_empty() && NULLABLE.contains(&field.as_str()) && pick(2) =>
                {
                    *value = Value::Null
                }
                Value::Object(o) if o.is_empty() && pick(2) => *value = Value::Array(Vec::new()),
                Value::Object(o) if field == "group" && !is_event && pick(3) => {
                    // A tag's group, as the SDKs model it: the name alone.
                    if let Some(title) = o.get("title").and_then(Value::as_str) {
                        *value = title.to_owned().into();
                    }
                }
                Value::Object(o) if field == "object" && pick(2) => {
                    if o.get("type").and_then(Value::as_str) == Some("task")
                        && let Some(task) = o
                            .get("page")
                            .and_then(Value::as_str)
                            .and_then(innermost_task)
                    {
                        o.insert("page".into(), format!("/task/{task}/").into());
                    }
                }
                _ => {}
            }
        }
        // PHP's `[]` for a task's or project's empty tag map, where the
        // collections leave the field out.
        if m.contains_key("page")
            && m.contains_key("status")
            && m.contains_key("user_from")
            && !m.contains_key("tags")
            && self.chance(&[key, "tags"], 3)
        {
            m.insert("tags".into(), Value::Array(Vec::new()));
        }
    }

    /// True once in `n` times, by the seed and `parts`.
    fn chance(&self, parts: &[&str], n: u64) -> bool {
        // FNV-1a over the parts, then splitmix64 with the seed.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for part in parts {
            for b in part.bytes().chain([0xff]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        let mut z = h ^ self.seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        z.is_multiple_of(n)
    }
}

/// What names a record among its kind: its id, else its title or name,
/// else (an event) all it holds.
fn record_key(m: &Map<String, Value>) -> String {
    ["id", "title", "name"]
        .iter()
        .find_map(|k| match m.get(*k) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
        .unwrap_or_else(|| Value::Object(m.clone()).to_string())
}

/// A record's id as text, when it has one.
fn id_text(m: &Map<String, Value>) -> Option<String> {
    match m.get("id")? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.len() < 19 && s.bytes().all(|b| b.is_ascii_digit())
}

/// `"75.17"` as the number 75.17, only when it reads back the same.
fn number(s: &str) -> Option<Value> {
    if is_number(s) {
        return s.parse::<u64>().ok().map(Value::from);
    }
    let (whole, frac) = s.split_once('.')?;
    if !is_number(whole) || frac.is_empty() || frac.len() > 2 || !is_number(frac) {
        return None;
    }
    let f: f64 = s.parse().ok()?;
    serde_json::Number::from_f64(f).map(Value::Number)
}

/// The task a task page names last: `/project/{p}/{t}/` or
/// `/project/{p}/{t}/{s}/`.
fn innermost_task(page: &str) -> Option<u64> {
    let parts: Vec<&str> = page.split('/').filter(|s| !s.is_empty()).collect();
    match parts.as_slice() {
        ["project", _, rest @ ..] if !rest.is_empty() && rest.len() <= 2 => {
            rest.last()?.parse().ok()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Applies quirks with every seed in a range and collects what came.
    fn forms(action: &str, body: Value, seeds: u64) -> Vec<Value> {
        (0..seeds)
            .map(|seed| {
                let mut b = body.clone();
                Quirks::new(seed).apply(action, &mut b);
                b
            })
            .collect()
    }

    #[test]
    fn one_object_actions_sometimes_answer_a_one_element_list() {
        let body = json!({"status": "ok", "data": {"id": "331894", "name": "Development"}});
        let all = forms("get_task", body.clone(), 64);
        assert!(all.iter().any(|b| b["data"].is_array()));
        assert!(all.iter().any(|b| b["data"].is_object()));
        for b in &all {
            let one = if b["data"].is_array() {
                &b["data"][0]
            } else {
                &b["data"]
            };
            assert_eq!(one["name"], "Development");
            assert_eq!(one["id"].to_string().trim_matches('"'), "331894");
        }
        // A list action's list stays a list.
        let list = json!({"status": "ok", "data": [{"id": "1"}]});
        assert!(
            forms("get_tasks", list, 64)
                .iter()
                .all(|b| b["data"].is_array())
        );
    }

    #[test]
    fn empty_lists_sometimes_leave_data_out() {
        let all = forms("get_comments", json!({"status": "ok", "data": []}), 64);
        assert!(all.iter().any(|b| b.get("data").is_none()));
        assert!(all.iter().any(|b| b.get("data").is_some()));
    }

    #[test]
    fn values_keep_their_meaning() {
        let body = json!({"status": "ok", "data": [{
            "id": "17", "priority": "7", "money": "75.17", "max_time": 352, "is_timer": false,
            "has_comments": 1, "comment": "", "text": "", "new": {},
            "object": {"type": "task", "id": "331786", "page": "/project/6622/331786/"},
            "group": {"title": "Basic workflow", "id": 100}
        }]});
        let all = forms("get_costs", body, 128);
        let seen = |f: &dyn Fn(&Value) -> bool| all.iter().any(|b| f(&b["data"][0]));
        assert!(seen(&|r| r["id"] == json!(17)));
        assert!(seen(&|r| r["priority"] == json!(7)));
        assert!(seen(&|r| r["money"] == json!(75.17)));
        assert!(seen(&|r| r["max_time"] == json!("352")));
        assert!(seen(&|r| r["is_timer"] == json!(0)));
        assert!(seen(&|r| r["has_comments"] == json!(true)));
        assert!(seen(&|r| r["comment"].is_null()));
        assert!(all.iter().all(|b| b["data"][0]["text"] == json!("")));
        assert!(seen(&|r| r["new"] == json!([])));
        assert!(seen(&|r| r["object"]["page"] == json!("/task/331786/")));
        assert!(seen(&|r| r["group"] == json!("Basic workflow")));
        // An event's object is never a tag group.
        let event = json!({"status": "ok", "data": [{"action": "post", "object": {"type": "project", "id": "1", "page": "/project/1/"}, "group": {"title": "x"}}]});
        assert!(
            forms("get_events", event, 64)
                .iter()
                .all(|b| b["data"][0]["group"].is_object())
        );
    }

    #[test]
    fn keyed_collections_come_in_every_form() {
        let body = json!({"status": "ok", "total": {"time": "3:00", "money": "0.00"},
        "projects": [
            {"id": "6622", "name": "A", "tasks": [{"id": "1", "name": "x"}, {"id": "2", "name": "y"}]},
            {"id": "8506", "name": "B", "tasks": []},
        ]});
        let all = forms("get_costs_total", body, 64);
        let (mut listed, mut keyed, mut with_id, mut without_id) = (0, 0, 0, 0);
        for b in &all {
            match &b["projects"] {
                Value::Array(a) => {
                    listed += 1;
                    assert_eq!(a.len(), 2);
                }
                Value::Object(m) => {
                    keyed += 1;
                    assert_eq!(m.keys().collect::<Vec<_>>(), ["6622", "8506"], "in order");
                    for (id, p) in m {
                        match &p["id"] {
                            Value::Null => without_id += 1,
                            inner => {
                                with_id += 1;
                                assert_eq!(inner.to_string().trim_matches('"'), id);
                            }
                        }
                    }
                    let tasks = &m["6622"]["tasks"];
                    let names: Vec<&Value> = match tasks {
                        Value::Array(a) => a.iter().map(|t| &t["name"]).collect(),
                        Value::Object(t) => t.values().map(|t| &t["name"]).collect(),
                        other => panic!("tasks as {other}"),
                    };
                    assert_eq!(names, [&json!("x"), &json!("y")]);
                }
                other => panic!("projects as {other}"),
            }
        }
        assert!(listed > 0 && keyed > 0 && with_id > 0 && without_id > 0);
        // Members, subscribers and tags too; and nothing else.
        let task = json!({"status": "ok", "data": [{
            "id": "5", "page": "/project/1/5/", "status": "active", "user_from": {"id": "1"},
            "subscribers": [{"id": "1", "name": "Ann"}], "tags": {"105554": "inner"},
            "files": [{"id": "9", "name": "a.txt"}]}]});
        let all = forms("get_tasks", task, 64);
        assert!(all.iter().any(|b| b["data"][0]["subscribers"].is_object()));
        assert!(all.iter().any(|b| b["data"][0]["subscribers"].is_array()));
        assert!(
            all.iter()
                .any(|b| b["data"][0]["tags"] == json!([{"id": "105554", "title": "inner"}]))
        );
        assert!(
            all.iter()
                .any(|b| b["data"][0]["tags"] == json!({"105554": "inner"}))
        );
        assert!(all.iter().all(|b| b["data"][0]["files"].is_array()));
    }

    #[test]
    fn choices_stick_to_the_record() {
        let q = Quirks::new(7);
        let task = json!({"id": "5", "priority": "3", "text": ""});
        let mut a = json!({"status": "ok", "data": [task.clone(), {"id": "6"}]});
        let mut b = json!({"status": "ok", "data": [{"id": "9"}, task]});
        q.apply("get_tasks", &mut a);
        q.apply("get_tasks", &mut b);
        assert_eq!(a["data"][0], b["data"][1]);
    }

    #[test]
    fn money_only_becomes_a_number_that_reads_back_the_same() {
        assert_eq!(number("75.17"), Some(json!(75.17)));
        assert_eq!(number("5436"), Some(json!(5436)));
        assert_eq!(number("1.234"), None);
        assert_eq!(number("-3"), None);
        assert_eq!(number("1e3"), None);
        assert_eq!(innermost_task("/project/1/2/3/"), Some(3));
        assert_eq!(innermost_task("/project/1/"), None);
    }
}
