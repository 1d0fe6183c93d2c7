//! The one implementation of [`EmailFileStore`], compiled into each backend against its
//! seam (see `store/shared/calls.rs`). A draft's files change under the lock of its
//! `outbound_emails` row (the one [`own_draft`] takes), so two uploads at once cannot
//! both fit in the room one of them leaves, and a draft being sent gets no more files.

use agentdesk_protocol::Attachment;
use agentdesk_protocol::email_files::{MAX_FILES, OutboundAttachment};
use async_trait::async_trait;
use sqlx::AssertSqlSafe;

use super::outbox::{own_draft, updated};
use super::{Backend, Db, Pending, Tx, begin_write, commit_events, ms, scoped};
use crate::store::outbox::{Attached, Changed, EmailFileStore, MailFile, NewFile};
use crate::store::{StoreResult, Viewer};

#[derive(sqlx::FromRow)]
struct FileRow {
    id: i64,
    name: String,
    content_type: String,
    size: i64,
}

impl FileRow {
    fn shown(self) -> OutboundAttachment {
        OutboundAttachment {
            id: self.id,
            name: self.name,
            content_type: self.content_type,
            size: u64::try_from(self.size).unwrap_or(0),
        }
    }
}

const LIST: &str = "SELECT id, name, content_type, size FROM outbound_attachments \
                    WHERE activity_id = $1 ORDER BY id";

/// The files of message `activity_id`, without their bytes.
pub(super) async fn listed(
    pool: &sqlx::Pool<Db>,
    activity_id: i64,
) -> StoreResult<Vec<OutboundAttachment>> {
    let rows: Vec<FileRow> = sqlx::query_as(LIST)
        .bind(activity_id)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(FileRow::shown).collect())
}

/// Write the message's list of files where the timeline reads every e-mail's (name,
/// type, size), and say the item changed.
async fn relist(
    tx: &mut Tx<'_>,
    pending: &mut Pending,
    (team_id, contact_id, activity_id): (i64, i64, i64),
) -> StoreResult<()> {
    let rows: Vec<FileRow> = sqlx::query_as(LIST)
        .bind(activity_id)
        .fetch_all(&mut **tx)
        .await?;
    let listed: Vec<Attachment> = rows
        .into_iter()
        .map(|r| Attachment {
            name: r.name,
            content_type: r.content_type,
            size: u64::try_from(r.size).unwrap_or(0),
        })
        .collect();
    let json = if listed.is_empty() {
        None
    } else {
        Some(serde_json::to_string(&listed).map_err(|e| crate::store::corrupt("attachments", e))?)
    };
    sqlx::query(
        "UPDATE incoming_emails SET attachments = $1 \
         WHERE id = (SELECT email_id FROM activities WHERE id = $2)",
    )
    .bind(json)
    .bind(activity_id)
    .execute(&mut **tx)
    .await?;
    pending.push(updated(team_id, contact_id, activity_id));
    Ok(())
}

#[async_trait]
impl EmailFileStore for Backend {
    async fn attach_file(
        &self,
        activity_id: i64,
        author_id: i64,
        file: &NewFile,
        max_total: u64,
    ) -> StoreResult<Attached> {
        let now = ms(crate::clock::now());
        let mut tx = begin_write(self).await?;
        let (team_id, contact_id) = match own_draft(&mut tx, activity_id, author_id).await? {
            Ok(ids) => ids,
            Err(refusal) => return Ok(Attached::Refused(refusal)),
        };
        // PostgreSQL sums a BIGINT as NUMERIC: cast back for one type on both.
        let (count, used): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM outbound_attachments \
             WHERE activity_id = $1",
        )
        .bind(activity_id)
        .fetch_one(&mut *tx)
        .await?;
        let used = u64::try_from(used).unwrap_or(0);
        if usize::try_from(count).unwrap_or(usize::MAX) >= MAX_FILES {
            return Ok(Attached::TooMany);
        }
        let size = file.data.len() as u64;
        if used.saturating_add(size) > max_total {
            return Ok(Attached::TooLarge { used });
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO outbound_attachments (activity_id, name, content_type, size, data, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(activity_id)
        .bind(&file.name)
        .bind(&file.content_type)
        .bind(i64::try_from(size).unwrap_or(i64::MAX))
        .bind(&file.data)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let mut pending = Pending::new();
        relist(&mut tx, &mut pending, (team_id, contact_id, activity_id)).await?;
        let events = commit_events(tx, pending, now).await?;
        let shown = OutboundAttachment {
            id,
            name: file.name.clone(),
            content_type: file.content_type.clone(),
            size,
        };
        Ok(Attached::Done(shown, events))
    }

    async fn detach_file(
        &self,
        activity_id: i64,
        author_id: i64,
        file_id: i64,
    ) -> StoreResult<Changed> {
        let now = ms(crate::clock::now());
        let mut tx = begin_write(self).await?;
        let (team_id, contact_id) = match own_draft(&mut tx, activity_id, author_id).await? {
            Ok(ids) => ids,
            Err(refusal) => return Ok(refusal),
        };
        let gone =
            sqlx::query("DELETE FROM outbound_attachments WHERE id = $1 AND activity_id = $2")
                .bind(file_id)
                .bind(activity_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if gone == 0 {
            return Ok(Changed::NotFound);
        }
        let mut pending = Pending::new();
        relist(&mut tx, &mut pending, (team_id, contact_id, activity_id)).await?;
        Ok(Changed::Done(commit_events(tx, pending, now).await?))
    }

    async fn email_file(
        &self,
        viewer: &Viewer,
        activity_id: i64,
        file_id: i64,
    ) -> StoreResult<Option<(OutboundAttachment, Vec<u8>)>> {
        let sql = format!(
            "SELECT f.id, f.name, f.content_type, f.size, f.data FROM outbound_attachments f \
             JOIN outbound_emails o ON o.activity_id = f.activity_id \
             WHERE f.id = $3 AND f.activity_id = $4 AND {}",
            scoped("o.team_id")
        );
        let row: Option<(i64, String, String, i64, Vec<u8>)> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(viewer.all_teams())
            .bind(viewer.user_id)
            .bind(file_id)
            .bind(activity_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(id, name, content_type, size, data)| {
            let shown = FileRow {
                id,
                name,
                content_type,
                size,
            }
            .shown();
            (shown, data)
        }))
    }

    async fn mail_files(&self, activity_id: i64) -> StoreResult<Vec<MailFile>> {
        Ok(sqlx::query_as(
            "SELECT name, content_type, data FROM outbound_attachments \
             WHERE activity_id = $1 ORDER BY id",
        )
        .bind(activity_id)
        .fetch_all(&self.pool)
        .await?)
    }
}
