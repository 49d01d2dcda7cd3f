//! The `netboard` command line (CONTRACT.md §1).
//!
//! Exit codes: 0 success, 1 runtime failure (including a faulty data file), 2 bad usage or bad
//! input. Every error is one line on standard error that says what was wrong and what to do.

use clap::{Parser, Subcommand};
use netboard::engine::{data_dir, Decider, Engine};
use netboard::question::Detail;
use netboard::{assertion_tsv, render, transport};
use std::io::{self, BufRead, BufWriter, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Start-up is mostly small allocations (parsing and compiling the patterns); see Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "netboard",
    version,
    about = "Sourced decision support for metastatic NET care teams, in chat.",
    long_about = "Sourced decision support for metastatic neuroendocrine tumour (NET) care teams.\n\
        For healthcare professionals only: not for patients, not a substitute for the tumour board.\n\
        With no subcommand, runs the Discord bot when DISCORD_TOKEN is set, else the local console."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Answer one question (or a batch, one per line).
    Ask {
        /// Print the answer as one JSON document.
        #[arg(long)]
        json: bool,
        /// Give every caveat whole (the full answer) rather than the quick one-screen answer.
        #[arg(long)]
        full: bool,
        /// Read one question per line from FILE (`-` for standard input); one answer per line.
        #[arg(long, value_name = "FILE")]
        batch: Option<PathBuf>,
        /// The question; `-` reads it from standard input.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        text: Vec<String>,
    },
    /// Run the Discord bot (needs DISCORD_TOKEN; see the README's Discord set-up).
    Discord,
    /// Validate intents/ and knowledge/, and run every example in them.
    Check,
    /// Serve the decision module over HTTP: JSON API and CDS Hooks (see README).
    Serve {
        /// The address to listen on.
        #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
        addr: String,
    },
    /// List every source the knowledge base cites.
    Sources,
    /// Run only the assertion step on an annotated TSV (columns `concept` and `sentence`).
    Assertion {
        #[arg(long, value_name = "FILE")]
        tsv: PathBuf,
    },
}

/// A failure to report: the message and the exit code.
struct Failure(String, u8);

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message, code)) => {
            eprintln!("netboard: {message}");
            ExitCode::from(code)
        }
    }
}

fn load() -> Result<Engine, Failure> {
    let dir = data_dir();
    Engine::load(&dir).map_err(|faults| {
        Failure(
            format!("cannot start: the data files have faults:\n{faults}"),
            1,
        )
    })
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        None if std::env::var("DISCORD_TOKEN").is_ok_and(|t| !t.trim().is_empty()) => {
            discord(load()?)
        }
        Some(Command::Discord) => discord(load()?),
        None => {
            let engine = load()?;
            let remote = remote_decider()?;
            let decider: &dyn Decider = remote.as_deref().unwrap_or(&engine);
            let stdin = io::stdin();
            let prompt = stdin.is_terminal();
            transport::console::run(&engine, decider, stdin.lock(), io::stdout().lock(), prompt)
                .map_err(io_failure)
        }
        Some(Command::Serve { addr }) => serve(&addr),
        Some(Command::Check) => {
            let engine = load()?;
            let knowledge = engine.knowledge();
            println!(
                "intents/ and knowledge/ (version {}, reviewed {}): every file loads, every \
                 reference resolves and every example passes; {} sources",
                knowledge.version,
                knowledge.reviewed,
                knowledge.sources().count()
            );
            Ok(())
        }
        Some(Command::Sources) => {
            let engine = load()?;
            let out = render::sources(engine.knowledge());
            io::stdout()
                .lock()
                .write_all(out.as_bytes())
                .map_err(io_failure)
        }
        Some(Command::Ask {
            json,
            full,
            batch,
            text,
        }) => {
            let engine = load()?;
            let form = Form { json, full };
            match batch {
                Some(path) => ask_batch(&engine, &path, form),
                None => ask_one(&engine, &text, form),
            }
        }
        Some(Command::Assertion { tsv }) => {
            let engine = load()?;
            let file = std::fs::File::open(&tsv)
                .map_err(|e| Failure(format!("cannot read {}: {e}", tsv.display()), 2))?;
            let out = BufWriter::new(io::stdout().lock());
            assertion_tsv::run(engine.extractor().context(), io::BufReader::new(file), out)
                .map_err(|e| Failure(format!("{}: {e}", tsv.display()), 2))
        }
    }
}

/// The decision service of remote mode, when `NETBOARD_DECISION_URL` asks for one.
#[cfg(feature = "remote")]
fn remote_decider() -> Result<Option<Box<dyn Decider>>, Failure> {
    let remote = transport::remote::RemoteDecider::from_env().map_err(|e| Failure(e, 2))?;
    Ok(remote.map(|remote| {
        eprintln!(
            "netboard: remote mode: cases are decided by the service at {}",
            remote.url()
        );
        Box::new(remote) as Box<dyn Decider>
    }))
}

#[cfg(not(feature = "remote"))]
fn remote_decider() -> Result<Option<Box<dyn Decider>>, Failure> {
    match std::env::var_os("NETBOARD_DECISION_URL") {
        Some(url) if !url.is_empty() => Err(Failure(
            "NETBOARD_DECISION_URL is set, but this build has no remote mode; build with \
             --features remote (or http), or unset it"
                .into(),
            2,
        )),
        _ => Ok(None),
    }
}

#[cfg(feature = "http")]
fn serve(addr: &str) -> Result<(), Failure> {
    use transport::http;
    let config = http::Config::from_env().map_err(|e| Failure(e, 2))?;
    let engine = load()?;
    http::run(addr, config, engine, &data_dir()).map_err(|e| Failure(e, 1))
}

#[cfg(not(feature = "http"))]
fn serve(_addr: &str) -> Result<(), Failure> {
    Err(Failure(
        "this build has no HTTP service; build with --features http".into(),
        2,
    ))
}

#[cfg(feature = "discord")]
fn discord(engine: Engine) -> Result<(), Failure> {
    use transport::discord::{run_from_env, DiscordError};
    run_from_env(engine).map_err(|e| {
        let code = if matches!(e, DiscordError::Config(_)) {
            2
        } else {
            1
        };
        Failure(e.to_string(), code)
    })
}

#[cfg(not(feature = "discord"))]
fn discord(_: Engine) -> Result<(), Failure> {
    Err(Failure(
        "this build has no Discord front end (built without the `discord` feature); \
         rebuild with default features, or unset DISCORD_TOKEN for the local console"
            .into(),
        2,
    ))
}

/// How `ask` writes an answer.
#[derive(Clone, Copy)]
struct Form {
    json: bool,
    full: bool,
}

impl Form {
    fn render(self, engine: &Engine, text: &str) -> String {
        let mut answer = engine.ask(text);
        if self.full {
            answer.question.detail = Detail::Full;
        }
        if self.json {
            format!("{}\n", render::json(&answer))
        } else {
            render::plain(&answer)
        }
    }
}

fn ask_one(engine: &Engine, words: &[String], form: Form) -> Result<(), Failure> {
    if words.is_empty() {
        return Err(Failure("ask needs a question, e.g. netboard ask \"pNET G2, 3 liver mets — options?\" (or `-` to read it from standard input)".into(), 2));
    }
    let text = if words.len() == 1 && words[0] == "-" {
        let mut bytes = Vec::new();
        io::stdin().read_to_end(&mut bytes).map_err(io_failure)?;
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        words.join(" ")
    };
    let out = form.render(engine, &text);
    io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .map_err(io_failure)
}

fn ask_batch(engine: &Engine, path: &PathBuf, form: Form) -> Result<(), Failure> {
    let input: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        let file = std::fs::File::open(path)
            .map_err(|e| Failure(format!("cannot read {}: {e}", path.display()), 2))?;
        Box::new(io::BufReader::new(file))
    };
    let mut out = BufWriter::new(io::stdout().lock());
    for line in input.split(b'\n') {
        let bytes = line.map_err(io_failure)?;
        let text = String::from_utf8_lossy(&bytes);
        let answer = form.render(engine, text.trim_end_matches('\r'));
        // One JSON document per line; plain answers separated by a blank line.
        let separator = if form.json { "" } else { "\n" };
        write!(out, "{answer}{separator}").map_err(io_failure)?;
    }
    out.flush().map_err(io_failure)
}

fn io_failure(e: io::Error) -> Failure {
    if e.kind() == io::ErrorKind::BrokenPipe {
        // The reader went away (e.g. `| head`): nothing left to say.
        std::process::exit(0);
    }
    Failure(format!("input/output failed: {e}"), 1)
}
