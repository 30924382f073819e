//! The lenient forms of Worksection's fields, as `serde_with` adapters.
//!
//! A model names each field's form in one attribute,
//! `#[serde_as(deserialize_as = "Num")]`, and carries one line above its
//! derive that makes every `Option` field default to `None` (and left out
//! when written) and every `String` field default to empty:
//!
//! ```ignore
//! #[serde_with::apply(Option => #[serde(default, skip_serializing_if = "Option::is_none")], String => #[serde(default)])]
//! #[serde_as]
//! #[derive(Serialize, Deserialize)]
//! ```
//!
//! Absent, `null` and `""` are "not set" (`None`, or an empty string);
//! every form Worksection is known to send is read; anything else is an
//! error, which the enclosing `Record` keeps in its `Undecoded` rather than
//! guess a value. Only reading is lenient: a field is written out as its
//! typed value.
//!
//! The forms: [`Text`] (a string; a number or flag written out), [`Num`]
//! (a number or a numeric string; also money), [`HoursMinutes`] (`H:MM`),
//! [`Flag`] (0/1, true/false), [`Block`] (an optional object, where PHP
//! writes nothing as `[]`, `{}`, `""` or `false`), [`NonEmpty`] (any value,
//! nothing being `None`), [`Keyed`] (a collection as a list or as an object
//! keyed by id) and [`Tags`] (tag id to name, keyed either way).

use std::collections::BTreeMap;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer};
use serde_json::{Map, Value};
use serde_with::{DeserializeAs, Same};

use super::common::{Minutes, Money, in_strict_pass, kind, within};

fn unreadable<E: de::Error>(v: &Value, expected: &str) -> E {
    E::custom(format!("invalid type: {}, expected {expected}", kind(v)))
}

fn is_unset(v: &Value) -> bool {
    matches!(v, Value::Null) || v.as_str().is_some_and(|s| s.trim().is_empty())
}

/// `v` read through `As`; an error says where inside it (`at `id`: ...`),
/// so a record's problem names the whole path (`user_from.id`).
fn nested<T, As, E>(v: &Value) -> Result<T, E>
where
    As: for<'a> DeserializeAs<'a, T>,
    E: de::Error,
{
    let mut track = serde_path_to_error::Track::new();
    As::deserialize_as(serde_path_to_error::Deserializer::new(v, &mut track)).map_err(
        |e: serde_json::Error| {
            let path = track.path().to_string();
            let msg = e.to_string();
            if path == "." || path.is_empty() {
                E::custom(msg)
            } else {
                E::custom(within(&path, &msg))
            }
        },
    )
}

/// A string; `null` is empty (`None` for an `Option`), a number or a
/// boolean is written out.
pub(crate) struct Text;

impl<'de> DeserializeAs<'de, String> for Text {
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(<Self as DeserializeAs<'de, Option<String>>>::deserialize_as(d)?.unwrap_or_default())
    }
}

impl<'de> DeserializeAs<'de, Option<String>> for Text {
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s)),
            Value::Number(n) => Ok(Some(n.to_string())),
            Value::Bool(b) => Ok(Some(b.to_string())),
            other => Err(unreadable(&other, "a string")),
        }
    }
}

/// A number, or a string of one (`"7"`, `"352.5"`); `null` and `""` are
/// `None`. Money too: `"75.17"` or `75.17`, exactly to the cent.
pub(crate) struct Num;

fn number<E: de::Error>(v: &Value) -> Result<Option<f64>, E> {
    match v {
        _ if is_unset(v) => Ok(None),
        Value::Number(n) => Ok(n.as_f64()),
        Value::String(s) => s.trim().parse().map(Some).map_err(|_| {
            E::custom("invalid value: a string that is not a number, expected a number")
        }),
        other => Err(unreadable(other, "a number")),
    }
}

impl<'de> DeserializeAs<'de, Option<f64>> for Num {
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        number(&Value::deserialize(d)?)
    }
}

impl<'de> DeserializeAs<'de, Option<u64>> for Num {
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        match number::<D::Error>(&Value::deserialize(d)?)? {
            None => Ok(None),
            Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= u64::MAX as f64 => Ok(Some(n as u64)),
            Some(_) => Err(de::Error::custom(
                "invalid value: a number, expected a whole number of at least 0",
            )),
        }
    }
}

impl<'de> DeserializeAs<'de, Option<u8>> for Num {
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
        match <Self as DeserializeAs<'de, Option<u64>>>::deserialize_as(d)? {
            None => Ok(None),
            Some(n) => u8::try_from(n).map(Some).map_err(|_| {
                de::Error::custom("invalid value: a number, expected a number from 0 to 255")
            }),
        }
    }
}

impl<'de> DeserializeAs<'de, Option<Money>> for Num {
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<Option<Money>, D::Error> {
        match Value::deserialize(d)? {
            v if is_unset(&v) => Ok(None),
            Value::String(s) => Money::parse(&s).map(Some).ok_or_else(|| {
                de::Error::custom("invalid value: a string, expected an amount like 75.17")
            }),
            Value::Number(n) => Money::parse(&n.to_string()).map(Some).ok_or_else(|| {
                de::Error::custom("invalid value: a number, expected an amount in cents at most")
            }),
            other => Err(unreadable(&other, "an amount like 75.17")),
        }
    }
}

/// `"H:MM"`; `null` and `""` are `None`. A bare number is not read:
/// Worksection's inputs take hours there, its timers seconds, so a number
/// would be a guess.
pub(crate) struct HoursMinutes;

impl<'de> DeserializeAs<'de, Option<Minutes>> for HoursMinutes {
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<Option<Minutes>, D::Error> {
        match Value::deserialize(d)? {
            v if is_unset(&v) => Ok(None),
            Value::String(s) => Minutes::parse(&s).map(Some).ok_or_else(|| {
                de::Error::custom("invalid value: a string, expected a time like 6:50")
            }),
            other => Err(unreadable(&other, "a time like 6:50")),
        }
    }
}

/// A flag: a boolean, 0/1, or the strings `"1"`, `"0"`, `"true"`,
/// `"false"` (`""` is false); `null` is `None`.
pub(crate) struct Flag;

impl<'de> DeserializeAs<'de, Option<bool>> for Flag {
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::Bool(b) => Ok(Some(b)),
            Value::Number(n) if n.as_i64().is_some() => Ok(n.as_i64().map(|n| n != 0)),
            Value::String(s) => match s.trim() {
                "1" | "true" => Ok(Some(true)),
                "0" | "false" | "" => Ok(Some(false)),
                _ => Err(de::Error::custom(
                    "invalid value: a string, expected a flag (0/1, true/false)",
                )),
            },
            other => Err(unreadable(&other, "a flag (0/1, true/false)")),
        }
    }
}

/// An optional block (a person, a project, a task...): `null`, `[]`,
/// `{}`, `""` and `false` mean none (PHP writes an empty array for an
/// empty object, and an empty value where there is nothing).
pub(crate) struct Block;

impl<'de, T: DeserializeOwned> DeserializeAs<'de, Option<T>> for Block {
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
        if in_strict_pass() {
            return d.deserialize_any(StrictBlock(PhantomData));
        }
        match Value::deserialize(d)? {
            Value::Null | Value::Bool(false) => Ok(None),
            Value::Array(a) if a.is_empty() => Ok(None),
            Value::Object(m) if m.is_empty() => Ok(None),
            Value::String(s) if s.is_empty() => Ok(None),
            v => nested::<T, Same, D::Error>(&v).map(Some),
        }
    }
}

/// A [`Block`] read in the strict pass, straight from the text: an object
/// into its record, the forms of nothing as `None`; anything else (a
/// block as a list, say) is an error, and the lenient read, which takes
/// every form, reads the answer again.
struct StrictBlock<T>(PhantomData<fn() -> T>);

impl<'de, T: DeserializeOwned> de::Visitor<'de> for StrictBlock<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object, or nothing")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Self::Value, E> {
        if b {
            Err(E::invalid_type(de::Unexpected::Bool(b), &self))
        } else {
            Ok(None)
        }
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        if s.is_empty() {
            Ok(None)
        } else {
            Err(E::invalid_type(de::Unexpected::Str(s), &self))
        }
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        match seq.next_element::<de::IgnoredAny>()? {
            None => Ok(None),
            Some(_) => Err(de::Error::invalid_type(de::Unexpected::Seq, &self)),
        }
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let mut entries = 0;
        let record = T::deserialize(de::value::MapAccessDeserializer::new(Counted {
            map,
            entries: &mut entries,
        }))?;
        // `{}` is nothing, as PHP writes an empty array.
        Ok((entries > 0).then_some(record))
    }
}

/// A map's entries, counted as they are read.
struct Counted<'a, A> {
    map: A,
    entries: &'a mut usize,
}

impl<'de, A: de::MapAccess<'de>> de::MapAccess<'de> for Counted<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let key = self.map.next_key_seed(seed)?;
        *self.entries += usize::from(key.is_some());
        Ok(key)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// Any value, where nothing (`null`, `[]`, `{}`) is `None`: an event's
/// `new` and `old`.
pub(crate) struct NonEmpty;

impl<'de> DeserializeAs<'de, Option<Value>> for NonEmpty {
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Null => None,
            Value::Array(a) if a.is_empty() => None,
            Value::Object(m) if m.is_empty() => None,
            v => Some(v),
        })
    }
}

/// A keyed collection: Worksection (PHP) sends one either as a list, or as
/// an object keyed by id (an associative array), with the id repeated
/// inside each record or not. Both decode to the same records, in the
/// order they came: into a `Vec` of records, where a record without an
/// `id` takes its key's; or into a map by key, where the items of a list
/// are keyed by their `id`. `[]` and `{}` are empty; `null` is empty, or
/// `None` for an `Option`. Each item is read through `As` on its own, so
/// an odd [`super::Record`] in it is kept, not dropped, and a problem
/// names its place (`users[3993].email`, `files[0].size`).
pub(crate) struct Keyed<As = Same>(PhantomData<As>);

/// The items of a keyed collection, each with its key: the `id` of a list
/// item, the key of an object's entry (`None` for a list item without a
/// readable id, or for `null`).
fn entries<E: de::Error>(v: Value) -> Result<Option<Vec<(Place, Value)>>, E> {
    match v {
        Value::Null => Ok(None),
        Value::Array(items) => Ok(Some(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| (Place::Index(i), item))
                .collect(),
        )),
        Value::Object(m) => Ok(Some(
            m.into_iter().map(|(k, v)| (Place::Key(k), v)).collect(),
        )),
        other => Err(unreadable(&other, COLLECTION)),
    }
}

/// Where an item stood: at an index of a list, or under a key.
enum Place {
    Index(usize),
    Key(String),
}

impl Place {
    fn read<T, As: for<'a> DeserializeAs<'a, T>, E: de::Error>(&self, v: &Value) -> Result<T, E> {
        let at = match self {
            Place::Index(i) => format!("[{i}]"),
            Place::Key(k) => format!("[{k}]"),
        };
        nested::<T, As, E>(v).map_err(|e| E::custom(within(&at, &e.to_string())))
    }
}

/// The id a record carries, as text.
fn id_of(record: &Map<String, Value>) -> Option<String> {
    match record.get("id")? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl<'de, T, As: for<'a> DeserializeAs<'a, T>> DeserializeAs<'de, Option<Vec<T>>> for Keyed<As> {
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<Option<Vec<T>>, D::Error> {
        d.deserialize_any(Records::<T, As>(PhantomData))
    }
}

const COLLECTION: &str = "a list, or an object keyed by id";

/// Reads a keyed collection into a `Vec` as it streams by: a list's items
/// straight into their records (10,000 tasks never become one value tree
/// first), an object's entries each through a value, so that a record
/// without an `id` takes its key's.
struct Records<T, As>(PhantomData<fn() -> (T, As)>);

impl<'de, T, As: for<'a> DeserializeAs<'a, T>> de::Visitor<'de> for Records<T, As> {
    type Value = Option<Vec<T>>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(COLLECTION)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    // Anything else is an error that says its kind, never its value.
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Err(unreadable(&Value::Bool(false), COLLECTION))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(unreadable(&Value::from(0), COLLECTION))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(unreadable(&Value::from(0), COLLECTION))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(unreadable(&Value::from(0.5), COLLECTION))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Err(unreadable(&Value::String(String::new()), COLLECTION))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element_seed(Item::<T, As> {
            at: items.len(),
            shape: PhantomData,
        })? {
            items.push(item);
        }
        // Held as long as the answer is cached: no room for more (a task's
        // subtasks would otherwise take room for four, at the least).
        items.shrink_to_fit();
        Ok(Some(items))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some((key, mut item)) = map.next_entry::<String, Value>()? {
            if let Value::Object(record) = &mut item
                && id_of(record).is_none()
            {
                record.insert("id".into(), Value::String(key.clone()));
            }
            items.push(Place::Key(key).read::<T, As, A::Error>(&item)?);
        }
        items.shrink_to_fit();
        Ok(Some(items))
    }
}

/// One item of a list, read through `As`; a problem names its place
/// (`[3].email`).
struct Item<T, As> {
    at: usize,
    shape: PhantomData<fn() -> (T, As)>,
}

impl<'de, T, As: for<'a> DeserializeAs<'a, T>> de::DeserializeSeed<'de> for Item<T, As> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        if super::common::in_strict_pass() {
            // A failure is read again the lenient way, which says where.
            return As::deserialize_as(d);
        }
        // The lenient way goes through a value, as a record's own lenient
        // read does anyway; reading straight from `d` with its path tracked
        // would nest one more tracking layer per level of subtasks, without
        // end for the compiler.
        let item = Value::deserialize(d)?;
        Place::Index(self.at).read::<T, As, D::Error>(&item)
    }
}

impl<'de, T, As: for<'a> DeserializeAs<'a, T>> DeserializeAs<'de, Vec<T>> for Keyed<As> {
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<Vec<T>, D::Error> {
        Ok(<Self as DeserializeAs<'de, Option<Vec<T>>>>::deserialize_as(d)?.unwrap_or_default())
    }
}

impl<'de, T, As: for<'a> DeserializeAs<'a, T>> DeserializeAs<'de, Option<BTreeMap<String, T>>>
    for Keyed<As>
{
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<Option<BTreeMap<String, T>>, D::Error> {
        let Some(items) = entries(Value::deserialize(d)?)? else {
            return Ok(None);
        };
        items
            .into_iter()
            .map(|(place, item)| {
                let key = match (&place, &item) {
                    (Place::Key(key), _) => key.clone(),
                    (Place::Index(_), Value::Object(record)) => {
                        id_of(record).ok_or_else(|| unreadable(&item, "a record with an id"))?
                    }
                    (Place::Index(_), other) => {
                        return Err(unreadable(other, "a record with an id"));
                    }
                };
                Ok((key, place.read::<T, As, D::Error>(&item)?))
            })
            .collect::<Result<BTreeMap<String, T>, _>>()
            .map(Some)
    }
}

impl<'de, T, As: for<'a> DeserializeAs<'a, T>> DeserializeAs<'de, BTreeMap<String, T>>
    for Keyed<As>
{
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, T>, D::Error> {
        Ok(
            <Self as DeserializeAs<'de, Option<BTreeMap<String, T>>>>::deserialize_as(d)?
                .unwrap_or_default(),
        )
    }
}

/// Tag id to tag name, a keyed collection: `{"105554": "inner"}` (the
/// collections), or a list of `{"id", "title"}` (or `"name"`) records (the
/// SDKs), or those records keyed by id. No tags (`[]`, PHP's empty array,
/// or `{}`) is `None`, as when Worksection leaves the field out.
pub(crate) struct Tags;

impl<'de> DeserializeAs<'de, Option<BTreeMap<String, String>>> for Tags {
    fn deserialize_as<D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<BTreeMap<String, String>>, D::Error> {
        if in_strict_pass() {
            return d.deserialize_any(StrictTags);
        }
        let tags: Option<BTreeMap<String, String>> =
            <Keyed<TagName> as DeserializeAs<'de, _>>::deserialize_as(d)?;
        Ok(tags.filter(|t| !t.is_empty()))
    }
}

/// [`Tags`] read in the strict pass, straight from the text: the common
/// form, tag id to name (`{"105554": "inner"}`), and the forms of none;
/// any other form is an error, and the lenient read takes it.
struct StrictTags;

impl<'de> de::Visitor<'de> for StrictTags {
    type Value = Option<BTreeMap<String, String>>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("tags as id: name")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        match seq.next_element::<de::IgnoredAny>()? {
            None => Ok(None),
            Some(_) => Err(de::Error::invalid_type(de::Unexpected::Seq, &self)),
        }
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut tags = BTreeMap::new();
        while let Some((id, name)) = map.next_entry::<String, String>()? {
            tags.insert(id, name);
        }
        Ok((!tags.is_empty()).then_some(tags))
    }
}

/// One tag's name: the name itself, or a tag record's `title` (or `name`).
struct TagName;

impl<'de> DeserializeAs<'de, String> for TagName {
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        let v = Value::deserialize(d)?;
        let name = match &v {
            Value::Object(record) => record.get("title").or_else(|| record.get("name")),
            other => Some(other),
        };
        match name {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(n @ (Value::Number(_) | Value::Bool(_))) => Ok(n.to_string()),
            _ => Err(unreadable(&v, "tags as id: name")),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;
    use crate::models::common::Id;

    /// A person as a keyed collection holds them (what `members::UserRef`
    /// reads; a record of its own here, so that this file needs nothing
    /// above it).
    #[serde_with::serde_as]
    #[derive(Debug, Deserialize)]
    struct UserRef {
        #[serde(default)]
        id: Id,
        #[serde_as(deserialize_as = "Text")]
        #[serde(default)]
        name: String,
    }

    #[serde_with::serde_as]
    #[derive(Debug, Deserialize)]
    struct Probe {
        #[serde_as(deserialize_as = "Keyed")]
        #[serde(default)]
        users: Option<Vec<UserRef>>,
        #[serde_as(deserialize_as = "Keyed")]
        #[serde(default)]
        options: Option<BTreeMap<String, Value>>,
        #[serde_as(deserialize_as = "Tags")]
        #[serde(default)]
        tags: Option<BTreeMap<String, String>>,
    }

    fn probe(v: Value) -> Result<Probe, String> {
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    fn ids(p: &Probe) -> Vec<(&str, &str)> {
        p.users
            .iter()
            .flatten()
            .map(|u| (u.id.as_str(), u.name.as_str()))
            .collect()
    }

    #[test]
    fn a_keyed_collection_in_every_form_gives_the_same_records() {
        let want = vec![("3993", "Henry"), ("5514", "Frank")];
        for users in [
            json!([{"id": "3993", "name": "Henry"}, {"id": 5514, "name": "Frank"}]),
            json!({"3993": {"id": "3993", "name": "Henry"}, "5514": {"id": 5514, "name": "Frank"}}),
            json!({"3993": {"name": "Henry"}, "5514": {"name": "Frank"}}),
            json!({"3993": {"id": "", "name": "Henry"}, "5514": {"id": null, "name": "Frank"}}),
        ] {
            let p = probe(json!({ "users": users })).expect("decodes");
            assert_eq!(ids(&p), want, "{users}");
        }
        // The id inside wins over the key (PHP keys a filtered list by index).
        let p = probe(json!({"users": {"0": {"id": "3993", "name": "Henry"}}})).expect("decodes");
        assert_eq!(ids(&p), [("3993", "Henry")]);
    }

    #[test]
    fn nothing_is_empty_and_null_is_none() {
        for empty in [json!([]), json!({})] {
            let p = probe(json!({"users": empty, "options": empty})).expect("decodes");
            assert_eq!(p.users.as_deref().map(<[UserRef]>::len), Some(0));
            assert_eq!(p.options.as_ref().map(BTreeMap::len), Some(0));
            assert!(p.tags.is_none());
        }
        let p = probe(json!({"users": null, "options": null, "tags": null})).expect("decodes");
        assert!(p.users.is_none() && p.options.is_none() && p.tags.is_none());
        let p = probe(json!({})).expect("decodes");
        assert!(p.users.is_none() && p.options.is_none() && p.tags.is_none());
    }

    #[test]
    fn a_map_takes_list_items_by_their_id() {
        let by_key = probe(json!({"options": {"allow_close": 1, "deny_task_edit": 0}}))
            .expect("decodes")
            .options
            .expect("options");
        assert_eq!(by_key.get("allow_close"), Some(&json!(1)));
        let listed = probe(json!({"options": [{"id": "allow_close", "value": 1}]}))
            .expect("decodes")
            .options
            .expect("options");
        assert_eq!(
            listed.get("allow_close"),
            Some(&json!({"id": "allow_close", "value": 1}))
        );
        let e = probe(json!({"options": [1]})).expect_err("no id to key it by");
        assert!(e.contains("expected a record with an id"), "{e}");
    }

    #[test]
    fn tags_in_every_form() {
        let want: BTreeMap<String, String> = [("105554", "inner"), ("105570", "wiki")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        for tags in [
            json!({"105554": "inner", "105570": "wiki"}),
            json!([{"id": 105554, "title": "inner"}, {"id": "105570", "name": "wiki"}]),
            json!({"105554": {"id": 105554, "title": "inner"}, "105570": {"title": "wiki"}}),
        ] {
            let p = probe(json!({ "tags": tags })).expect("decodes");
            assert_eq!(p.tags.as_ref(), Some(&want), "{tags}");
        }
        let e = probe(json!({"tags": [{"id": 1}]})).expect_err("a tag without a name");
        assert!(e.contains("tags as id: name"), "{e}");
    }

    #[test]
    fn a_problem_names_its_place_and_never_the_value() {
        let e = probe(json!({"users": {"3993": {"name": ["secret"]}}})).expect_err("odd name");
        assert!(e.contains("[3993].name"), "{e}");
        assert!(!e.contains("secret"), "{e}");
        let e = probe(json!({"users": [{"id": "1"}, {"id": true}]})).expect_err("odd id");
        assert!(e.contains("[1].id"), "{e}");
        let e = probe(json!({"users": "secret"})).expect_err("not a collection");
        assert!(
            e.contains("expected a list, or an object keyed by id") && !e.contains("secret"),
            "{e}"
        );
    }
}
