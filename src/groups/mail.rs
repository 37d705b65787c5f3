//! Email to groups: their reference and private link, rejections with the reason, and
//! "still running?" reminders.
//!
//! Messages are always written first as `.eml` files to `<data-dir>/outbox/`, where the
//! operator can see (and forward) them; with an SMTP server configured,
//! [`super::deliver`] sends them from there and moves them to `outbox/sent/`. Each file is
//! written to a temporary name, flushed to disk and renamed, so a crash never leaves a
//! half message, and it is written only after the store has committed what the message
//! talks about.

use std::io::Write;
use std::path::{Path, PathBuf};

use lettre::Message as LettreMessage;
use lettre::address::Envelope;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};

#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
    from: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl Outbox {
    pub fn new(data_dir: &Path) -> Outbox {
        Outbox {
            dir: data_dir.join("outbox"),
            from: "Signpost <no-reply@signpost.invalid>".into(),
        }
    }

    /// The same outbox with another From header (`Name <addr@example.org>` or a bare
    /// address). An address that is not valid, or has a line break, is an error.
    pub fn with_from(mut self, from: &str) -> Result<Outbox, String> {
        let from = from.trim();
        if from.contains(['\r', '\n']) {
            return Err("the From address must be one line".into());
        }
        super::deliver::parse_address(from)
            .map_err(|e| format!("the From address {from:?} is not valid: {e}"))?;
        self.from = from.to_string();
        Ok(self)
    }

    /// The outbox a configuration asks for: in its data directory, with its
    /// `mail_from` (an address that is not valid is an error).
    pub fn from_config(config: &crate::config::Config) -> Result<Outbox, String> {
        let outbox = Outbox::new(&config.data_dir);
        match &config.mail_from {
            Some(from) => outbox.with_from(from),
            None => Ok(outbox),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes one message; returns the file it is in.
    ///
    /// A message whose recipient is not a valid address can never be sent, so it goes
    /// straight to `outbox/failed/` with the reason beside it (as [`super::deliver`]
    /// does with one the mail server refuses): still on disk for the operator, never
    /// retried.
    pub fn send(&self, m: &Message) -> std::io::Result<PathBuf> {
        let (bytes, refused) = self.render(m);
        let dir = match &refused {
            Some(_) => self.dir.join("failed"),
            None => self.dir.clone(),
        };
        std::fs::create_dir_all(&dir)?;
        let name = format!(
            "{}-{}.eml",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"),
            &super::tokens::random_token()[..12]
        );
        if let Some(why) = &refused {
            write_whole(&dir.join(format!("{name}.reason.txt")), why.as_bytes())?;
        }
        let path = dir.join(&name);
        write_whole(&path, &bytes)?;
        Ok(path)
    }

    /// The message as lettre formats it (headers encoded, so a line break typed into
    /// a form can never add a header; a Date and a Message-ID), and why it cannot be
    /// sent, if it cannot.
    fn render(&self, m: &Message) -> (Vec<u8>, Option<String>) {
        // `with_from` checked the sender; the default is valid.
        let from: Mailbox = self
            .from
            .parse()
            .unwrap_or_else(|_| Mailbox::new(None, "no-reply@signpost.invalid".parse().unwrap()));
        let one_line = |s: &str| s.replace(['\r', '\n'], " ");
        let to = one_line(&m.to);
        let mut builder = LettreMessage::builder()
            .from(from.clone())
            .subject(one_line(&m.subject))
            .message_id(None);
        let refused = match to.trim().parse::<Mailbox>() {
            Ok(to) => {
                builder = builder.to(to);
                None
            }
            Err(e) => {
                // Kept for the operator with no To header; the envelope is only what
                // lettre needs to build it and is not written.
                let envelope = Envelope::new(Some(from.email.clone()), vec![from.email]);
                builder = builder.envelope(envelope.expect("one recipient"));
                Some(format!("the recipient address {to:?} is not valid: {e}"))
            }
        };
        let mut text = m.body.replace("\r\n", "\n");
        if !text.ends_with('\n') {
            text.push('\n');
        }
        let body = readable_body(text);
        let message = builder
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .expect("a sender, a recipient or envelope, and a body");
        (message.formatted(), refused)
    }
}

/// The body as 7bit or 8bit text when every line fits SMTP's limit, so the file in the
/// outbox reads as it was written and the private link in it stays whole; lettre's own
/// choice would quote-print any line of 76 characters or more, which every edit link is.
/// Only a line too long for SMTP falls back to lettre's encoding.
fn readable_body(text: String) -> Body {
    const MAX_LINE: usize = 998;
    if text.lines().any(|l| l.len() > MAX_LINE) || text.contains(['\r', '\0']) {
        return Body::new(text);
    }
    let encoding = if text.is_ascii() {
        ContentTransferEncoding::SevenBit
    } else {
        ContentTransferEncoding::EightBit
    };
    Body::dangerous_pre_encoded(text.replace('\n', "\r\n").into_bytes(), encoding)
}

/// Writes a file under a temporary name, flushes it and renames it into place, so
/// nobody ever reads half of it.
fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_whole_files_without_header_injection() {
        let dir = tempfile::tempdir().unwrap();
        let o = Outbox::new(dir.path());
        let p = o
            .send(&Message {
                to: "a@example.org\r\nBcc: evil@example.org".into(),
                subject: "Café ☕".into(),
                body: "Line one\nLine two".into(),
            })
            .unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(!text.contains("\r\nBcc:"), "{text}");
        // Not an address, so never sent: kept in failed/ with the reason.
        assert_eq!(p.parent().unwrap(), o.dir().join("failed"));
        let reason = std::fs::read_to_string(p.with_extension("eml.reason.txt")).unwrap();
        assert!(reason.contains("not valid"), "{reason}");

        let p = o
            .send(&Message {
                to: "Café group <cafe@example.org>".into(),
                subject: "Café ☕\r\nBcc: evil@example.org".into(),
                body: "Line one\nLine two".into(),
            })
            .unwrap();
        assert_eq!(p.parent().unwrap(), o.dir());
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(!text.contains("\r\nBcc:"), "{text}");
        let subject = text.lines().find(|l| l.starts_with("Subject: ")).unwrap();
        assert!(
            subject
                .to_ascii_lowercase()
                .starts_with("subject: =?utf-8?b?"),
            "{text}"
        );
        assert!(
            text.contains("Content-Transfer-Encoding: 7bit\r\n"),
            "{text}"
        );
        assert!(text.contains("Message-ID: "), "{text}");
        assert!(
            text.ends_with("\r\n\r\nLine one\r\nLine two\r\n"),
            "{text:?}"
        );
        let names: Vec<_> = std::fs::read_dir(o.dir()).unwrap().flatten().collect();
        assert_eq!(names.len(), 2, "one message and failed/, no temporary file");

        // Non-ASCII text and a long link stay readable: 8bit, not quoted-printable.
        let link = format!("http://signpost.test/manage/{}", "f".repeat(64));
        let p = o
            .send(&Message {
                to: "cafe@example.org".into(),
                subject: "Hello".into(),
                body: format!("Café ☕ on Tuesdays.\n\n{link}\n"),
            })
            .unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(
            text.contains("Content-Transfer-Encoding: 8bit\r\n"),
            "{text}"
        );
        assert!(
            text.contains(&format!("Café ☕ on Tuesdays.\r\n\r\n{link}\r\n")),
            "{text}"
        );
    }
}
