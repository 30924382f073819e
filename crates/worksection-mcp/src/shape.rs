//! Records written in their compact shape straight from their types, and
//! lists of them as rows: what `compact` answers with, without a
//! `serde_json::Value` tree in between.
//!
//! [`record`] is a `serde` serializer that applies `compact`'s rules while
//! a record is serialized: empty fields dropped, people as `{id, name}`
//! (their emails noted), a plain project as `project_id` (its name
//! noted), a task's page cut to its `parent_id`. A nested value is written
//! to JSON text as soon as it is complete, with the few facts its parent
//! needs of it as it came (empty or not, of which kind); a record's own
//! fields are kept apart, so that [`table`] can say what every record says
//! alike (`every`) and write the rest as rows of `columns`.
//!
//! The text is what `serde_json` would write of the compacted value tree,
//! byte for byte (numbers, escapes, key order, a repeated key's place); the
//! tests of `compact` hold the two side by side over every tool's answers.

use std::borrow::Cow;

use rustc_hash::FxHashMap;

use serde::Serialize;
use serde::ser::{self, SerializeMap as _};
use serde_json::{Map, Number, Value};

/// Fields that hold one person.
const PERSON: &[&str] = &["user_from", "user_to", "assignee", "author"];

/// Fields that hold a list of people.
const PEOPLE: &[&str] = &["subscribers"];

type Key = Cow<'static, str>;
type Error = serde_json::Error;

/// What a record names once for the whole answer (see `compact::Refs`),
/// in the order the record names it.
#[derive(Debug)]
pub(crate) enum Note {
    Project { id: String, name: String },
    Email { id: String, email: String },
}

/// A record in its compact shape: its fields (each as JSON text), or the
/// text of a record that is not an object.
#[derive(Debug)]
pub(crate) enum Record {
    Object(Written),
    Other(String),
}

impl Record {
    /// A value already in its compact shape, as a record.
    pub(crate) fn plain(v: &Value) -> Self {
        match v {
            Value::Object(o) => {
                let mut w = Written::with_capacity(o.len(), 0);
                for (k, v) in o {
                    w.push(Key::Owned(k.clone()), &v.to_string());
                }
                Self::Object(w)
            }
            other => Self::Other(other.to_string()),
        }
    }

    /// The record as JSON text.
    pub(crate) fn into_text(self) -> String {
        match self {
            Self::Object(fields) => object_text(fields.iter()),
            Self::Other(text) => text,
        }
    }
}

/// A record's fields as JSON text: their values one after another in one
/// string, and each field's key with where its value lies in it. One
/// allocation a record instead of one a field: 4,729 tasks are held so
/// until their rows are written.
#[derive(Debug)]
pub(crate) struct Written {
    text: String,
    fields: Vec<(Key, usize, usize)>,
}

impl Written {
    fn with_capacity(fields: usize, text: usize) -> Self {
        Self {
            text: String::with_capacity(text),
            fields: Vec::with_capacity(fields),
        }
    }

    fn push(&mut self, key: Key, value: &str) {
        let start = self.text.len();
        self.text.push_str(value);
        self.fields.push((key, start, self.text.len()));
    }

    /// Each field's key and value.
    fn iter(&self) -> impl Iterator<Item = (&str, &str)> + Clone {
        self.fields
            .iter()
            .map(|(k, start, end)| (k.as_ref(), &self.text[*start..*end]))
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
}

/// `item` in its compact shape; what it refers to is added to `notes`.
pub(crate) fn record(item: &impl Serialize, notes: &mut Vec<Note>) -> Result<Record, Error> {
    let out = item.serialize(Ser {
        mode: Mode::Value,
        top: true,
        notes,
    })?;
    Ok(match out.fields {
        Some(fields) => Record::Object(fields),
        None => Record::Other(out.text),
    })
}

/// Records as a list: two records or more, all objects, become rows of
/// `columns`, with what every record says alike in `every`; anything else
/// stays as it is.
pub(crate) struct Table {
    pub items: Vec<String>,
    pub every: Map<String, Value>,
    pub columns: Option<Vec<String>>,
}

pub(crate) fn table(records: Vec<Record>) -> Table {
    let objects: Option<Vec<&Written>> = records
        .iter()
        .map(|r| match r {
            Record::Object(fields) => Some(fields),
            Record::Other(_) => None,
        })
        .collect();
    let Some(objects) = objects.filter(|o| o.len() > 1) else {
        return Table {
            items: records.into_iter().map(Record::into_text).collect(),
            every: Map::new(),
            columns: None,
        };
    };
    let first = objects[0];
    let every: Vec<(&str, &str)> = first
        .iter()
        .filter(|(k, v)| {
            objects[1..]
                .iter()
                .all(|o| o.get(k).is_some_and(|w| same(v, w)))
        })
        .collect();
    // Each column's place in a row, in the order the records name them
    // (a few dozen short keys, looked up once a field: hashed with Fx,
    // not SipHash).
    let mut columns: FxHashMap<String, usize> = every
        .iter()
        .map(|(k, _)| (k.to_string(), usize::MAX))
        .collect();
    let mut order: Vec<String> = Vec::new();
    for o in &objects {
        for (k, _) in o.iter() {
            if !columns.contains_key(k) {
                columns.insert(k.to_string(), order.len());
                order.push(k.to_string());
            }
        }
    }
    let every: Map<String, Value> = every
        .into_iter()
        .map(|(k, v)| (k.to_string(), parse(v)))
        .collect();
    // Each record becomes its row at once, so the records and their rows
    // are never all held together.
    let mut cells: Vec<Option<(usize, usize)>> = Vec::new();
    let items = records
        .into_iter()
        .map(|r| match r {
            Record::Object(fields) => {
                cells.clear();
                cells.resize(order.len(), None);
                let mut len = 2 + order.len();
                for (k, start, end) in &fields.fields {
                    if let Some(&at) = columns.get(k.as_ref())
                        && at != usize::MAX
                    {
                        len += end - start;
                        cells[at] = Some((*start, *end));
                    }
                }
                let mut row = String::with_capacity(len + 4 * order.len());
                row.push('[');
                for (i, cell) in cells.iter().enumerate() {
                    if i > 0 {
                        row.push(',');
                    }
                    row.push_str(cell.map_or("null", |(start, end)| &fields.text[start..end]));
                }
                row.push(']');
                row
            }
            Record::Other(text) => text,
        })
        .collect();
    Table {
        items,
        every,
        columns: Some(order),
    }
}

/// Whether two values, as JSON text, are equal as values: the same text,
/// or (for numbers, lists and objects) the same once read, as `serde_json`
/// compares them (an object's keys in any order, `0.0` and `-0.0`).
fn same(a: &str, b: &str) -> bool {
    a == b
        || (!a.starts_with(['"', 't', 'f', 'n'])
            && !b.starts_with(['"', 't', 'f', 'n'])
            && parse(a) == parse(b))
}

/// JSON text this module wrote, read back.
fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// How a value's place shapes it: by the field it is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Any value: objects compacted by their fields' names.
    Value,
    /// One person: `{id, name}` and the email noted.
    Person,
    /// A list of people.
    People,
    /// A project: a plain one becomes `project_id`.
    Project,
    /// As it came: what `compact` leaves alone.
    Raw,
}

impl Mode {
    /// The mode of the value of field `key` of an object in this mode.
    fn field(self, key: &str) -> Mode {
        match self {
            // Not a list of people: left as it came.
            Mode::Raw | Mode::People => Mode::Raw,
            _ if PERSON.contains(&key) => Mode::Person,
            _ if PEOPLE.contains(&key) => Mode::People,
            _ if key == "project" => Mode::Project,
            _ => Mode::Value,
        }
    }

    /// The mode of the items of a list in this mode.
    fn item(self) -> Mode {
        match self {
            Mode::Value | Mode::Project => Mode::Value,
            Mode::People => Mode::Person,
            // A person that is not an object is left as it came.
            Mode::Person | Mode::Raw => Mode::Raw,
        }
    }
}

/// What a value came as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    Bool,
    Number,
    String,
    List,
    Object,
}

/// A value written in its compact shape, with what its parent needs to
/// know of it.
#[derive(Debug)]
struct Out {
    text: String,
    kind: Kind,
    /// It came as null, `""`, `[]` or `{}`: nothing to say.
    empty: bool,
    /// A plain project: its id, which the parent writes as `project_id`.
    project_id: Option<String>,
    /// A record's own fields, not yet written (the top level only).
    fields: Option<Written>,
}

impl Out {
    fn scalar(text: String, kind: Kind) -> Self {
        Self {
            empty: kind == Kind::Null,
            text,
            kind,
            project_id: None,
            fields: None,
        }
    }

    fn null() -> Self {
        Self::scalar("null".to_owned(), Kind::Null)
    }

    fn string(s: &str) -> Self {
        let mut text = String::with_capacity(s.len() + 2);
        push_json_string(&mut text, s);
        let mut out = Self::scalar(text, Kind::String);
        out.empty = s.is_empty();
        out
    }

    fn number(n: Number) -> Self {
        Self::scalar(n.to_string(), Kind::Number)
    }

    /// The string this value is, when it is one.
    fn str(&self) -> Option<Cow<'_, str>> {
        if self.kind != Kind::String {
            return None;
        }
        let inner = &self.text[1..self.text.len() - 1];
        if inner.contains('\\') {
            serde_json::from_str::<String>(&self.text)
                .ok()
                .map(Cow::Owned)
        } else {
            Some(Cow::Borrowed(inner))
        }
    }

    /// An id as `compact` takes it: a string that is not empty, or a number.
    fn id(&self) -> Option<String> {
        match self.kind {
            Kind::String if !self.empty => self.str().map(Cow::into_owned),
            Kind::Number => Some(self.text.clone()),
            _ => None,
        }
    }
}

/// Writes `s` as a JSON string, escaped as `serde_json` escapes it: the
/// quote, the backslash and control characters (the short escapes where
/// JSON has them, else `\u00xx`); everything else as it is.
fn push_json_string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut start = 0;
    for (at, b) in s.bytes().enumerate() {
        if !ESCAPED[usize::from(b)] {
            continue;
        }
        out.push_str(&s[start..at]);
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        }
        start = at + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// The bytes a JSON string escapes: the quote, the backslash and control
/// characters (one look-up a byte, as `serde_json` does).
static ESCAPED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// An object's fields written as JSON text.
fn object_text<'a>(fields: impl Iterator<Item = (&'a str, &'a str)> + Clone) -> String {
    let len: usize = fields.clone().map(|(k, v)| k.len() + v.len() + 4).sum();
    let mut out = String::with_capacity(len + 2);
    out.push('{');
    for (i, (k, v)) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(&mut out, k);
        out.push(':');
        out.push_str(v);
    }
    out.push('}');
    out
}

/// An object's fields, each key once: a value under a key already there
/// takes the earlier value's place (as in a JSON object).
#[derive(Debug, Default)]
struct Fields {
    list: Vec<(Key, Out)>,
    /// A bit for each key's (cheap) hash: most new keys are told apart
    /// without a look at the others.
    seen: u128,
}

impl Fields {
    fn with_capacity(n: usize) -> Self {
        Self {
            list: Vec::with_capacity(n),
            seen: 0,
        }
    }

    fn insert(&mut self, key: Key, value: Out) {
        let b = key.as_bytes();
        let hash = match b {
            [] => 0,
            [first, .., last] => b.len() * 31 + usize::from(*first) * 7 + usize::from(*last),
            [only] => usize::from(*only),
        };
        let bit = 1u128 << (hash % 128);
        if self.seen & bit != 0
            && let Some(slot) = self.list.iter_mut().find(|(k, _)| *k == key)
        {
            slot.1 = value;
            return;
        }
        self.seen |= bit;
        self.list.push((key, value));
    }
}

fn get<'a>(fields: &'a [(Key, Out)], key: &str) -> Option<&'a Out> {
    fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Leaves one field under `key`, where the first was, with the last value
/// (as a JSON object takes a key given twice).
fn once(fields: &mut Vec<(Key, Out)>, key: &str) {
    let mut at = fields
        .iter()
        .enumerate()
        .filter(|(_, (k, _))| k == key)
        .map(|(i, _)| i);
    let Some(first) = at.next() else { return };
    let later: Vec<usize> = at.collect();
    let Some(&last) = later.last() else { return };
    fields.swap(first, last);
    for i in later.into_iter().rev() {
        fields.remove(i);
    }
}

/// The serializer: a value in its place.
struct Ser<'a> {
    mode: Mode,
    /// The record itself (its fields are kept apart).
    top: bool,
    /// What the record refers to, in the order the old value-tree walk
    /// noted it (see [`Object::finish`]).
    notes: &'a mut Vec<Note>,
}

impl<'a> Ser<'a> {
    fn child(mode: Mode, notes: &'a mut Vec<Note>) -> Self {
        Self {
            mode,
            top: false,
            notes,
        }
    }

    fn object(self, len: usize) -> Object<'a> {
        Object {
            mode: self.mode,
            top: self.top,
            start: self.notes.len(),
            notes: self.notes,
            fields: Fields::with_capacity(len),
            key: None,
        }
    }
}

impl<'a> ser::Serializer for Ser<'a> {
    type Ok = Out;
    type Error = Error;
    type SerializeSeq = List<'a>;
    type SerializeTuple = List<'a>;
    type SerializeTupleStruct = List<'a>;
    type SerializeTupleVariant = Variant<List<'a>>;
    type SerializeMap = Object<'a>;
    type SerializeStruct = Object<'a>;
    type SerializeStructVariant = Variant<Object<'a>>;

    fn serialize_bool(self, v: bool) -> Result<Out, Error> {
        Ok(Out::scalar(v.to_string(), Kind::Bool))
    }

    fn serialize_i8(self, v: i8) -> Result<Out, Error> {
        self.serialize_i64(v.into())
    }

    fn serialize_i16(self, v: i16) -> Result<Out, Error> {
        self.serialize_i64(v.into())
    }

    fn serialize_i32(self, v: i32) -> Result<Out, Error> {
        self.serialize_i64(v.into())
    }

    fn serialize_i64(self, v: i64) -> Result<Out, Error> {
        Ok(Out::number(v.into()))
    }

    fn serialize_i128(self, v: i128) -> Result<Out, Error> {
        match (u64::try_from(v), i64::try_from(v)) {
            (Ok(u), _) => self.serialize_u64(u),
            (_, Ok(i)) => self.serialize_i64(i),
            _ => Err(ser::Error::custom("number out of range")),
        }
    }

    fn serialize_u8(self, v: u8) -> Result<Out, Error> {
        self.serialize_u64(v.into())
    }

    fn serialize_u16(self, v: u16) -> Result<Out, Error> {
        self.serialize_u64(v.into())
    }

    fn serialize_u32(self, v: u32) -> Result<Out, Error> {
        self.serialize_u64(v.into())
    }

    fn serialize_u64(self, v: u64) -> Result<Out, Error> {
        Ok(Out::number(v.into()))
    }

    fn serialize_u128(self, v: u128) -> Result<Out, Error> {
        match u64::try_from(v) {
            Ok(u) => self.serialize_u64(u),
            Err(_) => Err(ser::Error::custom("number out of range")),
        }
    }

    fn serialize_f32(self, v: f32) -> Result<Out, Error> {
        Ok(match Value::from(v) {
            Value::Number(n) => Out::number(n),
            _ => Out::null(),
        })
    }

    fn serialize_f64(self, v: f64) -> Result<Out, Error> {
        Ok(Number::from_f64(v).map_or_else(Out::null, Out::number))
    }

    fn serialize_char(self, v: char) -> Result<Out, Error> {
        Ok(Out::string(v.encode_utf8(&mut [0; 4])))
    }

    fn serialize_str(self, v: &str) -> Result<Out, Error> {
        Ok(Out::string(v))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<Out, Error> {
        let mut list = self.serialize_seq(Some(v.len()))?;
        for b in v {
            list.push(b)?;
        }
        Ok(list.finish())
    }

    fn serialize_none(self) -> Result<Out, Error> {
        Ok(Out::null())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Out, Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Out, Error> {
        Ok(Out::null())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<Out, Error> {
        Ok(Out::null())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Out, Error> {
        Ok(Out::string(variant))
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Out, Error> {
        value.serialize(self)
    }

    /// `{variant: value}`, as `serde_json` writes an enum variant with data.
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Out, Error> {
        let mut outer = self.object(1);
        outer.put(Key::Borrowed(variant), value)?;
        Ok(outer.finish())
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<List<'a>, Error> {
        Ok(List {
            mode: self.mode.item(),
            notes: self.notes,
            text: String::with_capacity(2 + 8 * len.unwrap_or(0)),
            len: 0,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<List<'a>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<List<'a>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Variant<List<'a>>, Error> {
        let (mode, top, start) = (self.mode, self.top, self.notes.len());
        let inner = Ser::child(mode.field(variant), self.notes).serialize_seq(Some(len))?;
        Ok(Variant {
            mode,
            top,
            start,
            variant,
            inner,
        })
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Object<'a>, Error> {
        // A record with fields of its own (`flatten`) says no length: room
        // for a task's usual fields at once, not grown four times.
        let len = len.unwrap_or(if self.top { 16 } else { 4 });
        Ok(self.object(len))
    }

    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Object<'a>, Error> {
        Ok(self.object(len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Variant<Object<'a>>, Error> {
        let (mode, top, start) = (self.mode, self.top, self.notes.len());
        let inner = Ser::child(mode.field(variant), self.notes).object(len);
        Ok(Variant {
            mode,
            top,
            start,
            variant,
            inner,
        })
    }
}

/// A list being written.
struct List<'a> {
    /// The mode of its items.
    mode: Mode,
    notes: &'a mut Vec<Note>,
    text: String,
    len: usize,
}

impl<'a> List<'a> {
    fn push<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        let out = value.serialize(Ser::child(self.mode, self.notes))?;
        self.text.push(if self.len == 0 { '[' } else { ',' });
        self.text.push_str(&out.text);
        self.len += 1;
        Ok(())
    }

    fn finish(self) -> Out {
        self.finish_keeping().0
    }

    /// The list, and the notes given back for an enclosing variant.
    fn finish_keeping(mut self) -> (Out, &'a mut Vec<Note>) {
        if self.len == 0 {
            self.text.push('[');
        }
        self.text.push(']');
        let out = Out {
            text: self.text,
            kind: Kind::List,
            empty: self.len == 0,
            project_id: None,
            fields: None,
        };
        (out, self.notes)
    }
}

impl ser::SerializeSeq for List<'_> {
    type Ok = Out;
    type Error = Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }

    fn end(self) -> Result<Out, Error> {
        Ok(self.finish())
    }
}

impl ser::SerializeTuple for List<'_> {
    type Ok = Out;
    type Error = Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }

    fn end(self) -> Result<Out, Error> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleStruct for List<'_> {
    type Ok = Out;
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }

    fn end(self) -> Result<Out, Error> {
        Ok(self.finish())
    }
}

/// An object being written: its fields as they came, each already in its
/// compact shape, until the object is complete.
struct Object<'a> {
    mode: Mode,
    top: bool,
    /// Where this object's notes begin.
    start: usize,
    notes: &'a mut Vec<Note>,
    fields: Fields,
    /// A map's key waiting for its value.
    key: Option<Key>,
}

impl<'a> Object<'a> {
    fn put<T: ?Sized + Serialize>(&mut self, key: Key, value: &T) -> Result<(), Error> {
        let out = value.serialize(Ser::child(self.mode.field(&key), self.notes))?;
        self.fields.insert(key, out);
        Ok(())
    }

    fn finish(self) -> Out {
        self.finish_keeping().0
    }

    /// The object in its compact shape, and the notes given back for an
    /// enclosing variant. What the object refers to is noted as the value
    /// tree's walk noted it: a person's email before what the person's
    /// fields refer to; a plain project's name and nothing of its fields.
    fn finish_keeping(self) -> (Out, &'a mut Vec<Note>) {
        let Object {
            mode,
            top,
            start,
            notes,
            fields,
            ..
        } = self;
        let mut fields = fields.list;
        let empty = fields.is_empty();
        match mode {
            // Left as it came.
            Mode::Raw | Mode::People => {}
            Mode::Person => {
                // `{id, name}`: the email goes to the answer's table.
                if let Some(id) = get(&fields, "id").and_then(Out::id)
                    && let Some(at) = fields.iter().position(|(k, _)| k == "email")
                {
                    let (_, email) = fields.swap_remove(at);
                    if let Some(email) = email.str().filter(|e| !e.is_empty()) {
                        let email = email.into_owned();
                        notes.insert(start, Note::Email { id, email });
                    }
                }
                fields = compacted(fields);
            }
            Mode::Project => match plain_project(&fields) {
                Some((id, name)) => {
                    notes.truncate(start);
                    notes.push(Note::Project {
                        id: id.clone(),
                        name,
                    });
                    let out = Out {
                        text: String::new(),
                        kind: Kind::Object,
                        empty: false,
                        project_id: Some(id),
                        fields: None,
                    };
                    return (out, notes);
                }
                None => fields = compacted(fields),
            },
            Mode::Value => fields = compacted(fields),
        }
        let (text, fields) = if top {
            (
                String::new(),
                Some({
                    let len = fields.iter().map(|(_, v)| v.text.len()).sum();
                    let mut written = Written::with_capacity(fields.len(), len);
                    for (k, v) in fields {
                        written.push(k, &v.text);
                    }
                    written
                }),
            )
        } else {
            let text = object_text(fields.iter().map(|(k, v)| (k.as_ref(), v.text.as_str())));
            (text, None)
        };
        let out = Out {
            text,
            kind: Kind::Object,
            empty,
            project_id: None,
            fields,
        };
        (out, notes)
    }
}

/// The fields of a compacted object: empty ones dropped, a plain project
/// as `project_id`, a task's page as its `parent_id` (or nothing).
fn compacted(mut fields: Vec<(Key, Out)>) -> Vec<(Key, Out)> {
    fields.retain(|(_, v)| !v.empty);
    let mut renamed = false;
    for (k, v) in &mut fields {
        if let Some(id) = v.project_id.take() {
            *k = Key::Borrowed("project_id");
            *v = Out::string(&id);
            renamed = true;
        }
    }
    if renamed {
        once(&mut fields, "project_id");
    }
    short_page(fields)
}

/// The project's id and name when it says no more than those and its own
/// page (else it stays an object).
fn plain_project(fields: &[(Key, Out)]) -> Option<(String, String)> {
    let id = get(fields, "id")?.id()?;
    let page = format!("/project/{id}/");
    let plain = fields.iter().all(|(k, v)| match k.as_ref() {
        "id" => true,
        "name" => v.kind == Kind::String,
        "page" => v.str().is_none_or(|s| s.is_empty() || s == page),
        _ => v.empty,
    });
    if !plain {
        return None;
    }
    let name = get(fields, "name")
        .and_then(Out::str)
        .unwrap_or_default()
        .into_owned();
    Some((id, name))
}

/// A task's page says its project, its parent and itself: with the
/// project and the task at hand, only the parent (of a subtask) is left to
/// say, as `parent_id`.
fn short_page(mut fields: Vec<(Key, Out)>) -> Vec<(Key, Out)> {
    let parent = {
        let text = |key: &str| get(&fields, key).and_then(Out::str);
        let (Some(id), Some(page), Some(project)) = (text("id"), text("page"), text("project_id"))
        else {
            return fields;
        };
        let parts: Vec<&str> = page.split('/').filter(|s| !s.is_empty()).collect();
        match parts.as_slice() {
            ["project", p, t] if *p == project && *t == id => None,
            ["project", p, parent, t] if *p == project && *t == id => Some(Out::string(parent)),
            _ => return fields,
        }
    };
    let Some(at) = fields.iter().position(|(k, _)| k == "page") else {
        return fields;
    };
    match parent {
        None => {
            fields.remove(at);
        }
        Some(parent) => {
            fields[at] = (Key::Borrowed("parent_id"), parent);
            once(&mut fields, "parent_id");
        }
    }
    fields
}

impl ser::SerializeMap for Object<'_> {
    type Ok = Out;
    type Error = Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Error> {
        let key = match key.serialize(Name) {
            Ok(key) => key,
            Err(_) => Key::Owned(map_key(key)?),
        };
        self.key = Some(key);
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        let key = self
            .key
            .take()
            .ok_or_else(|| ser::Error::custom("a map value without its key"))?;
        self.put(key, value)
    }

    fn end(self) -> Result<Out, Error> {
        Ok(self.finish())
    }
}

impl ser::SerializeStruct for Object<'_> {
    type Ok = Out;
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.put(Key::Borrowed(key), value)
    }

    fn end(self) -> Result<Out, Error> {
        Ok(self.finish())
    }
}

/// An enum variant with data, `{variant: inner}`: the outer object is made
/// when the inner value is done (both note into the same list).
struct Variant<T> {
    mode: Mode,
    top: bool,
    start: usize,
    variant: &'static str,
    inner: T,
}

impl<T> Variant<T> {
    fn wrap(&self, inner: Out, notes: &mut Vec<Note>) -> Out {
        let mut fields = Fields::with_capacity(1);
        fields.insert(Key::Borrowed(self.variant), inner);
        Object {
            mode: self.mode,
            top: self.top,
            start: self.start,
            notes,
            fields,
            key: None,
        }
        .finish()
    }
}

impl ser::SerializeTupleVariant for Variant<List<'_>> {
    type Ok = Out;
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.inner.push(value)
    }

    fn end(self) -> Result<Out, Error> {
        let Variant {
            mode,
            top,
            start,
            variant,
            inner,
        } = self;
        let (inner, notes) = inner.finish_keeping();
        Ok(Variant {
            mode,
            top,
            start,
            variant,
            inner: (),
        }
        .wrap(inner, notes))
    }
}

impl ser::SerializeStructVariant for Variant<Object<'_>> {
    type Ok = Out;
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.inner.put(Key::Borrowed(key), value)
    }

    fn end(self) -> Result<Out, Error> {
        let Variant {
            mode,
            top,
            start,
            variant,
            inner,
        } = self;
        let (inner, notes) = inner.finish_keeping();
        Ok(Variant {
            mode,
            top,
            start,
            variant,
            inner: (),
        }
        .wrap(inner, notes))
    }
}

/// A model's field name as a key that borrows it: the models write their
/// fields through a map (their flattened unmodelled fields), so without it
/// every field of every record would copy its name (and a record held
/// until its row is written would keep the copies).
fn field_name(name: &str) -> Option<&'static str> {
    Some(match name {
        "id" => "id",
        "name" => "name",
        "page" => "page",
        "status" => "status",
        "priority" => "priority",
        "user_from" => "user_from",
        "user_to" => "user_to",
        "project" => "project",
        "text" => "text",
        "date_added" => "date_added",
        "date_start" => "date_start",
        "date_end" => "date_end",
        "time_start" => "time_start",
        "time_end" => "time_end",
        "date_closed" => "date_closed",
        "max_time" => "max_time",
        "max_money" => "max_money",
        "tags" => "tags",
        "has_comments" => "has_comments",
        "files" => "files",
        "comments" => "comments",
        "relations" => "relations",
        "child" => "child",
        "subscribers" => "subscribers",
        "undecoded" => "undecoded",
        "email" => "email",
        "title" => "title",
        "type" => "type",
        "from" => "from",
        "to" => "to",
        "task" => "task",
        "size" => "size",
        _ => return None,
    })
}

/// A map key that is a string, borrowed when it is a model's field name
/// (see [`field_name`]); anything else is refused, and [`map_key`] takes
/// it.
struct Name;

impl ser::Serializer for Name {
    type Ok = Key;
    type Error = Error;
    type SerializeSeq = ser::Impossible<Key, Error>;
    type SerializeTuple = ser::Impossible<Key, Error>;
    type SerializeTupleStruct = ser::Impossible<Key, Error>;
    type SerializeTupleVariant = ser::Impossible<Key, Error>;
    type SerializeMap = ser::Impossible<Key, Error>;
    type SerializeStruct = ser::Impossible<Key, Error>;
    type SerializeStructVariant = ser::Impossible<Key, Error>;

    fn serialize_str(self, v: &str) -> Result<Key, Error> {
        Ok(field_name(v).map_or_else(|| Key::Owned(v.to_owned()), Key::Borrowed))
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Key, Error> {
        value.serialize(self)
    }

    fn serialize_bool(self, _v: bool) -> Result<Key, Error> {
        Err(not_a_name())
    }
    fn serialize_i8(self, _v: i8) -> Result<Key, Error> {
        Err(not_a_name())
    }
    fn serialize_i16(self, _v: i16) -> Result<Key, Error> {
        Err(not_a_name())
    }
    fn serialize_i32(self, _v: i32) -> Result<Key, Error> {
        Err(not_a_name())
    }
    fn serialize_i64(self, _v: i64) -> Result<Key, Error> {
        Err(not_a_name())
    }
    fn serialize_u8(self, _v: u8) -> Result<Key, Error> {
        Err(not_a_name())
    }
    fn serialize_u16(self, _v: u16) -> Result<Key, Error> {
        Err(not_a_name())
    }
    fn serialize_u32(self, _v: u32) -> Result<Key, Error> {
        Err(not_a_name())
    }
    fn serialize_u64(self, _v: u64) -> Result<Key, Error> {
        Err(not_a_name())
    }
    fn serialize_f32(self, _v: f32) -> Result<Key, Error> {
        Err(not_a_name())
    }
    fn serialize_f64(self, _v: f64) -> Result<Key, Error> {
        Err(not_a_name())
    }
    fn serialize_char(self, _v: char) -> Result<Key, Error> {
        Err(not_a_name())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<Key, Error> {
        Err(not_a_name())
    }
    fn serialize_none(self) -> Result<Key, Error> {
        Err(not_a_name())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _value: &T) -> Result<Key, Error> {
        Err(not_a_name())
    }
    fn serialize_unit(self) -> Result<Key, Error> {
        Err(not_a_name())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Key, Error> {
        Err(not_a_name())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
    ) -> Result<Key, Error> {
        Err(not_a_name())
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<Key, Error> {
        Err(not_a_name())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(not_a_name())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(not_a_name())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(not_a_name())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(not_a_name())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(not_a_name())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(not_a_name())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(not_a_name())
    }
}

fn not_a_name() -> Error {
    ser::Error::custom("not a string key")
}

/// A map's key as `serde_json` writes it: a string as it is, anything
/// else as `serde_json::to_value` turns it into an object's key (or the
/// error it gives).
fn map_key<T: ?Sized + Serialize>(key: &T) -> Result<String, Error> {
    if let Ok(Value::String(s)) = key.serialize(serde_json::value::Serializer) {
        return Ok(s);
    }
    struct One<'a, T: ?Sized>(&'a T);
    impl<T: ?Sized + Serialize> Serialize for One<'_, T> {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut map = s.serialize_map(Some(1))?;
            map.serialize_entry(self.0, &())?;
            map.end()
        }
    }
    match serde_json::to_value(One(key))? {
        Value::Object(o) => o
            .into_iter()
            .next()
            .map(|(k, _)| k)
            .ok_or_else(|| ser::Error::custom("key must be a string")),
        _ => Err(ser::Error::custom("key must be a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_models_field_name_is_borrowed_and_any_other_key_copied() {
        assert!(matches!(
            "user_from".serialize(Name),
            Ok(Key::Borrowed("user_from"))
        ));
        assert!(matches!("custom_field".serialize(Name), Ok(Key::Owned(k)) if k == "custom_field"));
        // Not a string: left to `map_key`, which writes it as JSON does.
        assert!(7u32.serialize(Name).is_err());
        assert_eq!(map_key(&7u32).expect("a number key"), "7");
    }
}
