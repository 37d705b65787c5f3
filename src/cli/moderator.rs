//! `signpost add-moderator`: the only way to make a moderator account, so the site has
//! no sign-up page to attack.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use signpost::config::Config;
use signpost::web;

pub fn add(config: &Config, username: &str) -> Result<ExitCode> {
    let username = username.trim();
    if username.is_empty() || username.len() > 100 || username.chars().any(char::is_control) {
        bail!("give a username of 1 to 100 characters");
    }
    let password = match std::env::var("SIGNPOST_MODERATOR_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading the password")?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    if password.chars().count() < 12 {
        bail!("the password must be at least 12 characters");
    }
    let store = signpost::store::Store::open_dir(&config.data_dir)?;
    let hash = web::hash_password(&password).map_err(|e| anyhow::anyhow!(e))?;
    if store.set_moderator(username, &hash)? {
        println!("Added moderator {username}");
    } else {
        println!("Set a new password for {username} (their sessions were ended)");
    }
    Ok(ExitCode::SUCCESS)
}
