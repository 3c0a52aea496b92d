//! Configuration: flags, then `BRIGADE_*` environment variables, then defaults that work
//! with nothing set. The binary parses it with clap; tests build it with `Config::default`
//! and change what they need.

use clap::{Args, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// What this process runs: the HTTP API, the job workers, or both (the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    All,
    Api,
    Worker,
}

#[derive(Clone, Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "BRIGADE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// Where the embedded SQLite database lives.
    #[arg(long, env = "BRIGADE_DATA_DIR", default_value = "./brigade-data")]
    pub data_dir: PathBuf,

    /// Use PostgreSQL instead of SQLite: postgres://user@host/db
    #[arg(long, env = "BRIGADE_DATABASE_URL")]
    pub database_url: Option<String>,

    /// PostgreSQL pool size.
    #[arg(long, env = "BRIGADE_DATABASE_POOL", default_value_t = 16)]
    pub database_pool: u32,

    /// The URL guests and integrations reach this server at (QR codes, webhooks).
    #[arg(long, env = "BRIGADE_PUBLIC_BASE_URL", default_value = "http://127.0.0.1:8080")]
    pub public_base_url: String,

    /// Run the API, the workers, or both.
    #[arg(long, env = "BRIGADE_ROLE", value_enum, default_value = "all")]
    pub role: Role,

    /// Logs as human-readable text or one JSON object per line.
    #[arg(long, env = "BRIGADE_LOG_FORMAT", value_enum, default_value = "pretty")]
    pub log_format: LogFormat,

    /// Log filter, e.g. `info` or `brigade_server=debug,info`.
    #[arg(long, env = "BRIGADE_LOG", default_value = "info")]
    pub log: String,

    /// Key that signs access tokens. When unset, a random key is made on first start and
    /// kept in the database, so all nodes of a deployment share it.
    #[arg(long, env = "BRIGADE_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// Lifetime of access tokens, in seconds.
    #[arg(long, env = "BRIGADE_ACCESS_TOKEN_TTL", default_value_t = 900)]
    pub access_token_ttl_secs: u64,

    /// Lifetime of refresh tokens (and sessions), in seconds.
    #[arg(long, env = "BRIGADE_REFRESH_TOKEN_TTL", default_value_t = 7 * 24 * 3600)]
    pub refresh_token_ttl_secs: u64,

    /// Allow anyone to sign up, not only the first user.
    #[arg(long, env = "BRIGADE_OPEN_SIGNUP")]
    pub open_signup: bool,

    /// Largest JSON body accepted, in bytes.
    #[arg(long, env = "BRIGADE_BODY_LIMIT", default_value_t = 1024 * 1024)]
    pub body_limit_bytes: usize,

    /// Longest a request may take, in seconds.
    #[arg(long, env = "BRIGADE_REQUEST_TIMEOUT", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Longest a client may take to send a request's head (its line and headers), and to
    /// start the next request on a kept-alive connection, in seconds.
    #[arg(long, env = "BRIGADE_HEADER_TIMEOUT", default_value_t = 5)]
    pub header_timeout_secs: u64,

    /// Open connections allowed per client IP (not applied behind a trusted proxy, where
    /// every connection comes from the proxy); 0 turns the cap off.
    #[arg(long, env = "BRIGADE_MAX_CONNECTIONS_PER_IP", default_value_t = 256)]
    pub max_connections_per_ip: usize,

    /// Requests per second per client IP (bursts of 4x); 0 turns the limit off.
    #[arg(long, env = "BRIGADE_RATE_LIMIT_IP", default_value_t = 100)]
    pub rate_limit_ip_per_sec: u32,

    /// Requests per second per API key (bursts of 4x); 0 turns the limit off.
    #[arg(long, env = "BRIGADE_RATE_LIMIT_KEY", default_value_t = 200)]
    pub rate_limit_key_per_sec: u32,

    /// Failed sign-ins per account in 15 minutes before each further try waits, twice as
    /// long each time (up to 15 minutes; a known device's right password passes).
    #[arg(long, env = "BRIGADE_LOGIN_ATTEMPTS_ACCOUNT", default_value_t = 5)]
    pub login_attempts_per_account: u32,

    /// Failed sign-ins per client IP in 15 minutes before each further try waits, twice as
    /// long each time (up to a minute; a known device's right password passes).
    #[arg(long, env = "BRIGADE_LOGIN_ATTEMPTS_IP", default_value_t = 30)]
    pub login_attempts_per_ip: u32,

    /// Trust `X-Forwarded-For` for the client IP (only behind a proxy you run).
    #[arg(long, env = "BRIGADE_TRUST_PROXY")]
    pub trust_proxy: bool,

    /// Jobs one worker process runs at once; 0 runs no worker.
    #[arg(long, env = "BRIGADE_WORKER_CONCURRENCY", default_value_t = 4)]
    pub worker_concurrency: usize,

    /// How long a worker holds a job before another may take it over, in seconds.
    #[arg(long, env = "BRIGADE_JOB_LEASE", default_value_t = 60)]
    pub job_lease_secs: u64,

    /// How often an idle worker looks for due jobs, in milliseconds.
    #[arg(long, env = "BRIGADE_WORKER_POLL_MS", default_value_t = 1000)]
    pub worker_poll_ms: u64,

    /// Load the demo restaurant (if it is not there yet) before serving.
    #[arg(long, env = "BRIGADE_DEMO")]
    pub demo: bool,

    /// Days of order history the demo restaurant is loaded with (`brigade demo --days 365`).
    #[arg(long = "days", env = "BRIGADE_DEMO_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(0..=1100))]
    pub demo_days: u32,

    /// For benchmarks: load this many demo restaurants (copies of the bistro, each with
    /// its own history, all the demo owner's).
    #[arg(long = "copies", env = "BRIGADE_DEMO_COPIES", default_value_t = 1, hide = true, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub demo_copies: u32,

    /// For benchmarks: the demo's orders a day, in percent of a normal bistro's.
    #[arg(long = "scale", env = "BRIGADE_DEMO_SCALE", default_value_t = 100, hide = true, value_parser = clap::value_parser!(u32).range(1..=2000))]
    pub demo_scale: u32,

    /// Key (32 bytes, base64) that encrypts integration credentials at rest. When unset,
    /// one is made in the data directory (`secrets.key`); set it when several nodes run.
    #[arg(long, env = "BRIGADE_SECRETS_KEY", hide_env_values = true)]
    pub secrets_key: Option<String>,

    /// Uber Eats API base URL (a sandbox or a test double instead of production).
    #[arg(long, env = "BRIGADE_UBEREATS_BASE_URL", default_value = "https://api.uber.com")]
    pub ubereats_base_url: String,

    /// Uber Eats OAuth token URL.
    #[arg(long, env = "BRIGADE_UBEREATS_AUTH_URL", default_value = "https://auth.uber.com/oauth/v2/token")]
    pub ubereats_auth_url: String,

    /// DoorDash Marketplace API base URL.
    #[arg(long, env = "BRIGADE_DOORDASH_BASE_URL", default_value = "https://openapi.doordash.com/marketplace")]
    pub doordash_base_url: String,

    /// Grubhub POS partner API base URL.
    #[arg(long, env = "BRIGADE_GRUBHUB_BASE_URL", default_value = "https://api-third-party-gtm.grubhub.com")]
    pub grubhub_base_url: String,

    /// Square API base URL.
    #[arg(long, env = "BRIGADE_SQUARE_BASE_URL", default_value = "https://connect.squareup.com")]
    pub square_base_url: String,

    /// Stripe API base URL.
    #[arg(long, env = "BRIGADE_STRIPE_BASE_URL", default_value = "https://api.stripe.com")]
    pub stripe_base_url: String,

    /// Twilio API base URL (texts to guests; the restaurant's account is an integration).
    #[arg(long, env = "BRIGADE_TWILIO_BASE_URL", default_value = "https://api.twilio.com")]
    pub twilio_base_url: String,

    /// The SMTP relay email to guests goes through: `smtp://user:pass@host:587`
    /// (`?tls=required` for STARTTLS) or `smtps://user:pass@host:465`. Unset: no email.
    #[arg(long, env = "BRIGADE_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// The address email to guests comes from (the restaurant's name is put before it).
    #[arg(long, env = "BRIGADE_MAIL_FROM", default_value = "no-reply@localhost")]
    pub mail_from: String,

    /// Let outgoing webhooks go to loopback and private addresses. Off by default, so a
    /// restaurant's webhook cannot reach services inside the deployment's own network.
    #[arg(long, env = "BRIGADE_WEBHOOKS_ALLOW_PRIVATE")]
    pub webhooks_allow_private: bool,

    /// Longest a call to a platform may take, in seconds.
    #[arg(long, env = "BRIGADE_INTEGRATION_TIMEOUT", default_value_t = 10)]
    pub integration_timeout_secs: u64,

    /// How often each platform's view is compared with Brigade's, in seconds; 0 never.
    #[arg(long, env = "BRIGADE_SYNC_DRIFT_INTERVAL", default_value_t = 900)]
    pub sync_drift_interval_secs: u64,

    /// An OpenAI-compatible chat-completions API (e.g. https://api.openai.com/v1, or a
    /// local server) for commands the offline engine cannot read; unset: offline only.
    #[arg(long, env = "BRIGADE_LLM_BASE_URL")]
    pub llm_base_url: Option<String>,

    /// The model asked for there.
    #[arg(long, env = "BRIGADE_LLM_MODEL", default_value = "gpt-4o-mini")]
    pub llm_model: String,

    /// Its API key, if it needs one.
    #[arg(long, env = "BRIGADE_LLM_API_KEY", hide_env_values = true)]
    pub llm_api_key: Option<String>,

    /// Longest the assistant waits for the model, in seconds; then the offline answer stands.
    #[arg(long, env = "BRIGADE_LLM_TIMEOUT", default_value_t = 8)]
    pub llm_timeout_secs: u64,

    /// An OpenAI-compatible speech API (`/audio/transcriptions`, `/audio/speech`, e.g.
    /// https://api.openai.com/v1 or a local Whisper server) instead of the offline engines
    /// (PocketSphinx and espeak-ng).
    #[arg(long, env = "BRIGADE_SPEECH_BASE_URL")]
    pub speech_base_url: Option<String>,

    /// Its API key, if it needs one.
    #[arg(long, env = "BRIGADE_SPEECH_API_KEY", hide_env_values = true)]
    pub speech_api_key: Option<String>,

    /// The transcription model asked for there.
    #[arg(long, env = "BRIGADE_STT_MODEL", default_value = "whisper-1")]
    pub stt_model: String,

    /// The speech model and voice asked for there.
    #[arg(long, env = "BRIGADE_TTS_MODEL", default_value = "tts-1")]
    pub tts_model: String,
    #[arg(long, env = "BRIGADE_TTS_VOICE", default_value = "alloy")]
    pub tts_voice: String,

    /// Where PocketSphinx's US English model is (Debian's pocketsphinx-en-us).
    #[arg(long, env = "BRIGADE_SPHINX_MODEL", default_value = "/usr/share/pocketsphinx/model/en-us")]
    pub sphinx_model: PathBuf,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.as_deref().map(redact_url))
            .field("role", &self.role)
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "***"))
            .field("open_signup", &self.open_signup)
            .field("secrets_key", &self.secrets_key.as_ref().map(|_| "***"))
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("llm_base_url", &self.llm_base_url)
            .field("llm_api_key", &self.llm_api_key.as_ref().map(|_| "***"))
            .field("speech_base_url", &self.speech_base_url)
            .finish_non_exhaustive()
    }
}

/// Hides the password of a database URL for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./brigade-data"),
            database_url: None,
            database_pool: 16,
            public_base_url: "http://127.0.0.1:8080".into(),
            role: Role::All,
            log_format: LogFormat::Pretty,
            log: "info".into(),
            jwt_secret: None,
            access_token_ttl_secs: 900,
            refresh_token_ttl_secs: 7 * 24 * 3600,
            open_signup: false,
            body_limit_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            header_timeout_secs: 5,
            max_connections_per_ip: 256,
            rate_limit_ip_per_sec: 100,
            rate_limit_key_per_sec: 200,
            login_attempts_per_account: 5,
            login_attempts_per_ip: 30,
            trust_proxy: false,
            worker_concurrency: 4,
            job_lease_secs: 60,
            worker_poll_ms: 1000,
            demo: false,
            demo_days: 30,
            demo_copies: 1,
            demo_scale: 100,
            secrets_key: None,
            ubereats_base_url: "https://api.uber.com".into(),
            ubereats_auth_url: "https://auth.uber.com/oauth/v2/token".into(),
            doordash_base_url: "https://openapi.doordash.com/marketplace".into(),
            grubhub_base_url: "https://api-third-party-gtm.grubhub.com".into(),
            square_base_url: "https://connect.squareup.com".into(),
            stripe_base_url: "https://api.stripe.com".into(),
            twilio_base_url: "https://api.twilio.com".into(),
            smtp_url: None,
            mail_from: "no-reply@localhost".into(),
            webhooks_allow_private: false,
            integration_timeout_secs: 10,
            sync_drift_interval_secs: 900,
            llm_base_url: None,
            llm_model: "gpt-4o-mini".into(),
            llm_api_key: None,
            llm_timeout_secs: 8,
            speech_base_url: None,
            speech_api_key: None,
            stt_model: "whisper-1".into(),
            tts_model: "tts-1".into(),
            tts_voice: "alloy".into(),
            sphinx_model: PathBuf::from("/usr/share/pocketsphinx/model/en-us"),
        }
    }
}

impl Config {
    /// Refuses settings that cannot work, with a message that says which and why.
    pub fn validate(&self) -> Result<(), String> {
        if self.access_token_ttl_secs == 0 || self.refresh_token_ttl_secs < self.access_token_ttl_secs {
            return Err("token lifetimes: access TTL must be > 0 and refresh TTL at least the access TTL".into());
        }
        if self.body_limit_bytes < 1024 {
            return Err("body limit must be at least 1024 bytes".into());
        }
        if self.header_timeout_secs == 0 {
            return Err("--header-timeout-secs must be at least 1".into());
        }
        if self.request_timeout_secs == 0 {
            return Err("request timeout must be at least 1 second".into());
        }
        if let Some(secret) = &self.jwt_secret {
            if secret.len() < 32 {
                return Err("BRIGADE_JWT_SECRET must be at least 32 characters".into());
            }
        }
        for (name, url) in [
            ("Uber Eats base URL", &self.ubereats_base_url),
            ("Uber Eats auth URL", &self.ubereats_auth_url),
            ("Stripe base URL", &self.stripe_base_url),
            ("Twilio base URL", &self.twilio_base_url),
            ("LLM base URL", self.llm_base_url.as_ref().unwrap_or(&"https://".to_owned())),
            ("speech base URL", self.speech_base_url.as_ref().unwrap_or(&"https://".to_owned())),
        ] {
            if !url.starts_with("http://") && !url.starts_with("https://") {
                return Err(format!("{name} must start with http:// or https://"));
            }
        }
        if let Some(url) = &self.smtp_url {
            if !url.starts_with("smtp://") && !url.starts_with("smtps://") {
                return Err("--smtp-url must start with smtp:// or smtps://".into());
            }
        }
        if !self.mail_from.contains('@') {
            return Err("--mail-from must be an email address".into());
        }
        if self.integration_timeout_secs == 0 {
            return Err("integration timeout must be at least 1 second".into());
        }
        if !self.public_base_url.starts_with("http://") && !self.public_base_url.starts_with("https://") {
            return Err("public base URL must start with http:// or https://".into());
        }
        Ok(())
    }

    pub fn access_ttl(&self) -> Duration {
        Duration::from_secs(self.access_token_ttl_secs)
    }

    pub fn refresh_ttl(&self) -> Duration {
        Duration::from_secs(self.refresh_token_ttl_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_redacted_and_defaults_are_valid() {
        assert_eq!(redact_url("postgres://bob:hunter2@db/x"), "postgres://bob:***@db/x");
        assert_eq!(redact_url("postgres://bob@db/x"), "postgres://bob@db/x");
        assert!(Config::default().validate().is_ok());
        let c = Config { jwt_secret: Some("short".into()), ..Config::default() };
        assert!(c.validate().is_err());
        assert!(!format!("{c:?}").contains("short"));
    }
}
