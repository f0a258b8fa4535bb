//! The `gureum` binary: the command line, configuration, wiring of store, services and pipeline,
//! and the server's life from start to shutdown.

mod admin;
mod body;
mod config;
mod pipeline;
mod s3_web;
mod server;
mod usage;

use clap::{Parser, Subcommand};

/// mimalloc: a request allocates and frees many small buffers (headers, JSON, records), where
/// glibc's allocator spent about a tenth of the server's CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "gureum",
    version,
    about = "An AWS-compatible cloud in one binary"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server: AWS APIs and the admin endpoints on one listener.
    Serve(config::ServeArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            let config = config::resolve(args)?;
            init_logging(&config);
            server::run(config)
        }
    }
}

fn init_logging(config: &config::Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    match config.log_format {
        config::LogFormat::Json => builder.json().flatten_event(true).init(),
        config::LogFormat::Text => builder.with_target(false).init(),
    }
}
