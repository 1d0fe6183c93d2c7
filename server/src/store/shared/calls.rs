//! The one implementation of [`CallStore`], compiled into each backend (its module
//! there is this file): the backend's seam ([`begin_write`], [`lock_keys`],
//! [`commit_events`]) is all that differs. Every change of an agent's calls
//! first locks that agent's key, so the active-call check and the insert of a second
//! call for the same agent cannot interleave (PostgreSQL; SQLite's one writer already
//! serialises them); its events are appended at commit.

use agentdesk_protocol::bridge::CallDisposition;
use agentdesk_protocol::{
    ActivityDetail, CallInfo, CallOutcome, Direction, Disposition, ServerEvent,
};
use async_trait::async_trait;
use sqlx::AssertSqlSafe;

use super::reminders::upsert_reminder;
use super::rollups::fold_rows;
use super::{
    Backend, Db, Pending, Tx, begin_write, commit_events, insert_activity, lock_keys, ms,
    update_activity_detail,
};
use crate::store::calls::{CallRefusal, CallResult, CallRow, CallStore, NewCall};
use crate::store::crm::campaign_from;
use crate::store::ingest::interaction_lock_key;
use crate::store::reminders::{Callback, NewReminder};
use crate::store::reports::{LOGGED_COLUMNS, LoggedRow};
use crate::store::{NewActivity, StoreError, StoreResult, StoredEvent};

/// Every call read's columns, named as [`CallRow`] reads them.
const CALL_SELECT: &str = "SELECT c.guid, c.contact_id, c.activity_id, c.campaign, c.destination, c.did, \
    c.direction, c.ring_at, c.end_at, c.hung_up_by, c.l1, c.l2, c.l3, c.d1, c.d2, c.comment, \
    c.disposed_at, COALESCE(k.require_disposition, FALSE) AS require_disposition, c.team_id, \
    c.ucontact_sync FROM calls c LEFT JOIN campaigns k ON k.name = c.campaign";

/// One row of uContact's queue_log for a call (its columns, in its order).
#[allow(clippy::too_many_arguments)]
async fn log(
    tx: &mut Tx<'_>,
    now: i64,
    team_id: i64,
    guid: &str,
    queue: &str,
    agent: &str,
    event: &str,
    data: [&str; 5],
) -> StoreResult<()> {
    let row: LoggedRow = sqlx::query_as(AssertSqlSafe(format!(
        "INSERT INTO queue_log (origid, datetime, callid, queuename, agent, event, data1, data2, data3, data4, data5, team_id) \
         VALUES (NULL, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {LOGGED_COLUMNS}"
    )))
    .bind(now)
    .bind(guid)
    .bind(queue)
    .bind(agent)
    .bind(event)
    .bind(data[0])
    .bind(data[1])
    .bind(data[2])
    .bind(data[3])
    .bind(data[4])
    .bind(team_id)
    .fetch_one(&mut **tx)
    .await?;
    fold_rows(tx, &[row]).await
}

/// Rewrite the call's activity from the call row (duration, disposition).
async fn refresh_activity(tx: &mut Tx<'_>, call: &CallInfo, team_id: i64) -> StoreResult<Pending> {
    let Some(activity_id) = call.activity_id else {
        return Ok(vec![]);
    };
    let detail = ActivityDetail::Call {
        direction: call.direction,
        number: call.destination.clone(),
        campaign: call.campaign.clone(),
        duration_secs: call.duration_secs,
        disposition: call.disposition.as_ref().map(|d| Disposition {
            l1: d.l1.clone(),
            l2: d.l2.clone(),
            l3: d.l3.clone(),
            comment: d.comment.clone(),
            sync: call.sync.clone(),
        }),
        // Ended desktop calls say nothing more: whether the customer answered is
        // uContact's to know (a 0-second call reads as not answered).
        outcome: call.ended_at.is_none().then_some(CallOutcome::InProgress),
    };
    update_activity_detail(tx, activity_id, call.contact_id, &detail).await?;
    let event = ServerEvent::ActivityUpdated {
        contact_id: call.contact_id,
        activity_id,
    };
    Ok(vec![(Some(team_id), event)])
}

/// A write transaction on an agent's calls, holding that agent's key.
async fn begin_agent_calls(s: &Backend, user_id: i64) -> StoreResult<Tx<'static>> {
    let mut tx = begin_write(s).await?;
    lock_keys(&mut tx, [agent_calls_key(user_id)]).await?;
    Ok(tx)
}

/// The call as just written, and its activity rewritten from it.
async fn reload(
    tx: &mut Tx<'_>,
    user_id: i64,
    guid: &str,
    team_id: i64,
) -> StoreResult<(CallInfo, Pending)> {
    let (call, _) = load_call(tx, "c.guid = $2", user_id, guid)
        .await?
        .ok_or_else(|| StoreError::Other("call vanished".into()))?;
    let events = refresh_activity(tx, &call, team_id).await?;
    Ok((call, events))
}

/// The lock key of an agent's calls.
fn agent_calls_key(user_id: i64) -> String {
    format!("calls of {user_id}")
}

async fn load_call(
    conn: &mut <Db as sqlx::Database>::Connection,
    where_sql: &str,
    user_id: i64,
    guid: &str,
) -> StoreResult<Option<(CallInfo, i64)>> {
    let sql = format!(
        "{CALL_SELECT} WHERE c.user_id = $1 AND {where_sql} ORDER BY c.ring_at DESC, c.id DESC LIMIT 1"
    );
    let row: Option<CallRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(user_id)
        .bind(guid)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| {
        let team_id = r.team_id;
        (r.into_call(), team_id)
    }))
}

#[async_trait]
impl CallStore for Backend {
    async fn start_call(&self, call: NewCall) -> CallResult<(CallInfo, Vec<StoredEvent>)> {
        let mut tx = begin_write(self).await?;
        // The guid's key too: an ingested call with this guid joins this one.
        lock_keys(
            &mut tx,
            [
                agent_calls_key(call.user_id),
                interaction_lock_key("call", &call.guid),
            ],
        )
        .await?;
        // A repeated MAKE_CALL (the CRM retrying, a double click) is the client's mistake.
        // Guids are unique per team: another team's call with this guid is not a conflict
        // (and is not revealed).
        if sqlx::query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT 1 FROM calls WHERE team_id = $1 AND guid = $2)",
        )
        .bind(call.team_id)
        .bind(&call.guid)
        .fetch_one(&mut *tx)
        .await?
        {
            return Ok(Err(CallRefusal::DuplicateGuid(call.guid)));
        }
        if let Some(active) = sqlx::query_scalar::<_, String>(
            "SELECT guid FROM calls WHERE user_id = $1 AND end_at IS NULL LIMIT 1",
        )
        .bind(call.user_id)
        .fetch_optional(&mut *tx)
        .await?
        {
            return Ok(Err(CallRefusal::InProgress(active)));
        }
        if let Some(owing) = sqlx::query_scalar::<_, String>(
            "SELECT c.guid FROM calls c JOIN campaigns k ON k.name = c.campaign AND k.require_disposition \
             WHERE c.user_id = $1 AND c.end_at IS NOT NULL AND c.disposed_at IS NULL ORDER BY c.ring_at DESC LIMIT 1",
        )
        .bind(call.user_id)
        .fetch_optional(&mut *tx)
        .await?
        {
            return Ok(Err(CallRefusal::DispositionRequired(owing)));
        }
        let now = ms(crate::clock::now());
        let activity = NewActivity {
            team_id: call.team_id,
            contact_id: call.contact_id,
            user_id: Some(call.user_id),
            model_id: format!("call:{}", call.guid),
            detail: ActivityDetail::Call {
                direction: call.direction,
                number: call.destination.clone(),
                campaign: call.campaign.clone(),
                duration_secs: 0,
                disposition: None,
                outcome: Some(CallOutcome::InProgress),
            },
            email: None,
            occurred_at: crate::clock::now(),
        };
        let activity_id = insert_activity(&mut tx, &activity, now).await?;
        sqlx::query(
            "INSERT INTO calls (guid, team_id, contact_id, user_id, activity_id, campaign, did, destination, direction, ring_at, answer_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&call.guid)
        .bind(call.team_id)
        .bind(call.contact_id)
        .bind(call.user_id)
        .bind(activity_id)
        .bind(&call.campaign)
        .bind(&call.did)
        .bind(&call.destination)
        .bind(if call.direction == Direction::Inbound { "inbound" } else { "outbound" })
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(crate::store::already_exists(format!("a call with guid {}", call.guid)))?;
        sqlx::query("UPDATE contacts SET last_activity_at = $1 WHERE id = $2")
            .bind(now)
            .bind(call.contact_id)
            .execute(&mut *tx)
            .await?;
        log(
            &mut tx,
            now,
            call.team_id,
            &call.guid,
            &call.campaign,
            &call.agent,
            "STARTCALL",
            ["", "", "", "", ""],
        )
        .await?;
        let created = ServerEvent::ActivityCreated {
            contact_id: call.contact_id,
            activity_id,
            kind: agentdesk_protocol::ActivityKind::Call,
        };
        let (info, _) = load_call(&mut tx, "c.guid = $2", call.user_id, &call.guid)
            .await?
            .ok_or_else(|| StoreError::Other("call vanished".into()))?;
        let events = commit_events(tx, vec![(Some(call.team_id), created)], now).await?;
        Ok(Ok((info, events)))
    }

    async fn end_call(
        &self,
        user_id: i64,
        agent: &str,
        guid: Option<&str>,
        hung_up_by: &str,
    ) -> CallResult<(CallInfo, Vec<StoredEvent>)> {
        let mut tx = begin_agent_calls(self, user_id).await?;
        let filter = match guid {
            Some(_) => "c.guid = $2 AND c.end_at IS NULL",
            None => "c.end_at IS NULL AND $2 = $2",
        };
        let Some((call, team_id)) = load_call(&mut tx, filter, user_id, guid.unwrap_or("")).await?
        else {
            return Ok(Err(CallRefusal::NoCall));
        };
        let now = ms(crate::clock::now());
        sqlx::query(
            "UPDATE calls SET end_at = $1, hung_up_by = $2 WHERE team_id = $3 AND guid = $4",
        )
        .bind(now)
        .bind(hung_up_by)
        .bind(team_id)
        .bind(&call.guid)
        .execute(&mut *tx)
        .await?;
        let (call, events) = reload(&mut tx, user_id, &call.guid, team_id).await?;
        let secs = call.duration_secs.to_string();
        let complete = if hung_up_by == "customer" {
            "PHONECOMPLETECALLER"
        } else {
            "PHONECOMPLETEAGENT"
        };
        log(
            &mut tx,
            now,
            team_id,
            &call.guid,
            &call.campaign,
            agent,
            complete,
            [&call.destination, &call.guid, &call.campaign, "", ""],
        )
        .await?;
        log(
            &mut tx,
            now,
            team_id,
            &call.guid,
            &call.campaign,
            agent,
            "OUTCALL",
            ["ANSWER", &secs, &secs, &call.destination, &call.guid],
        )
        .await?;
        let events = commit_events(tx, events, now).await?;
        Ok(Ok((call, events)))
    }

    async fn dispose_call(
        &self,
        user_id: i64,
        agent: &str,
        d: &CallDisposition,
        callback: Option<&Callback>,
    ) -> CallResult<(CallInfo, Vec<StoredEvent>)> {
        let mut tx = begin_agent_calls(self, user_id).await?;
        let found = if d.guid.is_empty() {
            load_call(&mut tx, "$2 = $2", user_id, "").await?
        } else {
            load_call(&mut tx, "c.guid = $2", user_id, &d.guid).await?
        };
        let Some((call, team_id)) = found else {
            return Ok(Err(CallRefusal::NoCall));
        };
        // The campaign's tree decides; a desktop with no campaigns configured accepts any
        // non-empty L1 so that it is usable before an admin sets trees up.
        let campaigns: Vec<(String, String)> =
            sqlx::query_as("SELECT name, dispositions FROM campaigns")
                .fetch_all(&mut *tx)
                .await?;
        let name = if d.campaign.is_empty() {
            &call.campaign
        } else {
            &d.campaign
        };
        // Only a disposition marked "schedule callback" takes a callback.
        let mut callback_marked = false;
        match campaigns.iter().find(|(n, _)| n == name) {
            Some((n, tree)) => {
                let campaign = campaign_from(n.clone(), false, tree, "{}")?;
                if let Err(e) = campaign.check(&d.l1, &d.l2, &d.l3) {
                    return Ok(Err(CallRefusal::UnknownDisposition(e)));
                }
                callback_marked = campaign.wants_callback(&d.l1, &d.l2, &d.l3);
            }
            None if !campaigns.is_empty() => {
                return Ok(Err(CallRefusal::UnknownDisposition(format!(
                    "campaign `{name}` has no dispositions configured"
                ))));
            }
            None if d.l1.trim().is_empty() => {
                return Ok(Err(CallRefusal::UnknownDisposition(
                    "a disposition needs L1".into(),
                )));
            }
            None => {}
        }
        if callback.is_some() && !callback_marked {
            return Ok(Err(CallRefusal::NoCallback));
        }
        let now = ms(crate::clock::now());
        let reminder = callback.map(|cb| NewReminder {
            user_id,
            contact_id: call.contact_id,
            call_guid: Some(call.guid.clone()),
            due_at: cb.due_at,
            note: cb.note.clone(),
        });
        if crate::store::calls::same_disposition(call.disposition.as_ref(), d) {
            // A replay changes nothing of the call; its callback may still move.
            let Some(r) = reminder else {
                return Ok(Ok((call, Vec::new())));
            };
            let (_, pending) = upsert_reminder(&mut tx, &r, now).await?;
            let events = commit_events(tx, pending, now).await?;
            return Ok(Ok((call, events)));
        }
        // The wrap-up finishes once: a corrected disposition updates the call but is no
        // second FINISHWRAPUP in the queue log.
        let first = call.disposition.is_none();
        sqlx::query(
            "UPDATE calls SET l1 = $1, l2 = $2, l3 = $3, d1 = $4, d2 = $5, comment = $6, disposed_at = $7 \
             WHERE team_id = $8 AND guid = $9",
        )
        .bind(&d.l1)
        .bind(&d.l2)
        .bind(&d.l3)
        .bind(&d.d1)
        .bind(&d.d2)
        .bind(&d.comment)
        .bind(now)
        .bind(team_id)
        .bind(&call.guid)
        .execute(&mut *tx)
        .await?;
        let (call, mut events) = reload(&mut tx, user_id, &call.guid, team_id).await?;
        if let Some(r) = &reminder {
            events.extend(upsert_reminder(&mut tx, r, now).await?.1);
        }
        let wrap = call
            .ended_at
            .map(|e| ((now - e.timestamp_millis()).max(0) / 1000).to_string())
            .unwrap_or_default();
        if first {
            log(
                &mut tx,
                now,
                team_id,
                &call.guid,
                &call.campaign,
                agent,
                "FINISHWRAPUP",
                ["0", &wrap, &call.guid, "", ""],
            )
            .await?;
        }
        let events = commit_events(tx, events, now).await?;
        Ok(Ok((call, events)))
    }

    async fn current_calls(
        &self,
        user_id: i64,
    ) -> StoreResult<(Option<CallInfo>, Option<CallInfo>)> {
        let mut tx = self.pool.begin().await?;
        let active = load_call(&mut tx, "c.end_at IS NULL AND $2 = $2", user_id, "")
            .await?
            .map(|c| c.0);
        let pending = load_call(
            &mut tx,
            "c.end_at IS NOT NULL AND c.disposed_at IS NULL AND k.require_disposition AND $2 = $2",
            user_id,
            "",
        )
        .await?
        .map(|c| c.0);
        tx.commit().await?;
        Ok((active, pending))
    }

    async fn set_call_sync(
        &self,
        user_id: i64,
        guid: &str,
        sync: &agentdesk_protocol::RemoteSync,
    ) -> StoreResult<Option<Vec<StoredEvent>>> {
        let json = serde_json::to_string(sync).map_err(|e| StoreError::Other(e.to_string()))?;
        let mut tx = begin_agent_calls(self, user_id).await?;
        let Some((call, team_id)) = load_call(&mut tx, "c.guid = $2", user_id, guid).await? else {
            return Ok(None);
        };
        sqlx::query("UPDATE calls SET ucontact_sync = $1 WHERE team_id = $2 AND guid = $3")
            .bind(json)
            .bind(team_id)
            .bind(&call.guid)
            .execute(&mut *tx)
            .await?;
        let (call, _) = load_call(&mut tx, "c.guid = $2", user_id, guid)
            .await?
            .ok_or_else(|| StoreError::Other("call vanished".into()))?;
        let events = refresh_activity(&mut tx, &call, team_id).await?;
        let now = ms(crate::clock::now());
        Ok(Some(commit_events(tx, events, now).await?))
    }

    async fn queue_log(&self, guid: &str) -> StoreResult<Vec<(String, [String; 5])>> {
        type LogRow = (String, String, String, String, String, String);
        let rows: Vec<LogRow> = sqlx::query_as(
            "SELECT event, COALESCE(data1,''), COALESCE(data2,''), COALESCE(data3,''), COALESCE(data4,''), COALESCE(data5,'') \
             FROM queue_log WHERE callid = $1 ORDER BY id",
        )
        .bind(guid)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(event, d1, d2, d3, d4, d5)| (event, [d1, d2, d3, d4, d5]))
            .collect())
    }
}
