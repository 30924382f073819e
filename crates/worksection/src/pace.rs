//! Whose turn it is to send: the pace a client keeps to its account.
//!
//! By default a client keeps its own limiter (one per account, see
//! `client`). Where several clients reach one account — a team server
//! holds one client per person, each with the person's own tokens — they
//! must share the account's one pace instead, or each would think it had
//! the whole of Worksection's one request a second. Such a client is built
//! with [`ClientBuilder::pace`](crate::ClientBuilder::pace): every attempt
//! of every request (retries included) first waits for
//! [`Pace::until_ready`], and the pace decides the order in which waiting
//! requests go.

use std::fmt;

use futures_util::future::BoxFuture;

/// A turn to send one request to the account, shared by several clients.
pub trait Pace: Send + Sync + fmt::Debug {
    /// Resolves when this client may send its next request.
    fn until_ready(&self) -> BoxFuture<'_, ()>;
}
