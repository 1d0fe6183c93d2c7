//! The server's one typed configuration: command-line flags, each with an environment
//! variable of the same meaning (`AGENTDESK_*`). Flags win over the environment.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// agentdesk server: JSON API, storage and the browser app.
#[derive(Debug, Parser)]
#[command(name = "agentdesk-server", version, about)]
pub struct Cli {
    /// Database URL: `sqlite://path/to/file.db` (created when missing), or
    /// `postgres://user:password@host:port/database` (an existing database; the schema is
    /// created by the migrations).
    #[arg(
        long,
        env = "AGENTDESK_DATABASE_URL",
        default_value = "sqlite://data/agentdesk.db",
        global = true
    )]
    pub database_url: String,

    /// Log format: `pretty` for people, `json` for log collectors.
    #[arg(
        long,
        env = "AGENTDESK_LOG_FORMAT",
        default_value = "pretty",
        global = true
    )]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default). Migrates the database first.
    Serve(Box<ServeConfig>),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create a user (and the teams it names, when missing).
    CreateUser(CreateUserArgs),
    /// Load the demo data set (teams, users, contacts, activities) into an empty database.
    SeedDemo(SeedArgs),
    /// Import a uContact ccrepo CSV export (cdr_repo, queue_log_repo or sms_repo).
    /// Re-running it imports nothing twice.
    ImportCcrepo(ImportArgs),
    /// Poll IMAP mailboxes once (as `serve` does every few seconds) and print what came in.
    PollImap(PollImapArgs),
    /// Write follow-ups (all, or those named) to a zip archive, secrets left out.
    ExportFollowups(ExportFollowupsArgs),
    /// Import follow-ups from a zip archive: every file checked first, then created
    /// inactive (names already taken are skipped and listed).
    ImportFollowups(ImportFollowupsArgs),
    /// Print a report (queue, agents or team) as CSV or JSON: the API's numbers.
    #[command(subcommand)]
    Report(crate::report::cli::ReportCommand),
    /// Recompute the reports' roll-ups from queue_log and the activities (all teams, or one).
    RebuildReports(crate::report::cli::RebuildArgs),
}
#[derive(Debug, Clone, Args)]
pub struct ExportFollowupsArgs {
    /// The zip archive to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Only the follow-ups of these names (repeat the option); all when left out.
    #[arg(long = "name")]
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ImportFollowupsArgs {
    /// A zip archive written by `export-followups` (or the admin API's export).
    pub file: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct PollImapArgs {
    /// The mailboxes, as for `serve --imap-mailboxes`.
    #[arg(
        long,
        env = "AGENTDESK_IMAP_MAILBOXES",
        value_delimiter = ',',
        hide_env_values = true,
        required = true
    )]
    pub imap_mailboxes: Vec<crate::ingest::imap::MailboxUrl>,
    /// As for `serve --imap-ca-file`.
    #[arg(long, env = "AGENTDESK_IMAP_CA_FILE")]
    pub imap_ca_file: Option<PathBuf>,
    /// Region for phone numbers written without a country code.
    #[arg(long, env = "AGENTDESK_PHONE_REGION", default_value = "UY")]
    pub phone_region: String,
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// Which table the file is an export of.
    #[arg(long, value_enum)]
    pub table: crate::ingest::ccrepo::Table,
    /// The team whose contacts the rows link to (and create).
    #[arg(long)]
    pub team: String,
    /// Time zone of the export's date-times (uContact writes its server's local time);
    /// by default the server's `--ucontact-time-zone`.
    #[arg(long, env = "AGENTDESK_UCONTACT_TIME_ZONE", default_value = "UTC")]
    pub time_zone: String,
    /// Region for phone numbers written without a country code.
    #[arg(long, env = "AGENTDESK_PHONE_REGION", default_value = "UY")]
    pub phone_region: String,
    /// How the file's bytes are text: `auto` keeps valid UTF-8 and reads anything else
    /// as Windows-1252 (what spreadsheet programs write for Spanish text).
    #[arg(long, value_enum, default_value = "auto")]
    pub encoding: crate::ingest::ccrepo::Encoding,
    /// No progress bar.
    #[arg(long, default_value_t = false)]
    pub quiet: bool,
    /// The CSV file.
    pub file: std::path::PathBuf,
}

/// Everything `serve` needs.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address and port to listen on.
    #[arg(long, env = "AGENTDESK_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Directory of the built browser app (Trunk's `dist/`).
    #[arg(long, env = "AGENTDESK_DIST_DIR", default_value = "dist")]
    pub dist_dir: PathBuf,

    /// Origins allowed to embed the desktop in a frame (CSP `frame-ancestors`), e.g. the
    /// uContact origin. Comma-separated; `'self'` is always allowed.
    #[arg(long, env = "AGENTDESK_FRAME_ANCESTORS", value_delimiter = ',', value_parser = agentdesk_protocol::parse_origin)]
    pub frame_ancestors: Vec<String>,

    /// Origins of CRM web apps the desktop may embed (CSP `frame-src`). Comma-separated.
    #[arg(long, env = "AGENTDESK_CRM_ORIGINS", value_delimiter = ',', value_parser = agentdesk_protocol::parse_origin)]
    pub crm_origins: Vec<String>,

    /// Origins call recordings may play from (CSP `media-src`), besides those set in the
    /// console's CRM settings. Comma-separated.
    #[arg(long, env = "AGENTDESK_RECORDING_ORIGINS", value_delimiter = ',', value_parser = agentdesk_protocol::parse_origin)]
    pub recording_origins: Vec<String>,

    /// Hours a session lives without use; each use extends it.
    #[arg(long, env = "AGENTDESK_SESSION_HOURS", default_value_t = 12)]
    pub session_hours: u32,

    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    #[arg(long, env = "AGENTDESK_TRUST_FORWARDED_FOR", default_value_t = false)]
    pub trust_forwarded_for: bool,

    /// Do not load the demo data set when the database is empty.
    #[arg(long, env = "AGENTDESK_NO_DEMO", default_value_t = false)]
    pub no_demo: bool,

    /// Default region for phone numbers written without a country code (ISO 3166 code).
    #[arg(long, env = "AGENTDESK_PHONE_REGION", default_value = "UY")]
    pub phone_region: String,

    /// Roles allowed to delete activities from a timeline (comma-separated).
    #[arg(
        long,
        env = "AGENTDESK_DELETE_ROLES",
        value_delimiter = ',',
        default_value = "supervisor,admin"
    )]
    pub delete_roles: Vec<agentdesk_protocol::Role>,

    /// Shared secret for signed launch links (`?phone=&agent=…&ts=&sig=`): when set, a
    /// screen-pop URL must carry `ts` (Unix seconds) and `sig`, the hex HMAC-SHA256 of
    /// its other parameters sorted by name as `k=v&k=v`, or it is refused.
    #[arg(long, env = "AGENTDESK_LAUNCH_SECRET", hide_env_values = true)]
    pub launch_secret: Option<Secret>,

    /// How old a signed launch link may be, in seconds.
    #[arg(long, env = "AGENTDESK_LAUNCH_MAX_AGE_SECS", default_value_t = 300)]
    pub launch_max_age_secs: u64,

    /// How long real-time events are kept for clients resuming with Last-Event-ID.
    #[arg(long, env = "AGENTDESK_EVENT_RETENTION_HOURS", default_value_t = 24)]
    pub event_retention_hours: u32,

    /// Seconds between two rounds of database housekeeping (merging the SQLite search
    /// index, at most a fifth of a second of work per round); 0 turns it off.
    #[arg(long, env = "AGENTDESK_MAINTENANCE_SECS", default_value_t = 300)]
    pub maintenance_secs: u64,

    /// Seconds between two looks for callback reminders that fell due (an agent is
    /// reminded at most this late).
    #[arg(long, env = "AGENTDESK_REMINDER_CHECK_SECS", default_value_t = 10)]
    pub reminder_check_secs: u64,

    /// Seconds between two looks for follow-ups due to poll; 0 turns the scheduler off
    /// on this instance (another one polls).
    #[arg(long, env = "AGENTDESK_FOLLOWUP_CHECK_SECS", default_value_t = 30)]
    pub followup_check_secs: u64,

    /// Seconds between two looks for queued e-mail due to send (a message queued on
    /// this instance is looked at at once); 0 turns the sender off on this instance.
    #[arg(long, env = "AGENTDESK_OUTBOX_CHECK_SECS", default_value_t = 5)]
    pub outbox_check_secs: u64,

    /// The most, in bytes, the files of one outbound e-mail may weigh together (each
    /// upload is refused past it); at most 50 MiB, which no mail server takes anyway.
    #[arg(long, env = "AGENTDESK_EMAIL_ATTACHMENTS_MAX_BYTES",
          default_value_t = agentdesk_protocol::email_files::DEFAULT_MAX_TOTAL_BYTES,
          value_parser = clap::value_parser!(u64).range(1..=crate::routes::MAX_UPLOAD_BYTES as u64))]
    pub email_attachments_max_bytes: u64,

    /// The largest answer, in bytes, a follow-up's integration call may return; a
    /// larger one is refused and the run records why.
    #[arg(long, env = "AGENTDESK_FOLLOWUP_MAX_ANSWER_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub followup_max_answer_bytes: usize,

    /// The SMTP server e-mail notifications go through: `smtps://user:pass@host:465`,
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtp://host:25` to a
    /// loopback relay (docs/followups.md). Without it, no e-mail is sent. Never logged.
    #[arg(long, env = "AGENTDESK_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<crate::mailer::SmtpUrl>,

    /// The sender of e-mail notifications: `Name <address>` or an address; needed with
    /// the SMTP URL.
    #[arg(long, env = "AGENTDESK_SMTP_FROM")]
    pub smtp_from: Option<String>,

    /// Shared secret uContact's webhooks must present (`X-Webhook-Secret` header, or a
    /// signature as for integrations). Without it the webhook endpoint refuses everything.
    #[arg(
        long,
        env = "AGENTDESK_UCONTACT_WEBHOOK_SECRET",
        hide_env_values = true
    )]
    pub ucontact_webhook_secret: Option<Secret>,

    /// uContact's base URL (`https://acme.ucontact.com`): with it, a disposition saved in
    /// the desktop is also sent to uContact's REST API
    /// (`/Integra/resources/api/DispositionCall`), retried on failure; its outcome is shown
    /// on the call. Without it, nothing is sent.
    #[arg(long, env = "AGENTDESK_UCONTACT_API_URL")]
    pub ucontact_api_url: Option<url::Url>,

    /// The user for uContact's REST API (HTTP Basic).
    #[arg(long, env = "AGENTDESK_UCONTACT_API_USER", default_value = "")]
    pub ucontact_api_user: String,

    /// The password for uContact's REST API; from the environment, never logged.
    #[arg(long, env = "AGENTDESK_UCONTACT_API_PASSWORD", hide_env_values = true)]
    pub ucontact_api_password: Option<Password>,

    /// How many times a disposition is sent before it counts as failed (temporary
    /// failures: no connection, time-outs, 408, 429, 5xx), waiting twice as long each time.
    #[arg(long, env = "AGENTDESK_UCONTACT_API_ATTEMPTS", default_value_t = 5)]
    pub ucontact_api_attempts: u32,

    /// The first wait between two attempts, in milliseconds.
    #[arg(long, env = "AGENTDESK_UCONTACT_API_RETRY_MS", default_value_t = 2000)]
    pub ucontact_api_retry_ms: u64,

    /// Let outbound requests (uContact's REST API, follow-ups' integration calls and
    /// webhooks) reach loopback and private addresses.
    /// Off by default: a URL pointing inside the network is refused (SSRF).
    #[arg(long, env = "AGENTDESK_OUTBOUND_ALLOW_PRIVATE")]
    pub outbound_allow_private: bool,

    /// The time zone of uContact's server: its webhooks' and exports' date-times without
    /// an offset are its local time (`America/Montevideo`). Also `import-ccrepo`'s default.
    #[arg(long, env = "AGENTDESK_UCONTACT_TIME_ZONE", default_value = "UTC")]
    pub ucontact_time_zone: chrono_tz::Tz,

    /// API reads (GET) in flight at once beyond which more are turned away with 503 and
    /// `Retry-After` (docs/architecture.md, overload).
    #[arg(long, env = "AGENTDESK_MAX_READS_IN_FLIGHT", default_value_t = 1024)]
    pub max_reads_in_flight: usize,

    /// API writes in flight at once beyond which more are turned away (status changes and
    /// sign-outs never are).
    #[arg(long, env = "AGENTDESK_MAX_WRITES_IN_FLIGHT", default_value_t = 256)]
    pub max_writes_in_flight: usize,

    /// A desktop that reconnects within this many seconds gets its previous status back.
    #[arg(long, env = "AGENTDESK_PRESENCE_RESTORE_SECS", default_value_t = 60)]
    pub presence_restore_secs: u32,

    /// How long a closed real-time stream waits before the agent counts as disconnected,
    /// in milliseconds: a page reload reconnects within it and logs nothing.
    #[arg(long, env = "AGENTDESK_PRESENCE_GRACE_MS", default_value_t = 4000)]
    pub presence_grace_ms: u64,

    /// A stream not heard from for this many seconds (its server instance died) is
    /// dropped and its agent disconnected with reason `timeout`.
    #[arg(long, env = "AGENTDESK_PRESENCE_STALE_SECS", default_value_t = 90)]
    pub presence_stale_secs: u32,

    /// IMAP mailboxes to poll for inbound mail, comma-separated, each
    /// `imaps://user:password@host[:port]/MAILBOX?team=TEAM` (user, password and mailbox
    /// percent-encoded; `imap://` only to a loopback host).
    #[arg(
        long,
        env = "AGENTDESK_IMAP_MAILBOXES",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub imap_mailboxes: Vec<crate::ingest::imap::MailboxUrl>,

    /// Seconds between two polls of a mailbox.
    #[arg(long, env = "AGENTDESK_IMAP_POLL_SECS", default_value_t = 30)]
    pub imap_poll_secs: u64,

    /// Extra CA certificates (PEM) trusted for `imaps://`, for a mail server with a
    /// private CA. The public web PKI roots are always trusted.
    #[arg(long, env = "AGENTDESK_IMAP_CA_FILE")]
    pub imap_ca_file: Option<PathBuf>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            dist_dir: PathBuf::from("dist"),
            frame_ancestors: Vec::new(),
            crm_origins: Vec::new(),
            recording_origins: Vec::new(),
            session_hours: 12,
            trust_forwarded_for: false,
            no_demo: false,
            phone_region: "UY".into(),
            delete_roles: vec![
                agentdesk_protocol::Role::Supervisor,
                agentdesk_protocol::Role::Admin,
            ],
            event_retention_hours: 24,
            maintenance_secs: 300,
            reminder_check_secs: 10,
            followup_check_secs: 30,
            outbox_check_secs: 5,
            email_attachments_max_bytes: agentdesk_protocol::email_files::DEFAULT_MAX_TOTAL_BYTES,
            followup_max_answer_bytes: 4 * 1024 * 1024,
            launch_secret: None,
            launch_max_age_secs: 300,
            ucontact_webhook_secret: None,
            smtp_url: None,
            smtp_from: None,
            ucontact_time_zone: chrono_tz::Tz::UTC,
            ucontact_api_url: None,
            ucontact_api_user: String::new(),
            ucontact_api_password: None,
            ucontact_api_attempts: 5,
            ucontact_api_retry_ms: 2000,
            outbound_allow_private: false,
            max_reads_in_flight: 1024,
            max_writes_in_flight: 256,
            presence_restore_secs: 60,
            presence_grace_ms: 4000,
            presence_stale_secs: 90,
            imap_mailboxes: Vec::new(),
            imap_poll_secs: 30,
            imap_ca_file: None,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct CreateUserArgs {
    #[arg(long)]
    pub username: String,
    #[arg(long)]
    pub display_name: Option<String>,
    /// The password; read from `AGENTDESK_PASSWORD` so it stays out of shell history.
    #[arg(long, env = "AGENTDESK_PASSWORD", hide_env_values = true)]
    pub password: String,
    /// agent, supervisor or admin.
    #[arg(long, default_value = "agent")]
    pub role: agentdesk_protocol::Role,
    /// Team names to join (created when missing). Comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub teams: Vec<String>,
    /// May read email content.
    #[arg(long, default_value_t = false)]
    pub can_email: bool,
    /// es or en.
    #[arg(long, default_value = "es")]
    pub locale: agentdesk_protocol::Locale,
    /// Where e-mail notifications (follow-ups) reach the user.
    #[arg(long)]
    pub email: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// Number of contacts (the full demo has 300).
    #[arg(long, default_value_t = 300)]
    pub contacts: u32,
    /// Activities spread over the contacts (the full demo has about 30,000).
    #[arg(long, default_value_t = 30_000)]
    pub activities: u32,
    /// Activities of the one contact with a long history.
    #[arg(long, default_value_t = 5_000)]
    pub big_contact_activities: u32,
}

impl Default for SeedArgs {
    fn default() -> Self {
        SeedArgs {
            contacts: 300,
            activities: 30_000,
            big_contact_activities: 5_000,
        }
    }
}

/// A secret from the configuration: printed as `***` by `Debug`, so it never reaches a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl std::str::FromStr for Secret {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() < 16 {
            return Err("a secret needs at least 16 characters".into());
        }
        Ok(Secret(s.to_string()))
    }
}

/// A password for another system (any length): printed as `***` by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(pub String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl std::str::FromStr for Password {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Password(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{Cli, Command};

    fn serve(args: &[&str]) -> Result<super::ServeConfig, clap::Error> {
        let mut argv = vec!["agentdesk-server", "serve"];
        argv.extend_from_slice(args);
        match Cli::try_parse_from(argv)?.command {
            Some(Command::Serve(c)) => Ok(*c),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn configured_origins_are_origins_normalised_and_nothing_else_starts() {
        let c = serve(&[
            "--frame-ancestors",
            "https://UC.example:443/,http://127.0.0.1:9000",
            "--crm-origins",
            "https://crm.example",
        ])
        .unwrap();
        assert_eq!(
            c.frame_ancestors,
            ["https://uc.example", "http://127.0.0.1:9000"]
        );
        assert_eq!(c.crm_origins, ["https://crm.example"]);
        for bad in [
            "https://uc.example *",
            "*",
            "https://uc.example/path",
            "'unsafe-inline'",
        ] {
            assert!(serve(&["--frame-ancestors", bad]).is_err(), "{bad}");
            assert!(serve(&["--crm-origins", bad]).is_err(), "{bad}");
        }
    }
}
