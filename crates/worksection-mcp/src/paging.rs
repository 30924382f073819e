//! Answers sized for the assistant: [`Responder`] turns a tool's
//! [`Answer`] into the tool result the model reads.
//!
//! A list that does not fit the budget in one page is kept whole in memory
//! (a *walk*, in a `moka` cache: for [`WALK_TTL`], within a byte cap) and
//! answered page by page: the first page
//! carries `next_cursor`, and a call with that cursor gets the next page
//! from the kept list, with no new upstream request, so pages never shift
//! under a walk and every item comes exactly once, in order. A cursor names
//! its walk and offset (opaque base64); one that is unknown, expired, or
//! given to another tool or with other arguments is a tool error saying to
//! start again. Any answer whose whole text is over the budget is also
//! offloaded to disk (see [`crate::offload`]) and says so: `offload_id`,
//! `response_id`, its size and SHA-256, and a `resource_link` block to
//! `worksection://offload/{id}`. An object answer over the budget is
//! replaced by a short account of what it holds and where to read it.
//!
//! Between replicas of a team server ([`Responder::with_shared`]), a walk
//! is also kept in the person's shared space (`walk:{person}:{id}`, its
//! JSON compressed, for [`WALK_TTL`], unless over [`WALK_SHARED_CAP`]
//! compressed), so a cursor given out by one replica reads its next page
//! on another, byte for byte the page the first would have given: the
//! page is cut from the same kept list. The local cache stays in front; a
//! walk read from the shared store is kept locally for what is left of its
//! TTL.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use moka::Expiry;
use moka::future::Cache;
use moka::policy::EvictionPolicy;
use rmcp::model::{CallToolResult, ContentBlock, JsonObject, Resource};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::error::ToolError;
use crate::offload::{Chunk, OffloadStore, Offloaded};
use crate::output::{self, Answer, List, RESPONSE_BUDGET};
use crate::shared::SharedSpace;
use crate::tokens;

/// How long a walk's pages are kept after its first page.
pub const WALK_TTL: Duration = Duration::from_secs(15 * 60);
/// Most walks kept at once (the oldest go first).
const MAX_WALKS: usize = 32;
/// Most bytes of items kept across walks.
const MAX_WALK_BYTES: usize = 96 << 20;
/// Most bytes of one walk in the shared store, compressed.
pub const WALK_SHARED_CAP: usize = 8 << 20;

/// The paging arguments every list tool takes.
#[derive(Debug, Default, Clone)]
pub struct PageArgs {
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

impl PageArgs {
    /// Takes `limit` and `cursor` out of a call's arguments.
    pub fn take(args: &mut JsonObject) -> Result<Self, ToolError> {
        let limit = match args.remove("limit") {
            None => None,
            Some(v) => match v.as_u64() {
                Some(n @ 1..=10_000) => Some(n as usize),
                _ => {
                    return Err(ToolError::argument(
                        "limit",
                        format!(
                            "{} is not a page size; give a whole number from 1 to 10000",
                            crate::args::shorten(&v.to_string())
                        ),
                    ));
                }
            },
        };
        let cursor = match args.remove("cursor") {
            None => None,
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s),
            Some(other) => {
                return Err(ToolError::argument(
                    "cursor",
                    format!(
                        "{} is not a cursor; pass the `next_cursor` string of the previous page",
                        crate::args::shorten(&other.to_string())
                    ),
                ));
            }
        };
        Ok(Self { limit, cursor })
    }
}

/// A list kept for its next pages.
#[derive(Serialize, Deserialize)]
struct Walk {
    tool: String,
    args: JsonObject,
    list: List,
    offload: Option<Offloaded>,
    /// How long it is kept here (all of [`WALK_TTL`], or what is left of it
    /// for a walk read from the shared store).
    #[serde(skip)]
    ttl: Duration,
}

/// Each walk expires after its own TTL.
struct WalkFor;

impl Expiry<String, Arc<Walk>> for WalkFor {
    fn expire_after_create(&self, _: &String, w: &Arc<Walk>, _: Instant) -> Option<Duration> {
        Some(w.ttl)
    }
}

impl Walk {
    /// What the walk counts for against [`MAX_WALK_BYTES`]: its items, and
    /// at least a [`MAX_WALKS`]th of the cap, so that no more than
    /// `MAX_WALKS` are kept.
    fn weight(&self) -> u32 {
        // The kept items dominate; the rest is small.
        let bytes = self.list.item_bytes() + self.list.len() * 8;
        let weight = bytes.clamp(MAX_WALK_BYTES / MAX_WALKS, MAX_WALK_BYTES);
        u32::try_from(weight).unwrap_or(u32::MAX)
    }
}

/// Budget, walks and offloads of one account's answers.
pub struct Responder {
    budget: usize,
    offload: OffloadStore,
    walks: Cache<String, Arc<Walk>>,
    shared: Option<SharedSpace>,
}

impl Responder {
    pub fn new(budget_tokens: usize, offload: OffloadStore) -> Self {
        Self {
            budget: budget_tokens,
            offload,
            // The least recently read walk goes first (a new walk is always
            // taken in, whatever else was read often).
            walks: Cache::builder()
                .expire_after(WalkFor)
                .max_capacity(MAX_WALK_BYTES as u64)
                .weigher(|_, w: &Arc<Walk>| w.weight())
                .eviction_policy(EvictionPolicy::lru())
                .build(),
            shared: None,
        }
    }

    /// Also keeps every walk in the person's shared `space`, and the
    /// offloaded answers too.
    pub fn with_shared(mut self, space: Option<SharedSpace>) -> Self {
        self.offload = self.offload.with_shared(space.clone());
        self.shared = space;
        self
    }

    /// The walk `id`, kept here or (between replicas) in the shared store.
    async fn walk(&self, id: &str) -> Option<Arc<Walk>> {
        if let Some(walk) = self.walks.get(id).await {
            return Some(walk);
        }
        let space = self.shared.as_ref()?;
        let found = space.get(&space.key("walk", id)).await?;
        let left = WALK_TTL.saturating_sub(found.age());
        let mut walk: Walk = match serde_json::from_slice(&found.bytes) {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(error = %e, "a shared walk did not read");
                return None;
            }
        };
        walk.ttl = left;
        let walk = Arc::new(walk);
        self.walks.insert(id.to_owned(), walk.clone()).await;
        Some(walk)
    }

    pub fn budget(&self) -> usize {
        self.budget
    }

    pub fn offload(&self) -> &OffloadStore {
        &self.offload
    }

    /// The tool result for a fresh answer: its first page, kept and
    /// offloaded as needed.
    pub async fn respond(
        &self,
        tool: &str,
        args: JsonObject,
        page: PageArgs,
        answer: Answer,
    ) -> CallToolResult {
        let (body, images) = answer.into_parts();
        match body {
            Ok(list) => self.first_page(tool, args, page.limit, list, images).await,
            Err(object) => self.object(object, images).await,
        }
    }

    /// The page a cursor points at, from the kept list.
    pub async fn resume(
        &self,
        tool: &str,
        args: &JsonObject,
        cursor: &str,
        limit: Option<usize>,
    ) -> Result<CallToolResult, ToolError> {
        let start_over = format!("call {tool} again without `cursor` to start over");
        let (id, offset) = decode(cursor).ok_or_else(|| {
            ToolError::argument(
                "cursor",
                format!("not a cursor this server gave out; {start_over}"),
            )
        })?;
        let walk = self.walk(&id).await.ok_or_else(|| {
            ToolError::argument(
                "cursor",
                format!(
                    "this cursor has expired (pages are kept for {} minutes) or the server restarted; {start_over}",
                    WALK_TTL.as_secs() / 60
                ),
            )
        })?;
        let same_args = args.iter().all(|(k, v)| walk.args.get(k) == Some(v));
        if walk.tool != tool || !same_args || offset > walk.list.len() {
            return Err(ToolError::argument(
                "cursor",
                format!(
                    "this cursor belongs to another call ({} with other arguments); {start_over}",
                    walk.tool
                ),
            ));
        }
        Ok(self.render(&id, &walk.list, offset, limit, walk.offload.as_ref()))
    }

    async fn first_page(
        &self,
        tool: &str,
        args: JsonObject,
        limit: Option<usize>,
        list: List,
        blocks: Vec<ContentBlock>,
    ) -> CallToolResult {
        let text = list.whole_text();
        let over = tokens::estimate(&text) > self.budget || text.len() * 2 > RESPONSE_BUDGET;
        let fits_limit = limit.is_none_or(|l| l >= list.len());
        if !over && fits_limit {
            return output::result(list.whole(), blocks);
        }
        let offload = if over {
            match self.offload.put(text.as_bytes()).await {
                Ok(o) => Some(o),
                Err(e) => {
                    tracing::warn!(error = %e, "could not offload an answer");
                    None
                }
            }
        } else {
            None
        };
        let id = random_id();
        let result = self.render(&id, &list, 0, limit, offload.as_ref());
        if result
            .structured_content
            .as_ref()
            .is_some_and(|s| s.get("next_cursor").is_some())
        {
            let walk = Walk {
                tool: tool.to_owned(),
                args,
                list,
                offload,
                ttl: WALK_TTL,
            };
            if let Some(space) = &self.shared {
                match serde_json::to_vec(&walk) {
                    Ok(json) => {
                        let key = space.key("walk", &id);
                        let now = std::time::SystemTime::now();
                        space.put(&key, &json, now, WALK_TTL, WALK_SHARED_CAP).await;
                    }
                    Err(e) => tracing::warn!(error = %e, "a walk could not be written for sharing"),
                }
            }
            self.walks.insert(id, Arc::new(walk)).await;
        }
        result
    }

    fn render(
        &self,
        id: &str,
        list: &List,
        offset: usize,
        limit: Option<usize>,
        offload: Option<&Offloaded>,
    ) -> CallToolResult {
        let mut extra = Map::new();
        // The widest cursor this walk can have, so the page is measured
        // with it.
        extra.insert("next_cursor".into(), json!(encode(id, list.len())));
        if let Some(o) = offload {
            extra.extend(offload_fields(o));
        }
        let page = output::page(list, offset, limit, self.budget, &extra);
        let mut body = page.body;
        match page.next {
            Some(next) => {
                body.insert("next_cursor".into(), json!(encode(id, next)));
            }
            None => {
                body.shift_remove("next_cursor");
            }
        }
        output::result(body, offload.map(link).into_iter().collect())
    }

    async fn object(
        &self,
        object: Map<String, Value>,
        images: Vec<ContentBlock>,
    ) -> CallToolResult {
        let text = serde_json::to_string(&object).unwrap_or_default();
        let estimated = tokens::estimate(&text);
        if estimated <= self.budget && text.len() * 2 <= RESPONSE_BUDGET {
            return output::result(object, images);
        }
        let offloaded = match self.offload.put(text.as_bytes()).await {
            Ok(o) => o,
            Err(e) => return CallToolResult::error(vec![ContentBlock::text(e.to_string())]),
        };
        let mut body = Map::new();
        body.insert("offloaded".into(), json!(true));
        body.insert("estimated_tokens".into(), json!(estimated));
        body.insert("budget_tokens".into(), json!(self.budget));
        body.extend(offload_fields(&offloaded));
        body.insert(
            "how_to_read".into(),
            json!("The answer is larger than the budget; read it with read_offloaded_response_text(response_id, offset) until has_more is false, or ask a narrower question."),
        );
        body.insert("outline".into(), Value::Object(outline(&object)));
        let mut extra = vec![link(&offloaded)];
        extra.extend(images);
        output::result(body, extra)
    }

    /// `read_offloaded_response_text`: a chunk that, answered as JSON,
    /// still fits the budget.
    pub async fn read_chunk(
        &self,
        response_id: &str,
        offset: u64,
        max_bytes: Option<usize>,
    ) -> Result<Chunk, ToolError> {
        let cap = self.default_chunk();
        let mut max = max_bytes.unwrap_or(cap).min(cap * 4).max(4);
        loop {
            let chunk = self.offload.read(response_id, offset, max).await?;
            let text = serde_json::to_string(&chunk).unwrap_or_default();
            let t = tokens::estimate(&text);
            if (t <= self.budget && text.len() * 2 <= RESPONSE_BUDGET) || max <= 1024 {
                return Ok(chunk);
            }
            max = (max as u128 * self.budget as u128 * 9 / 10 / t.max(1) as u128) as usize;
        }
    }

    /// The default chunk: what fits the budget when every byte is ASCII.
    pub fn default_chunk(&self) -> usize {
        (self.budget * 2).clamp(1024, RESPONSE_BUDGET / 3)
    }
}

fn offload_fields(o: &Offloaded) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("offload_id".into(), json!(o.response_id));
    m.insert("response_id".into(), json!(o.response_id));
    m.insert("offload_size_bytes".into(), json!(o.size_bytes));
    m.insert("offload_sha256".into(), json!(o.sha256));
    m.insert("offload_uri".into(), json!(o.resource_uri));
    m
}

fn link(o: &Offloaded) -> ContentBlock {
    let mut r = Resource::new(o.resource_uri.clone(), format!("offload-{}", o.response_id));
    r.title = Some("The whole answer".to_owned());
    r.description = Some(
        "The whole answer as JSON; read it in chunks with read_offloaded_response_text.".to_owned(),
    );
    r.mime_type = Some(o.mime_type.to_owned());
    r.size = Some(o.size_bytes);
    ContentBlock::resource_link(r)
}

/// What an offloaded object holds: its short fields as they are, and for
/// lists and objects how many entries they have.
fn outline(whole: &Map<String, Value>) -> Map<String, Value> {
    whole
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Value::Array(a) => json!({"items": a.len()}),
                Value::Object(o) => json!({"fields": o.len()}),
                Value::String(s) if s.len() > 200 => json!({"chars": s.chars().count()}),
                other => other.clone(),
            };
            (k.clone(), v)
        })
        .collect()
}

fn encode(id: &str, offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("v1:{id}:{offset}"))
}

fn decode(cursor: &str) -> Option<(String, usize)> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let mut parts = raw.splitn(3, ':');
    if parts.next()? != "v1" {
        return None;
    }
    let id = parts.next()?.to_owned();
    let offset = parts.next()?.parse().ok()?;
    Some((id, offset))
}

fn random_id() -> String {
    use rand::RngCore;
    let mut buf = [0u8; 12];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn responder(dir: &std::path::Path, budget: usize) -> Responder {
        Responder::new(
            budget,
            OffloadStore::new(
                dir.join("a.offload"),
                Duration::from_secs(3600),
                10,
                1 << 30,
            ),
        )
    }

    fn body(r: &CallToolResult) -> Map<String, Value> {
        match r.structured_content.clone() {
            Some(Value::Object(o)) => o,
            _ => Map::new(),
        }
    }

    fn big_list() -> Vec<Value> {
        (0..2000)
            .map(|i| json!({"id": i.to_string(), "name": format!("Задача номер {i}")}))
            .collect()
    }

    fn args(v: Value) -> JsonObject {
        v.as_object().cloned().unwrap_or_default()
    }

    #[tokio::test]
    async fn walking_the_cursors_gives_every_item_once_and_the_offload_all_of_them() {
        let tmp = tempfile::tempdir().expect("tmp");
        let r = responder(tmp.path(), 3_000);
        let items = big_list();
        let answer = List::new(items.clone())
            .and_then(List::finish)
            .expect("list");
        let a = args(json!({"project_id": "1"}));
        let mut result = r.respond("t", a.clone(), PageArgs::default(), answer).await;
        let first = body(&result);
        let id = first["offload_id"].as_str().expect("offloaded").to_owned();
        assert_eq!(first["response_id"], first["offload_id"]);
        assert!(result.content.iter().any(|c| {
            c.as_resource_link()
                .is_some_and(|l| l.uri == format!("worksection://offload/{id}"))
        }));
        let mut seen = Vec::new();
        loop {
            let b = body(&result);
            let text = result.content[0].as_text().expect("text").text.clone();
            assert!(tokens::estimate(&text) <= 3_000);
            seen.extend(b["data"].as_array().expect("data").iter().cloned());
            let Some(cursor) = b.get("next_cursor").and_then(Value::as_str) else {
                break;
            };
            // The same arguments again, or none.
            let again = if seen.len() % 2 == 0 {
                a.clone()
            } else {
                JsonObject::new()
            };
            result = r
                .resume("t", &again, cursor, None)
                .await
                .expect("next page");
        }
        assert_eq!(seen, items);

        // The offload is the whole answer, byte for byte.
        let mut stored = Vec::new();
        let mut offset = 0;
        loop {
            let c = r.read_chunk(&id, offset, None).await.expect("chunk");
            let text = serde_json::to_string(&c).expect("json");
            assert!(tokens::estimate(&text) <= 3_000);
            stored.extend_from_slice(c.content.as_bytes());
            match c.next_offset {
                Some(n) => offset = n,
                None => break,
            }
        }
        let whole: Value = serde_json::from_slice(&stored).expect("json");
        assert_eq!(whole["data"], Value::Array(items));
        let info = r.offload().info(&id).await.expect("info");
        assert_eq!(info.size_bytes as usize, stored.len());
    }

    #[tokio::test]
    async fn foreign_and_broken_cursors_say_to_start_again() {
        let tmp = tempfile::tempdir().expect("tmp");
        let r = responder(tmp.path(), 3_000);
        let answer = List::new(big_list()).and_then(List::finish).expect("list");
        let a = args(json!({"project_id": "1"}));
        let res = r.respond("t", a.clone(), PageArgs::default(), answer).await;
        let cursor = body(&res)["next_cursor"]
            .as_str()
            .expect("cursor")
            .to_owned();
        let e = r
            .resume("other", &a, &cursor, None)
            .await
            .expect_err("other tool");
        assert!(e.to_string().contains("start over"), "{e}");
        let e = r
            .resume("t", &args(json!({"project_id": "2"})), &cursor, None)
            .await
            .expect_err("other args");
        assert!(e.to_string().contains("another call"), "{e}");
        let e = r
            .resume("t", &a, "garbage!", None)
            .await
            .expect_err("garbage");
        assert!(e.to_string().contains("start over"), "{e}");
        let e = r
            .resume("t", &a, &encode("0123", 5), None)
            .await
            .expect_err("unknown");
        assert!(e.to_string().contains("expired"), "{e}");
    }

    #[tokio::test]
    async fn limit_pages_a_small_list_without_offloading() {
        let tmp = tempfile::tempdir().expect("tmp");
        let r = responder(tmp.path(), 25_000);
        let answer = List::new(0..10).and_then(List::finish).expect("list");
        let limit = PageArgs {
            limit: Some(4),
            cursor: None,
        };
        let res = r.respond("t", JsonObject::new(), limit, answer).await;
        let b = body(&res);
        assert_eq!(b["data"], json!([0, 1, 2, 3]));
        assert_eq!(b["truncation_reason"], "limit");
        assert!(b.get("offload_id").is_none());
        let cursor = b["next_cursor"].as_str().expect("cursor");
        let b = body(
            &r.resume("t", &JsonObject::new(), cursor, Some(100))
                .await
                .expect("page"),
        );
        assert_eq!(b["data"], json!([4, 5, 6, 7, 8, 9]));
        assert!(b.get("next_cursor").is_none());
    }

    #[tokio::test]
    async fn a_large_object_is_offloaded_with_an_outline() {
        let tmp = tempfile::tempdir().expect("tmp");
        let r = responder(tmp.path(), 1_000);
        let answer = Answer::object(json!({"task": {"id": "1"}, "comments": vec!["слово"; 2000]}))
            .expect("object");
        let res = r
            .respond("t", JsonObject::new(), PageArgs::default(), answer)
            .await;
        let b = body(&res);
        assert_eq!(b["offloaded"], true);
        assert_eq!(b["outline"]["comments"]["items"], 2000);
        let text = res.content[0].as_text().expect("text").text.clone();
        assert!(tokens::estimate(&text) <= 1_000);
    }
}
