//! The binary's subcommands: `serve` (default), `migrate`, `create-user`, `seed-demo`,
//! `import-ccrepo`, `poll-imap`, `export-followups`, `import-followups`.
//!
//! Exit statuses: 0 done; 1 failed (the message says why); 2 the command line was wrong;
//! [`ROWS_REJECTED`] an import finished but rejected rows (listed in its summary).

use std::fmt::Display;
use std::io::Write;
use std::process::ExitCode;

use tokio::net::TcpListener;

use crate::config::{Cli, Command, CreateUserArgs, LogFormat, PollImapArgs, SeedArgs, ServeConfig};
use crate::ingest::imap;
use crate::store::{self, DynStore, NewUser};
use crate::{AppState, auth, demo, validate};

pub fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder.init(),
    }
}

/// Open and migrate the database the CLI names.
async fn open_store(cli: &Cli) -> anyhow::Result<DynStore> {
    let store = store::open(&cli.database_url).await?;
    store.migrate().await?;
    Ok(store)
}

/// `import-ccrepo` read the whole file, but rejected some rows: a scheduled job can tell
/// this from success (0) and from failure (1).
pub const ROWS_REJECTED: u8 = 3;

/// Print a result on stdout. A reader that went away (`| head`) is not an error: the
/// rest is simply not shown, where `println!` would panic.
fn say(text: impl Display) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    init_tracing(cli.log_format);
    let store = open_store(&cli).await?;
    match cli.command {
        None => serve(store, ServeConfig::default()).await?,
        Some(Command::Serve(config)) => serve(store, *config).await?,
        Some(Command::Migrate) => tracing::info!("migrations applied"),
        Some(Command::CreateUser(args)) => create_user(&store, args).await?,
        Some(Command::ImportCcrepo(args)) => return import_ccrepo(&store, args).await,
        Some(Command::PollImap(args)) => poll_imap(&store, args).await?,
        Some(Command::ExportFollowups(args)) => export_followups(&store, args).await?,
        Some(Command::ImportFollowups(args)) => import_followups(&store, args).await?,
        Some(Command::Report(cmd)) => {
            std::io::Write::write_all(
                &mut std::io::stdout(),
                crate::report::cli::report(&store, cmd).await?.as_bytes(),
            )?;
        }
        Some(Command::RebuildReports(args)) => {
            say(crate::report::cli::rebuild(&store, args).await?)?
        }
        Some(Command::SeedDemo(args)) => {
            let summary = demo::seed(&store, &args).await?;
            // The sample CRM as served by `serve` with its default address.
            demo::seed_crm(&store, "http://127.0.0.1:8080").await?;
            say(summary)?
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn serve(store: DynStore, config: ServeConfig) -> anyhow::Result<()> {
    if !config.no_demo && store.is_empty().await? {
        tracing::info!("empty database: loading the demo data set (use --no-demo to skip)");
        let summary = demo::seed(&store, &SeedArgs::default()).await?;
        demo::seed_crm(&store, &format!("http://{}", config.bind)).await?;
        tracing::info!(%summary, "demo data loaded");
    }
    let listener = TcpListener::bind(config.bind).await?;
    tracing::info!(address = %listener.local_addr()?, "agentdesk listening");
    let state = AppState::new(store, config)?;
    crate::serve(listener, state, crate::shutdown_signal()).await?;
    Ok(())
}

async fn poll_imap(store: &DynStore, args: PollImapArgs) -> anyhow::Result<()> {
    let tls = imap::tls_config(args.imap_ca_file.as_deref())?;
    // Nobody listens to this process's real-time events; the events are stored, so
    // browsers see them when their stream next resumes from the database.
    let events = crate::events::EventHub::default();
    let mut failed = 0;
    for m in &args.imap_mailboxes {
        match imap::poll_once(store, &events, m, &tls, &args.phone_region).await {
            Ok(s) => say(format!("{m}: {s}"))?,
            Err(e) => {
                failed += 1;
                eprintln!("{m}: {e:#}");
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} mailbox(es) could not be polled");
    }
    Ok(())
}

async fn create_user(store: &DynStore, args: CreateUserArgs) -> anyhow::Result<()> {
    validate::username(&args.username).map_err(|e| anyhow::anyhow!("{e}"))?;
    validate::password("password", &args.password, &args.username)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut team_ids = Vec::new();
    for name in args
        .teams
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
    {
        let team = match store.team_by_name(name).await? {
            Some(t) => t,
            None => store.create_team(name).await?,
        };
        team_ids.push(team.id);
    }
    let id = store
        .create_user(NewUser {
            username: args.username.clone(),
            display_name: args
                .display_name
                .clone()
                .unwrap_or_else(|| args.username.clone()),
            password_hash: auth::hash_password(&args.password)?,
            role: args.role,
            can_email: args.can_email,
            locale: args.locale,
            time_zone: "UTC".into(),
            ucontact_agent: None,
            email: match &args.email {
                Some(e) => validate::user_email("email", e).map_err(|e| anyhow::anyhow!("{e}"))?,
                None => None,
            },
            team_ids,
        })
        .await?;
    say(format!(
        "created user `{}` (id {id}, role {})",
        args.username, args.role
    ))
}

async fn import_ccrepo(
    store: &DynStore,
    args: crate::config::ImportArgs,
) -> anyhow::Result<ExitCode> {
    let team = store
        .team_by_name(&args.team)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no team named {:?}", args.team))?;
    let time_zone: chrono_tz::Tz = args
        .time_zone
        .parse()
        .map_err(|_| anyhow::anyhow!("unknown time zone {:?}", args.time_zone))?;
    let opts = crate::ingest::ccrepo::Options {
        table: args.table,
        team_id: team.id,
        time_zone,
        phone_region: &args.phone_region,
        encoding: args.encoding,
        progress: !args.quiet,
    };
    let summary = crate::ingest::ccrepo::import_file(store, &args.file, &opts).await?;
    say(&summary)?;
    Ok(if summary.rejected > 0 {
        ExitCode::from(ROWS_REJECTED)
    } else {
        ExitCode::SUCCESS
    })
}

/// `export-followups`: the follow-ups (all, or those named) to a zip archive.
async fn export_followups(
    store: &DynStore,
    args: crate::config::ExportFollowupsArgs,
) -> anyhow::Result<()> {
    let all = store.followups().await?;
    let mut specs = Vec::new();
    if args.names.is_empty() {
        specs.extend(all.into_iter().map(|f| f.spec));
    } else {
        for name in &args.names {
            let f = all
                .iter()
                .find(|f| f.spec.name.trim().eq_ignore_ascii_case(name.trim()))
                .ok_or_else(|| anyhow::anyhow!("no follow-up named {name:?}"))?;
            specs.push(f.spec.clone());
        }
    }
    std::fs::write(&args.out, crate::followups::archive::write(&specs)?)?;
    say(format!(
        "exported {} follow-up(s) to {} (secrets left out: enter them again after importing)",
        specs.len(),
        args.out.display()
    ))
}

/// `import-followups`: an archive checked whole, then created inactive.
async fn import_followups(
    store: &DynStore,
    args: crate::config::ImportFollowupsArgs,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(&args.file)?;
    let specs = crate::followups::archive::read(&bytes).map_err(|problems| {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("nothing imported:\n  {}", list.join("\n  "))
    })?;
    let report = crate::followups::archive::create_all(store, specs, crate::clock::now()).await?;
    for f in &report.created {
        say(format!(
            "created `{}` (inactive: enter its secrets and turn it on)",
            f.name
        ))?;
    }
    for name in &report.conflicts {
        say(format!("already there: `{name}` (skipped)"))?;
    }
    Ok(())
}
