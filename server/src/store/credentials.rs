//! Passwords and sign-in locks as admins manage them: a new password (an admin's
//! temporary one or the user's own), and the login failures that hold a username back.
//! One implementation for both backends (`store/shared/credentials.rs`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;

#[async_trait]
pub trait CredentialStore: Send + Sync {
    /// User `user_id`'s username and password hash, active or not.
    async fn password_hash(&self, user_id: i64) -> StoreResult<Option<(String, String)>>;
    /// Give user `user_id` the password of `hash`; `must_change` makes them choose
    /// another at their next sign-in. Every session of theirs ends except `keep` (the
    /// one changing its own password); the ended sessions' token hashes come back, so
    /// that their streams can be ended too. A user's own change passes `keep` and the
    /// hash of the password they proved (`was`): if either is gone by the write (an
    /// admin's reset came in between), nothing changes. `None`: no such user, or that.
    async fn set_password(
        &self,
        user_id: i64,
        hash: &str,
        must_change: bool,
        keep: Option<&str>,
        was: Option<&str>,
    ) -> StoreResult<Option<Vec<String>>>;
    /// Forget every login failure of `username` (from every address): its sign-in is no
    /// longer held back. The failures forgotten.
    async fn unlock(&self, username: &str) -> StoreResult<u64>;
    /// The usernames (lowercased) with at least `min_failures` failures from one
    /// address since `since`.
    async fn throttled_usernames(
        &self,
        since: DateTime<Utc>,
        min_failures: u32,
    ) -> StoreResult<Vec<String>>;
}
