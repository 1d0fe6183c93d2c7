//! An IMAP mailbox's address and sign-in: from a URL of the server's environment
//! (`imaps://user:password@host/FOLDER?team=TEAM`) or from a console mailbox's row. The
//! password is kept for logging in only: never in `Debug`, `Display`, keys or errors.

use std::fmt;
use std::str::FromStr;

use crate::store::mailboxes::StoredMailbox;

/// One mailbox to poll, from a URL of the server's environment:
/// `imaps://user:password@host[:993]/MAILBOX?team=TEAM` (TLS), or `imap://…[:143]…` —
/// plain text, accepted only for a loopback host, since it would send the password in
/// the clear. User, password and mailbox are percent-decoded; the mailbox defaults to
/// `INBOX`. Or from the console ([`MailboxUrl::console`]). The password never appears
/// in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct MailboxUrl {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    pub username: String,
    password: String,
    pub mailbox: String,
    /// Name of the team whose contacts the mail links to (and creates).
    pub team: String,
    /// The team by id (console mailboxes: a renamed team keeps its mail).
    pub(crate) team_id: Option<i64>,
    /// Only addresses the outbound policy allows (console mailboxes: an admin typed
    /// the host); the operator's own URLs may name any address.
    pub(crate) guarded: bool,
}

impl MailboxUrl {
    /// A console mailbox; `allow_private`: the server's outbound policy.
    pub fn console(m: &StoredMailbox, allow_private: bool) -> MailboxUrl {
        MailboxUrl {
            tls: m.tls,
            host: m.host.clone(),
            port: u16::try_from(m.port).unwrap_or(0),
            username: m.username.clone(),
            password: m.password.clone(),
            mailbox: m.folder.clone(),
            team: m.team.clone(),
            team_id: Some(m.team_id),
            guarded: !allow_private,
        }
    }

    pub(crate) fn password(&self) -> &str {
        &self.password
    }

    /// The mailbox's identity without its password: the cursor's key and the log name.
    pub fn key(&self) -> String {
        key_of(
            self.tls,
            &self.username,
            &self.host,
            self.port,
            &self.mailbox,
        )
    }
}

impl fmt::Debug for MailboxUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}?team={}", self.key(), self.team)
    }
}

impl fmt::Display for MailboxUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

fn decode(s: &str) -> Result<String, String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| "an IMAP mailbox URL has bad percent-encoding".to_owned())
}

/// Whether plain IMAP may go to `host`: this machine only (the password in the clear).
pub(crate) fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl FromStr for MailboxUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Errors never echo the URL: it holds a password.
        let u = url::Url::parse(s.trim())
            .map_err(|e| format!("an IMAP mailbox URL is not a URL ({e})"))?;
        let tls = match u.scheme() {
            "imaps" => true,
            "imap" => false,
            other => {
                return Err(format!(
                    "an IMAP mailbox URL starts with imaps:// (not {other}://)"
                ));
            }
        };
        // An IPv6 address without its brackets: the form resolving and TLS take.
        let host = u
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("an IMAP mailbox URL needs a host")?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        if !tls && !is_loopback(&host) {
            return Err(format!(
                "imap:// sends the password in the clear: use imaps:// for {host}"
            ));
        }
        let username = decode(u.username())?;
        let password = decode(u.password().unwrap_or_default())?;
        if username.is_empty() || password.is_empty() {
            return Err("an IMAP mailbox URL needs user:password@".into());
        }
        let mailbox = decode(u.path().trim_start_matches('/'))?;
        let mailbox = if mailbox.is_empty() {
            "INBOX".to_owned()
        } else {
            mailbox
        };
        let team = u
            .query_pairs()
            .find(|(k, _)| k == "team")
            .map(|(_, v)| v.trim().to_owned())
            .filter(|t| !t.is_empty())
            .ok_or("an IMAP mailbox URL needs ?team=NAME (the team its mail belongs to)")?;
        Ok(MailboxUrl {
            tls,
            port: u.port().unwrap_or(if tls { 993 } else { 143 }),
            host,
            username,
            password,
            mailbox,
            team,
            team_id: None,
            guarded: false,
        })
    }
}

/// A mailbox's identity without its password: `imap(s)://user@host:port/folder`.
pub fn key_of(tls: bool, username: &str, host: &str, port: u16, folder: &str) -> String {
    let scheme = if tls { "imaps" } else { "imap" };
    if host.contains(':') {
        format!("{scheme}://{username}@[{host}]:{port}/{folder}")
    } else {
        format!("{scheme}://{username}@{host}:{port}/{folder}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mailbox_url_gives_its_parts_and_never_shows_its_password() {
        let m: MailboxUrl =
            "imaps://soporte%40acme.com:p%40ss+w@mail.acme.com/Soporte%20Web?team=Team%20A"
                .parse()
                .unwrap();
        assert!(m.tls);
        assert_eq!(m.port, 993);
        assert_eq!(m.username, "soporte@acme.com");
        assert_eq!(m.password, "p@ss+w");
        assert_eq!(m.mailbox, "Soporte Web");
        assert_eq!(m.team, "Team A");
        assert_eq!(
            m.key(),
            "imaps://soporte@acme.com@mail.acme.com:993/Soporte Web"
        );
        assert!(!format!("{m:?} {m}").contains("p@ss"));
    }

    #[test]
    fn plain_imap_only_on_loopback_and_every_part_required() {
        let ok: MailboxUrl = "imap://u:p@127.0.0.1:10143?team=T".parse().unwrap();
        assert_eq!(
            (ok.tls, ok.port, ok.mailbox.as_str()),
            (false, 10143, "INBOX")
        );
        for (bad, says) in [
            ("imap://u:p@mail.acme.com/INBOX?team=T", "in the clear"),
            ("imaps://mail.acme.com/INBOX?team=T", "user:password"),
            ("imaps://u:p@mail.acme.com/INBOX", "?team="),
            ("pop3://u:p@mail.acme.com/?team=T", "imaps://"),
            ("not a url", "not a URL"),
        ] {
            let e = bad.parse::<MailboxUrl>().unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
            assert!(!e.contains(":p@"), "the error repeats the password: {e}");
        }
    }
}
