//! `signpost serve`: the flags that override the configuration; the wiring itself is
//! [`signpost::server`].

use std::path::PathBuf;

use clap::Args;
use signpost::config::Config;

use super::mail::MailArgs;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SIGNPOST_ADDR")]
    addr: Option<String>,
    /// Don't import the demo listings into a new, empty data directory.
    #[arg(long)]
    no_demo: bool,
    /// The site's public address, like https://signpost.example.org, used in QR
    /// codes, short links and calendar files (default: the request's Host).
    #[arg(long, env = "SIGNPOST_PUBLIC_URL")]
    public_url: Option<String>,
    /// Harvest the configured sources in the background every this many minutes.
    #[arg(long, env = "SIGNPOST_HARVEST_EVERY")]
    harvest_every: Option<u64>,
    /// The sources file for background harvesting (default: `sources` in the config
    /// file, else content/sources.toml).
    #[arg(long)]
    sources: Option<PathBuf>,
    /// The site is reached over HTTPS: mark the moderator cookie Secure (__Host-).
    #[arg(long, env = "SIGNPOST_SECURE_COOKIES")]
    secure_cookies: bool,
    /// POST requests allowed per client per minute (0: no limit).
    #[arg(long, env = "SIGNPOST_POSTS_PER_MINUTE")]
    posts_per_minute: Option<u32>,
    /// Extra POST requests a client may send at once.
    #[arg(long, env = "SIGNPOST_POST_BURST")]
    post_burst: Option<u32>,
    /// Back the store up every this many minutes (see `signpost backup`).
    #[arg(long, env = "SIGNPOST_BACKUP_EVERY")]
    backup_every: Option<u64>,
    /// How many scheduled backups to keep (default 7).
    #[arg(long, env = "SIGNPOST_BACKUP_KEEP")]
    backup_keep: Option<usize>,
    /// Where scheduled backups go (default: DATA_DIR/backups).
    #[arg(long, env = "SIGNPOST_BACKUP_DIR")]
    backup_dir: Option<PathBuf>,
    /// Follow the primary at this address (as this node reaches it): copy its
    /// listings into this data directory, keep this node's own index, take no writes.
    #[arg(long, env = "SIGNPOST_FOLLOW")]
    follow: Option<String>,
    /// The secret shared by a primary and its followers (prefer the environment or
    /// the config file to a flag, which other users of the machine can see).
    #[arg(long, env = "SIGNPOST_FOLLOW_TOKEN", hide_env_values = true)]
    follow_token: Option<String>,
    #[command(flatten)]
    mail: MailArgs,
}

impl ServeArgs {
    /// Flags and their environment variables win over the config file; a flag left
    /// out keeps the file's value.
    pub fn apply(self, config: &mut Config) {
        self.mail.apply(config);
        config.secure_cookies |= self.secure_cookies;
        if let Some(n) = self.posts_per_minute {
            config.posts_per_minute = n;
        }
        if let Some(n) = self.post_burst {
            config.post_burst = n;
        }
        if let Some(m) = self.harvest_every {
            config.harvest_every_minutes = Some(m);
        }
        if let Some(m) = self.backup_every {
            config.backup_every_minutes = Some(m);
        }
        if let Some(n) = self.backup_keep {
            config.backup_keep = n;
        }
        if self.backup_dir.is_some() {
            config.backup_dir = self.backup_dir;
        }
        if let Some(s) = self.sources {
            config.sources = s;
        }
        if let Some(a) = self.addr {
            config.addr = a;
        }
        if self.public_url.is_some() {
            config.public_url = self.public_url;
        }
        if self.no_demo {
            config.demo = false;
        }
        if self.follow.is_some() {
            config.follow = self.follow;
        }
        if self.follow_token.is_some() {
            config.follow_token = self.follow_token;
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Wrap {
        #[command(flatten)]
        serve: ServeArgs,
    }

    /// `--harvest-every` used to reset the sources file to the flag's default,
    /// overwriting `sources` from the config file.
    #[test]
    fn harvest_every_keeps_the_configured_sources_file() {
        let mut config = Config {
            sources: PathBuf::from("mine/sources.toml"),
            ..Config::default()
        };
        Wrap::parse_from(["x", "--harvest-every", "5"])
            .serve
            .apply(&mut config);
        assert_eq!(config.harvest_every_minutes, Some(5));
        assert_eq!(config.sources, PathBuf::from("mine/sources.toml"));
        Wrap::parse_from(["x", "--sources", "other.toml"])
            .serve
            .apply(&mut config);
        assert_eq!(config.sources, PathBuf::from("other.toml"));
    }

    /// Backup settings come from the config file unless a flag says otherwise.
    #[test]
    fn backup_flags_override_the_config_file() {
        let mut config = Config {
            backup_every_minutes: Some(60),
            backup_keep: 3,
            ..Config::default()
        };
        Wrap::parse_from(["x", "--backup-keep", "10", "--backup-dir", "/b"])
            .serve
            .apply(&mut config);
        assert_eq!(config.backup_every_minutes, Some(60));
        assert_eq!(config.backup_keep, 10);
        assert_eq!(config.backup_dir(), PathBuf::from("/b"));
        let config = Config::default();
        assert_eq!(config.backup_dir(), PathBuf::from("index/backups"));
    }
}
