//! Sending e-mail over SMTP: the server's one sender (`AGENTDESK_SMTP_URL`,
//! `AGENTDESK_SMTP_FROM`), used by follow-ups' e-mail channel.
//!
//! The URL names the server and how to reach it: `smtps://user:pass@host:465` (TLS from
//! the first byte), `smtp://user:pass@host:587?tls=required` (STARTTLS, refused when the
//! server does not offer it), or `smtp://host:25` to a loopback host only (a local relay:
//! credentials never cross a network in clear). The credentials are a secret: `Debug`
//! prints the URL without them, and errors name the server only.

use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How long one SMTP conversation may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A checked SMTP URL (see the module's docs).
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl(url::Url);

impl SmtpUrl {
    /// `scheme://host:port`, for messages and logs.
    pub fn server(&self) -> String {
        format!(
            "{}://{}:{}",
            self.0.scheme(),
            self.0.host_str().unwrap_or(""),
            self.0.port().map_or("default".into(), |p| p.to_string())
        )
    }
}

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.server())
    }
}

impl std::str::FromStr for SmtpUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // The parser's own message may quote the URL, credentials included: not repeated.
        let url = url::Url::parse(s.trim()).map_err(|_| "not a URL".to_string())?;
        let Some(host) = url.host() else {
            return Err("an SMTP URL needs a host".into());
        };
        let tls_required = url
            .query_pairs()
            .any(|(k, v)| k == "tls" && v == "required");
        // `smtp:` is not a scheme the URL standard knows, so its host is opaque text:
        // an address is read from it here.
        let loopback = match host {
            url::Host::Domain(d) => {
                d.eq_ignore_ascii_case("localhost")
                    || d.trim_start_matches('[')
                        .trim_end_matches(']')
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            }
            url::Host::Ipv4(ip) => ip.is_loopback(),
            url::Host::Ipv6(ip) => ip.is_loopback(),
        };
        match url.scheme() {
            "smtps" => {}
            "smtp" if tls_required || loopback => {}
            "smtp" => {
                return Err(
                    "smtp:// to another machine needs ?tls=required (STARTTLS), or use smtps://"
                        .into(),
                );
            }
            other => return Err(format!("`{other}://` is not smtp:// or smtps://")),
        }
        Ok(SmtpUrl(url))
    }
}

impl SmtpUrl {
    /// A transport to this server, for the operator's own URL (the server-wide relay,
    /// which may well be on the machine or the network).
    pub fn trusted_transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        Ok(
            AsyncSmtpTransport::<Tokio1Executor>::from_url(self.0.as_str())
                .map_err(|_| format!("{}: not a usable SMTP URL", self.server()))?
                .timeout(Some(TIMEOUT))
                .build(),
        )
    }

    /// A transport to this server for a URL an admin typed (a team's sender identity):
    /// the host is resolved now and only an address the outbound policy allows is
    /// connected to (see [`crate::outbound`]: loopback and private ranges only with
    /// `allow_private`), so a name cannot point the sender inside the network; TLS still
    /// checks the certificate against the host name.
    pub async fn guarded_transport(
        &self,
        allow_private: bool,
    ) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        use lettre::transport::smtp::authentication::Credentials;
        use lettre::transport::smtp::client::{Tls, TlsParameters};

        let server = self.server();
        let host = self
            .0
            .host_str()
            .unwrap_or("")
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let wrapper = self.0.scheme() == "smtps";
        let starttls = self
            .0
            .query_pairs()
            .any(|(k, v)| k == "tls" && v == "required");
        let port = self.0.port().unwrap_or(if wrapper {
            465
        } else if starttls {
            587
        } else {
            25
        });
        let found: Vec<std::net::IpAddr> = tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|_| format!("{server}: {host} does not resolve"))?
            .map(|a| a.ip())
            .collect();
        let Some(ip) = found
            .iter()
            .copied()
            .find(|ip| allow_private || crate::outbound::is_public(*ip))
        else {
            return Err(if found.is_empty() {
                format!("{server}: {host} does not resolve")
            } else {
                format!(
                    "{server}: {host} is a private address (allowed only with --outbound-allow-private)"
                )
            });
        };
        let params = || {
            TlsParameters::new(host.clone())
                .map_err(|_| format!("{server}: TLS cannot be set up for {host}"))
        };
        let tls = if wrapper {
            Tls::Wrapper(params()?)
        } else if starttls {
            Tls::Required(params()?)
        } else {
            Tls::None
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(ip.to_string())
            .port(port)
            .tls(tls)
            .timeout(Some(TIMEOUT));
        if !self.0.username().is_empty() {
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            builder = builder.credentials(Credentials::new(
                decode(self.0.username()),
                decode(self.0.password().unwrap_or("")),
            ));
        }
        Ok(builder.build())
    }
}

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// The server's SMTP sender.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    server: String,
}

impl Mailer {
    /// A sender through `url` writing as `from` (`Name <address>` or an address).
    pub fn new(url: &SmtpUrl, from: &str) -> Result<Mailer, String> {
        let from: Mailbox = from
            .trim()
            .parse()
            .map_err(|e| format!("the sender `{from}` is not a mailbox: {e}"))?;
        let transport = url.trusted_transport()?;
        Ok(Mailer {
            transport,
            from,
            server: url.server(),
        })
    }

    /// Send `mail`; the reason when the server refused it or could not be reached.
    pub async fn send(&self, mail: &Mail) -> Result<(), String> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| format!("`{}` is not an address: {e}", mail.to))?;
        // Header values are encoded by the builder; a line break cannot start a header.
        let subject: String = mail
            .subject
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.clone())
            .map_err(|e| format!("the message could not be built: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("{}: {e}", self.server))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_need_tls_off_the_machine_and_never_print_their_credentials() {
        for ok in [
            "smtps://u:p@mail.example.com:465",
            "smtp://u:p@mail.example.com:587?tls=required",
            "smtp://127.0.0.1:2525",
            "smtp://localhost",
            "smtp://[::1]:25",
        ] {
            assert!(ok.parse::<SmtpUrl>().is_ok(), "{ok}");
        }
        for bad in [
            "smtp://u:p@mail.example.com:587",
            "smtp://mail.example.com?tls=opportunistic",
            "http://mail.example.com",
            "smtps://",
            "not a url",
        ] {
            assert!(bad.parse::<SmtpUrl>().is_err(), "{bad}");
        }
        let url: SmtpUrl = "smtps://user:hunter2-secret@mail.example.com:465"
            .parse()
            .unwrap();
        let shown = format!("{url:?}");
        assert_eq!(shown, "smtps://mail.example.com:465");
        let err = "smtp://user:hunter2-secret@mail.example.com"
            .parse::<SmtpUrl>()
            .unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn a_sender_must_be_a_mailbox() {
        let url: SmtpUrl = "smtp://127.0.0.1:2525".parse().unwrap();
        assert!(Mailer::new(&url, "agentdesk <noreply@example.com>").is_ok());
        assert!(Mailer::new(&url, "noreply@example.com").is_ok());
        assert!(Mailer::new(&url, "not an address").is_err());
    }
}
