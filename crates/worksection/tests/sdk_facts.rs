//! Contract tests from Worksection's own sources beyond the Postman
//! collections: the official SDKs' models (`worksection/python-api-client`
//! and `worksection/php-api-client`, 2.1.x of April 2026; the older
//! `worksection/worksection-php-sdk`) and the API pages on worksection.com.
//!
//! Each test re-types, as facts, the shape one of those sources gives (which
//! fields, of which JSON type), names the source file and field, and checks
//! that the client reads it through its one decode path, with no record
//! left undecoded. No source code is copied; the bodies are written here.

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use worksection::models::{
    Comment, Contact, Cost, Event, FileRef, MyTimer, Place, Project, Record, Tag, TagGroup, Task,
    Timer, User, Webhook,
};
use worksection::{Envelope, Error, decode};

fn answer<T: DeserializeOwned>(body: Value) -> Result<Envelope<T>, Error> {
    decode::<T>(&Bytes::from(body.to_string()))
}

fn data<T: DeserializeOwned>(body: Value) -> T {
    answer::<T>(body).expect("decodes").data.expect("has data")
}

fn whole<T: Record>(t: &T) {
    assert!(t.undecoded().is_none(), "{:?}", t.undecoded());
}

/// python-api-client `worksection/models/task.py` (`Task`) and php-api-client
/// `src/Models/Task.php`: `id` and `priority` are integers, `max_time` and
/// `max_money` strings, `tags` a list, `custom_fields` a list of
/// `{id, type, name, value}` (`models/custom_value.py`), `time_end` a string.
#[test]
fn a_task_as_the_sdks_model_it() {
    let task: Task = data(json!({"status": "ok", "data": {
        "id": 331894, "name": "Development", "text": "Business logic", "page": "/project/8562/331894/",
        "status": "active", "priority": 7,
        "user_from": {"id": 3993, "email": "henry.gardner@ws.com", "name": "Henry Gardner"},
        "user_to": {"id": 2, "email": "ANY", "name": "Anyone"},
        "project": {"id": 8562, "name": "Owl brand launch", "page": "/project/8562/"},
        "date_added": "2021-01-07 10:01", "date_start": "2021-01-16", "date_end": "2021-02-16",
        "time_end": "18:00", "max_time": "352", "max_money": "5280", "tags": [],
        "custom_fields": [{"id": 12, "type": "string", "name": "Client code", "value": "OWL-7"}]
    }}));
    whole(&task);
    assert_eq!(task.id.as_u64(), Some(331894));
    assert_eq!(task.priority, Some(7));
    assert_eq!(task.max_time, Some(352.0));
    assert_eq!(task.max_money, Some(5280.0));
    assert_eq!(task.tags, None, "no tags: PHP's empty array");
    assert_eq!(task.time_end.as_deref(), Some("18:00"));
    assert_eq!(task.user_from.as_ref().map(|u| u.id.as_str()), Some("3993"));
    assert_eq!(task.project.as_ref().map(|p| p.id.as_str()), Some("8562"));
    assert!(task.extra.contains_key("custom_fields"), "kept as it came");
    assert_eq!(task.end(), chrono::NaiveDate::from_ymd_opt(2021, 2, 16));
}

/// python-api-client `worksection/models/cost.py` (`Cost`: `id` integer,
/// `time`, `money`, `date` strings, `is_timer` integer) and the API page
/// "Costs" (get_costs sample: `"time": "10:00"`, `"money": "100.00"`,
/// `"is_timer": false`).
#[test]
fn a_cost_line_in_both_sources_forms() {
    let lines: Vec<Cost> = data(json!({"status": "ok", "data": [
        {"id": 77, "comment": "Review", "time": "10:00", "money": "100.00", "date": "2021-01-02",
         "is_timer": 0, "user_from": {"id": "3993", "email": "h@ws.com", "name": "Henry"}},
        {"id": "78", "comment": null, "time": "0:05", "money": 12.5, "date": "2021-01-03",
         "is_timer": false},
    ], "total": {"time": "10:05", "money": "112.50"}}));
    for l in &lines {
        whole(l);
    }
    assert_eq!(lines[0].id.as_str(), "77");
    assert_eq!(lines[0].time.map(|m| m.0), Some(600));
    assert_eq!(lines[0].money.map(|m| m.cents), Some(10_000));
    assert_eq!(lines[0].is_timer, Some(false));
    assert_eq!(lines[1].comment, "", "null where a string is usual");
    assert_eq!(
        lines[1].money.map(|m| m.cents),
        Some(1250),
        "money as a number"
    );
    assert_eq!(lines[1].is_timer, Some(false));
}

/// php-api-client `src/Resources/CostsResource.php` (`total`): the totals
/// come at the top level of the answer, beside `status`, with no `data`.
#[test]
fn costs_total_at_the_top_level() {
    let env =
        answer::<Value>(json!({"status": "ok", "total": {"time": "103:39", "money": "5436.00"}}))
            .expect("decodes");
    assert!(env.data.is_none());
    let total = env.total.expect("total");
    assert_eq!(total.time.map(|m| m.0), Some(103 * 60 + 39));
    assert_eq!(total.money.map(|m| m.cents), Some(543_600));
}

/// The API page "Getting total time and financial costs" (`get_costs_total`
/// with `extra=projects`): `projects` is an object keyed by project id, the
/// id repeated inside, with `monthly` keyed `YYYY-MM`. php-api-client
/// `src/Models/CostTotal.php` and `CostProject.php` re-key `projects` and
/// `tasks` by their `id` (either form), python-api-client
/// `models/cost_total.py` iterates them as a list. Keyed with or without
/// the id inside, or listed: the same projects and tasks.
#[test]
fn cost_totals_with_projects_keyed_by_id() {
    use worksection::Action;
    use worksection::api::costs::GetCostsTotal;
    let project = |id: Option<&str>, tasks: Value| {
        let mut p = json!({"time": "10:00", "money": "100.00", "name": "Owl brand launch",
            "page": "/project/8562/", "tasks": tasks,
            "monthly": {"2024-04": {"time": "2:00", "money": "20.00"},
                        "2024-03": {"time": "8:00", "money": "80.00"}}});
        if let Some(id) = id {
            p["id"] = json!(id);
        }
        p
    };
    let task = json!({"name": "Development", "page": "/project/8562/331894/",
        "time": "10:00", "money": "100.00"});
    let mut with_id = task.clone();
    with_id["id"] = json!(331894);
    let read = |projects: Value| {
        let body = json!({"status": "ok", "total": {"time": "10:00", "money": "100.00"},
            "projects": projects});
        GetCostsTotal::read(&Bytes::from(body.to_string())).expect("decodes")
    };
    let forms = [
        read(json!({"8562": project(Some("8562"), json!({"331894": task.clone()}))})),
        read(json!({"8562": project(None, json!({"331894": with_id.clone()}))})),
        read(json!([project(Some("8562"), json!([with_id]))])),
    ];
    for answer in &forms {
        assert_eq!(answer, &forms[0]);
    }
    let p = &forms[0].projects[0];
    assert_eq!(p.id.as_str(), "8562");
    assert_eq!(p.total.money.map(|m| m.cents), Some(10_000));
    assert_eq!(p.monthly.keys().collect::<Vec<_>>(), ["2024-03", "2024-04"]);
    assert_eq!(p.tasks[0].id.as_str(), "331894");
    assert_eq!(p.tasks[0].total.time.map(|m| m.0), Some(600));
    // PHP's empty array for no projects, and for no months.
    assert!(read(json!([])).projects.is_empty());
    assert!(
        read(json!([project(Some("1"), json!([]))])).projects[0]
            .tasks
            .is_empty()
    );
}

/// python-api-client `worksection/models/tag.py` and php-api-client
/// `src/Models/Tag.php`: `group` is a string (the group's name), `id` an
/// integer, and a tag has a `color`.
#[test]
fn a_tag_group_as_a_plain_string() {
    let tags: Vec<Tag> = data(json!({"status": "ok", "data": [
        {"id": 72565, "title": "To-do", "color": "#2d9cdb", "group": "Basic workflow"},
        {"id": 72569, "title": "In progress", "group": {"title": "Basic workflow", "id": 100,
         "id_group": "1", "type": "status", "access": "public"}},
    ]}));
    for t in &tags {
        whole(t);
    }
    let by_name = tags[0].group.as_ref().expect("group");
    assert_eq!(by_name.title, "Basic workflow");
    assert!(by_name.id.is_empty(), "the name alone says no id");
    assert_eq!(tags[0].extra.get("color"), Some(&json!("#2d9cdb")));
    // Written out, a group by name is its name and nothing made up.
    assert_eq!(
        serde_json::to_value(by_name).expect("serialises"),
        json!({"title": "Basic workflow"})
    );
    assert_eq!(tags[1].group.as_ref().map(|g| g.id.as_str()), Some("100"));
}

/// The API page "Tags" (get_task_tag_groups sample): `id` is a number,
/// `title`, `type` (`status`/`label`) and `access` (`public`/`private`).
#[test]
fn tag_groups_with_numeric_ids() {
    let groups: Vec<TagGroup> = data(json!({"status": "ok", "data": [
        {"title": "GROUP_NAME_1", "id": 101, "type": "status", "access": "public"},
        {"title": "GROUP_NAME_3", "id": 103, "type": "label", "access": "private"},
    ]}));
    assert_eq!(groups[0].id.as_str(), "101");
    assert_eq!(groups[1].kind, "label");
    assert_eq!(groups[1].access, "private");
}

/// python-api-client `worksection/models/event.py` and `event_object.py`:
/// the object's `id` is an integer and its `page` a string; `new` and
/// `old` default to empty (PHP writes `[]` for them); the event page may be
/// `/task/{t}/` (issue 16, seen on real accounts) besides the collections'
/// `/project/{p}/{t}/`.
#[test]
fn an_event_with_a_task_page() {
    let events: Vec<Event> = data(json!({"status": "ok", "data": [
        {"action": "update", "date_added": "2021-01-02 14:37",
         "object": {"id": 331786, "type": "task", "page": "/task/331786/"},
         "user_from": {"id": 3993, "email": "h@ws.com", "name": "Henry"},
         "new": {"priority": "9"}, "old": []},
        {"action": "post", "date_added": "2021-01-02 11:07",
         "object": {"id": "19870", "type": "comment", "page": "/project/6622/330090/#com19870"},
         "new": {"text": "Today we have a meetup."}},
    ]}));
    for e in &events {
        whole(e);
    }
    assert_eq!(events[0].object.place(), Some(Place::Task { task: 331786 }));
    assert_eq!(events[0].old, None, "PHP's [] is nothing");
    assert_eq!(
        events[1].object.place().and_then(Place::project),
        Some(6622)
    );
    assert_eq!(events[1].object.place().and_then(Place::task), Some(330090));
}

/// python-api-client `worksection/models/project.py` and php-api-client
/// `src/Models/Project.php`: `options` and `tags` are lists (PHP's `[]`
/// when empty), `users` a list of `{id, name, email}` (`ProjectUser`),
/// `max_time`/`max_money` strings; the collection writes them as numbers.
#[test]
fn a_project_with_options_as_an_empty_list() {
    let p: Project = data(json!({"status": "ok", "data": [{
        "id": 6622, "name": "Performance improvement", "page": "/project/6622/", "status": "active",
        "company": null, "date_added": "2021-01-01 10:18", "options": [], "tags": [],
        "max_time": "1200", "max_money": 20400,
        "users": [{"id": 3993, "name": "Henry Gardner", "email": "h@ws.com"}],
        "user_to": {"id": "0", "email": "NOONE", "name": "Manager isn't assigned"}
    }]}));
    whole(&p);
    assert_eq!(p.options.as_ref().map(|o| o.len()), Some(0));
    assert_eq!(p.tags, None);
    assert_eq!(p.company, "");
    assert_eq!(p.max_time, Some(1200.0));
    assert_eq!(p.max_money, Some(20400.0));
    assert_eq!(p.users.as_ref().map(Vec::len), Some(1));
}

/// python-api-client `worksection/client.py` (`call_*_action_one` takes the
/// first item when the answer is a list) and `resources/user_resource.py`
/// (`timer`: a one-element list is the timer): one-object actions may answer
/// a one-element list.
#[test]
fn one_object_answers_as_one_element_lists() {
    let task: Task =
        data(json!({"status": "ok", "data": [{"id": "331894", "name": "Development"}]}));
    assert_eq!(task.name, "Development");
    let me: User = data(
        json!({"status": "ok", "data": [{"id": "3993", "first_name": "Henry",
        "role": "owner", "rate": null}]}),
    );
    whole(&me);
    assert_eq!(me.role, "owner", "the SDKs' UserRoleEnum is lower case");
    assert_eq!(me.rate, None);
    let timer: Value = data(json!({"status": "ok", "data": [{"time": 4360,
        "date_started": "2021-01-01 12:00", "task": {"id": "330090", "name": "x"}}]}));
    let timer: MyTimer = serde_json::from_value(timer).expect("a one-element list is the timer");
    assert_eq!(timer.time, Some(4360));
    // More than one is not one object.
    assert!(answer::<Task>(json!({"status": "ok", "data": [{"id": "1"}, {"id": "2"}]})).is_err());
}

/// python-api-client `worksection/client.py` (`_process`: `data` when
/// present, else the rest of the answer): a list action may leave `data`
/// out.
#[test]
fn list_answers_without_data() {
    let env = answer::<Vec<Comment>>(json!({"status": "ok"})).expect("decodes");
    assert!(
        env.data.is_none(),
        "read as an empty list by every list action"
    );
}

/// python-api-client `worksection/models/user.py` and `contact.py`: `rate`,
/// `phone*` and `address*` are optional strings (`None` when absent or
/// `null`), every other field a string defaulting to empty.
#[test]
fn nulls_where_strings_are_usual() {
    let users: Vec<User> = data(json!({"status": "ok", "data": [
        {"id": 5514, "first_name": "Frank", "last_name": null, "name": "Frank", "title": null,
         "rate": "11", "avatar": null, "group": null, "department": null, "role": "account admin",
         "email": "frank@ws.com", "phone": null}
    ]}));
    whole(&users[0]);
    assert_eq!(users[0].last_name, "");
    assert_eq!(users[0].rate, Some(11.0));
    let contacts: Vec<Contact> = data(json!({"status": "ok", "data": [
        {"id": 9, "first_name": "Ann", "last_name": "Lee", "name": "Ann Lee", "title": null,
         "group": "Clients", "email": null, "services": []}
    ]}));
    whole(&contacts[0]);
    assert_eq!(contacts[0].email, None);
}

/// python-api-client `worksection/models/file.py` (`size` an integer) and
/// `timer.py` (`time` a string), `webhook.py` (`projects` a string).
#[test]
fn files_timers_and_webhooks() {
    let files: Vec<FileRef> = data(json!({"status": "ok", "data": [
        {"id": 17694, "page": "/download/17694/", "name": "Requirements.doc", "size": 27136,
         "date_added": "2021-01-07 10:01"}]}));
    assert_eq!(files[0].size, Some(27136));
    let timers: Vec<Timer> = data(json!({"status": "ok", "data": [
        {"id": 12, "time": "01:12:40", "date_started": "2021-01-01 12:00"}]}));
    assert_eq!(timers[0].elapsed().map(|d| d.as_secs()), Some(4360));
    let hooks: Vec<Webhook> = data(json!({"status": "ok", "data": [
        {"id": 3, "url": "https://example.com/hook", "events": "post_task,close_task",
         "status": "active", "projects": ""}]}));
    whole(&hooks[0]);
    assert_eq!(hooks[0].id.as_str(), "3");
}

/// A record in a shape no source explains is kept, with what did not decode
/// named (field, expected, kind of value, never the value), and the rest of
/// the list is unharmed.
#[test]
fn an_undecodable_record_is_kept_not_dropped() {
    let tasks: Vec<Task> = data(json!({"status": "ok", "data": [
        {"id": "1", "name": "Fine", "status": "active"},
        {"id": "2", "name": "Odd", "status": "active", "user_from": 5, "priority": "urgent",
         "project": {"id": "8", "name": "P", "page": "/project/8/"}},
        {"name": "No id at all", "status": "secret-status"},
    ]}));
    assert_eq!(tasks.len(), 3, "nothing dropped");
    whole(&tasks[0]);
    let odd = tasks[1].undecoded().expect("kept with what did not decode");
    assert_eq!(tasks[1].name, "Odd", "what decodes is read");
    assert_eq!(tasks[1].project.as_ref().map(|p| p.id.as_str()), Some("8"));
    assert_eq!(odd.fields.get("user_from"), Some(&json!(5)));
    assert_eq!(odd.fields.get("priority"), Some(&json!("urgent")));
    let said = odd.problems.join("; ");
    assert!(
        said.contains("user_from") && said.contains("a number"),
        "{said}"
    );
    assert!(said.contains("priority"), "{said}");
    assert!(
        !said.contains("urgent"),
        "the value itself is never repeated: {said}"
    );
    let whole_record = tasks[2].undecoded().expect("kept whole");
    assert!(
        whole_record.problems[0].contains("id"),
        "{:?}",
        whole_record.problems
    );
    assert_eq!(
        whole_record.fields.get("name"),
        Some(&json!("No id at all"))
    );
    assert!(!whole_record.problems.join(" ").contains("secret-status"));
    // Written out, the record says what could not be read.
    let shown = serde_json::to_value(&tasks[1]).expect("serialises");
    assert_eq!(shown["undecoded"]["fields"]["user_from"], json!(5));
}

/// The API page "Getting started" (error sample) and the collection: an
/// error is `status: error` with `status_code` and `message` at HTTP 200;
/// status 2 is "Action hash is missed or invalid".
#[test]
fn the_documented_error_sample() {
    let e = answer::<Value>(json!({"status": "error", "status_code": 2,
        "message": "Action hash is missed or invalid"}))
    .expect_err("an error");
    let said = e.api_message().expect("kept");
    assert_eq!(said.status_code, Some(2));
    assert_eq!(said.message, "Action hash is missed or invalid");
}
