//! The console's settings: environment variables with matching flags.

use std::{net::SocketAddr, time::Duration};

use shop_common::config::parse_duration;

/// Settings of the operator console.
#[derive(clap::Args, Clone)]
pub struct ConsoleConfig {
    /// Address the console's HTTP server listens on.
    #[arg(
        long = "console-addr",
        env = "SHOP_CONSOLE_ADDR",
        value_name = "SHOP_CONSOLE_ADDR",
        default_value = "127.0.0.1:8081"
    )]
    pub addr: SocketAddr,

    /// Operator accounts: `name:hash` entries (hashes from `shop console hash-password`)
    /// separated by spaces or new lines, or the path of a file holding such entries one a
    /// line (`#` starts a comment). Names are 1-64 letters, digits, `.`, `_` or `-`.
    #[arg(
        long = "console-users",
        env = "SHOP_CONSOLE_USERS",
        value_name = "SHOP_CONSOLE_USERS",
        hide_env_values = true
    )]
    pub users: Option<String>,

    /// Secret that signs session cookies (at least 32 characters). Unset, a random one is
    /// made at each start: sessions then end when the console restarts, and replicas do not
    /// share them.
    #[arg(
        long = "console-session-key",
        env = "SHOP_CONSOLE_SESSION_KEY",
        value_name = "SHOP_CONSOLE_SESSION_KEY",
        hide_env_values = true
    )]
    pub session_key: Option<String>,

    /// Mark the session cookie `Secure` (sent over HTTPS only): set it when the console is
    /// reached through a TLS-terminating proxy.
    #[arg(
        long = "console-secure-cookie",
        env = "SHOP_CONSOLE_SECURE_COOKIE",
        value_name = "SHOP_CONSOLE_SECURE_COOKIE",
        default_value_t = false,
        action = clap::ArgAction::Set
    )]
    pub secure_cookie: bool,

    /// How long a session lasts after sign-in.
    #[arg(
        long = "console-session-ttl",
        env = "SHOP_CONSOLE_SESSION_TTL",
        value_name = "SHOP_CONSOLE_SESSION_TTL",
        default_value = "8h",
        value_parser = parse_duration
    )]
    pub session_ttl: Duration,

    /// Deadline of every call to the inventory and orders services.
    #[arg(
        long = "console-grpc-timeout",
        env = "SHOP_CONSOLE_GRPC_TIMEOUT",
        value_name = "SHOP_CONSOLE_GRPC_TIMEOUT",
        default_value = "5s",
        value_parser = parse_duration
    )]
    pub grpc_timeout: Duration,
}

/// Secrets shown as set or not, never their values.
impl std::fmt::Debug for ConsoleConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |set: bool| if set { "<redacted>" } else { "<unset>" };
        f.debug_struct("ConsoleConfig")
            .field("addr", &self.addr)
            .field("users", &redacted(self.users.is_some()))
            .field("session_key", &redacted(self.session_key.is_some()))
            .field("secure_cookie", &self.secure_cookie)
            .field("session_ttl", &self.session_ttl)
            .field("grpc_timeout", &self.grpc_timeout)
            .finish()
    }
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8081)),
            users: None,
            session_key: None,
            secure_cookie: false,
            session_ttl: Duration::from_secs(8 * 3600),
            grpc_timeout: Duration::from_secs(5),
        }
    }
}
