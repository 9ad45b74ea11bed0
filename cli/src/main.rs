//! The `sfjira` command line: run the service, the demo, the emulators, and the offline audit
//! and projection tools. `anyhow` lives here, at the edge; the library has typed errors.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use sfjira::audit::replay::{self, Subject, Until};
use sfjira::config::Settings;
use sfjira::domain::ids::{JiraIssueKey, LinkId, SalesforceId};
use sfjira::events::store::{sled_store, EventStore, SledEventStore, SledStoreOptions};
use sfjira::projections::Projections;
use sfjira::startup::Application;
use sfjira::telemetry::{self, LogFormat};

mod demo;
mod load;

/// Self-hosted Salesforce ⇄ Jira connector.
#[derive(Parser)]
#[command(name = "sfjira", version, about)]
struct Cli {
    /// Log lines as JSON.
    #[arg(long, global = true)]
    json_logs: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Emulated Salesforce and Jira plus the connector, seeded and connected; runs until Ctrl-C.
    Demo {
        /// sfjira's HTTP port.
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// The Salesforce emulator's port.
        #[arg(long, default_value_t = 8081)]
        salesforce_port: u16,
        /// The Jira emulator's port.
        #[arg(long, default_value_t = 8082)]
        jira_port: u16,
        /// Where sfjira and the emulators keep their data.
        #[arg(long, default_value = "./demo-data")]
        data_dir: PathBuf,
        /// Admin bearer token (random when not given; printed either way).
        #[arg(long)]
        admin_token: Option<String>,
        /// Seconds between scheduled reconciliation runs.
        #[arg(long, default_value_t = 300)]
        sync_interval: u64,
    },
    /// The Salesforce and Jira emulators alone; each answers GET /__emulator/info.
    Emulate {
        /// The Salesforce emulator's port.
        #[arg(long, default_value_t = 8081)]
        salesforce_port: u16,
        /// The Jira emulator's port.
        #[arg(long, default_value_t = 8082)]
        jira_port: u16,
        /// `demo` (sample data) or `empty` (credentials only).
        #[arg(long, default_value = "demo")]
        seed: String,
        /// Serve HTTPS with self-signed certificates written into this directory.
        #[arg(long)]
        tls: Option<PathBuf>,
    },
    /// A reproducible sync load run: emulators seeded with N Cases, `sfjira serve` as its own
    /// process, then back-fill, quiet runs, 1 % changed and Jira edits, each measured (calls by
    /// endpoint, latency, memory, data directory).
    Load {
        /// Links to measure; give several to measure each (e.g. `--links 1000 --links 10000`).
        #[arg(long, default_values_t = [1000])]
        links: Vec<usize>,
        /// Quiet runs after the back-fill.
        #[arg(long, default_value_t = 2)]
        quiet_runs: usize,
        /// Share of the Cases edited in Salesforce, in percent.
        #[arg(long, default_value_t = 1.0)]
        changed_percent: f64,
        /// Share of the issues edited in Jira, in percent.
        #[arg(long, default_value_t = 1.0)]
        jira_edit_percent: f64,
        /// Where each run keeps its configuration, data directory and log (emptied first).
        #[arg(long, default_value = "./load-data")]
        work_dir: PathBuf,
        /// Keep each run's directory afterwards.
        #[arg(long)]
        keep: bool,
        /// Kill the connector (SIGKILL) once this percentage of the back-fill's issues exists,
        /// restart it, and check that the resumed back-fill made every issue and link note
        /// exactly once.
        #[arg(long, value_parser = clap::value_parser!(f64))]
        kill_at: Option<f64>,
    },
    /// Run the service with a configuration file (plus SFJIRA_* environment overrides).
    Serve {
        /// TOML configuration file.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Prove the event log was not edited: sequence, hash chain, indexes.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Rebuild or verify the read models (the service must be stopped).
    Projections {
        #[command(subcommand)]
        command: ProjectionCommand,
    },
    /// Repair a damaged data directory (see docs/runbooks/sled-recovery.md).
    Store {
        #[command(subcommand)]
        command: StoreCommand,
    },
    /// Keep the Jira API token, bearer token or webhook secret in the encrypted vault instead
    /// of the configuration file (read at the next start).
    Secrets {
        #[command(subcommand)]
        command: SecretsCommand,
    },
}

#[derive(Subcommand)]
enum SecretsCommand {
    /// Store a secret; the value is read from standard input (one line), never from the
    /// command line.
    Set {
        #[command(flatten)]
        store: StoreArgs,
        /// jira.api_token, jira.bearer_token or jira.webhook_secret.
        name: String,
    },
    /// Erase a stored secret.
    Delete {
        #[command(flatten)]
        store: StoreArgs,
        /// jira.api_token, jira.bearer_token or jira.webhook_secret.
        name: String,
    },
    /// Say which secrets are stored (never their values).
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
enum StoreCommand {
    /// Copy the sound prefix of the log into a new data directory (the source is not changed).
    Salvage {
        #[command(flatten)]
        store: StoreArgs,
        /// The new, empty data directory.
        #[arg(long)]
        to: PathBuf,
    },
    /// Drop every projection view; they are rebuilt from the log at the next start.
    ResetViews {
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(clap::Args)]
struct StoreArgs {
    /// TOML configuration file (its data_dir is used).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Data directory (overrides the configuration).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify the log; prints the first broken position and exits non-zero if any.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Replay the history of a link, an issue or a record as a timeline.
    Replay {
        #[command(flatten)]
        store: StoreArgs,
        /// A link id.
        #[arg(long, conflicts_with_all = ["issue", "record"])]
        link: Option<String>,
        /// A Jira issue key.
        #[arg(long, conflicts_with = "record")]
        issue: Option<String>,
        /// A Salesforce record id (15 or 18 characters).
        #[arg(long)]
        record: Option<String>,
        /// Stop at a sequence number or an RFC 3339 time.
        #[arg(long)]
        until: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Subcommand)]
enum ProjectionCommand {
    /// Replay the log into fresh views.
    Rebuild {
        #[command(flatten)]
        store: StoreArgs,
        /// Only these projections (default: all).
        names: Vec<String>,
    },
    /// Refold in memory and compare with the stored views; non-zero exit on a difference.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
        /// Only these projections (default: all).
        names: Vec<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Jsonl,
}

fn data_dir(args: &StoreArgs) -> anyhow::Result<Settings> {
    let mut settings = Settings::load(args.config.as_deref())?;
    if let Some(dir) = &args.data_dir {
        settings.data_dir = dir.clone();
    }
    Ok(settings)
}

fn secrets(command: SecretsCommand) -> anyhow::Result<ExitCode> {
    use sfjira::secrets::{check_vault_value, SecretVault, JIRA_SECRETS};
    let args = match &command {
        SecretsCommand::Set { store, .. }
        | SecretsCommand::Delete { store, .. }
        | SecretsCommand::List { store } => store,
    };
    let settings = data_dir(args)?;
    let vault = SecretVault::open(&settings.data_dir, &settings.key_file())?;
    match command {
        SecretsCommand::Set { name, .. } => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading the secret from standard input")?;
            let value =
                secrecy::SecretString::from(line.trim_end_matches(['\r', '\n']).to_string());
            check_vault_value(&name, &value)?;
            vault.put(&name, &value)?;
            println!("stored {name} in the vault; it is read at the next start");
        }
        SecretsCommand::Delete { name, .. } => {
            if !JIRA_SECRETS.contains(&name.as_str()) {
                anyhow::bail!("{name:?} is not one of: {}", JIRA_SECRETS.join(", "));
            }
            if vault.delete(&name)? {
                println!("erased {name} from the vault");
            } else {
                println!("{name} was not stored");
            }
        }
        SecretsCommand::List { .. } => {
            for name in JIRA_SECRETS {
                let stored = vault.get(name)?.is_some();
                println!("{name}: {}", if stored { "stored" } else { "not stored" });
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn open_store(args: &StoreArgs) -> anyhow::Result<Arc<dyn EventStore>> {
    let settings = data_dir(args)?;
    let options = SledStoreOptions {
        cache_capacity: settings.store.cache_capacity_bytes,
        ..SledStoreOptions::default()
    };
    let store = SledEventStore::open(&settings.data_dir, options)
        .with_context(|| format!("opening the event log in {}", settings.data_dir.display()))?;
    Ok(Arc::new(store))
}

fn selected<'a>(
    projections: &'a Projections,
    names: &[String],
) -> anyhow::Result<Vec<&'a Arc<sfjira::projections::ProjectionHandle>>> {
    if names.is_empty() {
        return Ok(projections.handles().iter().collect());
    }
    names
        .iter()
        .map(|n| {
            projections.get(n).ok_or_else(|| {
                anyhow::anyhow!(
                    "unknown projection {n:?}; known: {}",
                    projections
                        .handles()
                        .iter()
                        .map(|h| h.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
        })
        .collect()
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Demo {
            port,
            salesforce_port,
            jira_port,
            data_dir,
            admin_token,
            sync_interval,
        } => {
            demo::demo(demo::DemoOptions {
                port,
                salesforce_port,
                jira_port,
                data_dir,
                admin_token,
                sync_interval,
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Emulate {
            salesforce_port,
            jira_port,
            seed,
            tls,
        } => {
            demo::emulate(demo::EmulateOptions {
                salesforce_port,
                jira_port,
                seed: seed.parse().map_err(anyhow::Error::msg)?,
                tls_dir: tls,
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Load {
            links,
            quiet_runs,
            changed_percent,
            jira_edit_percent,
            work_dir,
            keep,
            kill_at,
        } => {
            if let Some(percent) = kill_at {
                anyhow::ensure!(
                    percent > 0.0 && percent < 100.0,
                    "--kill-at is a percentage between 0 and 100 (exclusive), not {percent}"
                );
            }
            load::load(load::LoadOptions {
                links,
                quiet_runs,
                changed_percent,
                jira_edit_percent,
                work_dir,
                keep,
                kill_at,
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { config } => {
            let settings = Settings::load(config.as_deref())?;
            let app = Application::build(settings).await?;
            app.run_until_stopped().await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            command: AuditCommand::Verify { store },
        } => {
            let store = open_store(&store)?;
            let report = sfjira::audit::verify::verify(store.as_ref()).await?;
            match &report.first_broken {
                None => println!(
                    "ok: {} events in {} streams verified up to seq {} (last hash {})",
                    report.events,
                    report.streams,
                    report.head,
                    report.last_hash.as_deref().unwrap_or("none")
                ),
                Some(broken) => {
                    println!(
                        "BROKEN: first broken position {broken} ({} problem(s) in all)",
                        report.problem_count
                    );
                    for problem in &report.problems {
                        println!("  {problem}");
                    }
                    println!("see {}", sfjira::events::store::RUNBOOK);
                }
            }
            store.close().await?;
            Ok(if report.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Audit {
            command:
                AuditCommand::Replay {
                    store,
                    link,
                    issue,
                    record,
                    until,
                    format,
                },
        } => {
            let subject = match (link, issue, record) {
                (Some(l), _, _) => Subject::Link(LinkId::parse(&l)?),
                (_, Some(i), _) => Subject::Issue(JiraIssueKey::parse(&i)?),
                (_, _, Some(r)) => Subject::Record(SalesforceId::parse(&r)?),
                _ => Subject::Everything,
            };
            let until = match until {
                Some(text) => Until::parse(&text).map_err(anyhow::Error::msg)?,
                None => Until::End,
            };
            let store = open_store(&store)?;
            let result = replay::replay(&store, &subject, until).await?;
            for line in &result.lines {
                match format {
                    Format::Text => println!("{}", replay::format_text(line)),
                    Format::Jsonl => println!("{}", serde_json::to_string(line)?),
                }
            }
            store.close().await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Store {
            command: StoreCommand::Salvage { store, to },
        } => {
            let settings = data_dir(&store)?;
            let report = sled_store::salvage(&settings.data_dir, &to)?;
            println!(
                "copied seqs 1..={} ({} streams) into {}",
                report.copied,
                report.streams,
                to.display()
            );
            if let Some((seq, why)) = &report.stopped_at {
                println!(
                    "stopped at seq {seq}: {why}; {} event(s) left behind",
                    report.left_behind
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Store {
            command: StoreCommand::ResetViews { store },
        } => {
            let settings = data_dir(&store)?;
            for view in sled_store::reset_views(&settings.data_dir)? {
                println!("dropped {view}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Secrets { command } => secrets(command),
        Command::Projections { command } => {
            let (args, names, verify) = match command {
                ProjectionCommand::Rebuild { store, names } => (store, names, false),
                ProjectionCommand::Verify { store, names } => (store, names, true),
            };
            let store = open_store(&args)?;
            let projections = Projections::open(store.clone(), None)?;
            let mut clean = true;
            for handle in selected(&projections, &names)? {
                if verify {
                    let diff = handle.verify().await?;
                    println!("{}", serde_json::to_string(&diff)?);
                    clean &= diff.is_clean();
                } else {
                    let report = handle.rebuild().await?;
                    println!("{}", serde_json::to_string(&report)?);
                }
            }
            store.close().await?;
            Ok(if clean {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The load run prints its own report; the emulators it hosts log only what goes wrong.
    let default_filter = match cli.command {
        Command::Load { .. } => "warn",
        _ => "info,sled=warn",
    };
    telemetry::init(
        default_filter,
        if cli.json_logs {
            LogFormat::Json
        } else {
            LogFormat::Pretty
        },
    );
    let result = actix_web::rt::System::new().block_on(run(cli));
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
