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
    pub fn send(&self, m: &Message) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(&self.dir)?;
        let name = format!(
            "{}-{}.eml",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"),
            &super::tokens::random_token()[..12]
        );
        let tmp = self.dir.join(format!(".{name}.tmp"));
        let path = self.dir.join(&name);
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(self.render(m).as_bytes())?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    }

    fn render(&self, m: &Message) -> String {
        // Header values are single lines: a newline typed into a form can never add a
        // header. Non-ASCII subjects use RFC 2047 encoded words.
        let one_line = |s: &str| s.replace(['\r', '\n'], " ");
        let subject = one_line(&m.subject);
        let subject = if subject.is_ascii() {
            subject
        } else {
            format!("=?UTF-8?B?{}?=", base64(subject.as_bytes()))
        };
        format!(
            "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}\r\n",
            self.from,
            one_line(&m.to),
            subject,
            chrono::Utc::now().to_rfc2822(),
            m.body.replace("\r\n", "\n").replace('\n', "\r\n"),
        )
    }
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
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
        assert!(!text.contains("\r\nBcc:"));
        assert!(text.contains("Subject: =?UTF-8?B?Q2Fmw6kg4piV?="), "{text}");
        assert!(text.ends_with("Line one\r\nLine two\r\n"));
        let names: Vec<_> = std::fs::read_dir(o.dir()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left behind");
    }
}
