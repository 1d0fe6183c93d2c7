//! The rules of follow-up specs, case by case.

use super::*;
use serde_json::json;
use std::collections::BTreeMap;

pub(crate) fn spec() -> FollowUpSpec {
    serde_json::from_value(json!({
        "name": "Pending approval",
        "poll_minutes": 10,
        "calls": [{ "name": "tickets", "url": "https://itsm.example.com/api/tickets?state=pending",
            "headers": [{ "name": "Authorization", "value": "Bearer s3cret", "secret": true }] }],
        "attributes": [
            { "name": "ticket.number", "path": "/number" },
            { "name": "approver", "path": "$.approver.login" }
        ],
        "looping": "$.items",
        "record_id": "/number",
        "recipients": { "user": "approver" },
        "message": { "text": "Ticket {{ticket.number}} waits for your approval" },
        "channel": "in_app",
        "notify_minutes": 60,
        "attempts": 3
    }))
    .expect("spec")
}

#[test]
fn paths_are_json_pointers_or_a_jsonpath_subset() {
    assert_eq!(parse_path("").unwrap(), "");
    assert_eq!(parse_path("$").unwrap(), "");
    assert_eq!(parse_path("/a/0/b").unwrap(), "/a/0/b");
    assert_eq!(parse_path("$.a[0].b").unwrap(), "/a/0/b");
    assert_eq!(parse_path("$['x/y']['a~b']").unwrap(), "/x~1y/a~0b");
    for bad in [
        "a.b",
        "$.",
        "$..a",
        "$.a[*]",
        "$.a[?(@.x)]",
        "$.a[0",
        "/a/~2",
        "$a",
    ] {
        assert!(parse_path(bad).is_err(), "{bad}");
    }
    let v = json!({ "items": [{ "n": 7, "who": { "login": "ana" } }] });
    let p = parse_path("$.items[0].who.login").unwrap();
    assert_eq!(v.pointer(&p), Some(&json!("ana")));
}

#[test]
fn placeholders_render_and_unclosed_ones_are_refused() {
    let mut values = BTreeMap::new();
    values.insert("ticket.number".to_string(), "T-1".to_string());
    assert_eq!(
        render("#{{ ticket.number }} / {{nope}}", &values),
        "#T-1 / "
    );
    assert_eq!(placeholders("a {{b}} {{ c }}").unwrap(), vec!["b", "c"]);
    assert!(placeholders("a {{b").is_err());
    assert!(placeholders("a {{ }}").is_err());
    assert_eq!(render("a {{b", &values), "a {{b");
}

#[test]
fn limits_are_inclusive_and_name_their_field() {
    let field = |s: &FollowUpSpec| s.check().err().map(|(f, _)| f);
    assert_eq!(field(&spec()), None);
    for (minutes, ok) in [
        (9, false),
        (10, true),
        (7200, true),
        (7201, false),
        (0, false),
    ] {
        let mut s = spec();
        s.poll_minutes = minutes;
        assert_eq!(field(&s).is_none(), ok, "poll {minutes}");
        if !ok {
            assert_eq!(field(&s).as_deref(), Some("poll_minutes"));
        }
        let mut s = spec();
        s.notify_minutes = minutes;
        assert_eq!(field(&s).is_none(), ok, "notify {minutes}");
    }
    for (n, ok) in [(0, false), (1, true), (10, true), (11, false)] {
        let mut s = spec();
        s.attempts = n;
        assert_eq!(field(&s).is_none(), ok, "attempts {n}");
    }
}

#[test]
fn bad_specs_name_the_field() {
    type Change = Box<dyn Fn(&mut FollowUpSpec)>;
    let cases: Vec<(&str, Change)> = vec![
        ("looping", Box::new(|s| s.looping = "$.items[*]".into())),
        ("record_id", Box::new(|s| s.record_id = String::new())),
        (
            "attributes[1].path",
            Box::new(|s| s.attributes[1].path = "approver".into()),
        ),
        (
            "recipients",
            Box::new(|s| s.recipients = Recipients::default()),
        ),
        (
            "recipients.user",
            Box::new(|s| s.recipients.user = Some("nobody".into())),
        ),
        (
            "message.text",
            Box::new(|s| s.message.text = "Hi {{unknown}}".into()),
        ),
        (
            "message.text",
            Box::new(|s| s.message.text = "Hi {{ticket.number".into()),
        ),
        ("record_type", Box::new(|s| s.record_type = "xml".into())),
        ("name", Box::new(|s| s.name = "Pending\u{0}approval".into())),
        ("name", Box::new(|s| s.name = "Pending\napproval".into())),
        (
            "calls[0].url",
            Box::new(|s| s.calls[0].url = "ftp://x".into()),
        ),
        (
            "calls[0].url",
            Box::new(|s| s.calls[0].url = "javascript:alert(1)".into()),
        ),
        ("calls", Box::new(|s| s.calls.clear())),
        (
            "calls[0].url",
            Box::new(|s| s.calls[0].url = "https://x/{{later./a}}".into()),
        ),
        (
            "calls[0].headers[0].value",
            Box::new(|s| s.calls[0].headers[0].value = Some("a\r\nX-Evil: 1".into())),
        ),
    ];
    for (want, change) in cases {
        let mut s = spec();
        change(&mut s);
        assert_eq!(s.check().err().map(|(f, _)| f).as_deref(), Some(want));
    }
}

#[test]
fn secrets_are_blanked_and_kept_on_update() {
    let stored = spec();
    let shown = stored.without_secrets();
    assert_eq!(shown.calls[0].headers[0].value, None);
    assert!(shown.missing_secrets());
    let mut back = shown.clone();
    back.keep_secrets_of(&stored);
    assert_eq!(back, stored);
    assert!(!back.missing_secrets());
}

#[test]
fn records_give_their_key_and_values() {
    let s = spec();
    let r = json!({ "number": 42, "approver": { "login": "ana" } });
    assert_eq!(s.record_key(&r).as_deref(), Some("42"));
    assert_eq!(s.record_values(&r)["approver"], "ana");
    assert_eq!(s.record_key(&json!({ "number": null })), None);
    assert_eq!(s.record_key(&json!({ "number": "  " })), None);
}

/// `spec()` with an "approve" action, a card whose second button calls it, and a
/// recipients' call; each with a secret header.
fn with_actions() -> FollowUpSpec {
    let mut s = spec();
    let extra: FollowUpSpec = serde_json::from_value(json!({
        "name": "x", "poll_minutes": 10, "looping": "", "record_id": "/n",
        "calls": [], "channel": "in_app", "notify_minutes": 10, "attempts": 1,
        "message": { "text": "x", "card": { "title": "Ticket {{ticket.number}}", "buttons": [
            { "label": "Open", "url": "https://itsm.example.com/t/{{ticket.number}}" },
            { "label": "Approve", "action": "approve" }
        ] } },
        "actions": [{ "name": "approve", "method": "POST",
            "url": "https://itsm.example.com/api/tickets/{{ticket.number}}/approve",
            "headers": [{ "name": "Authorization", "value": "Bearer act", "secret": true }],
            "body": { "by": "{{approver}}" } }],
        "recipients": { "lookup": {
            "call": { "name": "owner", "url": "https://crm.example.com/owners/{{ticket.number}}",
                "headers": [{ "name": "X-Key", "value": "k3y", "secret": true }] },
            "user": "/login" } }
    }))
    .expect("extra");
    s.actions = extra.actions;
    s.message.card = extra.message.card;
    s.recipients.lookup = extra.recipients.lookup;
    s
}

#[test]
fn actions_buttons_and_the_recipients_call_are_checked() {
    assert_eq!(with_actions().check(), Ok(()));
    // The recipients' call alone is enough.
    let mut s = with_actions();
    s.recipients.user = None;
    assert_eq!(s.check(), Ok(()));
    type Change = Box<dyn Fn(&mut FollowUpSpec)>;
    fn button(s: &mut FollowUpSpec) -> &mut CardButton {
        &mut s.message.card.as_mut().unwrap().buttons[1]
    }
    let cases: Vec<(&str, Change)> = vec![
        (
            "message.card.buttons[1].action",
            Box::new(|s| button(s).action = Some("reject".into())),
        ),
        (
            "message.card.buttons[1].action",
            Box::new(|s| button(s).url = "https://x.example".into()),
        ),
        (
            "message.card.buttons[1].url",
            Box::new(|s| button(s).action = None),
        ),
        (
            "actions[0].url",
            Box::new(|s| s.actions[0].url = "https://x/{{nope}}".into()),
        ),
        (
            "actions[0].url",
            // An action reads the record's attributes, not the calls' answers.
            Box::new(|s| s.actions[0].url = "https://x/{{tickets./items}}".into()),
        ),
        (
            "actions[0].body",
            Box::new(|s| s.actions[0].body = Some(json!({ "by": "{{nobody}}" }))),
        ),
        (
            "actions[0].headers[0].value",
            Box::new(|s| s.actions[0].headers[0].value = Some("x\ny".into())),
        ),
        (
            "actions[1].name",
            Box::new(|s| s.actions.push(s.actions[0].clone())),
        ),
        (
            "actions",
            Box::new(|s| s.actions = vec![s.actions[0].clone(); MAX_ACTIONS + 1]),
        ),
        (
            "recipients.lookup.call.url",
            Box::new(|s| s.recipients.lookup.as_mut().unwrap().call.url = "file:///etc".into()),
        ),
        (
            "recipients.lookup",
            Box::new(|s| s.recipients.lookup.as_mut().unwrap().user = None),
        ),
        (
            "recipients.lookup.user",
            Box::new(|s| s.recipients.lookup.as_mut().unwrap().user = Some("$.a[*]".into())),
        ),
    ];
    for (want, change) in cases {
        let mut s = with_actions();
        change(&mut s);
        assert_eq!(
            s.check().err().map(|(f, _)| f).as_deref(),
            Some(want),
            "{want}"
        );
    }
}

#[test]
fn every_calls_secrets_are_blanked_listed_and_kept() {
    let stored = with_actions();
    assert_eq!(
        stored.secret_fields(),
        vec![
            "calls[0].headers[0].value",
            "actions[0].headers[0].value",
            "recipients.lookup.call.headers[0].value",
        ]
    );
    let shown = stored.without_secrets();
    let text = serde_json::to_string(&shown).unwrap();
    for secret in ["s3cret", "Bearer act", "k3y"] {
        assert!(!text.contains(secret), "{secret} shown");
    }
    // Entered for the calls only: the action's is still missing.
    let mut partly = shown.clone();
    partly.calls[0].headers[0].value = Some("Bearer s3cret".into());
    assert_eq!(
        partly.missing_secret().as_deref(),
        Some("actions[0].headers[0].value")
    );
    let mut back = shown;
    back.keep_secrets_of(&stored);
    assert_eq!(back, stored);
}
