//! `brigade`: the one binary. `serve` runs the API and workers; `migrate` brings a
//! database's schema up to date; `admin` does operator chores from the shell.

#![forbid(unsafe_code)]

use anyhow::Context;
use brigade_domain::auth::Role;
use brigade_server::config::Config;
use clap::{Args, Parser, Subcommand};
use std::io::BufRead;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "brigade", version, about = "The open-source restaurant operating system")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (API and workers, per --role).
    Serve(Box<Config>),
    /// Run database migrations and exit.
    Migrate(DbArgs),
    /// Load the demo restaurant (menu, staff, tables, 30 days of orders, or --days N) and exit.
    Demo(Box<Config>),
    /// Operator chores.
    #[command(subcommand)]
    Admin(Admin),
    /// The analytics rollups.
    #[command(subcommand)]
    Analytics(Analytics),
}

#[derive(Subcommand)]
enum Analytics {
    /// Recompute the daily rollups of a range of business days from their orders (all
    /// restaurants, or one). Safe to run at any time, and again.
    Rebuild(Box<RebuildArgs>),
}

#[derive(Args)]
struct RebuildArgs {
    /// First business day, YYYY-MM-DD.
    #[arg(long)]
    from: String,
    /// Last business day, included.
    #[arg(long)]
    to: String,
    /// Only this restaurant.
    #[arg(long)]
    restaurant: Option<uuid::Uuid>,
    #[command(flatten)]
    config: Config,
}

#[derive(Args)]
struct DbArgs {
    #[arg(long, env = "BRIGADE_DATA_DIR", default_value = "./brigade-data")]
    data_dir: PathBuf,
    #[arg(long, env = "BRIGADE_DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Admin {
    /// Create a user, optionally as a member of a restaurant. The password is read from
    /// --password, else BRIGADE_ADMIN_PASSWORD, else the first line of standard input.
    CreateUser {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, env = "BRIGADE_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// Restaurant id to add the user to.
        #[arg(long)]
        restaurant: Option<uuid::Uuid>,
        /// Role in that restaurant: owner, manager, staff or kitchen.
        #[arg(long, default_value = "manager")]
        role: String,
    },
    /// Set a new password for a user and end all their sessions.
    ResetPassword {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        email: String,
        #[arg(long, env = "BRIGADE_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(config) => {
            brigade_server::init_logging(config.log_format, &config.log);
            let listener =
                tokio::net::TcpListener::bind(config.addr).await.with_context(|| format!("binding {}", config.addr))?;
            brigade_server::launch(*config, listener, brigade_server::shutdown_signal()).await
        }
        Command::Demo(config) => {
            brigade_server::init_logging(config.log_format, "warn");
            let base = config.public_base_url.clone();
            let state = brigade_server::build(*config, brigade_server::Options::default()).await?;
            let info = brigade_server::demo::load(&state).await.context("loading the demo restaurant")?;
            state.db.close().await;
            println!("{}", info.describe(&base));
            println!("Start the server with: brigade serve");
            Ok(())
        }
        Command::Analytics(Analytics::Rebuild(args)) => {
            brigade_server::init_logging(args.config.log_format, "warn");
            let period = brigade_domain::analytics::Period::parse(&args.from, &args.to)
                .map_err(|e| anyhow::anyhow!("--{}: {}", e.field, e.message))?;
            let state = brigade_server::build(args.config, brigade_server::Options::default()).await?;
            let days = brigade_server::analytics::rollup::rebuild(&state, args.restaurant, period.from, period.to)
                .await
                .context("rebuilding the rollups")?;
            state.db.close().await;
            println!("rebuilt {days} restaurant-days from {} to {}", period.from, period.to);
            Ok(())
        }
        Command::Migrate(args) => {
            brigade_server::init_logging(brigade_server::config::LogFormat::Pretty, "info");
            let db = open(&args).await?;
            db.migrate().await.context("running migrations")?;
            db.close().await;
            eprintln!("migrations are up to date");
            Ok(())
        }
        Command::Admin(Admin::CreateUser { db, email, name, password, restaurant, role }) => {
            let role: Role = role.parse()?;
            let password = password_from(password)?;
            let db = open_migrated(&db).await?;
            let id = brigade_server::admin::create_user(&db, &email, &name, &password, restaurant.map(|r| (r, role)))
                .await?;
            db.close().await;
            println!("{id}");
            Ok(())
        }
        Command::Admin(Admin::ResetPassword { db, email, password }) => {
            let password = password_from(password)?;
            let db = open_migrated(&db).await?;
            brigade_server::admin::reset_password(&db, &email, &password).await?;
            db.close().await;
            eprintln!("password reset; every session of {email} has ended");
            Ok(())
        }
    }
}

async fn open(args: &DbArgs) -> anyhow::Result<brigade_store::Db> {
    brigade_store::Db::open(args.database_url.as_deref(), &args.data_dir).await.context("opening the database")
}

async fn open_migrated(args: &DbArgs) -> anyhow::Result<brigade_store::Db> {
    let db = open(args).await?;
    db.migrate().await.context("running migrations")?;
    Ok(db)
}

fn password_from(given: Option<String>) -> anyhow::Result<String> {
    if let Some(p) = given {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
