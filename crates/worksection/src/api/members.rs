//! Members, teams and contacts.

use crate::models::{Contact, ContactGroup, User, UserGroup};
use crate::{Client, Error};

impl Client {
    /// The signed-in user (OAuth2 only).
    pub async fn me(&self) -> Result<User, Error> {
        self.require_user("me")?;
        required(self.call("me", Vec::new()).await?.data, "me")
    }

    /// Account members.
    pub async fn get_users(&self) -> Result<Vec<User>, Error> {
        Ok(self
            .call("get_users", Vec::new())
            .await?
            .data
            .unwrap_or_default())
    }

    /// Teams.
    pub async fn get_user_groups(&self) -> Result<Vec<UserGroup>, Error> {
        Ok(self
            .call("get_user_groups", Vec::new())
            .await?
            .data
            .unwrap_or_default())
    }

    pub async fn get_contacts(&self) -> Result<Vec<Contact>, Error> {
        Ok(self
            .call("get_contacts", Vec::new())
            .await?
            .data
            .unwrap_or_default())
    }

    /// Contact folders.
    pub async fn get_contact_groups(&self) -> Result<Vec<ContactGroup>, Error> {
        Ok(self
            .call("get_contact_groups", Vec::new())
            .await?
            .data
            .unwrap_or_default())
    }
}

/// `data` of an action that must answer one record.
pub(crate) fn required<T>(data: Option<T>, action: &str) -> Result<T, Error> {
    data.ok_or_else(|| Error::BadResponse {
        detail: format!("{action} answered without data"),
    })
}
