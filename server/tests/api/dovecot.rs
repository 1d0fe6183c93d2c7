//! A real IMAP server for the tests: Dovecot, started per test on loopback ports from a
//! throw-away configuration (plain IMAP, and IMAPS with a certificate from a private CA
//! made with `openssl`), with one user whose mail the tests deliver by IMAP APPEND.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

use agentdesk_server::ingest::imap::MailboxUrl;

pub const USER: &str = "soporte";
pub const PASS: &str = "mail-pass-123";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn dovecot_binary() -> PathBuf {
    ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("Dovecot is needed for the IMAP tests: scripts/setup.sh installs dovecot-imapd")
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Ready: our Dovecot is alive and greets IMAP clients on the plain port, and the TLS
/// port accepts connections (not merely: something listens).
fn wait_ready(child: &mut Child, port: u16, tls_port: u16, log: &std::path::Path) -> bool {
    use std::io::Read;
    let log = || std::fs::read_to_string(log).unwrap_or_default();
    for _ in 0..200 {
        if child.try_wait().ok().flatten().is_some() {
            eprintln!("dovecot exited: {}", log());
            return false;
        }
        if let Ok(mut plain) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = plain.set_read_timeout(Some(Duration::from_secs(5)));
            let mut greeting = [0u8; 64];
            let n = plain.read(&mut greeting).unwrap_or(0);
            if greeting[..n].starts_with(b"* OK")
                && std::net::TcpStream::connect(("127.0.0.1", tls_port)).is_ok()
            {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("dovecot not ready in 20 s: {}", log());
    false
}

/// A Dovecot serving one user's mailbox on `port` (plain) and `tls_port` (IMAPS).
pub struct Dovecot {
    child: Child,
    dir: tempfile::TempDir,
    pub port: u16,
    pub tls_port: u16,
}

impl Dovecot {
    pub fn start() -> Dovecot {
        let bin = dovecot_binary();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // Dovecot's own processes run as unprivileged users: the packaged ones when we
        // are root, else whoever runs the tests.
        let root = current_uid() == 0;
        let (login_user, internal_user, mail_uid) = if root {
            (
                "dovenull".to_owned(),
                "dovecot".to_owned(),
                "dovecot".to_owned(),
            )
        } else {
            let me = std::env::var("USER").unwrap_or_else(|_| whoami());
            (me.clone(), me.clone(), me)
        };
        for sub in ["run", "state", "mail", "home"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        // A private CA and a certificate for "localhost" signed by it.
        run(Command::new("openssl")
            .current_dir(d)
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args([
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-subj",
                "/CN=agentdesk test CA",
            ])
            .args(["-addext", "basicConstraints=critical,CA:TRUE"])
            .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]));
        run(Command::new("openssl")
            .current_dir(d)
            .args([
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "server.key",
            ])
            .args(["-out", "server.csr", "-subj", "/CN=localhost"]));
        std::fs::write(
            d.join("ext.cnf"),
            "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        run(Command::new("openssl")
            .current_dir(d)
            .args([
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
            ])
            .args(["-CAcreateserial", "-days", "2", "-out", "server.pem"])
            .args(["-extfile", "ext.cnf"]));

        std::fs::write(d.join("passwd"), format!("{USER}:{{PLAIN}}{PASS}::::::\n")).unwrap();
        let conf = |port: u16, tls_port: u16| {
            let p = d.display();
            let conf = format!(
                r#"
base_dir = {p}/run
state_dir = {p}/state
log_path = {p}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{p}/server.pem
ssl_key = <{p}/server.key
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = 1
mail_location = maildir:{p}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {p}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_uid} home={p}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"#
            );
            conf
        };
        if root {
            run(Command::new("chown")
                .args(["-R", &format!("{mail_uid}:{mail_uid}")])
                .arg(d.join("mail"))
                .arg(d.join("home")));
            run(Command::new("chmod").args(["755"]).arg(d));
        }
        // Dovecot binds its ports itself: should another process take one first, it
        // exits, and the start is retried on other ports.
        for _ in 0..10 {
            let (port, tls_port) = (free_port(), free_port());
            std::fs::write(d.join("dovecot.conf"), conf(port, tls_port)).unwrap();
            let mut child = Command::new(&bin)
                .args(["-F", "-c"])
                .arg(d.join("dovecot.conf"))
                .spawn()
                .expect("start dovecot");
            if wait_ready(&mut child, port, tls_port, &d.join("dovecot.log")) {
                return Dovecot {
                    child,
                    dir,
                    port,
                    tls_port,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("dovecot did not start on any port");
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    pub fn url(&self, team: &str) -> MailboxUrl {
        format!(
            "imap://{USER}:{PASS}@127.0.0.1:{}/INBOX?team={team}",
            self.port
        )
        .parse()
        .unwrap()
    }

    pub fn tls_url(&self, team: &str) -> MailboxUrl {
        format!(
            "imaps://{USER}:{PASS}@localhost:{}/INBOX?team={team}",
            self.tls_port
        )
        .parse()
        .unwrap()
    }

    /// Deliver a message the way a mail server's LDA would end up: IMAP APPEND.
    pub async fn deliver(&self, raw: &[u8]) {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .unwrap();
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.unwrap().unwrap();
        let mut s = client.login(USER, PASS).await.map_err(|(e, _)| e).unwrap();
        s.append("INBOX", None, None, raw).await.unwrap();
        s.logout().await.unwrap();
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn current_uid() -> u32 {
    // The tests may run as root (CI) or not; `id -u` says which without unsafe code.
    String::from_utf8(Command::new("id").arg("-u").output().unwrap().stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn whoami() -> String {
    String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_owned()
}
