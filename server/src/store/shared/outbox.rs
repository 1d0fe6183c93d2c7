//! The one implementation of [`OutboxStore`], compiled into each backend against its
//! seam (see `store/shared/calls.rs`): [`SKIP_LOCKED`] is the one dialect difference.

use agentdesk_protocol::email::OutboundEmail;
use agentdesk_protocol::{ActivityDetail, Direction, EmailStatus, ServerEvent};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sqlx::AssertSqlSafe;

use super::ingest::{key_seen, record_key};
use super::timeline::{Ingested, insert_activity_with, update_activity_detail};
use super::{
    Backend, Db, FOR_UPDATE, Pending, SKIP_LOCKED, Tx, analytics, begin_write, commit_events,
    from_ms, ids_param, in_ids, ms, scoped,
};
use crate::store::outbox::{
    Answered, Attempt, Changed, ClaimedEmail, DraftUpdate, IdentityRow, NewOutbound, OutboxStore,
};
use crate::store::{NewActivity, NewEmail, StoreResult, StoredEvent, Viewer};

/// Characters of the body the timeline shows as the snippet.
const SNIPPET_CHARS: usize = 160;

fn status_name(s: EmailStatus) -> &'static str {
    match s {
        EmailStatus::Draft => "draft",
        EmailStatus::Queued => "queued",
        EmailStatus::Sent => "sent",
        EmailStatus::Failed => "failed",
    }
}

fn status_of(s: &str) -> StoreResult<EmailStatus> {
    Ok(match s {
        "draft" => EmailStatus::Draft,
        "queued" => EmailStatus::Queued,
        "sent" => EmailStatus::Sent,
        "failed" => EmailStatus::Failed,
        other => return Err(crate::store::corrupt("e-mail status", other)),
    })
}

fn snippet(body: &str) -> String {
    body.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(SNIPPET_CHARS)
        .collect()
}

fn detail(status: EmailStatus) -> ActivityDetail {
    ActivityDetail::Email {
        direction: Direction::Outbound,
        status: Some(status),
        content: None,
    }
}

pub(super) fn updated(
    team_id: i64,
    contact_id: i64,
    activity_id: i64,
) -> (Option<i64>, ServerEvent) {
    (
        Some(team_id),
        ServerEvent::ActivityUpdated {
            contact_id,
            activity_id,
        },
    )
}

#[derive(sqlx::FromRow)]
struct OutboundRow {
    activity_id: i64,
    contact_id: i64,
    team_id: i64,
    identity_id: Option<i64>,
    sender: String,
    to_address: String,
    subject: String,
    body: String,
    reply_to: Option<i64>,
    status: String,
    attempts: i64,
    last_error: Option<String>,
    next_attempt_at: Option<i64>,
    message_id: String,
    author_id: Option<i64>,
    updated_at: i64,
}

impl OutboundRow {
    fn into_email(self) -> StoreResult<OutboundEmail> {
        let status = status_of(&self.status)?;
        Ok(OutboundEmail {
            activity_id: self.activity_id,
            contact_id: self.contact_id,
            team_id: self.team_id,
            identity_id: self.identity_id,
            from: self.sender,
            to: self.to_address,
            subject: self.subject,
            body: self.body,
            reply_to: self.reply_to,
            status,
            attempts: u32::try_from(self.attempts).unwrap_or(0),
            last_error: self.last_error,
            next_attempt_at: self
                .next_attempt_at
                .filter(|_| status == EmailStatus::Queued)
                .map(from_ms),
            message_id: self.message_id,
            author_id: self.author_id,
            updated_at: from_ms(self.updated_at),
            attachments: Vec::new(),
        })
    }
}

/// The message's status and row locked until the transaction ends; `None`: no such
/// message.
async fn locked(
    tx: &mut Tx<'_>,
    activity_id: i64,
) -> StoreResult<Option<(String, i64, i64, Option<i64>)>> {
    Ok(
        sqlx::query_as::<Db, (String, i64, i64, Option<i64>)>(AssertSqlSafe(format!(
            "SELECT status, team_id, contact_id, author_id FROM outbound_emails \
         WHERE activity_id = $1{FOR_UPDATE}"
        )))
        .bind(activity_id)
        .fetch_optional(&mut **tx)
        .await?,
    )
}

/// Draft `activity_id` of `author_id`, locked: its team and contact; else what to
/// answer (not found — no such message, or another's — or not a draft).
pub(super) async fn own_draft(
    tx: &mut Tx<'_>,
    activity_id: i64,
    author_id: i64,
) -> StoreResult<Result<(i64, i64), Changed>> {
    let Some((status, team_id, contact_id, author)) = locked(tx, activity_id).await? else {
        return Ok(Err(Changed::NotFound));
    };
    if author != Some(author_id) {
        return Ok(Err(Changed::NotFound));
    }
    match status_of(&status)? {
        EmailStatus::Draft => Ok(Ok((team_id, contact_id))),
        other => Ok(Err(Changed::WrongState(other))),
    }
}

/// Move the message's activity to `status` (detail and search entry) and say so.
async fn show_status(
    tx: &mut Tx<'_>,
    pending: &mut Pending,
    (team_id, contact_id, activity_id): (i64, i64, i64),
    status: EmailStatus,
) -> StoreResult<()> {
    update_activity_detail(tx, activity_id, contact_id, &detail(status)).await?;
    pending.push(updated(team_id, contact_id, activity_id));
    Ok(())
}

#[async_trait]
impl OutboxStore for Backend {
    async fn mail_identities(&self, team_id: i64) -> StoreResult<Vec<IdentityRow>> {
        Ok(sqlx::query_as(
            "SELECT id, team_id, address, display_name, smtp_url FROM mail_identities \
             WHERE team_id = $1 ORDER BY id",
        )
        .bind(team_id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn mail_identity(&self, id: i64) -> StoreResult<Option<IdentityRow>> {
        Ok(sqlx::query_as(
            "SELECT id, team_id, address, display_name, smtp_url FROM mail_identities WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn create_mail_identity(
        &self,
        team_id: i64,
        address: &str,
        display_name: &str,
        smtp_url: Option<&str>,
    ) -> StoreResult<i64> {
        let mut tx = begin_write(self).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO mail_identities (team_id, address, display_name, smtp_url, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(team_id)
        .bind(address)
        .bind(display_name)
        .bind(smtp_url)
        .bind(ms(crate::clock::now()))
        .fetch_one(&mut *tx)
        .await
        .map_err(crate::store::already_exists(format!(
            "a sender `{address}` of this team"
        )))?;
        tx.commit().await?;
        Ok(id)
    }

    async fn update_mail_identity(
        &self,
        id: i64,
        address: &str,
        display_name: &str,
        smtp_url: Option<Option<&str>>,
    ) -> StoreResult<bool> {
        let mut tx = begin_write(self).await?;
        let done = sqlx::query(
            "UPDATE mail_identities SET address = $1, display_name = $2, \
             smtp_url = CASE WHEN $3 THEN $4 ELSE smtp_url END WHERE id = $5",
        )
        .bind(address)
        .bind(display_name)
        .bind(smtp_url.is_some())
        .bind(smtp_url.flatten())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(crate::store::already_exists(format!(
            "a sender `{address}` of this team"
        )))?
        .rows_affected()
            > 0;
        tx.commit().await?;
        Ok(done)
    }

    async fn delete_mail_identity(&self, id: i64) -> StoreResult<bool> {
        let mut tx = begin_write(self).await?;
        let done = sqlx::query("DELETE FROM mail_identities WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        tx.commit().await?;
        Ok(done)
    }

    async fn create_outbound(&self, e: &NewOutbound) -> StoreResult<(i64, Vec<StoredEvent>)> {
        let now_t = crate::clock::now();
        let now = ms(now_t);
        let status = if e.queue {
            EmailStatus::Queued
        } else {
            EmailStatus::Draft
        };
        let mut tx = begin_write(self).await?;
        let activity = NewActivity {
            team_id: e.team_id,
            contact_id: e.contact_id,
            user_id: Some(e.author_id),
            model_id: e.message_id.clone(),
            detail: detail(status),
            email: Some(NewEmail {
                message_id: Some(e.message_id.clone()),
                subject: e.subject.clone(),
                sender: e.from.clone(),
                snippet: snippet(&e.body),
                body: e.body.clone(),
                attachments: Vec::new(),
            }),
            occurred_at: now_t,
        };
        // Recorded as an interaction under its Message-ID: the copy ingest may bring back
        // (a "Sent" folder, a BCC) is a duplicate of this one.
        let ingested = Ingested {
            source: "email",
            source_key: &e.message_id,
            conversation_id: None,
            attributes: "{}".into(),
        };
        let activity_id = insert_activity_with(&mut tx, &activity, now, Some(&ingested)).await?;
        sqlx::query(
            "INSERT INTO outbound_emails (activity_id, team_id, contact_id, author_id, identity_id, \
             to_address, subject, body, reply_to, in_reply_to, message_id, status, \
             next_attempt_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(activity_id)
        .bind(e.team_id)
        .bind(e.contact_id)
        .bind(e.author_id)
        .bind(e.identity_id)
        .bind(&e.to)
        .bind(&e.subject)
        .bind(&e.body)
        .bind(e.reply_to)
        .bind(&e.in_reply_to)
        .bind(&e.message_id)
        .bind(status_name(status))
        .bind(e.queue.then_some(now))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let pending = vec![(
            Some(e.team_id),
            ServerEvent::ActivityCreated {
                contact_id: e.contact_id,
                activity_id,
                kind: agentdesk_protocol::ActivityKind::Email,
            },
        )];
        let events = commit_events(tx, pending, now).await?;
        Ok((activity_id, events))
    }

    async fn outbound(
        &self,
        viewer: &Viewer,
        activity_id: i64,
    ) -> StoreResult<Option<OutboundEmail>> {
        let sql = format!(
            "SELECT o.activity_id, o.contact_id, o.team_id, o.identity_id, e.sender, o.to_address, \
             o.subject, o.body, o.reply_to, o.status, o.attempts, o.last_error, o.next_attempt_at, \
             o.message_id, o.author_id, o.updated_at \
             FROM outbound_emails o JOIN activities a ON a.id = o.activity_id \
             JOIN incoming_emails e ON e.id = a.email_id \
             WHERE o.activity_id = $3 AND {}",
            scoped("o.team_id")
        );
        let row: Option<OutboundRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(viewer.all_teams())
            .bind(viewer.user_id)
            .bind(activity_id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(mut email) = row.map(OutboundRow::into_email).transpose()? else {
            return Ok(None);
        };
        email.attachments = super::outbox_files::listed(&self.pool, activity_id).await?;
        Ok(Some(email))
    }

    async fn save_draft(
        &self,
        activity_id: i64,
        author_id: i64,
        d: &DraftUpdate,
    ) -> StoreResult<Changed> {
        let now = ms(crate::clock::now());
        let mut tx = begin_write(self).await?;
        let (team_id, contact_id) = match own_draft(&mut tx, activity_id, author_id).await? {
            Ok(ids) => ids,
            Err(refusal) => return Ok(refusal),
        };
        let next = if d.queue {
            EmailStatus::Queued
        } else {
            EmailStatus::Draft
        };
        sqlx::query(
            "UPDATE outbound_emails SET identity_id = $1, to_address = $2, subject = $3, body = $4, \
             status = $5, next_attempt_at = $6, updated_at = $7 WHERE activity_id = $8",
        )
        .bind(d.identity_id)
        .bind(&d.to)
        .bind(&d.subject)
        .bind(&d.body)
        .bind(status_name(next))
        .bind(d.queue.then_some(now))
        .bind(now)
        .bind(activity_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE incoming_emails SET subject = $1, sender = $2, snippet = $3, body = $4 \
             WHERE id = (SELECT email_id FROM activities WHERE id = $5)",
        )
        .bind(&d.subject)
        .bind(&d.from)
        .bind(snippet(&d.body))
        .bind(&d.body)
        .bind(activity_id)
        .execute(&mut *tx)
        .await?;
        // The detail is rewritten even when the status stays: the search entry follows
        // the new text.
        let mut pending = Pending::new();
        show_status(
            &mut tx,
            &mut pending,
            (team_id, contact_id, activity_id),
            next,
        )
        .await?;
        Ok(Changed::Done(commit_events(tx, pending, now).await?))
    }

    async fn discard_draft(&self, activity_id: i64, author_id: i64) -> StoreResult<Changed> {
        let now = ms(crate::clock::now());
        let mut tx = begin_write(self).await?;
        let (team_id, contact_id) = match own_draft(&mut tx, activity_id, author_id).await? {
            Ok(ids) => ids,
            Err(refusal) => return Ok(refusal),
        };
        sqlx::query("DELETE FROM activities WHERE id = $1")
            .bind(activity_id)
            .execute(&mut *tx)
            .await?;
        analytics::removed(&mut tx, activity_id).await?;
        let pending = vec![(
            Some(team_id),
            ServerEvent::ActivityDeleted {
                contact_id,
                activity_id,
            },
        )];
        Ok(Changed::Done(commit_events(tx, pending, now).await?))
    }

    async fn retry_outbound(&self, viewer: &Viewer, activity_id: i64) -> StoreResult<Changed> {
        let now = ms(crate::clock::now());
        let mut tx = begin_write(self).await?;
        let Some((status, team_id, contact_id, _)) = locked(&mut tx, activity_id).await? else {
            return Ok(Changed::NotFound);
        };
        let visible: bool = sqlx::query_scalar(AssertSqlSafe(format!("SELECT {}", scoped("$3"))))
            .bind(viewer.all_teams())
            .bind(viewer.user_id)
            .bind(team_id)
            .fetch_one(&mut *tx)
            .await?;
        if !visible {
            return Ok(Changed::NotFound);
        }
        let status = status_of(&status)?;
        if status != EmailStatus::Failed {
            return Ok(Changed::WrongState(status));
        }
        sqlx::query(
            "UPDATE outbound_emails SET status = 'queued', attempts = 0, next_attempt_at = $1, \
             last_error = NULL, lease_owner = NULL, lease_until = NULL, updated_at = $1 \
             WHERE activity_id = $2",
        )
        .bind(now)
        .bind(activity_id)
        .execute(&mut *tx)
        .await?;
        let mut pending = Pending::new();
        show_status(
            &mut tx,
            &mut pending,
            (team_id, contact_id, activity_id),
            EmailStatus::Queued,
        )
        .await?;
        Ok(Changed::Done(commit_events(tx, pending, now).await?))
    }

    async fn claim_outbound(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedEmail>> {
        let (now, until) = (ms(now), ms(now + lease));
        let mut tx = begin_write(self).await?;
        // The condition is checked again on the row an instance waited for (PostgreSQL
        // re-reads it after the lock): two instances never both get one.
        // The candidates are picked once, in a materialised CTE: as a plain `IN (…)`
        // subquery PostgreSQL may run the pick again for every row it updates, each
        // time skipping the rows just locked, and so claim the whole queue.
        let sql = format!(
            "WITH picked AS MATERIALIZED (SELECT activity_id FROM outbound_emails \
               WHERE status = 'queued' AND next_attempt_at <= $3 \
               AND (lease_until IS NULL OR lease_until <= $3) \
               ORDER BY next_attempt_at LIMIT $4{SKIP_LOCKED}) \
             UPDATE outbound_emails SET lease_owner = $1, lease_until = $2 \
             WHERE activity_id IN (SELECT activity_id FROM picked) \
             AND status = 'queued' AND next_attempt_at <= $3 \
             AND (lease_until IS NULL OR lease_until <= $3) \
             RETURNING activity_id"
        );
        let ids: Vec<i64> = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(owner)
            .bind(until)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT o.activity_id, o.team_id, o.to_address, o.subject, o.body, o.in_reply_to, \
             o.message_id, o.attempts, i.address AS from_address, i.display_name AS from_name, \
             i.smtp_url, (SELECT COUNT(*) FROM outbound_attachments f \
             WHERE f.activity_id = o.activity_id) AS file_count \
             FROM outbound_emails o LEFT JOIN mail_identities i ON i.id = o.identity_id \
             WHERE {} AND o.lease_owner = $2 ORDER BY o.next_attempt_at",
            in_ids("o.activity_id", 1)
        );
        Ok(sqlx::query_as(AssertSqlSafe(sql))
            .bind(ids_param(&ids))
            .bind(owner)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn finish_outbound(
        &self,
        activity_id: i64,
        owner: &str,
        attempt: &Attempt,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<StoredEvent>> {
        let now = ms(now);
        let (status, error, next, sent_at) = match attempt {
            Attempt::Sent => (EmailStatus::Sent, None, None, Some(now)),
            Attempt::Retry { at, reason } => (
                EmailStatus::Queued,
                Some(reason.as_str()),
                Some(ms(*at)),
                None,
            ),
            Attempt::Failed { reason } => (EmailStatus::Failed, Some(reason.as_str()), None, None),
        };
        let mut tx = begin_write(self).await?;
        let row: Option<(i64, i64)> = sqlx::query_as(
            "UPDATE outbound_emails SET status = $1, attempts = attempts + 1, \
             last_error = COALESCE($2, last_error), next_attempt_at = $3, sent_at = $4, \
             lease_owner = NULL, lease_until = NULL, updated_at = $5 \
             WHERE activity_id = $6 AND lease_owner = $7 AND status = 'queued' \
             RETURNING team_id, contact_id",
        )
        .bind(status_name(status))
        .bind(error)
        .bind(next)
        .bind(sent_at)
        .bind(now)
        .bind(activity_id)
        .bind(owner)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((team_id, contact_id)) = row else {
            // No longer ours (a lease that ran out): whoever holds it now writes.
            return Ok(Vec::new());
        };
        let mut pending = Pending::new();
        if status == EmailStatus::Queued {
            // Still queued: the item shows the attempt and its reason all the same.
            pending.push(updated(team_id, contact_id, activity_id));
        } else {
            show_status(
                &mut tx,
                &mut pending,
                (team_id, contact_id, activity_id),
                status,
            )
            .await?;
        }
        commit_events(tx, pending, now).await
    }

    async fn bounce_outbound(
        &self,
        team_id: i64,
        b: &crate::ingest::dsn::Bounce,
    ) -> StoreResult<Option<(i64, i64, Vec<StoredEvent>)>> {
        let now = ms(crate::clock::now());
        let mut tx = begin_write(self).await?;
        let row: Option<(i64, i64, String, String)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT activity_id, contact_id, status, to_address FROM outbound_emails \
             WHERE team_id = $1 AND message_id = $2{FOR_UPDATE}"
        )))
        .bind(team_id)
        .bind(&b.message_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((activity_id, contact_id, status, to)) = row else {
            return Ok(None);
        };
        if b.recipient
            .as_deref()
            .is_some_and(|r| !r.eq_ignore_ascii_case(&to))
        {
            return Ok(None);
        }
        let report = (team_id, "dsn", b.report_key.as_str());
        if key_seen(&mut tx, team_id, "dsn", &b.report_key).await? {
            return Ok(Some((activity_id, contact_id, Vec::new())));
        }
        record_key(&mut tx, report, contact_id, activity_id, now).await?;
        let mut pending = Pending::new();
        // Only a sent message bounces; a report about one being sent again is old news.
        if status == "sent" {
            sqlx::query(
                "UPDATE outbound_emails SET status = 'failed', last_error = $1, updated_at = $2 \
                 WHERE activity_id = $3",
            )
            .bind(&b.reason)
            .bind(now)
            .bind(activity_id)
            .execute(&mut *tx)
            .await?;
            show_status(
                &mut tx,
                &mut pending,
                (team_id, contact_id, activity_id),
                EmailStatus::Failed,
            )
            .await?;
        }
        let events = commit_events(tx, pending, now).await?;
        Ok(Some((activity_id, contact_id, events)))
    }

    async fn contact_addresses(&self, contact_id: i64) -> StoreResult<Vec<String>> {
        let own: Option<Option<String>> =
            sqlx::query_scalar("SELECT email FROM contacts WHERE id = $1")
                .bind(contact_id)
                .fetch_optional(&self.pool)
                .await?;
        // The senders of the contact's inbound mail (the detail's JSON names the
        // direction; written by serde, so its spelling is fixed).
        let senders: Vec<String> = sqlx::query_scalar(
            "SELECT e.sender FROM activities a JOIN incoming_emails e ON e.id = a.email_id \
             WHERE a.contact_id = $1 AND a.kind = 'email' \
             AND a.detail LIKE '%\"direction\":\"inbound\"%' \
             ORDER BY a.occurred_at DESC LIMIT 200",
        )
        .bind(contact_id)
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<String> = Vec::new();
        for a in own
            .flatten()
            .into_iter()
            .chain(senders.iter().map(|s| address_of(s)))
        {
            let a = a.trim().to_owned();
            if agentdesk_protocol::email::is_address(&a)
                && !out.iter().any(|o| o.eq_ignore_ascii_case(&a))
            {
                out.push(a);
            }
        }
        Ok(out)
    }

    async fn email_to_answer(
        &self,
        contact_id: i64,
        activity_id: i64,
    ) -> StoreResult<Option<Answered>> {
        Ok(sqlx::query_as(
            "SELECT e.message_id, e.sender, e.subject, e.body, a.occurred_at \
             FROM activities a JOIN incoming_emails e ON e.id = a.email_id \
             WHERE a.id = $1 AND a.contact_id = $2 AND a.kind = 'email'",
        )
        .bind(activity_id)
        .bind(contact_id)
        .fetch_optional(&self.pool)
        .await?)
    }
}

/// The address of `Name <address>` (or the whole text when it has no brackets).
pub(crate) fn address_of(sender: &str) -> String {
    match (sender.rfind('<'), sender.rfind('>')) {
        (Some(l), Some(r)) if l < r => sender[l + 1..r].to_owned(),
        _ => sender.to_owned(),
    }
}
