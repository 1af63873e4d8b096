//! The command line: argument parsing (clap) and the mapping of results to exit codes.
//!
//! Exit codes: 0 conformant, 1 not conformant (at least one failed MUST), 2 the harness could not do its
//! job (bad arguments, unreadable input), with a one-line reason on stderr. `evidence verify`: 0 intact,
//! 1 damage found, 2 could not run.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::catalogue;
use crate::checks;
use crate::model::{Lang, ValidationReport};
use crate::report::{self, Format, View};
use crate::validate::{self, Options};

/// dui-conform — conformité des DUI aux services socles (MSSanté, DMP, CI-SIS).
#[derive(Debug, Parser)]
#[command(name = "dui-conform", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate artifacts offline: CDA documents, IHE XDM zips, XDS metadata / ITI-41 captures, MIME messages.
    Validate(ValidateArgs),
    /// List the requirement catalogue and the checks implementing each rule.
    Requirements(RequirementsArgs),
    /// The test PKI: `pki init DIR` makes a CA, a server and a DUI client certificate (PEM).
    #[command(subcommand)]
    Pki(PkiCommand),
    /// The evidence store: `evidence verify DIR` recomputes every hash (exit 1 when damage is found).
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// Start the simulators alone (the DMP for now) on free ports; print and write their endpoints.
    Serve(ServeArgs),
    /// The official ANS CDA kit: `kit info DIR`.
    #[command(subcommand)]
    Kit(KitCommand),
}

/// Arguments of `serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// State directory: evidence/, findings.jsonl, pki/.
    #[arg(long, default_value = "dui-conform-state")]
    pub state_dir: std::path::PathBuf,
    /// Write the endpoints JSON here once every simulator listens.
    #[arg(long)]
    pub endpoints_file: Option<std::path::PathBuf>,
    /// Process a VIHF without signature and an ITI-41 without XAdES entry (findings still recorded).
    #[arg(long)]
    pub unsigned_ok: bool,
    /// The official ANS CDA kit folder: every CDA received also gets the kit's verdict (`KIT:…` findings,
    /// recorded, not refused).
    #[arg(long, env = "DUI_CONFORM_KIT")]
    pub kit: Option<std::path::PathBuf>,
}

/// Subcommands of `pki`.
#[derive(Debug, Subcommand)]
pub enum PkiCommand {
    /// Create DIR with a test CA, a server certificate (localhost, 127.0.0.1, ::1) and a DUI client
    /// certificate; files that already exist are kept.
    Init {
        /// The folder to create or complete.
        dir: std::path::PathBuf,
    },
    /// Revoke a certificate issued by DIR's CA: DIR/crl.pem is signed again with it listed, and the
    /// simulators started on DIR refuse it (TLS client certificate, VIHF and XAdES signer).
    Revoke {
        /// The PKI folder (its CA key signs the CRL).
        dir: std::path::PathBuf,
        /// The certificate to revoke (PEM), e.g. DIR/client.pem.
        cert: std::path::PathBuf,
    },
}

/// Subcommands of `evidence`.
#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Recompute every hash of a state directory's evidence store and report missing or altered objects.
    Verify {
        /// The state directory (holding `evidence/`) or the `evidence/` folder itself.
        dir: std::path::PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: VerifyFormat,
    },
}

/// Output formats of `evidence verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VerifyFormat {
    /// One problem a line.
    Human,
    /// The report as one JSON object.
    Json,
}

/// `kit` subcommands.
#[derive(Debug, Subcommand)]
pub enum KitCommand {
    /// What a kit folder contains: volets, versions, the templateId table, its defects.
    Info {
        /// The kit folder (holding `schematrons/` and `jeuxDeValeurs/`).
        dir: std::path::PathBuf,
        /// Read the kit from its folder, not from the disk cache (nor write it).
        #[arg(long)]
        no_kit_cache: bool,
    },
    /// Remove the parsed kits kept in the disk cache (`$DUI_CONFORM_CACHE`, else
    /// `$XDG_CACHE_HOME/dui-conform`, else `~/.cache/dui-conform`).
    ClearCache,
}

/// Arguments of `validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Files or directories (walked recursively); `-` reads stdin.
    #[arg(required = true)]
    pub paths: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Write the report to this file instead of stdout.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
    /// Report language.
    #[arg(long, value_enum, default_value = "fr")]
    pub lang: Lang,
    /// Show personal data (INS, names, birth dates) instead of masking it.
    #[arg(long)]
    pub no_redact: bool,
    /// Judge XDS metadata as a submission to the DMP (DMP value sets J56–J66).
    #[arg(long)]
    pub dmp: bool,
    /// The official ANS CDA kit folder: every CDA also gets the kit's verdict (`KIT:…` findings).
    #[arg(long, env = "DUI_CONFORM_KIT")]
    pub kit: Option<std::path::PathBuf>,
    /// Read the kit from its folder, not from the disk cache of parsed kits (nor write it); the
    /// environment variable `DUI_CONFORM_NO_CACHE=1` does the same.
    #[arg(long)]
    pub no_kit_cache: bool,
}

/// Arguments of `requirements`.
#[derive(Debug, clap::Args)]
pub struct RequirementsArgs {
    /// Only this domain (`cda`, `identity`, `xds-dmp`, `mssante`, `fhir`, `dui`) or id prefix (`CDA-HDR`).
    #[arg(long)]
    pub domain: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: ReqFormat,
    /// Language of titles.
    #[arg(long, value_enum, default_value = "fr")]
    pub lang: Lang,
}

/// Output formats of `requirements`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReqFormat {
    /// JSON array.
    Json,
    /// Markdown table.
    Markdown,
}

/// Parses the arguments, runs the command, returns the exit code.
pub fn run() -> ExitCode {
    let started = std::time::Instant::now();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return ExitCode::from(2);
        }
        Err(e) if e.use_stderr() => {
            // One line, as every exit-2 reason: clap's first line, without its "error: " prefix.
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            eprintln!(
                "dui-conform: {} (see --help)",
                first.trim_start_matches("error: ")
            );
            return ExitCode::from(2);
        }
        Err(e) => {
            // --help, --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
    };
    let code = match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("dui-conform: {e:#}");
            ExitCode::from(2)
        }
    };
    if crate::schematron::timing::enabled() {
        eprint!("{}", crate::schematron::timing::table(started));
    }
    code
}

fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Validate(a) => validate_cmd(a),
        Command::Requirements(a) => requirements_cmd(a),
        Command::Pki(PkiCommand::Init { dir }) => pki_init_cmd(&dir),
        Command::Pki(PkiCommand::Revoke { dir, cert }) => {
            let crl = crate::pki::Pki::load(&dir)?.revoke(&cert)?;
            write_out(
                None,
                &format!(
                    "{} revoked; CRL {} (restart `serve` to use it)\n",
                    cert.display(),
                    crl.display()
                ),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Evidence(EvidenceCommand::Verify { dir, format }) => {
            evidence_verify_cmd(&dir, format)
        }
        Command::Serve(a) => serve_cmd(a),
        Command::Kit(KitCommand::Info { dir, no_kit_cache }) => kit_info_cmd(&dir, no_kit_cache),
        Command::Kit(KitCommand::ClearCache) => kit_clear_cache_cmd(),
    }
}

fn kit_clear_cache_cmd() -> anyhow::Result<ExitCode> {
    use crate::schematron::KitCache;
    match KitCache::from_env() {
        KitCache::Off => write_out(
            None,
            "no kit cache (DUI_CONFORM_NO_CACHE set, or no DUI_CONFORM_CACHE, XDG_CACHE_HOME nor HOME)\n",
        )?,
        KitCache::At(d) => {
            let n = crate::schematron::disk::clear(&d)
                .map_err(|e| anyhow::anyhow!("{}: {e}", d.display()))?;
            write_out(None, &format!("{}: {n} file(s) removed\n", d.display()))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn kit_info_cmd(dir: &std::path::Path, no_cache: bool) -> anyhow::Result<ExitCode> {
    let t = std::time::Instant::now();
    let kit = dui_kit_load(dir, no_cache)?;
    let (schemas, rules, asserts) = kit.counts();
    let mut s = format!(
        "ANS CDA kit {}\nversion: {}\ncontent hash (SHA-256): {}\n{schemas} schematrons, {rules} rules, {asserts} asserts/reports; loaded in {:.0?}\n",
        kit.dir.display(),
        kit.commit
            .as_deref()
            .map_or("(no commit in the kit README)".to_string(), |c| format!("commit {c}")),
        kit.hash,
        t.elapsed()
    );
    {
        use crate::schematron::CacheState as S;
        let path = kit
            .cache
            .path
            .as_ref()
            .map_or_else(String::new, |p| format!(" ({})", p.display()));
        s.push_str(&match &kit.cache.state {
            S::Off => "disk cache: off\n".to_string(),
            S::Hit if kit.cache.hash_from_fingerprint => format!(
                "disk cache: read from the cache{path}, content hash from the files' stat fingerprint\n"
            ),
            S::Hit => format!("disk cache: read from the cache{path}\n"),
            S::Written => format!("disk cache: read from the folder, cached{path}\n"),
            S::Replaced(why) => {
                format!("disk cache: entry ignored ({why}), read from the folder, re-cached{path}\n")
            }
            S::NotWritten(why) => format!("disk cache: read from the folder, not cached: {why}\n"),
        });
    }
    s.push_str(&format!(
        "\nProcedure: XSD (CDA_extended.xsd), {}, the volet, {}\n",
        crate::schematron::kit::STRUCT_MIN,
        crate::schematron::kit::PROFILES.join(", ")
    ));
    s.push_str(
        "\nVolets: templateId root (CI-SIS document models, 1.2.250.1.213.1.1.1.*) → file. A document's\n\
         volet: its last such templateId that is not the parent of another it declares; among the volets\n\
         naming that root, those naming the fewest; the version equal to the extension, else the oldest.\n\
         * = root written in the files but in no templateId test.\n",
    );
    for (volet, versions) in kit.table() {
        for v in versions {
            s.push_str(&format!(
                "  {volet:<22} {:<8} {:<45} {}\n",
                v.version,
                v.file,
                if v.roots.is_empty() {
                    "(no document-model root: never selected)".to_string()
                } else {
                    format!(
                        "{}{}",
                        v.roots.join(" + "),
                        if v.roots_from_tests { "" } else { " *" }
                    )
                }
            ));
        }
    }
    s.push_str(&format!("\nDefects ({}):\n", kit.defects.len()));
    for d in &kit.defects {
        s.push_str(&format!("  - {d}\n"));
    }
    write_out(None, &s)?;
    Ok(ExitCode::SUCCESS)
}

fn dui_kit_load(dir: &std::path::Path, no_cache: bool) -> anyhow::Result<crate::schematron::Kit> {
    use crate::schematron::{Kit, KitCache};
    let cache = if no_cache {
        KitCache::Off
    } else {
        KitCache::from_env()
    };
    Ok(Kit::load_with(dir, &cache)?)
}

fn validate_cmd(a: ValidateArgs) -> anyhow::Result<ExitCode> {
    let opts = Options {
        target: if a.dmp {
            validate::Target::Dmp
        } else {
            validate::Target::Offline
        },
        kit: a
            .kit
            .as_deref()
            .map(|d| dui_kit_load(d, a.no_kit_cache).map(std::sync::Arc::new))
            .transpose()?,
        ..Options::default()
    };
    let mut artifacts = Vec::new();
    for p in &a.paths {
        artifacts.extend(validate::validate_path(p, &opts)?);
    }
    let mut report = ValidationReport::new(artifacts);
    report.official_kit = opts.kit.as_ref().map(|k| k.version_info());
    let color = a.out.is_none()
        && a.format == Format::Human
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    let view = View {
        lang: a.lang,
        redact: !a.no_redact,
        color,
    };
    let text = report::render(&report, a.format, &view);
    write_out(a.out.as_deref(), &text)?;
    Ok(ExitCode::from(if report.has_failure() { 1 } else { 0 }))
}

fn pki_init_cmd(dir: &std::path::Path) -> anyhow::Result<ExitCode> {
    let before = crate::pki::Pki::paths(dir);
    let existed = |p: &std::path::Path| p.exists();
    let was = [
        existed(&before.ca_cert),
        existed(&before.server_cert),
        existed(&before.server_key),
        existed(&before.client_cert),
        existed(&before.client_key),
    ];
    let pki = crate::pki::Pki::init(dir)?;
    let subject = pki.client_subject()?;
    let state = |kept: bool| if kept { "kept" } else { "new " };
    let text = format!(
        "PKI ready in {}\n  {} CA certificate      {}\n  {} server certificate  {} (localhost, 127.0.0.1, ::1)\n  \
         {} server key          {}\n  {} client certificate  {} ({subject})\n  {} client key          {}\n",
        pki.dir.display(),
        state(was[0]),
        pki.ca_cert.display(),
        state(was[1]),
        pki.server_cert.display(),
        state(was[2]),
        pki.server_key.display(),
        state(was[3]),
        pki.client_cert.display(),
        state(was[4]),
        pki.client_key.display(),
    );
    write_out(None, &text)?;
    Ok(ExitCode::SUCCESS)
}

fn evidence_verify_cmd(dir: &std::path::Path, format: VerifyFormat) -> anyhow::Result<ExitCode> {
    let report = crate::evidence::verify(dir)?;
    let text = match format {
        VerifyFormat::Human => report.render(),
        VerifyFormat::Json => {
            let mut v = serde_json::to_value(&report)?;
            v["damaged"] = serde_json::Value::Bool(report.is_damaged());
            serde_json::to_string_pretty(&v)? + "\n"
        }
    };
    write_out(None, &text)?;
    Ok(ExitCode::from(if report.is_damaged() { 1 } else { 0 }))
}

fn write_out(out: Option<&std::path::Path>, text: &str) -> anyhow::Result<()> {
    match out {
        Some(p) => std::fs::write(p, text)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display())),
        None => {
            let mut so = std::io::stdout().lock();
            match so.write_all(text.as_bytes()).and_then(|_| so.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => Ok(r?),
            }
        }
    }
}

fn requirements_cmd(a: RequirementsArgs) -> anyhow::Result<ExitCode> {
    let rows: Vec<_> = catalogue::all()
        .iter()
        .filter(|r| {
            a.domain
                .as_deref()
                .is_none_or(|d| r.domain == d || r.prefix() == d || r.id.starts_with(d))
        })
        .collect();
    if rows.is_empty() {
        anyhow::bail!(
            "no requirement matches --domain {}",
            a.domain.unwrap_or_default()
        );
    }
    let text = match a.format {
        ReqFormat::Json => {
            let v: Vec<_> = rows
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id, "level": r.level, "confidence": r.confidence, "domain": r.domain,
                        "title_fr": r.title_fr, "title_en": r.title_en, "source": r.source, "scopes": r.scopes,
                        "checks": checks::checks_for(&r.id),
                    })
                })
                .collect();
            serde_json::to_string_pretty(&v)? + "\n"
        }
        ReqFormat::Markdown => {
            let mut s =
                String::from("| id | level | conf. | title | checks |\n|---|---|---|---|---|\n");
            let mut implemented = 0;
            for r in &rows {
                let c = checks::checks_for(&r.id);
                if !c.is_empty() {
                    implemented += 1;
                }
                let checks = if c.is_empty() {
                    match a.lang {
                        Lang::Fr => "*non implémentée*".to_string(),
                        Lang::En => "*not implemented*".to_string(),
                    }
                } else {
                    c.join(", ")
                };
                s.push_str(&format!(
                    "| {} | {:?} | {:?} | {} | {} |\n",
                    r.id,
                    r.level,
                    r.confidence,
                    r.title(a.lang).replace('|', "\\|"),
                    checks
                ));
            }
            s.push_str(&format!("\n{implemented}/{} implemented\n", rows.len()));
            s
        }
    };
    write_out(None, &text)?;
    Ok(ExitCode::SUCCESS)
}

fn serve_cmd(a: ServeArgs) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let opts = crate::sim::serve::ServeOptions {
        bind: a.bind,
        state_dir: a.state_dir,
        endpoints_file: a.endpoints_file,
        unsigned_ok: a.unsigned_ok,
        kit: a
            .kit
            .as_deref()
            .map(|d| dui_kit_load(d, false).map(std::sync::Arc::new))
            .transpose()?,
    };
    rt.block_on(async {
        let stop = async {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{signal, SignalKind};
                match signal(SignalKind::terminate()) {
                    Ok(mut term) => {
                        tokio::select! {
                            _ = term.recv() => {}
                            _ = tokio::signal::ctrl_c() => {}
                        }
                    }
                    Err(_) => {
                        let _ = tokio::signal::ctrl_c().await;
                    }
                }
            }
            #[cfg(not(unix))]
            {
                let _ = tokio::signal::ctrl_c().await;
            }
        };
        crate::sim::serve::serve(opts, stop).await
    })?;
    Ok(ExitCode::SUCCESS)
}
