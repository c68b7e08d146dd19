//! Operator accounts: names and argon2 password hashes, from `SHOP_CONSOLE_USERS`.
//!
//! A PHC hash (`$argon2id$v=19$m=19456,t=2,p=1$…`) contains commas, so entries are
//! separated by whitespace. Verifying is deliberately slow (argon2): it runs on the blocking
//! pool, and a name that does not exist is checked against a dummy hash so that the answer
//! takes as long as for a wrong password.

use std::{collections::BTreeMap, sync::Arc};

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};

/// Why the operator accounts cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    /// The file named by SHOP_CONSOLE_USERS cannot be read.
    #[error("SHOP_CONSOLE_USERS: cannot read {path}: {source}")]
    File {
        /// The path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// An entry is not `name:hash`, or its name or hash is invalid.
    #[error("SHOP_CONSOLE_USERS: entry {position}: {problem}")]
    Entry {
        /// Its position, from 1.
        position: usize,
        /// What is wrong (the hash itself is never shown).
        problem: String,
    },
    /// No entry at all.
    #[error("SHOP_CONSOLE_USERS holds no operator")]
    Empty,
}

/// The operators who may sign in.
#[derive(Clone)]
pub struct Operators {
    hashes: Arc<BTreeMap<String, String>>,
}

impl std::fmt::Debug for Operators {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operators")
            .field("names", &self.hashes.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Whether `name` is a valid operator name: 1-64 of ASCII letters, digits, `.`, `_`, `-`.
pub fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

impl Operators {
    /// Reads the `SHOP_CONSOLE_USERS` value: inline entries when it holds a `:`-separated
    /// hash, otherwise the path of a file of entries.
    pub fn load(setting: &str) -> Result<Self, UsersError> {
        if setting.contains(":$") {
            return Self::parse(setting);
        }
        let path = setting.trim();
        let text = std::fs::read_to_string(path).map_err(|source| UsersError::File {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text)
    }

    /// Parses entries separated by whitespace; `#` starts a comment to the end of the line.
    pub fn parse(text: &str) -> Result<Self, UsersError> {
        let mut hashes = BTreeMap::new();
        let entries = text
            .lines()
            .map(|line| line.split('#').next().unwrap_or_default())
            .flat_map(str::split_whitespace);
        for (index, entry) in entries.enumerate() {
            let position = index + 1;
            let problem = |problem: &str| UsersError::Entry {
                position,
                problem: problem.to_owned(),
            };
            let (name, hash) = entry
                .split_once(':')
                .ok_or_else(|| problem("must be name:hash"))?;
            if !valid_name(name) {
                return Err(problem(
                    "the name must be 1-64 letters, digits, '.', '_' or '-'",
                ));
            }
            PasswordHash::new(hash).map_err(|_| {
                problem("the hash is not a PHC string (make one with `shop console hash-password`)")
            })?;
            if hashes.insert(name.to_owned(), hash.to_owned()).is_some() {
                return Err(problem(&format!("{name} is listed twice")));
            }
        }
        if hashes.is_empty() {
            return Err(UsersError::Empty);
        }
        Ok(Self {
            hashes: Arc::new(hashes),
        })
    }

    /// One operator with `password` (the one-off account of `shop serve`'s demo).
    pub fn single(name: &str, password: &str) -> Self {
        Self {
            hashes: Arc::new(BTreeMap::from([(name.to_owned(), hash_password(password))])),
        }
    }

    /// Whether `name` signs in with `password`. Takes about as long either way.
    pub async fn verify(&self, name: &str, password: &str) -> bool {
        let known = self.hashes.get(name).cloned();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let hash = known.as_deref().unwrap_or(dummy_hash());
            let matches = PasswordHash::new(hash).is_ok_and(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            });
            matches && known.is_some()
        })
        .await
        .unwrap_or(false)
    }
}

/// An argon2id hash of `password` with a fresh salt, as a PHC string.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        // Only fails on parameters out of range; the defaults are not.
        .expect("argon2 with default parameters")
        .to_string()
}

/// A hash no password is checked against in earnest: it makes an unknown name cost the
/// same as a known one.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a password anyone has"))
}

/// A random password for a one-off operator: 20 characters from a 57-letter alphabet
/// without look-alikes (about 116 bits).
pub fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hashed_password_verifies_and_a_wrong_one_or_an_unknown_name_does_not() {
        let hash = hash_password("correct horse");
        let operators = Operators::parse(&format!("ada:{hash}\n# staff\nbob:{hash}")).unwrap();
        assert!(operators.verify("ada", "correct horse").await);
        assert!(operators.verify("bob", "correct horse").await);
        assert!(!operators.verify("ada", "wrong").await);
        assert!(!operators.verify("eve", "correct horse").await);
    }

    #[test]
    fn bad_entries_are_refused_by_position_without_showing_the_hash() {
        let hash = hash_password("x");
        let cases = [
            (format!("ada:{hash} bob"), "entry 2: must be name:hash"),
            (format!("a|b:{hash}"), "entry 1: the name"),
            ("ada:plaintext".to_owned(), "entry 1: the hash is not a PHC"),
            (
                format!("ada:{hash} ada:{hash}"),
                "entry 2: ada is listed twice",
            ),
        ];
        for (text, expected) in cases {
            let error = Operators::parse(&text).unwrap_err().to_string();
            assert!(error.contains(expected), "{text}: {error}");
            assert!(!error.contains("plaintext") && !error.contains(&hash));
        }
        assert!(matches!(
            Operators::parse(" # nobody"),
            Err(UsersError::Empty)
        ));
    }

    #[test]
    fn a_setting_without_a_hash_is_the_path_of_a_file() {
        let file = std::env::temp_dir().join(format!("console-users-{}", uuid::Uuid::new_v4()));
        std::fs::write(&file, format!("ada:{}\n", hash_password("pw"))).unwrap();
        assert!(Operators::load(file.to_str().unwrap()).is_ok());
        std::fs::remove_file(&file).unwrap();
        let error = Operators::load(file.to_str().unwrap()).unwrap_err();
        assert!(matches!(error, UsersError::File { .. }), "{error}");
    }

    #[test]
    fn generated_passwords_differ() {
        let (a, b) = (generate_password(), generate_password());
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
    }
}
