//! Dates in the agent's language and time zone, formatted by the browser's `Intl`
//! (no time-zone database in the bundle).

use agentdesk_protocol::Locale;
use chrono::{DateTime, Utc};
use js_sys::{Array, Date, Intl, Object, Reflect};
use leptos::prelude::*;
use wasm_bindgen::JsValue;

use crate::i18n::use_i18n;
use crate::session::use_session;

fn format(t: DateTime<Utc>, locale: Locale, time_zone: &str, opts: &[(&str, &str)]) -> String {
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
    let locales = Array::of1(&JsValue::from_str(locale.bcp47()));
    let date = Date::new(&JsValue::from_f64(t.timestamp_millis() as f64));
    Intl::DateTimeFormat::new(&locales, &options)
        .format()
        .call1(&JsValue::UNDEFINED, &date)
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| t.to_rfc3339())
}

/// "5 minutes ago" in the UI language, by `Intl.RelativeTimeFormat`.
fn relative(minutes: i64, locale: Locale) -> Option<String> {
    let (value, unit) = if minutes < 60 {
        (minutes, "minute")
    } else {
        (minutes / 60, "hour")
    };
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

/// A `<time>`: relative for today ("5 minutes ago"), date and time otherwise, and the
/// full timestamp on hover and for assistive technology (or shown, with `full`).
#[component]
pub fn Time(at: DateTime<Utc>, #[prop(optional)] full: bool) -> impl IntoView {
    let i18n = use_i18n();
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
        let now = DateTime::from_timestamp_millis(Date::now() as i64).unwrap_or(at);
        let minutes = (now - at).num_minutes();
        if day(at) == day(now) && (0..12 * 60).contains(&minutes) {
            if minutes < 1 {
                return i18n.t(crate::i18n::Msg::JustNow).to_string();
            }
            if let Some(r) = relative(minutes, locale) {
                return r;
            }
        }
        if day(at) == day(now) {
            format(at, locale, &tz, &[("timeStyle", "short")])
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

/// Milliseconds since the epoch, updated every second: one timer for every running
/// clock on the page (call timer, time in status, the board).
#[derive(Clone, Copy)]
pub struct Clock(pub RwSignal<i64>);

impl Clock {
    /// Start the app's clock (once, in the app root).
    pub fn start() -> Self {
        let now = RwSignal::new(js_sys::Date::now() as i64);
        gloo_timers::callback::Interval::new(1000, move || now.set(js_sys::Date::now() as i64))
            .forget();
        Clock(now)
    }
}

pub fn use_clock() -> RwSignal<i64> {
    expect_context::<Clock>().0
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
