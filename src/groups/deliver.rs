//! Sending the outbox over SMTP, when an SMTP server is configured.
//!
//! The outbox directory stays the store of record for email: a message is written there
//! (atomically, after the database commit) before anyone is told it was sent, and this
//! module only ever *moves* a file after the SMTP server has accepted it (to `sent/`)
//! or refused it for good (to `failed/`, with a `.reason.txt` beside it). So a crash,
//! a restart or a mail server that is down loses nothing: the file is still in the
//! outbox and the next round sends it. The worst case is a message sent twice (the
//! server accepted it but we crashed before the rename), never a message lost.
//!
//! The envelope comes from the file's own `From:` and `To:` headers, so what the
//! operator sees in the file is exactly what goes out. A recipient that is not a valid
//! address, or a permanent (5xx) refusal, moves the file to `failed/`: retrying it
//! forever would only hide it. A connection problem stops the round (every later
//! message would fail the same way) and leaves everything for the next one; a
//! temporary (4xx) refusal leaves just that message for the next round.
//!
//! Only one delivery runs at a time per outbox (an OS file lock on `.deliver.lock`,
//! released even if the process dies), so `serve` and `signpost send-mail` never send
//! the same file twice at once.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::address::Envelope;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// Where and how to send: a parsed `smtp://` or `smtps://` URL.
#[derive(Clone)]
pub struct SmtpConfig {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// The URL without its password, for messages.
    shown: String,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("url", &self.shown)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error(
        "the SMTP address {0} is not valid: {1} (use smtp://host:25, smtp://user:password@host:587?tls=required or smtps://user:password@host:465)"
    )]
    Url(String, String),
    #[error("could not read the outbox {0}: {1}")]
    Io(PathBuf, std::io::Error),
}

impl SmtpConfig {
    /// Parses an SMTP URL, as lettre understands it: `smtp://host[:port]` (plain, port
    /// 25), `smtp://…?tls=required` or `?tls=opportunistic` (STARTTLS, port 587),
    /// `smtps://…` (TLS from the start, port 465); `user:password@` to sign in.
    pub fn from_url(url: &str) -> Result<SmtpConfig, DeliverError> {
        let shown = hide_password(url);
        // A password must never cross the network in clear: with credentials, only
        // implicit TLS (smtps://) or STARTTLS that is required is accepted.
        let url_l = url.trim().to_ascii_lowercase();
        let has_password = shown.contains(":***@");
        if has_password && url_l.starts_with("smtp://") && !url_l.contains("tls=required") {
            return Err(DeliverError::Url(
                shown,
                "a URL with a password must use smtps:// or add ?tls=required, so the \
                 password is never sent unencrypted"
                    .into(),
            ));
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.trim())
            .map_err(|e| DeliverError::Url(shown.clone(), e.to_string()))?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        Ok(SmtpConfig { transport, shown })
    }
}

fn hide_password(url: &str) -> String {
    let url = url.trim();
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(not a URL)".into();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => match rest[..at].split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***{}", &rest[at..]),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// What one round of delivery did.
#[derive(Debug, Default)]
pub struct DeliveryReport {
    /// Files the server accepted, now in `sent/`.
    pub sent: Vec<PathBuf>,
    /// Files refused for good, now in `failed/`, with the reason.
    pub failed: Vec<(PathBuf, String)>,
    /// Files left in the outbox for the next round, with the reason.
    pub deferred: Vec<(PathBuf, String)>,
    /// Another delivery held the outbox, so this round did nothing.
    pub busy: bool,
}

impl DeliveryReport {
    /// True when every message in the outbox was sent.
    pub fn all_sent(&self) -> bool {
        self.failed.is_empty() && self.deferred.is_empty() && !self.busy
    }
}

impl fmt::Display for DeliveryReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.busy {
            return write!(f, "another delivery is running; nothing sent this time");
        }
        write!(
            f,
            "sent {}, failed {}, left for later {}",
            self.sent.len(),
            self.failed.len(),
            self.deferred.len()
        )?;
        let name = |p: &PathBuf| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        for (p, why) in &self.failed {
            write!(f, "\n  failed: {}: {why}", name(p))?;
        }
        for (p, why) in &self.deferred {
            write!(f, "\n  left for later: {}: {why}", name(p))?;
        }
        Ok(())
    }
}

/// Sends every `*.eml` file in `outbox_dir` (oldest name first) through `smtp`.
pub async fn deliver_outbox(
    outbox_dir: &Path,
    smtp: &SmtpConfig,
) -> Result<DeliveryReport, DeliverError> {
    let io = |e| DeliverError::Io(outbox_dir.to_path_buf(), e);
    let mut report = DeliveryReport::default();
    if !outbox_dir.exists() {
        return Ok(report);
    }
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(outbox_dir.join(".deliver.lock"))
        .map_err(io)?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            report.busy = true;
            return Ok(report);
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(outbox_dir)
        .map_err(io)?
        .flatten()
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or(".");
            !name.starts_with('.') && name.ends_with(".eml")
        })
        .collect();
    files.sort();
    let mut files = files.into_iter();
    while let Some(path) = files.next() {
        let bytes = match tokio::fs::read(&path).await {
            Ok(b) => b,
            Err(e) => {
                report.deferred.push((path, format!("could not read: {e}")));
                continue;
            }
        };
        let envelope = match envelope_of(&bytes) {
            Ok(env) => env,
            Err(why) => {
                set_aside(outbox_dir, &path, &why).map_err(io)?;
                report.failed.push((path, why));
                continue;
            }
        };
        match smtp.transport.send_raw(&envelope, &bytes).await {
            Ok(_) => {
                let sent = outbox_dir.join("sent");
                std::fs::create_dir_all(&sent).map_err(io)?;
                let to = sent.join(path.file_name().unwrap_or_default());
                std::fs::rename(&path, &to).map_err(io)?;
                // Stamp it with when it was sent, which is what `prune_sent` counts from.
                if let Ok(f) = std::fs::File::options().append(true).open(&to) {
                    let _ = f.set_modified(std::time::SystemTime::now());
                }
                report.sent.push(path);
            }
            Err(e) if e.is_permanent() => {
                let why = format!("the mail server refused it: {e}");
                set_aside(outbox_dir, &path, &why).map_err(io)?;
                report.failed.push((path, why));
            }
            Err(e) if e.is_transient() => {
                report
                    .deferred
                    .push((path, format!("the mail server said try later: {e}")));
            }
            Err(e) => {
                // Connection, TLS, timeout: the rest would fail the same way.
                let why = format!("could not reach {}: {e}", smtp.shown);
                report.deferred.push((path, why.clone()));
                report.deferred.extend(files.map(|p| (p, why.clone())));
                break;
            }
        }
    }
    drop(lock);
    Ok(report)
}

/// Moves a message that can never be sent to `failed/`, with the reason beside it.
fn set_aside(outbox_dir: &Path, path: &Path, why: &str) -> std::io::Result<()> {
    let failed = outbox_dir.join("failed");
    std::fs::create_dir_all(&failed)?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    std::fs::write(
        failed.join(format!("{name}.reason.txt")),
        format!("{why}\n"),
    )?;
    std::fs::rename(path, failed.join(&*name))
}

/// The envelope from a message's `From:` and `To:` headers.
fn envelope_of(message: &[u8]) -> Result<Envelope, String> {
    let text = String::from_utf8_lossy(message);
    let head = text
        .split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .split("\n\n")
        .next()
        .unwrap_or_default();
    // Unfold continuation lines, then find the two headers.
    let mut headers: Vec<String> = Vec::new();
    for line in head.lines() {
        match headers.last_mut() {
            Some(last) if line.starts_with([' ', '\t']) => last.push_str(line),
            _ => headers.push(line.to_string()),
        }
    }
    let header = |name: &str| {
        headers.iter().find_map(|h| {
            let (k, v) = h.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    };
    let from = match header("From") {
        Some(v) => Some(
            parse_address(v).map_err(|e| format!("the sender address {v:?} is not valid: {e}"))?,
        ),
        None => None,
    };
    let to_header = header("To").ok_or("the message has no To: header")?;
    let to = to_header
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|a| {
            parse_address(a)
                .map_err(|e| format!("the recipient address {:?} is not valid: {e}", a.trim()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Envelope::new(from, to).map_err(|e| format!("no usable recipient: {e}"))
}

/// `addr@example.org` or `Name <addr@example.org>` (lettre's mailbox parser, which
/// also reads an encoded-word name as lettre writes it).
pub fn parse_address(s: &str) -> Result<Address, String> {
    s.trim()
        .parse::<lettre::message::Mailbox>()
        .map(|m| m.email)
        .map_err(|e| e.to_string())
}

/// Deletes messages in `sent/` sent more than `keep` ago, and returns how many.
///
/// Sent messages are kept for a while so an operator can see what went to whom, but
/// they hold private edit links and group contacts' addresses, so they are not kept
/// for ever. `failed/` is left alone: it needs a person to look at it.
pub fn prune_sent(outbox_dir: &Path, keep: std::time::Duration) -> std::io::Result<usize> {
    let sent = outbox_dir.join("sent");
    let entries = match std::fs::read_dir(&sent) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let Some(before) = std::time::SystemTime::now().checked_sub(keep) else {
        return Ok(0);
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        let is_eml = path.extension().is_some_and(|x| x == "eml");
        let old = entry.metadata()?.modified()? < before;
        if is_eml && old {
            std::fs::remove_file(&path)?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_come_from_the_headers() {
        let env = envelope_of(
            b"From: Signpost <no-reply@signpost.example>\r\nTo: walks@example.org\r\nSubject: x\r\n\r\nTo: other@example.org\r\n",
        )
        .unwrap();
        assert_eq!(
            env.from().map(|a| a.to_string()),
            Some("no-reply@signpost.example".into())
        );
        assert_eq!(env.to().len(), 1);
        assert_eq!(env.to()[0].to_string(), "walks@example.org");
        let e = envelope_of(b"From: a@b.org\r\nTo: not an address\r\n\r\nhi").unwrap_err();
        assert!(e.contains("recipient"), "{e}");
        assert!(envelope_of(b"From: a@b.org\r\n\r\nhi").is_err());
    }

    #[test]
    fn passwords_are_not_shown() {
        let e = SmtpConfig::from_url("ftp://user:secret@host").unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
        assert!(SmtpConfig::from_url("smtps://u:p@mail.example.org").is_ok());
    }
}
