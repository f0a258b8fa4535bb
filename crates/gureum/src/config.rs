//! Configuration: command-line flags over `GUREUM_*` environment variables over `gureum.toml`
//! over defaults. Every flag has all three forms.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthSetting {
    /// Signatures verified; IAM evaluated for non-root principals.
    Enforce,
    /// Any well-formed credentials accepted; a 12-digit access key id selects that account.
    Permissive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// `gureum serve` flags. Each also reads `GUREUM_<NAME>` and the `<name>` key of `gureum.toml`.
#[derive(Debug, Clone, Default, Args, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServeArgs {
    /// Address and port to listen on [default: 127.0.0.1:4566]
    #[arg(long, env = "GUREUM_LISTEN", value_name = "ADDR:PORT")]
    pub listen: Option<SocketAddr>,
    /// Directory holding all state [default: $XDG_DATA_HOME/gureum, else ~/.local/share/gureum]
    #[arg(long, env = "GUREUM_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Keep nothing: state lives in memory and is gone when gureum stops
    #[arg(long, env = "GUREUM_EPHEMERAL", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub ephemeral: Option<bool>,
    /// enforce: verify signatures and evaluate IAM; permissive: accept any well-formed credentials [default: enforce]
    #[arg(long, env = "GUREUM_AUTH", value_enum)]
    pub auth: Option<AuthSetting>,
    /// Log line format [default: text]
    #[arg(long, env = "GUREUM_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Log level filter, e.g. info, warn, gureum=debug [default: info]
    #[arg(long, env = "GUREUM_LOG_LEVEL", value_name = "FILTER")]
    pub log_level: Option<String>,
    /// The default region, for requests that name none [default: us-east-1]
    #[arg(long, env = "GUREUM_REGION")]
    pub region: Option<String>,
    /// The account of the root credentials [default: 000000000000]
    #[arg(long, env = "GUREUM_ACCOUNT_ID", value_name = "ID")]
    pub account_id: Option<String>,
    /// Root access key id [default: test, only while bound to loopback]
    #[arg(long, env = "GUREUM_ROOT_ACCESS_KEY_ID", value_name = "ID")]
    pub root_access_key_id: Option<String>,
    /// Root secret access key [default: test, only while bound to loopback]
    #[arg(
        long,
        env = "GUREUM_ROOT_SECRET_ACCESS_KEY",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub root_secret_access_key: Option<String>,
    /// Largest request body held in memory, in bytes; S3 object uploads stream instead and are
    /// limited by S3's 5 GiB [default: 134217728]
    #[arg(long, env = "GUREUM_MAX_BODY_BYTES", value_name = "BYTES")]
    pub max_body_bytes: Option<u64>,
    /// Worker threads serving connections [default: one per core]
    #[arg(long, env = "GUREUM_WORKERS", value_name = "N")]
    pub workers: Option<usize>,
    /// PKCS#11 module (a .so) whose tokens back KMS's CloudHSM key stores, e.g. SoftHSM2's
    /// libsofthsm2.so [default: none, so CloudHSM key stores find no cluster]
    #[arg(long, env = "GUREUM_PKCS11_MODULE", value_name = "FILE")]
    pub pkcs11_module: Option<PathBuf>,
    /// Throttle DynamoDB's provisioned tables and indexes at their provisioned capacity (with
    /// five minutes of burst), answering ProvisionedThroughputExceededException [default: false]
    #[arg(long, env = "GUREUM_DYNAMODB_ENFORCE_CAPACITY", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub dynamodb_enforce_capacity: Option<bool>,
    /// Configuration file [default: ./gureum.toml when it exists]
    #[arg(long, env = "GUREUM_CONFIG", value_name = "FILE")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
}

/// The settled configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub ephemeral: bool,
    pub auth: AuthSetting,
    pub log_format: LogFormat,
    pub log_level: String,
    pub region: String,
    pub account_id: String,
    pub root_access_key_id: String,
    pub root_secret_access_key: String,
    pub max_body_bytes: u64,
    pub workers: usize,
    pub pkcs11_module: Option<PathBuf>,
    pub dynamodb_enforce_capacity: bool,
}

impl Config {
    pub fn loopback(&self) -> bool {
        self.listen.ip().is_loopback()
    }
}

fn default_data_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("gureum");
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".local/share/gureum"),
        None => PathBuf::from(".gureum"),
    }
}

/// Merges flags and environment (already folded by clap) over the file over defaults.
pub fn resolve(args: ServeArgs) -> anyhow::Result<Config> {
    let path = args.config.clone().or_else(|| {
        let p = PathBuf::from("gureum.toml");
        p.exists().then_some(p)
    });
    let file: ServeArgs = match path {
        Some(p) => {
            let text =
                std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
            toml::from_str(&text).with_context(|| format!("parsing {}", p.display()))?
        }
        None => ServeArgs::default(),
    };
    let listen = args
        .listen
        .or(file.listen)
        .unwrap_or(([127, 0, 0, 1], 4566).into());
    let access = args.root_access_key_id.or(file.root_access_key_id);
    let secret = args.root_secret_access_key.or(file.root_secret_access_key);
    let (root_access_key_id, root_secret_access_key) = match (access, secret) {
        (Some(a), Some(s)) => (a, s),
        (None, None) if listen.ip().is_loopback() => ("test".into(), "test".into()),
        (None, None) => bail!(
            "refusing to listen on {listen}: the default test/test root credentials are only accepted on loopback; \
             set --root-access-key-id and --root-secret-access-key (or GUREUM_ROOT_ACCESS_KEY_ID / GUREUM_ROOT_SECRET_ACCESS_KEY)"
        ),
        _ => bail!("--root-access-key-id and --root-secret-access-key must be given together"),
    };
    let account_id = args
        .account_id
        .or(file.account_id)
        .unwrap_or_else(|| gureum_core::DEFAULT_ACCOUNT_ID.into());
    if !gureum_core::is_account_id(&account_id) {
        bail!("--account-id must be 12 digits, not '{account_id}'");
    }
    let region = args
        .region
        .or(file.region)
        .unwrap_or_else(|| "us-east-1".into());
    if region.is_empty()
        || !region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        bail!("--region '{region}' is not a region name");
    }
    Ok(Config {
        listen,
        data_dir: args
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(default_data_dir),
        ephemeral: args.ephemeral.or(file.ephemeral).unwrap_or(false),
        auth: args.auth.or(file.auth).unwrap_or(AuthSetting::Enforce),
        log_format: args
            .log_format
            .or(file.log_format)
            .unwrap_or(LogFormat::Text),
        log_level: args
            .log_level
            .or(file.log_level)
            .unwrap_or_else(|| "info".into()),
        region,
        account_id,
        root_access_key_id,
        root_secret_access_key,
        max_body_bytes: args
            .max_body_bytes
            .or(file.max_body_bytes)
            .unwrap_or(128 * 1024 * 1024),
        workers: match args.workers.or(file.workers) {
            Some(0) => bail!("--workers must be at least 1"),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        },
        pkcs11_module: args.pkcs11_module.or(file.pkcs11_module),
        dynamodb_enforce_capacity: args
            .dynamodb_enforce_capacity
            .or(file.dynamodb_enforce_capacity)
            .unwrap_or(false),
    })
}
