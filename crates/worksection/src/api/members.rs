//! Members, teams and contacts.

use bytes::Bytes;
use serde::Serialize;

use crate::action::Action;
use crate::client::Client;
use crate::error::Error;
use crate::models::{Contact, ContactGroup, User, UserGroup};
use crate::transport::{list, one};

/// `me`: the signed-in user (OAuth2 only).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Me {}

impl Action for Me {
    const NAME: &'static str = "me";
    const USER_ONLY: bool = true;
    type Answer = User;
    fn read(body: &Bytes) -> Result<User, Error> {
        one(body, Self::NAME)
    }
}

/// `get_users`: account members.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct GetUsers {}

impl Action for GetUsers {
    const NAME: &'static str = "get_users";
    type Answer = Vec<User>;
    fn read(body: &Bytes) -> Result<Vec<User>, Error> {
        list(body)
    }
}

/// `get_user_groups`: teams.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct GetUserGroups {}

impl Action for GetUserGroups {
    const NAME: &'static str = "get_user_groups";
    type Answer = Vec<UserGroup>;
    fn read(body: &Bytes) -> Result<Vec<UserGroup>, Error> {
        list(body)
    }
}

/// `get_contacts`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct GetContacts {}

impl Action for GetContacts {
    const NAME: &'static str = "get_contacts";
    type Answer = Vec<Contact>;
    fn read(body: &Bytes) -> Result<Vec<Contact>, Error> {
        list(body)
    }
}

/// `get_contact_groups`: contact folders.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct GetContactGroups {}

impl Action for GetContactGroups {
    const NAME: &'static str = "get_contact_groups";
    type Answer = Vec<ContactGroup>;
    fn read(body: &Bytes) -> Result<Vec<ContactGroup>, Error> {
        list(body)
    }
}

impl Client {
    /// The signed-in user (OAuth2 only).
    pub async fn me(&self) -> Result<User, Error> {
        self.send(&Me {}).await
    }

    /// Account members.
    pub async fn get_users(&self) -> Result<Vec<User>, Error> {
        self.send(&GetUsers {}).await
    }

    /// Teams.
    pub async fn get_user_groups(&self) -> Result<Vec<UserGroup>, Error> {
        self.send(&GetUserGroups {}).await
    }

    pub async fn get_contacts(&self) -> Result<Vec<Contact>, Error> {
        self.send(&GetContacts {}).await
    }

    /// Contact folders.
    pub async fn get_contact_groups(&self) -> Result<Vec<ContactGroup>, Error> {
        self.send(&GetContactGroups {}).await
    }
}
