//! Reaching an IMAP mailbox: resolve the host (keeping only addresses the outbound
//! policy allows, for mailboxes an admin typed in), connect, TLS, read the greeting and
//! log in — each step under a time limit and named when it fails, so a poll's error and
//! the console's connection test both say *where* it went wrong. Never the password.

use std::fmt;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use agentdesk_protocol::{MailboxCheck, MailboxStep};
use anyhow::{Context, anyhow, bail};
use async_imap::{Client, Session};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::{self, RootCertStore, pki_types::ServerName};

use super::imap::MailboxUrl;

/// Connecting, logging in and each command must finish within this.
pub const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// TLS settings shared by every mailbox: the web PKI roots plus any extra CA
/// certificates (PEM) for mail servers with a private CA.
pub fn tls_config(extra_ca: Option<&Path>) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = extra_ca {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let mut n = 0;
        for cert in CertificateDer::pem_file_iter(path)
            .with_context(|| format!("reading CA certificates from {}", path.display()))?
        {
            roots.add(cert.context("a CA certificate that does not parse")?)?;
            n += 1;
        }
        if n == 0 {
            bail!("no PEM certificate in {}", path.display());
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// `f` within [`IO_TIMEOUT`], its error described as `what`.
pub async fn timed<T, E: Into<anyhow::Error>>(
    what: &str,
    f: impl Future<Output = Result<T, E>>,
) -> anyhow::Result<T> {
    match tokio::time::timeout(IO_TIMEOUT, f).await {
        Ok(r) => r.map_err(Into::into).with_context(|| what.to_owned()),
        Err(_) => Err(anyhow!(
            "{what}: no answer within {}s",
            IO_TIMEOUT.as_secs()
        )),
    }
}

/// The connection under the IMAP session: plain (loopback only) or TLS.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stream::Plain(_) => "Stream::Plain",
            Stream::Tls(_) => "Stream::Tls",
        })
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// A step that failed, and why.
#[derive(Debug)]
pub struct StepError {
    pub step: MailboxStep,
    pub error: anyhow::Error,
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The error carries the step's words (`timed`'s context) already.
        write!(f, "{:#}", self.error)
    }
}

impl std::error::Error for StepError {}

fn at<T>(step: MailboxStep, r: anyhow::Result<T>) -> Result<T, StepError> {
    r.map_err(|error| StepError { step, error })
}

/// The host's addresses the policy lets us reach: all of them for the operator's own
/// mailboxes, only public ones for a console mailbox unless private ones are allowed.
async fn addresses(mailbox: &MailboxUrl) -> anyhow::Result<Vec<std::net::SocketAddr>> {
    let host = mailbox.host.trim_start_matches('[').trim_end_matches(']');
    let found: Vec<std::net::SocketAddr> = timed(
        "resolving the host",
        tokio::net::lookup_host((host, mailbox.port)),
    )
    .await?
    .collect();
    if found.is_empty() {
        bail!("resolving the host: {host} does not resolve");
    }
    // Plain IMAP sends the password in the clear: to this machine only, whatever the
    // name resolves to.
    if !mailbox.tls && found.iter().any(|a| !a.ip().is_loopback()) {
        bail!("resolving the host: plain IMAP only to this machine, and {host} is not (use TLS)");
    }
    let allowed: Vec<_> = found
        .iter()
        .copied()
        .filter(|a| !mailbox.guarded || crate::outbound::is_public(a.ip()))
        .collect();
    if allowed.is_empty() {
        bail!(
            "resolving the host: {host} is a private address (allowed only with --outbound-allow-private)"
        );
    }
    Ok(allowed)
}

/// Connect and log in.
pub async fn open(
    mailbox: &MailboxUrl,
    tls: &Arc<rustls::ClientConfig>,
) -> Result<Session<Stream>, StepError> {
    let addrs = at(MailboxStep::Resolve, addresses(mailbox).await)?;
    let tcp = at(
        MailboxStep::Connect,
        timed("connecting", TcpStream::connect(addrs.as_slice())).await,
    )?;
    let stream = if mailbox.tls {
        let name = at(
            MailboxStep::Tls,
            ServerName::try_from(mailbox.host.clone())
                .map_err(|_| anyhow!("{:?} is not a valid TLS server name", mailbox.host)),
        )?;
        let s = at(
            MailboxStep::Tls,
            timed(
                "TLS handshake",
                TlsConnector::from(tls.clone()).connect(name, tcp),
            )
            .await,
        )?;
        Stream::Tls(Box::new(s))
    } else {
        Stream::Plain(tcp)
    };
    let mut client = Client::new(stream);
    at(
        MailboxStep::Greeting,
        timed("reading the greeting", async {
            client
                .read_response()
                .await?
                .ok_or_else(|| std::io::Error::other("the server closed the connection"))
        })
        .await,
    )?;
    at(
        MailboxStep::Login,
        timed("logging in", async {
            client
                .login(&mailbox.username, mailbox.password())
                .await
                .map_err(|(e, _)| e)
        })
        .await,
    )
}

/// The console's connection test: every step up to opening the folder (read-only), now.
pub async fn check(mailbox: &MailboxUrl, tls: &Arc<rustls::ClientConfig>) -> MailboxCheck {
    let failed = |e: StepError| MailboxCheck {
        ok: false,
        step: Some(e.step),
        error: Some(e.to_string().chars().take(500).collect()),
        messages: None,
    };
    let mut session = match open(mailbox, tls).await {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let selected = timed("opening the folder", session.examine(&mailbox.mailbox)).await;
    let _ = tokio::time::timeout(IO_TIMEOUT, session.logout()).await;
    match selected {
        Ok(m) => MailboxCheck {
            ok: true,
            step: None,
            error: None,
            messages: Some(m.exists),
        },
        Err(error) => failed(StepError {
            step: MailboxStep::Folder,
            error,
        }),
    }
}
