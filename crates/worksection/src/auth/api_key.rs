//! The admin API key: every request carries `hash = md5(query + key)`.
//!
//! The query string hashed is `key=value` pairs joined by `&`, in the order
//! sent, with values NOT percent-encoded — the construction in Worksection's
//! own Postman collection. The key itself never leaves this process.

use futures_util::future::BoxFuture;
use md5::{Digest, Md5};

use super::{Auth, AuthKind, Signature};
use crate::Error;
use crate::secret::Secret;

#[derive(Debug, Clone)]
pub struct ApiKey {
    key: Secret,
}

impl ApiKey {
    pub fn new(key: impl Into<Secret>) -> Self {
        Self { key: key.into() }
    }

    /// The hash for these query pairs.
    pub fn hash(&self, query: &[(String, String)]) -> Secret {
        let signing = query
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        Secret::new(hex::encode(Md5::digest(format!(
            "{signing}{}",
            self.key.expose()
        ))))
    }
}

impl Auth for ApiKey {
    fn kind(&self) -> AuthKind {
        AuthKind::ApiKey
    }

    fn sign<'a>(
        &'a self,
        query: &'a [(String, String)],
    ) -> BoxFuture<'a, Result<Signature, Error>> {
        Box::pin(async move { Ok(Signature::Hash(self.hash(query))) })
    }

    fn rejected<'a>(&'a self, _signature: &'a Signature) -> BoxFuture<'a, Result<bool, Error>> {
        Box::pin(async { Ok(false) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_follows_the_documented_construction() {
        let key = ApiKey::new("secretkey");
        let query = vec![
            ("action".to_owned(), "search_tasks".to_owned()),
            ("filter".to_owned(), "name has 'A B'".to_owned()),
        ];
        // md5("action=search_tasks&filter=name has 'A B'secretkey"), computed
        // independently with coreutils' md5sum.
        assert_eq!(
            key.hash(&query).expose(),
            "e59cc94d4d781cac48485a726f220606"
        );
        assert_eq!(format!("{key:?}"), "ApiKey { key: Secret(***) }");
    }
}
