//! A real SMTP server for the tests (the API's and the browser's), on a loopback port: it speaks RFC 5321 (EHLO/HELO,
//! AUTH PLAIN, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT) and keeps each message it
//! accepts — envelope and bytes as received — or answers a chosen refusal to RCPT.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A message as the server received it.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

#[derive(Clone, Default)]
pub(crate) struct Smtp {
    pub received: Arc<Mutex<Vec<Received>>>,
    /// Answer to every RCPT while set (e.g. `550 5.1.1 no such user`).
    pub refuse_rcpt: Arc<Mutex<Option<String>>>,
    /// The `AUTH PLAIN` credentials clients gave, decoded (`user:password`).
    pub logins: Arc<Mutex<Vec<String>>>,
    /// Wait this long before accepting a message's data (a slow server), in ms.
    pub data_delay_ms: Arc<std::sync::atomic::AtomicU64>,
}

impl Smtp {
    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

fn arg(line: &str) -> String {
    let v = line.split_once(':').map(|(_, v)| v).unwrap_or("").trim();
    v.split_whitespace()
        .next()
        .unwrap_or("")
        .trim_matches(['<', '>'])
        .to_string()
}

/// Start the server; its `smtp://127.0.0.1:PORT` URL.
pub(crate) async fn start() -> (Smtp, String) {
    start_on(0).await
}

/// A loopback port nothing listens on (yet): a mail server that is down.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Start the server on `port` (0: any free one).
pub(crate) async fn start_on(port: u16) -> (Smtp, String) {
    let smtp = Smtp::default();
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let server = smtp.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let server = server.clone();
            tokio::spawn(async move {
                let (r, mut w) = socket.into_split();
                let mut lines = BufReader::new(r);
                let _ = w.write_all(b"220 localhost test SMTP\r\n").await;
                let (mut from, mut to) = (String::new(), Vec::new());
                let mut line = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: String = match verb.as_str() {
                        "EHLO" => "250-localhost\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n".into(),
                        "AUTH" => {
                            use base64::Engine;
                            let arg = line.split_whitespace().nth(2).unwrap_or("");
                            let plain = base64::engine::general_purpose::STANDARD
                                .decode(arg)
                                .unwrap_or_default();
                            let parts: Vec<String> = plain
                                .split(|b| *b == 0)
                                .map(|p| String::from_utf8_lossy(p).into_owned())
                                .collect();
                            server.logins.lock().unwrap().push(parts[1..].join(":"));
                            "235 2.7.0 authenticated\r\n".into()
                        }
                        "HELO" | "NOOP" => "250 OK\r\n".into(),
                        "RSET" => {
                            (from, to) = (String::new(), Vec::new());
                            "250 OK\r\n".into()
                        }
                        "MAIL" => {
                            from = arg(&line);
                            "250 OK\r\n".into()
                        }
                        "RCPT" => match server.refuse_rcpt.lock().unwrap().clone() {
                            Some(refusal) => format!("{refusal}\r\n"),
                            None => {
                                to.push(arg(&line));
                                "250 OK\r\n".into()
                            }
                        },
                        "DATA" => {
                            let _ = w.write_all(b"354 go ahead\r\n").await;
                            let mut data = String::new();
                            loop {
                                line.clear();
                                if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                                    return;
                                }
                                if line == ".\r\n" {
                                    break;
                                }
                                data.push_str(line.strip_prefix('.').unwrap_or(&line));
                            }
                            let delay = server
                                .data_delay_ms
                                .load(std::sync::atomic::Ordering::Relaxed);
                            tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
                            server.received.lock().unwrap().push(Received {
                                from: std::mem::take(&mut from),
                                to: std::mem::take(&mut to),
                                data,
                            });
                            "250 OK queued\r\n".into()
                        }
                        "QUIT" => {
                            let _ = w.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => "502 not implemented\r\n".into(),
                    };
                    if w.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (smtp, url)
}
