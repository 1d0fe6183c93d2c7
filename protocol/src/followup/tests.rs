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
