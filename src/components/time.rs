//! Dates in the agent's language and time zone, formatted by the browser's `Intl`
//! (no time-zone database in the bundle).

use agentdesk_protocol::Locale;
use chrono::{DateTime, Utc};
use js_sys::{Array, Date, Intl, Object, Reflect};
use leptos::prelude::*;
use wasm_bindgen::JsValue;

use crate::i18n::use_i18n;
use crate::session::use_session;

/// The instant `ms` written by `Intl.DateTimeFormat` for the language `locale` (a
/// BCP 47 tag) with the options `opts`, in `time_zone` (the browser's when empty).
fn intl(ms: i64, locale: &str, time_zone: &str, opts: &[(&str, &str)]) -> Option<String> {
    let options = Object::new();
    for (k, v) in opts {
        let _ = Reflect::set(&options, &JsValue::from_str(k), &JsValue::from_str(v));
    }
    if !time_zone.is_empty() {
        let _ = Reflect::set(
            &options,
            &JsValue::from_str("timeZone"),
            &JsValue::from_str(time_zone),
        );
    }
    let locales = Array::of1(&JsValue::from_str(locale));
    let date = Date::new(&JsValue::from_f64(ms as f64));
    Intl::DateTimeFormat::new(&locales, &options)
        .format()
        .call1(&JsValue::UNDEFINED, &date)
        .ok()?
        .as_string()
}

pub fn format(t: DateTime<Utc>, locale: Locale, time_zone: &str, opts: &[(&str, &str)]) -> String {
    intl(t.timestamp_millis(), locale.bcp47(), time_zone, opts).unwrap_or_else(|| t.to_rfc3339())
}

/// The calendar date of `t` in `time_zone` (the browser's when empty), by `Intl`.
fn local_date(t: DateTime<Utc>, time_zone: &str) -> Option<chrono::NaiveDate> {
    // en-CA writes dates as ISO 8601 (2026-12-05).
    let opts = [
        ("year", "numeric"),
        ("month", "2-digit"),
        ("day", "2-digit"),
    ];
    let text = intl(t.timestamp_millis(), "en-CA", time_zone, &opts)?;
    chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok()
}

/// "5 minutes ago", "yesterday" in the UI language, by `Intl.RelativeTimeFormat`.
fn relative_unit(value: i64, unit: &str, locale: Locale) -> Option<String> {
    let options = Object::new();
    let _ = Reflect::set(
        &options,
        &JsValue::from_str("numeric"),
        &JsValue::from_str("auto"),
    );
    let locales = Array::of1(&JsValue::from_str(locale.bcp47()));
    let rtf = Intl::RelativeTimeFormat::new(&locales, &options);
    rtf.format(-(value as f64), unit).as_string()
}

/// "5 minutes ago" / "3 hours ago".
fn relative(minutes: i64, locale: Locale) -> Option<String> {
    let (value, unit) = if minutes < 60 {
        (minutes, "minute")
    } else {
        (minutes / 60, "hour")
    };
    relative_unit(value, unit, locale)
}

/// A `<time>`: relative for today ("5 minutes ago"), date and time otherwise, and the
/// full timestamp on hover and for assistive technology (or shown, with `full`).
#[component]
pub fn Time(at: DateTime<Utc>, #[prop(optional)] full: bool) -> impl IntoView {
    let i18n = use_i18n();
    let minute = expect_context::<Clock>().minute;
    let session = use_session();
    let tz = move || {
        session
            .me
            .with(|m| m.as_ref().map(|m| m.time_zone.clone()).unwrap_or_default())
    };
    let short = move || {
        let locale = i18n.locale.get();
        let tz = tz();
        let day = |t: DateTime<Utc>| format(t, locale, &tz, &[("dateStyle", "short")]);
        // Re-rendered once a minute by the app's clock: "5 minutes ago" stays true.
        minute.track();
        let now = DateTime::from_timestamp_millis(now_ms()).unwrap_or(at);
        let minutes = (now - at).num_minutes();
        if day(at) == day(now) && (0..12 * 60).contains(&minutes) {
            if minutes < 1 {
                return i18n.t(crate::i18n::Msg::JustNow).to_string();
            }
            if let Some(r) = relative(minutes, locale) {
                return r;
            }
        }
        // The day before today in the user's zone (a calendar day, whatever its
        // length across a DST change): "yesterday, 22:10".
        let yesterday = local_date(now, &tz)
            .and_then(|d| d.pred_opt())
            .is_some_and(|y| local_date(at, &tz) == Some(y));
        if day(at) == day(now) {
            format(at, locale, &tz, &[("timeStyle", "short")])
        } else if yesterday && let Some(word) = relative_unit(1, "day", locale) {
            format!(
                "{word}, {}",
                format(at, locale, &tz, &[("timeStyle", "short")])
            )
        } else {
            format(
                at,
                locale,
                &tz,
                &[("dateStyle", "medium"), ("timeStyle", "short")],
            )
        }
    };
    let long = move || {
        format(
            at,
            i18n.locale.get(),
            &tz(),
            &[("dateStyle", "full"), ("timeStyle", "long")],
        )
    };
    if full {
        return view! { <time datetime=at.to_rfc3339()>{long}</time> }.into_any();
    }
    view! { <time datetime=at.to_rfc3339() title=long>{short}</time> }.into_any()
}

thread_local! {
    /// The server's clock minus the browser's, in ms: the app's "now" is the server's, so
    /// that a wrong clock on the agent's PC (or a test moving the server in time) never
    /// makes a call timer or "5 minutes ago" disagree with what the server stored.
    static SKEW_MS: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

/// Learn the server's time from a response's `Date` header (whole seconds: the middle
/// of that second is the best guess, and a change under 2 s is noise).
pub fn server_said(http_date: &str) {
    let server = Date::parse(http_date);
    if server.is_nan() {
        return;
    }
    let skew = server + 500.0 - Date::now();
    SKEW_MS.with(|s| {
        if (s.get() - skew).abs() > 2000.0 {
            s.set(skew);
        }
    });
}

/// Now on the app's clock, ms since the epoch.
pub fn now_ms() -> i64 {
    (Date::now() + SKEW_MS.with(|s| s.get())) as i64
}

/// The app's one clock: `second` ticks every second (call timer, time in status, the
/// board), `minute` once a minute (relative times), both on the server's time.
#[derive(Clone, Copy)]
pub struct Clock {
    pub second: RwSignal<i64>,
    pub minute: Memo<i64>,
}

impl Clock {
    /// Start the app's clock (once, in the app root).
    pub fn start() -> Self {
        let second = RwSignal::new(now_ms());
        gloo_timers::callback::Interval::new(1000, move || second.set(now_ms())).forget();
        let minute = Memo::new(move |_| second.get() / 60_000);
        Clock { second, minute }
    }
}

/// Milliseconds since the epoch, updated every second.
pub fn use_clock() -> RwSignal<i64> {
    expect_context::<Clock>().second
}

/// Now as a date-time input writes it (`2026-12-07T09:30`), on the app's clock, in
/// `time_zone` (the browser's when empty), by `Intl`.
pub fn local_now(time_zone: &str) -> Option<String> {
    let opts = [
        ("year", "numeric"),
        ("month", "2-digit"),
        ("day", "2-digit"),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
        ("hourCycle", "h23"),
    ];
    // en-CA writes ISO 8601 dates: "2026-12-05, 20:55" (the separator has varied
    // between ICU versions).
    let text = intl(now_ms(), "en-CA", time_zone, &opts)?;
    let t = chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%d, %H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M"))
        .ok()?;
    Some(t.format("%Y-%m-%dT%H:%M").to_string())
}

/// Whether a date-time input's value is later than `now` (both as [`local_now`] writes
/// them, in the same zone). An empty or unreadable value is not.
pub fn is_later_local(value: &str, now: &str) -> bool {
    let read = |v: &str| {
        chrono::NaiveDateTime::parse_from_str(v.trim(), "%Y-%m-%dT%H:%M")
            .or_else(|_| chrono::NaiveDateTime::parse_from_str(v.trim(), "%Y-%m-%dT%H:%M:%S"))
            .ok()
    };
    matches!((read(value), read(now)), (Some(v), Some(n)) if v > n)
}

/// `m:ss`, or `h:mm:ss` from an hour on.
pub fn elapsed(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// Time from `since` to `now` (ms), as [`elapsed`].
pub fn since(since: DateTime<Utc>, now: i64) -> String {
    elapsed(u64::try_from((now - since.timestamp_millis()).max(0) / 1000).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_callback_time_must_be_later_than_now_in_the_same_zone() {
        let now = "2026-12-31T23:59";
        assert!(is_later_local("2027-01-01T00:00", now));
        assert!(is_later_local("2027-01-01T00:00:30", now));
        assert!(!is_later_local("2026-12-31T23:59", now));
        assert!(!is_later_local("2026-12-31T09:00", now));
        assert!(!is_later_local("", now));
        assert!(!is_later_local("mañana", now));
    }
}
