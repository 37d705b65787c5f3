//! `signpost send-mail` and `signpost remind-stale`: the outbox by hand, for
//! operators who do not leave `serve` to do it.

use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Args;
use signpost::config::Config;
use signpost::groups::deliver;
use signpost::groups::mail::Outbox;

/// Email settings shared by `serve` and `send-mail`.
#[derive(Args, Debug)]
pub struct MailArgs {
    /// Send group emails through this SMTP server: smtp://host:25 (plain),
    /// smtp://user:password@host:587?tls=required (STARTTLS) or smtps://user:password@host
    /// (default: keep them in <data-dir>/outbox/).
    #[arg(long, env = "SIGNPOST_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The From address of group emails, like "Signpost <hello@example.org>".
    #[arg(long, env = "SIGNPOST_MAIL_FROM")]
    mail_from: Option<String>,
}

impl MailArgs {
    pub fn apply(self, config: &mut Config) {
        if self.smtp_url.is_some() {
            config.smtp_url = self.smtp_url;
        }
        if self.mail_from.is_some() {
            config.mail_from = self.mail_from;
        }
    }
}

pub async fn send(config: &Config) -> Result<ExitCode> {
    let Some(url) = &config.smtp_url else {
        bail!("no SMTP server configured: give --smtp-url, SIGNPOST_SMTP_URL or smtp_url");
    };
    let smtp = deliver::SmtpConfig::from_url(url)?;
    let dir = config.data_dir.join("outbox");
    let report = deliver::deliver_outbox(&dir, &smtp).await?;
    println!("{report}");
    if let Some(keep) = signpost::server::keep_sent(config) {
        let n = deliver::prune_sent(&dir, keep)?;
        if n > 0 {
            println!(
                "deleted {n} sent emails older than {} days",
                config.keep_sent_days
            );
        }
    }
    Ok(if report.all_sent() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub fn remind_stale(config: &Config) -> Result<ExitCode> {
    let store = signpost::store::Store::open_dir(&config.data_dir)?;
    let outbox = Outbox::from_config(config).map_err(anyhow::Error::msg)?;
    let base = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.addr));
    let n = signpost::groups::freshness::remind(&store, &outbox, &base, &config.into())?;
    println!("Wrote {n} reminder emails to {}", outbox.dir().display());
    Ok(ExitCode::SUCCESS)
}
