//! Group commit on SQLite's one writing connection.
//!
//! Every write transaction of the store runs on one connection, one at a time (see
//! [`super::SqliteStore::writer`]). Committing each of them alone makes SQLite write the
//! pages it changed to the WAL once per transaction, and the pages writers share (the
//! event log's last page, the indexes' right edges, the presence table) are written again
//! and again. So transactions are grouped: a *job* (what the store calls a transaction,
//! [`Tx`]) runs inside a savepoint of one open SQLite transaction, the *group*; when the
//! job ends its savepoint is released and the connection goes to the next job waiting for
//! it, and the group commits when its first finished job gets the connection back — after
//! every job that was already queued when it finished. One writer alone commits at once
//! (nobody was queued); under load a group holds as many jobs as were waiting.
//!
//! A job is acknowledged (its `commit` returns) only after its group's `COMMIT` has
//! succeeded, so nothing acknowledged is lost by a crash; when the `COMMIT` fails, every
//! job of the group gets the error. A job that ends without `commit` (an error, a
//! cancelled request) leaves only its own savepoint to roll back, which the next holder
//! of the connection does first; the others of its group are not affected. The waiting
//! for the group's end runs in a task of its own, so a request cancelled after its job
//! finished cannot leave a group uncommitted.

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use sqlx::{Executor, SqliteConnection};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::store::{StoreError, StoreResult};

/// The writing connection and its group.
pub(crate) struct Writer {
    slot: Arc<Mutex<Slot>>,
}

struct Slot {
    conn: SqliteConnection,
    /// The current group's number; lower numbers have ended.
    group: u64,
    /// Whether the current group's transaction has begun.
    open: bool,
    /// A job was dropped before its end: its savepoint is still there.
    abandoned: bool,
    /// Groups whose `COMMIT` failed, and why (the most recent ones; a job looks its
    /// group up right after it ends).
    failed: BTreeMap<u64, String>,
}

/// One write transaction: a savepoint in the open group, holding the connection.
pub(crate) struct Tx<'a> {
    slot: Option<OwnedMutexGuard<Slot>>,
    writer: Arc<Mutex<Slot>>,
    _scope: PhantomData<&'a ()>,
}

impl Writer {
    pub(crate) fn new(conn: SqliteConnection) -> Self {
        Writer {
            slot: Arc::new(Mutex::new(Slot {
                conn,
                group: 0,
                open: false,
                abandoned: false,
                failed: BTreeMap::new(),
            })),
        }
    }

    /// Wait for the connection, then begin a job in the open group (beginning the group
    /// when none is open). Runs in a task of its own: a request cancelled half-way
    /// through `BEGIN` must not leave the flags and the connection disagreeing (the job
    /// it gets is then dropped, which marks it abandoned).
    pub(crate) async fn begin(&self) -> StoreResult<Tx<'static>> {
        let writer = self.slot.clone();
        tokio::spawn(async move {
            let mut slot = writer.clone().lock_owned().await;
            slot.settle().await?;
            if !slot.open {
                // IMMEDIATE: another process (an import from the command line) may write
                // the same file; a deferred transaction could not wait for it once it
                // had read.
                slot.conn.execute("BEGIN IMMEDIATE").await?;
                slot.open = true;
            }
            if let Err(e) = slot.conn.execute("SAVEPOINT job").await {
                slot.end_group(Some(e.to_string())).await;
                return Err(e.into());
            }
            Ok(Tx {
                slot: Some(slot),
                writer,
                _scope: PhantomData,
            })
        })
        .await
        .map_err(interrupted)?
    }
}

fn interrupted(e: tokio::task::JoinError) -> StoreError {
    StoreError::Other(format!("a write was interrupted: {e}"))
}

/// The connection outside any group, for what cannot run inside one (migrations,
/// PRAGMAs): the open group is committed first, and nobody else writes meanwhile.
pub(crate) struct Exclusive(OwnedMutexGuard<Slot>);

impl Writer {
    pub(crate) async fn exclusive(&self) -> StoreResult<Exclusive> {
        let writer = self.slot.clone();
        tokio::spawn(async move {
            let mut slot = writer.lock_owned().await;
            slot.settle().await?;
            if slot.open {
                slot.end_group(None).await;
            }
            Ok(Exclusive(slot))
        })
        .await
        .map_err(interrupted)?
    }
}

impl Deref for Exclusive {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        &self.0.conn
    }
}

impl DerefMut for Exclusive {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.0.conn
    }
}

impl Slot {
    /// Roll back what an abandoned job left.
    async fn settle(&mut self) -> StoreResult<()> {
        if !self.abandoned {
            return Ok(());
        }
        self.abandoned = false;
        let undone = self.conn.execute("ROLLBACK TO job").await;
        let released = match undone {
            Ok(_) => self.conn.execute("RELEASE job").await.map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(e) = released {
            // SQLite rolled the whole transaction back after the job's error (a full
            // disk, an I/O error): the group's other jobs are lost with it.
            self.end_group(Some(format!("the write group was rolled back: {e}")))
                .await;
        }
        Ok(())
    }

    /// Close the current group: commit it, or roll it back with `failure`.
    async fn end_group(&mut self, failure: Option<String>) {
        let failure = match failure {
            None if self.open => self
                .conn
                .execute("COMMIT")
                .await
                .err()
                .map(|e| e.to_string()),
            other => other,
        };
        if let Some(why) = failure {
            if self.open {
                // Nothing to do when SQLite already ended the transaction itself.
                let _ = self.conn.execute("ROLLBACK").await;
            }
            tracing::error!(group = self.group, error = %why, "a write group failed");
            self.failed.insert(self.group, why);
            while self.failed.len() > 64 {
                self.failed.pop_first();
            }
        }
        self.open = false;
        self.group += 1;
    }

    fn outcome(&self, group: u64) -> StoreResult<()> {
        match self.failed.get(&group) {
            Some(why) => Err(StoreError::Other(why.clone())),
            None => Ok(()),
        }
    }
}

impl Tx<'_> {
    /// End the job and wait until its group has committed. The whole of it runs in a
    /// task of its own, so a request cancelled meanwhile leaves no savepoint half
    /// released and no group uncommitted.
    pub(crate) async fn commit(mut self) -> StoreResult<()> {
        let Some(mut slot) = self.slot.take() else {
            return Err(StoreError::Other("transaction already ended".into()));
        };
        let writer = self.writer.clone();
        tokio::spawn(async move {
            if let Err(e) = slot.conn.execute("RELEASE job").await {
                slot.end_group(Some(e.to_string())).await;
                return Err(e.into());
            }
            let group = slot.group;
            drop(slot);
            let mut slot = writer.lock_owned().await;
            if slot.group == group {
                // First of its group back: whoever was queued has had their turn.
                slot.settle().await?;
                if slot.group == group {
                    slot.end_group(None).await;
                }
            }
            slot.outcome(group)
        })
        .await
        .map_err(interrupted)?
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if let Some(mut slot) = self.slot.take() {
            slot.abandoned = true;
        }
    }
}

impl Deref for Tx<'_> {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        // Only `commit` and `drop` take the slot, and both consume the transaction.
        &self.slot.as_ref().expect("transaction in progress").conn
    }
}

impl DerefMut for Tx<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.slot.as_mut().expect("transaction in progress").conn
    }
}

#[cfg(test)]
mod tests {
    use sqlx::ConnectOptions;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};

    use super::*;

    async fn writer(dir: &tempfile::TempDir) -> (Writer, SqliteConnectOptions) {
        let opts = SqliteConnectOptions::new()
            .filename(dir.path().join("w.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        let w = Writer::new(opts.connect().await.expect("connect"));
        let mut c = w.exclusive().await.expect("exclusive");
        c.execute("CREATE TABLE t (n INTEGER PRIMARY KEY)")
            .await
            .expect("table");
        drop(c);
        (w, opts)
    }

    async fn insert(w: &Writer, n: i64) -> StoreResult<Tx<'static>> {
        let mut tx = w.begin().await?;
        sqlx::query("INSERT INTO t (n) VALUES (?)")
            .bind(n)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    /// What another connection sees committed.
    async fn committed(opts: &SqliteConnectOptions) -> Vec<i64> {
        let mut c = opts.connect().await.expect("reader");
        sqlx::query_scalar("SELECT n FROM t ORDER BY n")
            .fetch_all(&mut c)
            .await
            .expect("read")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writers_share_commits_and_a_failed_one_loses_only_its_own_work() {
        let dir = tempfile::tempdir().expect("dir");
        let (w, opts) = writer(&dir).await;
        let w = Arc::new(w);
        let mut jobs = tokio::task::JoinSet::new();
        for n in 0..200 {
            let w = w.clone();
            jobs.spawn(async move {
                let tx = insert(&w, n).await.expect("insert");
                tokio::task::yield_now().await;
                if n % 10 == 3 {
                    drop(tx); // an error or a cancelled request: never acknowledged
                    return None;
                }
                tx.commit().await.expect("commit");
                Some(n)
            });
        }
        let mut acknowledged = Vec::new();
        while let Some(done) = jobs.join_next().await {
            acknowledged.extend(done.expect("job"));
        }
        acknowledged.sort_unstable();
        assert_eq!(acknowledged.len(), 180);
        assert_eq!(
            committed(&opts).await,
            acknowledged,
            "exactly the acknowledged rows"
        );
        let groups = w.slot.lock().await.group;
        assert!(groups < 180, "{groups} commits for 180 writes: none shared");
    }

    #[tokio::test]
    async fn a_lone_writer_commits_at_once_and_a_cancelled_one_leaves_nothing() {
        let dir = tempfile::tempdir().expect("dir");
        let (w, opts) = writer(&dir).await;
        insert(&w, 1)
            .await
            .expect("insert")
            .commit()
            .await
            .expect("commit");
        assert_eq!(committed(&opts).await, vec![1]);
        // Cancelled while holding the connection (its savepoint is undone by the next
        // writer), then a writer whose group is only itself.
        let cancelled = async {
            let _tx = insert(&w, 2).await.expect("insert");
            std::future::pending::<()>().await;
        };
        let _ = tokio::time::timeout(std::time::Duration::from_millis(50), cancelled).await;
        insert(&w, 3)
            .await
            .expect("insert")
            .commit()
            .await
            .expect("commit");
        assert_eq!(committed(&opts).await, vec![1, 3]);
        // The connection is idle again: another connection can write.
        let mut other = opts.connect().await.expect("other");
        sqlx::query("INSERT INTO t (n) VALUES (4)")
            .execute(&mut other)
            .await
            .expect("the file is not left locked");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writers_cancelled_while_beginning_leave_the_next_one_working() {
        let dir = tempfile::tempdir().expect("dir");
        let (w, opts) = writer(&dir).await;
        for n in 0..50 {
            // Dropped somewhere inside `begin` (before, during or after `BEGIN`).
            let wait = std::time::Duration::from_micros(n * 7);
            let _ = tokio::time::timeout(wait, w.begin()).await;
            insert(&w, n as i64)
                .await
                .expect("insert")
                .commit()
                .await
                .expect("commit");
        }
        assert_eq!(committed(&opts).await.len(), 50);
    }

    #[tokio::test]
    async fn a_failed_commit_fails_every_job_of_its_group() {
        let dir = tempfile::tempdir().expect("dir");
        let (w, _opts) = writer(&dir).await;
        let mut c = w.exclusive().await.expect("exclusive");
        // Checked at COMMIT: the second job's row breaks it.
        c.execute(
            "CREATE TABLE p (id INTEGER PRIMARY KEY); \
             CREATE TABLE r (p INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED); \
             PRAGMA foreign_keys = ON",
        )
        .await
        .expect("schema");
        drop(c);
        let w = Arc::new(w);
        let first = w.begin().await.expect("begin");
        let w2 = w.clone();
        let second = tokio::spawn(async move {
            let mut tx = w2.begin().await?;
            sqlx::query("INSERT INTO r (p) VALUES (42)")
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        });
        // The second job must be waiting for the connection before the first one ends,
        // or the first would commit alone (the lock is handed out first come, first
        // served). On this one-threaded runtime the pause lets it get in line.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let a = first.commit().await;
        let b = second.await.expect("second job");
        assert!(a.is_err() && b.is_err(), "{a:?} {b:?}");
        // And the writer goes on.
        insert(&w, 5)
            .await
            .expect("insert")
            .commit()
            .await
            .expect("commit");
    }
}
