//! Secrets: private edit links, session ids, and signed form tokens.
//!
//! Edit links and session ids are 256 random bits from the operating system; only their
//! SHA-256 is stored, so a copy of the database does not hand out edit rights.
//!
//! Public forms set no cookies (the public site promises none), so they cannot use a
//! session-bound CSRF token. They carry no ambient authority either: the only thing a
//! public POST can act on is named by an unguessable token in its URL. As a second
//! line, every public form carries a token signed with a server secret (HMAC-SHA256 over
//! the time it was issued), so a POST must come from a form this server handed out in
//! the last day; forged or replayed-old posts are refused with a clear message, and
//! what was typed is shown again rather than lost.

use std::io::Write;
use std::path::Path;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// How long a signed form stays valid.
pub const FORM_TOKEN_TTL_SECS: i64 = 24 * 60 * 60;

/// 32 random bytes from the operating system.
pub fn random_bytes() -> [u8; 32] {
    let mut b = [0u8; 32];
    if getrandom::fill(&mut b).is_err() {
        // The OS RNG does not fail on any supported platform; if it ever did, refuse to
        // hand out a predictable token.
        panic!("the operating system's random number generator is unavailable");
    }
    b
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A new unguessable token, 64 hex characters (safe in URLs and cookies).
pub fn random_token() -> String {
    hex(&random_bytes())
}

/// What we store in place of a token.
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Is this shaped like one of our tokens? Checked before any database look-up.
pub fn looks_like_token(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Compares a secret someone sent with the one we hold, in time that depends only on
/// their lengths (which are not secret), so timing tells an attacker nothing about
/// how much of a guess was right.
pub fn same_secret(given: &str, held: &str) -> bool {
    given.len() == held.len()
        && given
            .bytes()
            .zip(held.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Signs and checks the hidden form token on public forms.
#[derive(Clone)]
pub struct FormSigner {
    key: [u8; 32],
}

impl std::fmt::Debug for FormSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FormSigner(..)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormTokenProblem {
    Missing,
    Invalid,
    Expired,
}

impl FormSigner {
    pub fn new(key: [u8; 32]) -> FormSigner {
        FormSigner { key }
    }

    /// The secret in `<dir>/form-secret`, created (mode 0600) on first use. If it cannot
    /// be read or written, a secret for this run only is used and a warning logged.
    pub fn load_or_create(dir: &Path) -> FormSigner {
        let path = dir.join("form-secret");
        if let Ok(bytes) = std::fs::read(&path)
            && let Ok(key) = <[u8; 32]>::try_from(bytes.as_slice())
        {
            return FormSigner { key };
        }
        let key = random_bytes();
        let written = (|| -> std::io::Result<()> {
            let tmp = dir.join(format!("form-secret.tmp-{}", std::process::id()));
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut f = opts.open(&tmp)?;
            f.write_all(&key)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        })();
        if let Err(e) = written {
            tracing::warn!(
                "could not save {}: {e}; form tokens will not survive a restart",
                path.display()
            );
        }
        FormSigner { key }
    }

    fn mac(&self, issued: i64) -> String {
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .expect("HMAC takes a key of any length");
        m.update(b"signpost-form|");
        m.update(issued.to_string().as_bytes());
        hex(&m.finalize().into_bytes())
    }

    pub fn issue(&self, now: i64) -> String {
        format!("{now}.{}", self.mac(now))
    }

    pub fn check(&self, token: &str, now: i64) -> Result<(), FormTokenProblem> {
        if token.is_empty() {
            return Err(FormTokenProblem::Missing);
        }
        let (issued, mac) = token.split_once('.').ok_or(FormTokenProblem::Invalid)?;
        let issued: i64 = issued.parse().map_err(|_| FormTokenProblem::Invalid)?;
        let want = self.mac(issued);
        if !same_secret(&want, mac) {
            return Err(FormTokenProblem::Invalid);
        }
        if now - issued > FORM_TOKEN_TTL_SECS || issued - now > 300 {
            return Err(FormTokenProblem::Expired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let a = random_token();
        assert!(looks_like_token(&a));
        assert_ne!(a, random_token());
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), a);
        assert!(!looks_like_token("../../etc/passwd"));
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc123", "abc123"));
        assert!(!same_secret("abc124", "abc123"));
        assert!(!same_secret("abc12", "abc123"));
        assert!(!same_secret("", "abc123"));
        assert!(same_secret("", ""));
    }

    #[test]
    fn form_tokens_expire_and_cannot_be_forged() {
        let s = FormSigner::new([7; 32]);
        let t = s.issue(1_000_000);
        assert_eq!(s.check(&t, 1_000_010), Ok(()));
        assert_eq!(
            s.check(&t, 1_000_000 + FORM_TOKEN_TTL_SECS + 1),
            Err(FormTokenProblem::Expired)
        );
        let forged = format!("1000000.{}", "0".repeat(64));
        assert_eq!(s.check(&forged, 1_000_010), Err(FormTokenProblem::Invalid));
        assert_eq!(
            FormSigner::new([8; 32]).check(&t, 1_000_010),
            Err(FormTokenProblem::Invalid)
        );
        assert_eq!(s.check("", 1), Err(FormTokenProblem::Missing));
    }
}
