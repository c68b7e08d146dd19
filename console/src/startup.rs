//! Building and running the console: check the settings and bind, then serve until
//! shutdown.

use std::{net::SocketAddr, time::Duration};

use shop_common::grpc::Upstream;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    config::ConsoleConfig,
    grpc::Backends,
    routes::{AppState, router},
    session::{Sessions, ShortSessionKey},
    users::{Operators, UsersError},
};

/// How long a failed sign-in waits before it answers.
pub const FAILED_SIGN_IN_DELAY: Duration = Duration::from_secs(1);

/// Why the console cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Nobody could sign in.
    #[error(
        "SHOP_CONSOLE_USERS is not set: the console refuses to start without operators (make a hash with `shop console hash-password`)"
    )]
    NoOperators,
    /// The operator accounts are unusable.
    #[error(transparent)]
    Users(#[from] UsersError),
    /// The session key is too short.
    #[error(transparent)]
    SessionKey(#[from] ShortSessionKey),
    /// The service URLs or their TLS settings are unusable.
    #[error("cannot call the services: {0}")]
    Backends(#[from] shop_common::grpc::ClientError),
    /// The HTTP address cannot be bound.
    #[error("cannot listen on SHOP_CONSOLE_ADDR {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// The operators of `config` (SHOP_CONSOLE_USERS), if set.
pub fn configured_operators(config: &ConsoleConfig) -> Result<Option<Operators>, UsersError> {
    config.users.as_deref().map(Operators::load).transpose()
}

/// A bound, not yet serving, console.
#[derive(Debug)]
pub struct Console {
    listener: TcpListener,
    router: axum::Router,
}

impl Console {
    /// Checks `config` and binds `config.addr` (port 0 picks a free port), to call
    /// `inventory` and `orders`, letting `operators` sign in (`None`: those of
    /// SHOP_CONSOLE_USERS, which must then be set). The services are not contacted yet.
    pub async fn build(
        config: ConsoleConfig,
        inventory: Upstream,
        orders: Upstream,
        operators: Option<Operators>,
    ) -> Result<Self, StartError> {
        let operators = match operators {
            Some(operators) => operators,
            None => configured_operators(&config)?.ok_or(StartError::NoOperators)?,
        };
        if config.session_key.is_none() {
            tracing::info!(
                "SHOP_CONSOLE_SESSION_KEY is not set: console sessions end when it restarts"
            );
        }
        let sessions = Sessions::new(
            config.session_key.as_deref(),
            config.secure_cookie,
            config.session_ttl,
        )?;
        let backends = Backends::connect_lazy(&inventory, &orders, config.grpc_timeout)?;
        let listener = TcpListener::bind(config.addr)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.addr,
                source,
            })?;
        Ok(Self {
            listener,
            router: router(AppState {
                backends,
                sessions,
                operators,
                failed_sign_in_delay: FAILED_SIGN_IN_DELAY,
            }),
        })
    }

    /// The address it is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound TCP listener has a local address")
    }

    /// Serves until `shutdown` is cancelled, then finishes the requests in flight.
    pub async fn run(self, shutdown: CancellationToken) -> std::io::Result<()> {
        // The facade's hardened server (header and body timeouts, a connection cap), with
        // its default limits: a handful of staff needs no tuning.
        shop_common::http_server::serve(
            self.listener,
            self.router,
            shop_common::http_server::HttpLimits::default(),
            "console",
            shutdown,
        )
        .await
    }
}
