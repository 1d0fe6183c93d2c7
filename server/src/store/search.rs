//! The timeline's search index terms (SQLite, `timeline_terms`): how an activity's words
//! become index terms, how a search becomes an index query, and the sort key the index
//! uses as row id. Pure functions, so the layout is tested without a database.
//!
//! Every word is indexed once per (contact, team, kind): `{contact}t{team}{k}{word}`,
//! where `k` is one letter per kind ([`kind_letter`]) and [`EMAIL_CONTENT`] marks words of
//! email content (searchable only with the email permission). Because the contact and
//! team ids end at the first letter, no term of one (contact, team, kind) is a prefix of
//! another's, so the prefix query of a word never leaks into other histories.
//!
//! A search word is a prefix. FTS5 answers a prefix query by first merging the posting
//! lists of every matching term into memory (7 ms for 21,000 matches, measured), while an
//! OR of exact terms streams in row-id order and stops after ten (0.1 ms). So the terms a
//! word's prefix stands for are looked up in `timeline_vocab` (every term ever indexed)
//! and searched exactly; a word that stands for more than [`MAX_EXPANSION`] terms, or for
//! none the vocabulary knows, falls back to FTS5's own prefix query.

use agentdesk_protocol::{ActivityDetail, ActivityKind, SEARCH_MATCH_LIMIT, text};

use super::{NewEmail, email_search_text, search_text};

/// The letter for email content words in index terms (not a kind of its own).
pub const EMAIL_CONTENT: char = 'm';

/// Low bits of a search key kept for the rank among activities of the same millisecond.
pub const KEY_SEQ_BITS: u32 = 21;
/// Milliseconds are clamped to ±2^42 (years 1830–2109) so that the key fits in an i64;
/// activities outside keep a key at the bound, ordered among themselves by id.
const KEY_MS_LIMIT: i64 = 1 << 42;

/// Beyond this many exact terms for one word, its prefix query is cheaper.
pub const MAX_EXPANSION: usize = 64;

/// A search word (as [`text::search_words`] gives it) as it is spelled in index terms.
pub fn term_word(word: &str) -> String {
    text::index_spelling(word)
}

/// The letter that stands for a kind in index terms.
pub fn kind_letter(kind: ActivityKind) -> char {
    match kind {
        ActivityKind::Email => 'e',
        ActivityKind::Chat => 'h',
        ActivityKind::Ticket => 'k',
        ActivityKind::Call => 'c',
        ActivityKind::Sms => 's',
        ActivityKind::Note => 'n',
        ActivityKind::FollowUp => 'f',
    }
}

/// The smallest search key of the millisecond `occurred_ms`; the activity's key is this
/// plus its rank among the activities of that millisecond.
pub fn key_base(occurred_ms: i64) -> i64 {
    occurred_ms.clamp(-KEY_MS_LIMIT, KEY_MS_LIMIT - 1) << KEY_SEQ_BITS
}

/// The largest key of the millisecond whose smallest is `base`.
pub fn key_last(base: i64) -> i64 {
    base + ((1 << KEY_SEQ_BITS) - 1)
}

/// The words of `s` (the one text rule, [`text::words`]), each once, in index spelling.
fn words(s: &str) -> std::collections::BTreeSet<String> {
    text::words(s).map(|w| text::index_spelling(&w)).collect()
}

/// The prefix of every term of one (contact, team, kind letter).
fn term_prefix(contact_id: i64, team_id: i64, letter: char) -> String {
    format!("{contact_id}t{team_id}{letter}")
}

/// The document stored for one activity: its terms separated by spaces.
pub fn index_terms(
    contact_id: i64,
    team_id: i64,
    detail: &ActivityDetail,
    email: Option<&NewEmail>,
) -> String {
    let mut out = String::new();
    let mut push = |letter: char, text: &str| {
        let prefix = term_prefix(contact_id, team_id, letter);
        for w in words(text) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&prefix);
            out.push_str(&w);
        }
    };
    push(kind_letter(detail.kind()), &search_text(detail));
    if let Some(e) = email {
        push(EMAIL_CONTENT, &email_search_text(e));
    }
    out
}

/// The term heads a search covers: one per (team, kind) pair the viewer may see and
/// chose, plus the email content of the teams' email activities when the viewer may read
/// email.
pub fn heads(contact_id: i64, pairs: &[(i64, ActivityKind)], can_email: bool) -> Vec<String> {
    let mut heads = Vec::new();
    for &(team, kind) in pairs {
        heads.push(term_prefix(contact_id, team, kind_letter(kind)));
        if kind == ActivityKind::Email && can_email {
            heads.push(term_prefix(contact_id, team, EMAIL_CONTENT));
        }
    }
    heads
}

/// The vocabulary range `[low, high)` of the terms that start with `head` + `word`.
pub fn vocab_range(head: &str, word: &str) -> (String, String) {
    let low = format!("{head}{word}");
    // The largest character sorts after any continuation of the prefix (byte order).
    let high = format!("{low}{}", char::MAX);
    (low, high)
}

/// One word of a search as index query atoms, any of which may match.
pub enum WordMatch {
    /// The exact terms the word's prefix stands for.
    Exact(Vec<String>),
    /// Too many (or unknown) terms: FTS5's prefix query on every head.
    Prefix { heads: Vec<String>, word: String },
}

/// The same query in PostgreSQL's `tsquery` syntax (`&`, `|`, `:*` for a prefix).
pub fn tsquery(words: &[WordMatch]) -> Option<String> {
    query_text(
        words,
        |t| t.to_string(),
        |h, w| format!("{h}{w}:*"),
        " | ",
        " & ",
    )
}

/// The searchable parts of a stored email (subject, sender, body), when there is one.
pub fn stored_email(
    subject: Option<String>,
    sender: Option<String>,
    body: Option<String>,
) -> Option<NewEmail> {
    Some(NewEmail {
        message_id: None,
        subject: subject?,
        sender: sender?,
        snippet: String::new(),
        body: body?,
        attachments: Vec::new(),
    })
}

/// The index query: every word required, each matching any of its atoms. Terms and words
/// hold only letters and digits (see `search_words` and [`index_terms`]), so quoting them
/// cannot be broken. `None` when a word can match nothing.
pub fn match_query(words: &[WordMatch]) -> Option<String> {
    query_text(
        words,
        |t| format!("\"{t}\""),
        |h, w| format!("\"{h}{w}\"*"),
        " OR ",
        " AND ",
    )
}

/// Every word required (`and`), each matching any of its atoms (`or`), in either
/// backend's syntax. `None` when a word can match nothing.
fn query_text(
    words: &[WordMatch],
    exact: impl Fn(&str) -> String,
    prefix: impl Fn(&str, &str) -> String,
    or: &str,
    and: &str,
) -> Option<String> {
    let mut groups = Vec::with_capacity(words.len());
    for w in words {
        let atoms: Vec<String> = match w {
            WordMatch::Exact(terms) => terms.iter().map(|t| exact(t)).collect(),
            WordMatch::Prefix { heads, word } => heads.iter().map(|h| prefix(h, word)).collect(),
        };
        if atoms.is_empty() {
            return None;
        }
        groups.push(format!("({})", atoms.join(or)));
    }
    (!groups.is_empty()).then(|| groups.join(and))
}

/// A search's match count, read up to one past [`SEARCH_MATCH_LIMIT`], as (total,
/// capped).
pub fn cap(counted: i64) -> (u64, bool) {
    let n = u64::try_from(counted).unwrap_or(0);
    if n > SEARCH_MATCH_LIMIT {
        (SEARCH_MATCH_LIMIT, true)
    } else {
        (n, false)
    }
}

/// The total to plan a search's walk with: a capped search's end is not the oldest
/// match, so it is never walked from (an unbounded total makes the start or an anchor
/// always the nearer end; both are at most the limit away).
pub fn walk_total(total: u64, capped: bool) -> u64 {
    if capped { u64::MAX } else { total }
}

/// An activity written before its search entry had terms (before migration 0007), as
/// the backfill reads it, by name.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct Unindexed {
    pub id: i64,
    pub contact_id: i64,
    pub team_id: i64,
    pub detail: String,
    pub occurred_at: i64,
    pub subject: Option<String>,
    pub sender: Option<String>,
    pub body: Option<String>,
}

impl Unindexed {
    /// Its index terms. A detail that no longer parses gets an entry without words
    /// (its timeline key stays: the activity is still listed).
    pub(crate) fn terms(&self) -> String {
        serde_json::from_str::<ActivityDetail>(&self.detail)
            .map(|detail| {
                let email =
                    stored_email(self.subject.clone(), self.sender.clone(), self.body.clone());
                index_terms(self.contact_id, self.team_id, &detail, email.as_ref())
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_past_the_limit_is_capped_at_the_limit() {
        assert_eq!(cap(0), (0, false));
        assert_eq!(cap(-1), (0, false));
        assert_eq!(cap(SEARCH_MATCH_LIMIT as i64), (SEARCH_MATCH_LIMIT, false));
        assert_eq!(
            cap(SEARCH_MATCH_LIMIT as i64 + 1),
            (SEARCH_MATCH_LIMIT, true)
        );
    }

    #[test]
    fn a_capped_search_is_never_walked_from_its_end() {
        use crate::store::{WalkFrom, plan_walk};
        // Page 100 of exactly 1,000 matches: from the end (the oldest match).
        let exact = plan_walk(walk_total(SEARCH_MATCH_LIMIT, false), 100, None);
        assert_eq!((exact.from, exact.skip), (WalkFrom::End, 9));
        // Page 100 of a capped search: from the start, 990 entries down.
        let capped = plan_walk(walk_total(SEARCH_MATCH_LIMIT, true), 100, None);
        assert_eq!((capped.from, capped.skip), (WalkFrom::Start, 990));
    }
    use agentdesk_protocol::Direction;

    fn sms(text: &str) -> ActivityDetail {
        ActivityDetail::Sms {
            direction: Direction::Inbound,
            text: text.into(),
        }
    }

    #[test]
    fn terms_carry_contact_team_and_kind_once_per_word() {
        assert_eq!(
            index_terms(42, 3, &sms("Factura, factura y PAGO-2024"), None),
            "42t3s2024 42t3sfactura 42t3spago 42t3sy"
        );
        assert_eq!(
            index_terms(42, 3, &sms("Conexión Conexio\u{301}n"), None),
            "42t3sconexion"
        );
    }

    #[test]
    fn email_content_has_its_own_letter() {
        let email = NewEmail {
            message_id: Some("<a@b>".into()),
            subject: "Reintegro".into(),
            sender: "ana@example.com".into(),
            snippet: String::new(),
            body: "Hola".into(),
            attachments: Vec::new(),
        };
        let detail = ActivityDetail::Email {
            direction: Direction::Inbound,
            status: None,
            content: None,
        };
        assert_eq!(
            index_terms(7, 1, &detail, Some(&email)),
            "7t1mana 7t1mcom 7t1mexample 7t1mhola 7t1mreintegro"
        );
    }

    #[test]
    fn heads_cover_the_visible_pairs_and_email_content_only_with_permission() {
        let pairs = [(3, ActivityKind::Call), (3, ActivityKind::Email)];
        assert_eq!(heads(42, &pairs, false), vec!["42t3c", "42t3e"]);
        assert_eq!(heads(42, &pairs, true), vec!["42t3c", "42t3e", "42t3m"]);
    }

    #[test]
    fn queries_require_every_word_exactly_or_as_a_prefix() {
        let q = match_query(&[
            WordMatch::Exact(vec!["42t3cfactura".into(), "42t3cfacturas".into()]),
            WordMatch::Prefix {
                heads: vec!["42t3c".into(), "42t3e".into()],
                word: "urg".into(),
            },
        ]);
        assert_eq!(
            q.unwrap(),
            "(\"42t3cfactura\" OR \"42t3cfacturas\") AND (\"42t3curg\"* OR \"42t3eurg\"*)"
        );
        assert_eq!(match_query(&[WordMatch::Exact(vec![])]), None);
        assert_eq!(match_query(&[]), None);
    }

    #[test]
    fn vocabulary_ranges_hold_exactly_the_continuations() {
        let (low, high) = vocab_range("42t3c", "fact");
        for inside in ["42t3cfact", "42t3cfactura", "42t3cfactñ"] {
            assert!(low.as_str() <= inside && inside < high.as_str(), "{inside}");
        }
        for outside in ["42t3cfacs", "42t3cfacu", "42t3e", "42t3cfac"] {
            assert!(
                !(low.as_str() <= outside && outside < high.as_str()),
                "{outside}"
            );
        }
    }

    #[test]
    fn every_term_is_one_ascii_token_whatever_the_text() {
        // `Ⓐ` is a symbol to SQLite's tokenizer, Cyrillic no letter to PostgreSQL's parser
        // in the C locale: split there, `xⓐ5t1sfoo` would plant `5t1sfoo`, a word of
        // contact 5, from an SMS of contact 42.
        let terms = index_terms(42, 3, &sms("xⒶ5t1sfoo привет ÅNGSTRÖM zona"), None);
        assert_eq!(
            terms,
            "42t3sangstrom 42t3sxz0024d05t1sfoo 42t3sz00043fz000440z000438z000432z000435z000442 \
             42t3szzona"
        );
        for t in terms.split(' ') {
            assert!(
                t.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
                "{t}"
            );
        }
    }

    #[test]
    fn no_prefix_of_one_history_reaches_another() {
        // Contact 4 team 2 vs contact 42; team 1 vs team 12: the letter after the ids
        // keeps their terms apart.
        let a = term_prefix(4, 2, 'c');
        let b = term_prefix(42, 1, 'c');
        let c = term_prefix(4, 21, 'c');
        assert!(!b.starts_with(&a) && !a.starts_with(&b));
        assert!(!c.starts_with(&a) && !a.starts_with(&c));
    }

    #[test]
    fn keys_sort_like_time_and_never_overflow() {
        assert!(key_base(1_000) < key_base(1_001));
        assert!(key_last(key_base(1_000)) < key_base(1_001));
        assert!(key_base(-1) < key_base(0));
        assert_eq!(key_last(key_base(i64::MAX)), i64::MAX);
        assert_eq!(key_base(i64::MIN), i64::MIN);
    }
}
