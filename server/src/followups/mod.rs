//! The follow-up engine: polls each active follow-up when due, reconciles the records
//! its external system returns, and notifies recipients (docs/followups.md).
//!
//! One poll: claim the follow-up's lease (one instance at a time), run its integration
//! calls ([`fetch`]), plan what each record needs ([`plan`]), resolve recipients and
//! contacts, then write everything — record states, notifications, timeline activities,
//! the run — in one transaction that also releases the lease. Deliveries outside the
//! database (e-mail, a webhook: [`deliver`]) follow that commit, so a notification is sent at most once; one
//! that fails is recorded on the run. A failed poll (the system down, an answer that is
//! not JSON) changes no record and is retried at the next poll.

pub mod action;
pub mod archive;
pub mod deliver;
pub mod fetch;
pub mod lookup;
pub mod plan;

use std::collections::{BTreeMap, BTreeSet};

use agentdesk_protocol::CustomerRef;
use agentdesk_protocol::followup::{
    Card, Channel, DryRun, FollowUpRun, FollowUpSpec, PlannedNotification, render,
};
use chrono::{DateTime, Duration, Utc};

use crate::events::EventHub;
use crate::mailer::Mailer;
use crate::outbound::Outbound;
use crate::store::followups::{Notify, Reach, RunOutcome, StoredFollowUp};
use crate::store::{DynStore, StoreResult};

/// How long a poll may hold its follow-up before another instance may take it over.
const LEASE_MINUTES: i64 = 10;
/// A poll whose outcome could not be written is due again after 1, 2, 4… minutes (per
/// failure in a row on this instance), never later than its own interval.
fn retry_minutes(failures: u32, poll_minutes: u32) -> i64 {
    let backoff = 1_i64 << failures.min(16);
    backoff.min(i64::from(poll_minutes)).max(1)
}
/// Follow-ups claimed per look, and polled at once.
const CLAIM_BATCH: u32 = 16;

/// What polls follow-ups; one per server instance (`AppState::followups`: the
/// scheduler and "run now" share its lease owner and its one write at a time).
#[derive(Clone)]
pub struct Engine {
    store: DynStore,
    outbound: Outbound,
    events: EventHub,
    /// This instance, as the holder of leases.
    owner: String,
    region: String,
    max_answer: usize,
    mailer: Option<Mailer>,
    /// One poll's outcome is written at a time: the writes queue in the database anyway
    /// (SQLite has one writer; PostgreSQL's writer pool is two connections, which
    /// concurrent polls' long transactions exhausted — each waiting past the pool's 2 s
    /// then failed its poll). Fetching and planning stay concurrent.
    writing: std::sync::Arc<tokio::sync::Semaphore>,
    /// Failed writes in a row, by follow-up (this instance's backoff; cleared by a run
    /// written).
    failures: std::sync::Arc<std::sync::Mutex<BTreeMap<i64, u32>>>,
}

/// The recipients a poll found: users and teams by name, and what the recipients'
/// call answered for the record at hand.
struct Named<'a> {
    users: &'a BTreeMap<String, i64>,
    teams: &'a BTreeMap<String, Vec<i64>>,
    found: Option<&'a Result<lookup::Found, String>>,
}

/// One record as a poll read it.
struct Record {
    key: String,
    values: BTreeMap<String, String>,
}

impl Engine {
    /// The SMTP sender for e-mail notifications (none: they go to the desktop).
    pub fn with_mailer(mut self, mailer: Option<Mailer>) -> Engine {
        self.mailer = mailer;
        self
    }

    pub fn with(
        store: DynStore,
        outbound: Outbound,
        events: EventHub,
        region: String,
        max_answer: usize,
    ) -> Engine {
        Engine {
            store,
            outbound,
            events,
            owner: uuid::Uuid::new_v4().to_string(),
            region,
            max_answer,
            mailer: None,
            writing: std::sync::Arc::new(tokio::sync::Semaphore::new(1)),
            failures: std::sync::Arc::default(),
        }
    }

    /// Poll every follow-up due at `now` that no other instance holds.
    pub async fn run_due(&self, now: DateTime<Utc>) -> StoreResult<Vec<(i64, FollowUpRun)>> {
        let mut done = Vec::new();
        loop {
            let due = self
                .store
                .claim_due_followups(
                    &self.owner,
                    now,
                    Duration::minutes(LEASE_MINUTES),
                    CLAIM_BATCH,
                )
                .await?;
            if due.is_empty() {
                return Ok(done);
            }
            let polls = due
                .iter()
                .map(|f| async move { (f.id, self.poll(f, now).await) });
            for (id, result) in futures_util::future::join_all(polls).await {
                match result {
                    Ok(run) => done.push((id, run)),
                    Err(e) => tracing::warn!(followup = id, error = %e, "follow-up poll failed"),
                }
            }
        }
    }

    /// Poll one follow-up now, due or not. `None`: another instance is polling it.
    pub async fn run_now(&self, id: i64, now: DateTime<Utc>) -> StoreResult<Option<FollowUpRun>> {
        let Some(f) = self
            .store
            .claim_followup(id, &self.owner, now, Duration::minutes(LEASE_MINUTES))
            .await?
        else {
            return Ok(None);
        };
        self.poll(&f, now).await.map(Some)
    }

    /// What a poll of `spec` would do now, without sending or writing anything (`id`:
    /// the stored follow-up whose records it continues).
    pub async fn dry_run(
        &self,
        spec: &FollowUpSpec,
        id: Option<i64>,
        now: DateTime<Utc>,
    ) -> StoreResult<DryRun> {
        let mut out = RunOutcome::default();
        self.decide(spec, id, now, &mut out).await?;
        let would_send = out
            .notify
            .iter()
            .map(|n| PlannedNotification {
                record: n.key.clone(),
                attempt: n.attempt,
                recipients: n.recipients.clone(),
                text: n.text.clone(),
            })
            .collect();
        Ok(DryRun {
            found: out.found,
            resolved: out.resolved.len() as u32,
            would_send,
            errors: out.errors,
        })
    }

    /// Fetch, reconcile and plan into `out` (nothing written).
    async fn decide(
        &self,
        spec: &FollowUpSpec,
        id: Option<i64>,
        now: DateTime<Utc>,
        out: &mut RunOutcome,
    ) -> StoreResult<()> {
        out.started_at = now;
        let fetched = fetch::records(&self.outbound, spec, self.max_answer).await;
        let items = match fetched {
            Ok(items) => items,
            Err(e) => {
                out.errors.push(e);
                return Ok(());
            }
        };
        out.polled = true;
        out.found = items.len() as u32;
        let mut records = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match spec.record_key(item) {
                Some(key) => records.push(Record {
                    key,
                    values: spec.record_values(item),
                }),
                None => out.errors.push(format!(
                    "record {} has no usable id at `{}`",
                    i + 1,
                    spec.record_id
                )),
            }
        }
        let tracked = match id {
            Some(id) => self.store.tracked_records(id).await?,
            None => BTreeMap::new(),
        };
        let seen: Vec<String> = records.iter().map(|r| r.key.clone()).collect();
        let p = plan::plan(
            &seen,
            &tracked,
            now,
            Duration::minutes(i64::from(spec.notify_minutes)),
            spec.attempts,
        );
        out.opened = p.opened;
        out.resolved = p.resolved;
        let by_key: BTreeMap<&str, &Record> = records.iter().map(|r| (r.key.as_str(), r)).collect();
        let wanted: Vec<&Record> = p
            .notify
            .iter()
            .filter_map(|(k, _)| by_key.get(k.as_str()).copied())
            .collect();
        // The recipients' further call, for the records about to be notified.
        let found = match &spec.recipients.lookup {
            Some(l) => {
                let asked: Vec<(&str, &BTreeMap<String, String>)> =
                    wanted.iter().map(|r| (r.key.as_str(), &r.values)).collect();
                lookup::recipients(&self.outbound, l, &asked, self.max_answer).await
            }
            None => BTreeMap::new(),
        };
        let pick = |attr: &Option<String>, by_call: fn(&lookup::Found) -> &Option<String>| {
            let mut v: Vec<String> = attr
                .iter()
                .flat_map(|a| wanted.iter().filter_map(move |r| r.values.get(a)))
                .chain(found.values().flatten().filter_map(|f| by_call(f).as_ref()))
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
            v.sort();
            v.dedup();
            v
        };
        let (users, teams) = self
            .store
            .recipients(
                &pick(&spec.recipients.user, |f| &f.user),
                &pick(&spec.recipients.team, |f| &f.team),
            )
            .await?;
        // E-mail and "last used" depend on each recipient's address and desktop.
        let reach = if matches!(spec.channel, Channel::Email | Channel::LastUsed) {
            let ids: BTreeSet<i64> = users
                .values()
                .copied()
                .chain(teams.values().flatten().copied())
                .collect();
            self.store
                .reachability(&ids.into_iter().collect::<Vec<_>>())
                .await?
        } else {
            BTreeMap::new()
        };
        for (key, attempt) in p.notify {
            let Some(record) = by_key.get(key.as_str()) else {
                continue;
            };
            let to = Named {
                users: &users,
                teams: &teams,
                found: found.get(&key),
            };
            match self
                .notification(spec, record, attempt, &to, &reach, &mut out.errors)
                .await
            {
                Ok(n) => out.notify.push(n),
                Err(e) => out.errors.push(e),
            }
        }
        Ok(())
    }

    /// The notification about `record`: its recipients, text, card and contact (what
    /// e-mail could not reach is noted in `notes`).
    async fn notification(
        &self,
        spec: &FollowUpSpec,
        record: &Record,
        attempt: u32,
        to: &Named<'_>,
        reach: &BTreeMap<i64, Reach>,
        notes: &mut Vec<String>,
    ) -> Result<Notify, String> {
        let value = |attr: &Option<String>| {
            attr.as_ref()
                .and_then(|a| record.values.get(a))
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let mut ids = BTreeSet::new();
        let mut named = Vec::new();
        let mut unknown = Vec::new();
        let (mut user_names, mut team_names) = (Vec::new(), Vec::new());
        user_names.extend(value(&spec.recipients.user));
        team_names.extend(value(&spec.recipients.team));
        match to.found {
            Some(Ok(f)) => {
                user_names.extend(f.user.clone());
                team_names.extend(f.team.clone());
            }
            // Named on the run even when the attributes found someone.
            Some(Err(e)) => notes.push(format!("record `{}`: {e}", record.key)),
            None => {}
        }
        for u in user_names {
            match to.users.get(&u.to_lowercase()) {
                Some(id) => {
                    ids.insert(*id);
                    if !named.contains(&u) {
                        named.push(u);
                    }
                }
                None => unknown.push(format!("no user `{u}`")),
            }
        }
        for t in team_names {
            match to.teams.get(&t.to_lowercase()) {
                Some(members) => {
                    ids.extend(members.iter().copied());
                    if !named.contains(&t) {
                        named.push(t);
                    }
                }
                None => unknown.push(format!("no team `{t}`")),
            }
        }
        let key = &record.key;
        if ids.is_empty() {
            let why = if unknown.is_empty() {
                "no recipient".to_string()
            } else {
                unknown.join(", ")
            };
            return Err(format!("record `{key}`: {why}; nothing sent"));
        }
        let contact = match &spec.contact {
            Some(link) => {
                let customer = CustomerRef {
                    external_id: value(&link.external_id),
                    phone: value(&link.phone),
                    email: value(&link.email),
                    ..CustomerRef::default()
                };
                let keys = crate::ingest::link_keys(&customer, &[], &self.region);
                self.store
                    .link_record(link.team_id, &keys)
                    .await
                    .map_err(|e| format!("record `{key}`: {e}"))?
                    .map(|c| (link.team_id, c))
            }
            None => None,
        };
        let routed = deliver::route(spec.channel, &ids, reach, self.mailer.is_some());
        notes.extend(
            routed
                .notes
                .into_iter()
                .map(|n| format!("record `{key}`: {n}")),
        );
        Ok(Notify {
            key: key.clone(),
            attempt,
            users: routed.in_app,
            recipients: named,
            text: render(&spec.message.text, &record.values),
            card: spec.message.card.as_ref().map(|c| card(c, &record.values)),
            // A card's actions are called later with the record's values.
            values: (!spec.actions.is_empty()).then(|| record.values.clone()),
            delivery: routed.delivery,
            mail: routed.mail,
            contact,
        })
    }

    /// Poll `f` (whose lease this instance holds) and write the outcome.
    async fn poll(&self, f: &StoredFollowUp, now: DateTime<Utc>) -> StoreResult<FollowUpRun> {
        let clock = std::time::Instant::now();
        let mut out = RunOutcome::default();
        self.decide(&f.spec, Some(f.id), now, &mut out).await?;
        out.finished_at = now + Duration::from_std(clock.elapsed()).unwrap_or_default();
        let next = now + Duration::minutes(i64::from(f.spec.poll_minutes));
        let turn = self.writing.acquire().await;
        let written = self
            .store
            .finish_followup_run(f.id, &self.owner, &out, next)
            .await;
        drop(turn);
        let (mut run, sent, events) = match written {
            Ok(w) => {
                self.failures
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&f.id);
                w
            }
            Err(e) => {
                // Nothing was sent (deliveries follow the commit): give the lease back, due
                // again in a minute, then backing off, rather than when the lease runs out
                // in ten (and not at once, which this look would claim again). Lost to
                // another instance: not ours to give.
                let failures = {
                    let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
                    let n = map.entry(f.id).or_insert(0);
                    *n = n.saturating_add(1);
                    *n - 1
                };
                let retry = now + Duration::minutes(retry_minutes(failures, f.spec.poll_minutes));
                if !matches!(e, crate::store::StoreError::Conflict(_))
                    && let Err(again) = self.store.release_followup(f.id, &self.owner, retry).await
                {
                    tracing::warn!(followup = f.id, error = %again, "follow-up lease kept");
                }
                return Err(e);
            }
        };
        self.events.publish(events);
        let sent = sent.iter().map(|i| &out.notify[*i]);
        let errors = match f.spec.channel {
            Channel::Webhook => deliver::post_webhook(&self.outbound, &f.spec, sent).await,
            Channel::Email | Channel::LastUsed => {
                deliver::send_mail(self.mailer.as_ref(), &f.spec, sent).await
            }
            Channel::InApp => Vec::new(),
        };
        if !errors.is_empty() {
            self.store.add_run_errors(run.id, &errors).await?;
            run.errors.extend(errors);
        }
        Ok(run)
    }
}

/// A card with the record's values in its title, text and buttons' URLs.
fn card(c: &Card, values: &BTreeMap<String, String>) -> Card {
    let encoded: BTreeMap<String, String> = values
        .iter()
        .map(|(k, v)| (k.clone(), agentdesk_protocol::encode_component(v)))
        .collect();
    Card {
        title: render(&c.title, values),
        text: render(&c.text, values),
        image_url: c.image_url.clone(),
        buttons: c
            .buttons
            .iter()
            .map(|b| agentdesk_protocol::followup::CardButton {
                label: b.label.clone(),
                url: render(&b.url, &encoded),
                action: b.action.clone(),
            })
            .collect(),
    }
}

/// Poll due follow-ups every `every` on this instance.
pub fn spawn_scheduler(engine: Engine, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = engine.run_due(crate::clock::now()).await {
                tracing::warn!(error = %e, "follow-ups: looking for due ones failed");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::retry_minutes;

    #[test]
    fn a_failed_write_backs_off_up_to_the_poll_interval() {
        let waits: Vec<i64> = (0..8).map(|n| retry_minutes(n, 30)).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(retry_minutes(u32::MAX, 7_200), 7_200);
        assert_eq!(retry_minutes(0, 10), 1);
    }
}
