//! Fuzzes the decoding of Worksection's answers into the client's models:
//! arbitrary bytes through `worksection::decode` into every model type, as a
//! hostile or broken upstream would send them.
//!
//! The input is decoded as it is, and — when it is JSON — also wrapped as
//! the `data` of an `ok` answer (alone and in a list) and as an error
//! answer, so the fuzzer spends its time inside the models rather than on
//! the envelope. The properties: never a panic, and a decoded model always
//! serializes again (tools send it on as JSON).
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use worksection::decode;
use worksection::models::{
    Comment, Contact, ContactGroup, Cost, CostTotals, Event, FileRef, MyTimer, Project,
    ProjectGroup, Tag, TagGroup, Task, Timer, User, UserGroup, Webhook,
};

fn one<T: DeserializeOwned + Serialize>(body: &Bytes) {
    if let Ok(envelope) = decode::<T>(body) {
        if let Some(data) = envelope.data {
            assert!(serde_json::to_string(&data).is_ok());
        }
        if let Some(total) = envelope.total {
            assert!(serde_json::to_string(&total).is_ok());
        }
    }
    let _ = decode::<Vec<T>>(body);
}

fn every_model(body: &Bytes) {
    one::<Task>(body);
    one::<Project>(body);
    one::<ProjectGroup>(body);
    one::<Comment>(body);
    one::<FileRef>(body);
    one::<Cost>(body);
    one::<CostTotals>(body);
    one::<Event>(body);
    one::<User>(body);
    one::<UserGroup>(body);
    one::<Contact>(body);
    one::<ContactGroup>(body);
    one::<Tag>(body);
    one::<TagGroup>(body);
    one::<Timer>(body);
    one::<MyTimer>(body);
    one::<Webhook>(body);
    let _ = decode::<Value>(body);
}

fn bytes_of(v: &Value) -> Bytes {
    Bytes::from(serde_json::to_vec(v).unwrap_or_default())
}

fuzz_target!(|data: &[u8]| {
    every_model(&Bytes::copy_from_slice(data));
    if let Ok(value) = serde_json::from_slice::<Value>(data) {
        every_model(&bytes_of(&json!({"status": "ok", "data": value})));
        every_model(&bytes_of(&json!({"status": "ok", "data": [value]})));
        every_model(&bytes_of(
            &json!({"status": "ok", "data": [], "total": value}),
        ));
        let _ = decode::<Value>(&bytes_of(&json!({
            "status": "error", "status_code": value, "message": value, "message_details": value
        })));
    }
});
