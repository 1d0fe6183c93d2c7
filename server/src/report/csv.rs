//! Reports as CSV: one header line, then a line per row (`scope` = `interval`), per
//! campaign or agent over the range (`total`) and, for the queue report, the grand total
//! (`all`). The numbers are the JSON's, printed as JSON prints them (empty where the
//! JSON has `null`).

use agentdesk_protocol::report::{
    AgentReport, AgentRow, ConversationReport, ConversationRow, QueueReport, QueueRow,
    TeamAnalytics,
};
use chrono::SecondsFormat;

use crate::text::csv_field;

const QUEUE_HEADER: &str = "scope,start,campaign,offered,answered,abandoned,exit_empty,\
exit_with_key,exit_with_timeout,abandon_rate,avg_answer_wait,p90_answer_wait,\
avg_abandon_wait,service_level,service_level_secs,completed,avg_talk,agent_hung_up,\
caller_hung_up,transfers,ring_no_answer,outbound,outbound_answered,outbound_busy,\
outbound_no_answer,outbound_other,avg_outbound_duration,holds,avg_hold,wrap_ups,\
avg_wrap_up,unknown_events,unreadable_values";

const AGENT_HEADER: &str = "scope,start,agent,login,on_break,breaks,break_reasons,answered,\
handled,talk,hold,wrap_up,avg_handle,ring_no_answer,outbound,occupancy,connected,statuses";

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn queue_line(out: &mut String, scope: &str, r: &QueueRow) {
    let cells = [
        scope.to_owned(),
        r.start.to_rfc3339_opts(SecondsFormat::Secs, false),
        csv_field(&r.campaign),
        r.offered.to_string(),
        r.answered.to_string(),
        r.abandoned.to_string(),
        r.exit_empty.to_string(),
        r.exit_with_key.to_string(),
        r.exit_with_timeout.to_string(),
        opt(r.abandon_rate),
        opt(r.avg_answer_wait),
        opt(r.p90_answer_wait),
        opt(r.avg_abandon_wait),
        opt(r.service_level),
        r.service_level_secs.to_string(),
        r.completed.to_string(),
        opt(r.avg_talk),
        r.agent_hung_up.to_string(),
        r.caller_hung_up.to_string(),
        r.transfers.to_string(),
        r.ring_no_answer.to_string(),
        r.outbound.to_string(),
        r.outbound_answered.to_string(),
        r.outbound_busy.to_string(),
        r.outbound_no_answer.to_string(),
        r.outbound_other.to_string(),
        opt(r.avg_outbound_duration),
        r.holds.to_string(),
        opt(r.avg_hold),
        r.wrap_ups.to_string(),
        opt(r.avg_wrap_up),
        r.unknown_events.to_string(),
        r.unreadable_values.to_string(),
    ];
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

pub fn queue(report: &QueueReport) -> String {
    let mut out = format!("{QUEUE_HEADER}\r\n");
    for r in &report.rows {
        queue_line(&mut out, "interval", r);
    }
    for r in &report.totals {
        queue_line(&mut out, "total", r);
    }
    queue_line(&mut out, "all", &report.total);
    out
}

/// Seconds by name in one cell: `name=seconds;…`.
fn pairs(m: &std::collections::BTreeMap<String, f64>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(";")
}

fn agent_line(out: &mut String, scope: &str, r: &AgentRow) {
    let reasons = pairs(&r.break_reasons);
    let statuses = pairs(&r.statuses);
    let cells = [
        scope.to_owned(),
        r.start.to_rfc3339_opts(SecondsFormat::Secs, false),
        csv_field(&r.agent),
        r.login.to_string(),
        r.on_break.to_string(),
        r.breaks.to_string(),
        csv_field(&reasons),
        r.answered.to_string(),
        r.handled.to_string(),
        r.talk.to_string(),
        r.hold.to_string(),
        r.wrap_up.to_string(),
        opt(r.avg_handle),
        r.ring_no_answer.to_string(),
        r.outbound.to_string(),
        opt(r.occupancy),
        r.connected.to_string(),
        csv_field(&statuses),
    ];
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

pub fn agents(report: &AgentReport) -> String {
    let mut out = format!("{AGENT_HEADER}\r\n");
    for r in &report.rows {
        agent_line(&mut out, "interval", r);
    }
    for r in &report.totals {
        agent_line(&mut out, "total", r);
    }
    out
}

const TEAM_HEADER: &str = "scope,start,channel,inbound,outbound,total";

/// A team's volume: a line per interval and channel, per channel over the range
/// (`total`) and over every channel (`all`, channel empty). Reply times and the top
/// contacts are in the JSON.
pub fn team(report: &TeamAnalytics) -> String {
    let mut out = format!("{TEAM_HEADER}\r\n");
    let from = report.start.to_rfc3339_opts(SecondsFormat::Secs, false);
    let mut line = |scope: &str, start: &str, channel: &str, i: u64, o: u64| {
        out.push_str(&format!("{scope},{start},{channel},{i},{o},{}\r\n", i + o));
    };
    for r in &report.rows {
        let start = r.start.to_rfc3339_opts(SecondsFormat::Secs, false);
        line("interval", &start, r.kind.as_str(), r.inbound, r.outbound);
    }
    for c in &report.channels {
        line("total", &from, c.kind.as_str(), c.inbound, c.outbound);
    }
    line("all", &from, "", report.inbound, report.outbound);
    out
}

/// The conversations report: `scope,start,<group_by>,other,conversations,inbound,
/// outbound`, then `count`, `sum` and `avg` of each measure any row carries (by name).
pub fn conversations(report: &ConversationReport) -> String {
    let measures: Vec<&String> = report.total.measures.keys().collect();
    let mut out = format!(
        "scope,start,{},other,conversations,inbound,outbound",
        csv_field(&report.group_by)
    );
    for m in &measures {
        let m = csv_field(m);
        out.push_str(&format!(",{m}_count,{m}_sum,{m}_avg"));
    }
    out.push_str("\r\n");
    let mut line = |scope: &str, r: &ConversationRow| {
        out.push_str(&format!(
            "{scope},{},{},{},{},{},{}",
            r.start.to_rfc3339_opts(SecondsFormat::Secs, false),
            csv_field(r.value.as_deref().unwrap_or_default()),
            r.other,
            r.conversations,
            r.inbound,
            r.outbound
        ));
        for m in &measures {
            match r.measures.get(*m) {
                Some(s) => out.push_str(&format!(",{},{},{}", s.count, s.sum, opt(s.avg))),
                None => out.push_str(",0,0,"),
            }
        }
        out.push_str("\r\n");
    };
    for r in &report.rows {
        line("interval", r);
    }
    for r in &report.totals {
        line("total", r);
    }
    line("all", &report.total);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_queue_line_has_the_header_s_cells() {
        let header = QUEUE_HEADER.split(',').count();
        let mut out = String::new();
        queue_line(
            &mut out,
            "all",
            &QueueRow {
                campaign: "=evil,\"x\"".into(),
                ..QueueRow::default()
            },
        );
        // The campaign is one quoted, defused cell.
        assert!(out.contains("\"'=evil,\"\"x\"\"\""), "{out}");
        let plain = out.replace("\"'=evil,\"\"x\"\"\"", "c");
        assert_eq!(plain.trim_end().split(',').count(), header);
        let mut out = String::new();
        agent_line(&mut out, "all", &AgentRow::default());
        assert_eq!(
            out.trim_end().split(',').count(),
            AGENT_HEADER.split(',').count()
        );
    }
}
