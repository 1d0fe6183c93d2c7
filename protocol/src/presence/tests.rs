//! The status rules, case by case.

use super::*;

const MIN: i64 = 60_000;

fn values(o: &Outcome) -> Vec<(&str, &str)> {
    o.entries
        .iter()
        .map(|e| (e.kind.as_str(), e.value.as_str()))
        .collect()
}

fn connected(now: i64) -> Presence {
    transition(
        &Presence::new(0),
        Change::Connect {
            fresh_session: "s1".into(),
        },
        now,
        MIN,
    )
    .presence
}

#[test]
fn connecting_logs_connected_then_available_in_a_new_session() {
    let o = transition(
        &Presence::new(0),
        Change::Connect {
            fresh_session: "s1".into(),
        },
        1000,
        MIN,
    );
    assert_eq!(
        values(&o),
        [
            ("status-changed", "connected"),
            ("status-changed", "available")
        ]
    );
    assert_eq!(o.presence.status, "available");
    assert_eq!(o.presence.session_id.as_deref(), Some("s1"));
    assert!(o.entries.iter().all(|e| e.session_id == "s1"));
}

#[test]
fn reconnect_within_the_window_restores_the_status_and_keeps_the_session() {
    let p = connected(0);
    let p = transition(
        &p,
        Change::Choose {
            value: "meal".into(),
        },
        10,
        MIN,
    )
    .presence;
    let gone = transition(
        &p,
        Change::Disconnect {
            reason: DisconnectReason::Network,
        },
        1000,
        MIN,
    );
    assert_eq!(gone.entries[0].reason, Some(DisconnectReason::Network));
    assert_eq!(gone.presence.status, "disconnected");
    let back = transition(
        &gone.presence,
        Change::Connect {
            fresh_session: "s2".into(),
        },
        1000 + 59_000,
        MIN,
    );
    assert_eq!(
        values(&back),
        [
            ("status-changed", "reconnected"),
            ("status-changed-user", "meal")
        ]
    );
    assert_eq!(back.presence.session_id.as_deref(), Some("s1"));
}

#[test]
fn reconnect_after_the_window_starts_over_as_available() {
    let p = connected(0);
    let p = transition(
        &p,
        Change::Choose {
            value: "meal".into(),
        },
        10,
        MIN,
    )
    .presence;
    let gone = transition(
        &p,
        Change::Disconnect {
            reason: DisconnectReason::Network,
        },
        1000,
        MIN,
    )
    .presence;
    let back = transition(
        &gone,
        Change::Connect {
            fresh_session: "s2".into(),
        },
        1000 + 61_000,
        MIN,
    );
    assert_eq!(
        values(&back),
        [
            ("status-changed", "connected"),
            ("status-changed", "available")
        ]
    );
    assert_eq!(back.presence.session_id.as_deref(), Some("s2"));
}

#[test]
fn logout_ends_the_session_so_nothing_is_restored() {
    let p = connected(0);
    let p = transition(
        &p,
        Change::Choose {
            value: "busy".into(),
        },
        10,
        MIN,
    )
    .presence;
    let out = transition(
        &p,
        Change::Disconnect {
            reason: DisconnectReason::Logout,
        },
        20,
        MIN,
    )
    .presence;
    assert_eq!(out.session_id, None);
    let back = transition(
        &out,
        Change::Connect {
            fresh_session: "s9".into(),
        },
        30,
        MIN,
    );
    assert_eq!(back.presence.status, "available");
    assert_eq!(back.presence.session_id.as_deref(), Some("s9"));
}

#[test]
fn a_call_moves_to_in_call_and_back_to_the_previous_status() {
    let p = connected(0);
    let p = transition(&p, Change::CallStarted, 5, MIN);
    assert_eq!(values(&p), [("status-changed", "in-call")]);
    let p = transition(&p.presence, Change::CallEnded { wrap_up: false }, 9, MIN);
    assert_eq!(
        values(&p),
        [
            ("status-changed", "end-call"),
            ("status-changed", "available")
        ]
    );
    assert_eq!(p.presence.status, "available");
}

#[test]
fn a_choice_during_a_call_is_queued_and_applied_when_it_ends() {
    let p = connected(0);
    let p = transition(&p, Change::CallStarted, 5, MIN).presence;
    let q = transition(
        &p,
        Change::Choose {
            value: "break".into(),
        },
        6,
        MIN,
    );
    assert!(q.queued);
    assert!(q.entries.is_empty());
    assert_eq!(q.presence.status, "in-call");
    assert_eq!(q.presence.pending.as_deref(), Some("break"));
    let end = transition(&q.presence, Change::CallEnded { wrap_up: false }, 9, MIN);
    assert_eq!(
        values(&end),
        [
            ("status-changed", "end-call"),
            ("status-changed-user", "break")
        ]
    );
    assert_eq!(end.presence.pending, None);
    assert_eq!(end.presence.status, "break");
}

#[test]
fn a_call_owing_a_disposition_ends_in_wrap_up_until_it_is_saved() {
    let p = connected(0);
    let p = transition(
        &p,
        Change::Choose {
            value: "busy".into(),
        },
        1,
        MIN,
    )
    .presence;
    let p = transition(&p, Change::CallStarted, 5, MIN).presence;
    let w = transition(&p, Change::CallEnded { wrap_up: true }, 9, MIN);
    assert_eq!(
        values(&w),
        [
            ("status-changed", "end-call"),
            ("status-changed", "wrap-up")
        ]
    );
    assert_eq!(
        w.presence.since, 9,
        "the wrap-up timer starts at the hang-up"
    );
    // A choice during wrap-up waits; so does nothing else.
    let q = transition(
        &w.presence,
        Change::Choose {
            value: "break".into(),
        },
        12,
        MIN,
    );
    assert!(q.queued);
    assert_eq!(q.presence.status, "wrap-up");
    let done = transition(&q.presence, Change::WrapUpDone, 20, MIN);
    assert_eq!(values(&done), [("status-changed-user", "break")]);
    // Without a choice, back to the status before the call.
    let back = transition(&w.presence, Change::WrapUpDone, 20, MIN);
    assert_eq!(values(&back), [("status-changed", "busy")]);
    assert_eq!(back.presence.pre_call, None);
    // Saved again (a corrected disposition), or outside wrap-up: nothing happens.
    assert!(
        transition(&back.presence, Change::WrapUpDone, 21, MIN)
            .entries
            .is_empty()
    );
    assert!(
        transition(&p, Change::WrapUpDone, 21, MIN)
            .entries
            .is_empty()
    );
}

#[test]
fn a_call_taken_during_wrap_up_returns_where_the_first_would_have() {
    let p = connected(0);
    let p = transition(
        &p,
        Change::Choose {
            value: "busy".into(),
        },
        1,
        MIN,
    )
    .presence;
    let p = transition(&p, Change::CallStarted, 2, MIN).presence;
    let p = transition(&p, Change::CallEnded { wrap_up: true }, 3, MIN).presence;
    let p = transition(&p, Change::CallStarted, 4, MIN).presence;
    assert_eq!(p.status, "in-call");
    let end = transition(&p, Change::CallEnded { wrap_up: false }, 5, MIN);
    assert_eq!(end.presence.status, "busy");
}

#[test]
fn a_call_ended_and_disposed_while_disconnected_is_not_lost_on_a_quick_reconnect() {
    let lost = |p: &Presence, t| {
        transition(
            p,
            Change::Disconnect {
                reason: DisconnectReason::Network,
            },
            t,
            MIN,
        )
        .presence
    };
    let back = |p: &Presence, t| {
        transition(
            p,
            Change::Connect {
                fresh_session: "new".into(),
            },
            t,
            MIN,
        )
        .presence
    };
    let p = transition(
        &connected(0),
        Change::Choose {
            value: "busy".into(),
        },
        1,
        MIN,
    )
    .presence;
    let in_call = transition(&p, Change::CallStarted, 2, MIN).presence;
    // Hung up while away, no disposition owed: back to the status before the call.
    let away = lost(&in_call, 3);
    let ended = transition(&away, Change::CallEnded { wrap_up: false }, 4, MIN);
    assert!(ended.entries.is_empty(), "nothing is logged while away");
    assert_eq!(ended.presence.status, "disconnected");
    let r = back(&ended.presence, 5);
    assert_eq!((r.status.as_str(), r.in_call), ("busy", false));
    // Owing a disposition: wrap-up on reconnect; disposed while away: back too.
    let ended = transition(
        &lost(&in_call, 3),
        Change::CallEnded { wrap_up: true },
        4,
        MIN,
    );
    assert_eq!(back(&ended.presence, 5).status, "wrap-up");
    let done = transition(&ended.presence, Change::WrapUpDone, 5, MIN);
    assert!(done.entries.is_empty());
    assert_eq!(back(&done.presence, 6).status, "busy");
    // In wrap-up when the connection dropped, disposed meanwhile: not stuck.
    let wrap = transition(&in_call, Change::CallEnded { wrap_up: true }, 3, MIN).presence;
    let done = transition(&lost(&wrap, 4), Change::WrapUpDone, 5, MIN).presence;
    assert_eq!(back(&done, 6).status, "busy");
    // Too late to restore: a fresh session, available, no call.
    let late = back(&ended.presence, 4 + MIN + 1);
    assert_eq!((late.status.as_str(), late.in_call), ("available", false));
}

#[test]
fn a_cancelled_pending_choice_is_not_applied() {
    let p = connected(0);
    let p = transition(&p, Change::CallStarted, 5, MIN).presence;
    let p = transition(
        &p,
        Change::Choose {
            value: "break".into(),
        },
        6,
        MIN,
    )
    .presence;
    let p = transition(&p, Change::CancelPending, 7, MIN).presence;
    let end = transition(&p, Change::CallEnded { wrap_up: false }, 9, MIN);
    assert_eq!(end.presence.status, "available");
}

#[test]
fn repeated_changes_log_nothing() {
    let p = connected(0);
    assert!(
        transition(
            &p,
            Change::Choose {
                value: "available".into()
            },
            5,
            MIN
        )
        .entries
        .is_empty()
    );
    assert!(
        transition(&p, Change::CallEnded { wrap_up: false }, 5, MIN)
            .entries
            .is_empty()
    );
    assert!(
        transition(
            &p,
            Change::Connect {
                fresh_session: "x".into()
            },
            5,
            MIN
        )
        .entries
        .is_empty()
    );
}
