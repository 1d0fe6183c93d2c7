//! The server's clock. Every "now" the server uses comes from here, so that a whole run
//! can be moved in time: `AGENTDESK_NOW=2028-03-01T00:30:00-03:00` starts the clock at
//! that instant, and from there it ticks with the wall clock (sessions expire, streams
//! go stale and follow-ups fall due as they would on that day). Unset, it is the wall
//! clock. Rules that depend on the time take `now` as an argument; only the edges
//! (routes, workers, the store's timestamps) read this.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};

/// The environment variable that moves the clock.
pub const NOW_ENV: &str = "AGENTDESK_NOW";

/// Offset from the wall clock, fixed at the first read.
static OFFSET: OnceLock<Duration> = OnceLock::new();

/// Parse a start instant (RFC 3339, with its offset).
pub fn parse_start(v: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(v.trim())
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| format!("{NOW_ENV}={v:?} is not an RFC 3339 instant ({e})"))
}

/// Read `AGENTDESK_NOW` once, failing on a value that cannot be read (a run meant to be
/// on the 1st of March must not silently run today). Called when the server starts.
pub fn init_from_env() -> Result<(), String> {
    if OFFSET.get().is_some() {
        return Ok(());
    }
    let offset = match std::env::var(NOW_ENV) {
        Ok(v) if !v.trim().is_empty() => parse_start(&v)? - Utc::now(),
        _ => Duration::zero(),
    };
    let _ = OFFSET.set(offset);
    Ok(())
}

/// Now, on the server's clock.
pub fn now() -> DateTime<Utc> {
    let offset = OFFSET.get_or_init(|| {
        // Not initialised by a server start (a tool or a test using the library):
        // the same rule, with an unreadable value ignored loudly.
        match std::env::var(NOW_ENV) {
            Ok(v) if !v.trim().is_empty() => match parse_start(&v) {
                Ok(start) => start - Utc::now(),
                Err(e) => {
                    tracing::error!("{e}; using the wall clock");
                    Duration::zero()
                }
            },
            _ => Duration::zero(),
        }
    });
    Utc::now() + *offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_instants_are_rfc3339_with_an_offset() {
        let at = parse_start("2028-03-01T00:30:00-03:00").unwrap();
        assert_eq!(at.to_rfc3339(), "2028-03-01T03:30:00+00:00");
        assert!(parse_start("2028-03-01").is_err());
        assert!(parse_start("yesterday").is_err());
    }
}
