//! Outbound HTTP: the one client the server calls other systems with (uContact's REST
//! API today). Time limits on connecting and on the whole request, no redirects, a cap
//! on the answer read, TLS by rustls with the web PKI roots, and a guard against
//! requests to private addresses (SSRF): loopback, private, link-local, shared and
//! unique-local ranges are refused — whether the URL names them or a host name resolves
//! to them — unless the server was started with `--outbound-allow-private`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Why an outbound request did not get an answer, worded for the people who read it
/// (an admin, an agent looking at a call's sync state). Never carries a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Failed(String),
}

/// An answer: its status and its body, cut at the client's limit.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    allow_private: bool,
    max_body: usize,
}

/// Whether `ip` is an address other people's systems live at (not loopback, private,
/// link-local, shared, unique-local, multicast, unspecified or documentation).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                // Shared address space (carrier-grade NAT), 100.64.0.0/10.
                || (a == 100 && (64..128).contains(&b))
                // Benchmarking, 198.18.0.0/15; reserved, 240.0.0.0/4.
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let seg = v6.segments();
            let first = seg[0];
            // IPv6 forms that carry an IPv4 address a gateway may deliver to: the
            // embedded address decides (NAT64 64:ff9b::/96, 6to4 2002::/16, and the old
            // IPv4-compatible ::a.b.c.d).
            let v4 = |hi: u16, lo: u16| {
                let [a, b] = hi.to_be_bytes();
                let [c, d] = lo.to_be_bytes();
                IpAddr::V4(std::net::Ipv4Addr::new(a, b, c, d))
            };
            if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return is_public(v4(seg[6], seg[7]));
            }
            if first == 0x2002 {
                return is_public(v4(seg[1], seg[2]));
            }
            if seg[..6] == [0; 6] && !v6.is_loopback() && !v6.is_unspecified() {
                return is_public(v4(seg[6], seg[7]));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // Unique local fc00::/7, link-local fe80::/10, site-local fec0::/10
                // (deprecated, still routed inside some networks), documentation
                // 2001:db8::/32.
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first & 0xffc0) == 0xfec0
                || (first == 0x2001 && seg[1] == 0x0db8))
        }
    }
}

/// Resolves host names and keeps only public addresses (unless private ones are
/// allowed), so a name that points inside the network is refused at connect time too.
struct GuardedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if allowed.is_empty() {
                let why = if found.is_empty() {
                    format!("{host} does not resolve")
                } else {
                    format!("{host} resolves to a private address")
                };
                return Err(why.into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// reqwest asks for a process-wide rustls provider even for a client with a TLS config of
/// its own: ring, as everywhere else here. Any HTTP client in the process (the tests'
/// and benchmarks' too) needs it installed first; installing twice is harmless.
pub fn install_crypto() {
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
}

/// A plain client for the tests and benchmarks (which talk to loopback servers): the
/// provider installed, nothing else set.
pub fn plain_client() -> reqwest::Client {
    install_crypto();
    reqwest::Client::new()
}

impl Outbound {
    pub fn new(allow_private: bool, timeout: Duration) -> anyhow::Result<Outbound> {
        install_crypto();
        let tls = crate::ingest::imap::tls_config(None)?;
        let client = reqwest::Client::builder()
            .use_preconfigured_tls((*tls).clone())
            .dns_resolver(Arc::new(GuardedResolver { allow_private }))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .timeout(timeout)
            .user_agent(concat!("agentdesk/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Outbound {
            client,
            allow_private,
            max_body: 64 * 1024,
        })
    }

    /// Refuse what is not an `http(s)` URL or names a private address literally (host
    /// names are checked when they resolve).
    pub fn check(&self, url: &url::Url) -> Result<(), OutboundError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(OutboundError::Refused(format!(
                "only http and https URLs are called, not {}:",
                url.scheme()
            )));
        }
        let ip = match url.host() {
            Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            Some(url::Host::Domain(_)) => None,
            None => return Err(OutboundError::Refused("the URL has no host".into())),
        };
        if let Some(ip) = ip
            && !self.allow_private
            && !is_public(ip)
        {
            return Err(OutboundError::Refused(format!(
                "{ip} is a private address (allowed only with --outbound-allow-private)"
            )));
        }
        Ok(())
    }

    /// POST a form, with HTTP Basic credentials when given.
    pub async fn post_form(
        &self,
        url: &url::Url,
        basic: Option<(&str, &str)>,
        form: &[(&str, &str)],
    ) -> Result<Answer, OutboundError> {
        self.check(url)?;
        let mut req = self.client.post(url.clone()).form(form);
        if let Some((user, password)) = basic {
            req = req.basic_auth(user, Some(password));
        }
        let res = req.send().await.map_err(|e| describe(&e))?;
        let (answer, _cut) = read_answer(res, self.max_body).await?;
        Ok(answer)
    }

    /// Call `url` with `method`, these headers and, if any, a JSON body; the answer read
    /// whole up to `limit` bytes, and refused beyond (a record list cut short would
    /// close every record past the cut).
    pub async fn send_json(
        &self,
        method: reqwest::Method,
        url: &url::Url,
        headers: &[(String, String)],
        body: Option<&serde_json::Value>,
        limit: usize,
    ) -> Result<Answer, OutboundError> {
        let (answer, cut) = self
            .send_json_cut(method, url, headers, body, limit)
            .await?;
        if cut {
            return Err(OutboundError::Refused(format!(
                "the answer is larger than the limit of {limit} bytes"
            )));
        }
        Ok(answer)
    }

    /// As [`Outbound::send_json`], the answer read up to `limit` bytes and whether it
    /// was longer (a caller that needs only the status passes 0).
    pub async fn send_json_cut(
        &self,
        method: reqwest::Method,
        url: &url::Url,
        headers: &[(String, String)],
        body: Option<&serde_json::Value>,
        limit: usize,
    ) -> Result<(Answer, bool), OutboundError> {
        self.check(url)?;
        let mut req = self.client.request(method, url.clone());
        for (name, value) in headers {
            req = req.header(name.as_str(), value.as_str());
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let res = req.send().await.map_err(|e| describe(&e))?;
        read_answer(res, limit).await
    }
}

/// An answer's status and body, read up to `limit` bytes; whether it was longer.
async fn read_answer(
    mut res: reqwest::Response,
    limit: usize,
) -> Result<(Answer, bool), OutboundError> {
    let status = res.status().as_u16();
    let mut body = Vec::new();
    let mut cut = false;
    while let Some(chunk) = res.chunk().await.map_err(|e| describe(&e))? {
        let room = limit.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if room < chunk.len() {
            cut = true;
            break;
        }
    }
    let answer = Answer {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    Ok((answer, cut))
}

/// A failed request in words, with its cause (a refused private address, a time-out)
/// but never the URL's credentials.
fn describe(e: &reqwest::Error) -> OutboundError {
    let mut cause: Option<&dyn std::error::Error> = Some(e);
    let mut innermost = e.to_string();
    while let Some(c) = cause {
        innermost = c.to_string();
        cause = c.source();
    }
    if innermost.contains("private address") {
        return OutboundError::Refused(innermost);
    }
    let what = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        format!("could not connect: {innermost}")
    } else {
        innermost
    };
    OutboundError::Failed(what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
            // IPv4 inside IPv6: NAT64, 6to4, IPv4-compatible; site-local.
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "2002:a00:1::1",
            "2002:7f00:1::",
            "::127.0.0.1",
            "::10.0.0.1",
            "fec0::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "200.40.30.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn urls_naming_private_addresses_or_other_schemes_are_refused() {
        let out = Outbound::new(false, Duration::from_secs(2)).unwrap();
        for url in [
            "http://127.0.0.1:9/x",
            "http://[::1]/x",
            "http://169.254.169.254/latest/meta-data",
            "file:///etc/passwd",
            "ftp://example.com/",
        ] {
            let u = url::Url::parse(url).unwrap();
            assert!(
                matches!(out.check(&u), Err(OutboundError::Refused(_))),
                "{url}"
            );
        }
        // A host name that resolves to loopback is refused when it resolves.
        let u = url::Url::parse("http://localhost:9/x").unwrap();
        let err = out.post_form(&u, None, &[]).await.unwrap_err();
        assert!(matches!(err, OutboundError::Refused(_)), "{err:?}");
        let allowed = Outbound::new(true, Duration::from_secs(2)).unwrap();
        assert!(
            allowed
                .check(&url::Url::parse("http://127.0.0.1/").unwrap())
                .is_ok()
        );
    }
}
