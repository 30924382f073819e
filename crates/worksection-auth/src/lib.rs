//! Signing a person in to Worksection and keeping the sign-in.
//!
//! How the pieces fit:
//!
//! - [`SignIn`] is the OAuth2 code flow the CLI and the desktop app share:
//!   [`SignIn::begin`] makes the authorize address for an [`OAuthSettings`]
//!   app, the person clicks "Allow" (in the browser for the CLI, in the
//!   app's own window for the desktop app), and [`SignIn::finish`] checks
//!   the redirect, exchanges the code, discovers the account and saves it.
//! - A [`TokenStore`] keeps every sign-in: the OS keychain
//!   ([`KeyringStore`]) or, where there is none, an encrypted file
//!   ([`FileStore`]); [`StoreSettings`] chooses and opens one. Its calls
//!   are async: the blocking keychain and file work runs on tokio's
//!   blocking pool ([`BlockingStore`] is what a store implements).
//! - [`saving_bearer`] turns a saved sign-in into the client's bearer
//!   credentials, whose renewals are saved back to the store before use.
//! - [`demo_sign_in`] gives the built-in demo account's consent without a
//!   browser.
//! - [`write_private`] is how every file that holds a secret is written
//!   (here, and by the server and the desktop app): whole or not at all,
//!   readable by its owner only from the first byte.
//!
//! Nothing here logs or prints a token, a secret or a code.

mod demo;
mod private_file;
mod rotation;
mod signin;
mod store;

pub use demo::demo_sign_in;
pub use private_file::write_private;
pub use rotation::saving_bearer;
pub use signin::{OAuthSettings, SignIn, SignInError};
pub use store::{
    BlockingStore, FileStore, KeyringStore, StoreChoice, StoreError, StoreKind, StoreSettings,
    StoredSignIn, TokenStore, account_key, default_file_path,
};
