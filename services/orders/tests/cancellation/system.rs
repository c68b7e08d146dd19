//! Inventory and orders servers over one fresh PostgreSQL database, each with its own pool
//! (as two `shop` processes run them), and what PostgreSQL says about those pools.

use std::{net::SocketAddr, time::Duration};

use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement, TransactionTrait,
};
use shop_common::{
    config::GrpcUrls,
    grpc::{ServerSecurity, Upstream},
};
use shop_inventory::{config::InventoryConfig, startup::Inventory};
use shop_orders::{config::OrdersConfig, startup::Orders};
use shop_testkit::db::{Backend, TestDatabase};
use tokio_util::sync::CancellationToken;

pub struct System {
    pub inventory_addr: SocketAddr,
    pub orders_addr: SocketAddr,
    /// The pools the two services use, to check every connection in them.
    pools: Vec<DatabaseConnection>,
    /// A connection to the server's `postgres` database, for `pg_stat_activity`.
    admin: DatabaseConnection,
    database_name: String,
    shutdown: CancellationToken,
    _database: TestDatabase,
}

impl Drop for System {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A connection that sits inside a transaction nobody is running.
pub struct StaleSession {
    pub state: String,
    pub last_statement: String,
    pub idle_for: f64,
}

impl std::fmt::Debug for StaleSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (state, last, idle) = (&self.state, &self.last_statement, self.idle_for);
        write!(f, "{state} for {idle:.1} s after {last:?}")
    }
}

impl System {
    /// Both services, or `None` when `TEST_DATABASE_URL` is not set (the test then skips).
    pub async fn spawn() -> Option<Self> {
        let database = TestDatabase::create(Backend::Postgres).await?;
        let admin_url = std::env::var("TEST_DATABASE_URL").expect("set, or create skipped");
        let admin = Database::connect(admin_url)
            .await
            .expect("admin connection");
        let database_name = database_name(&database.url);
        let shutdown = CancellationToken::new();
        let pool = || async {
            shop_common::db::connect(&database.url, None)
                .await
                .expect("a pool")
        };
        let pools = vec![pool().await, pool().await];

        let inventory_config = InventoryConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            // Sweeps and checks would only add noise to the counts the test makes.
            sweep_interval: Duration::from_secs(3600),
            check_interval: Duration::from_secs(3600),
            ..InventoryConfig::default()
        };
        let inventory = Inventory::build(
            inventory_config,
            ServerSecurity::default(),
            pools[0].clone(),
        )
        .await
        .unwrap();
        let inventory_addr = inventory.local_addr();
        tokio::spawn(inventory.run(shutdown.clone()));

        let orders_config = OrdersConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            sweep_interval: Duration::from_secs(3600),
            ..OrdersConfig::default()
        };
        let upstream = Upstream {
            urls: GrpcUrls::local(inventory_addr, false),
            security: Default::default(),
            in_process: None,
        };
        let orders = Orders::build(
            orders_config,
            ServerSecurity::default(),
            upstream,
            pools[1].clone(),
        )
        .await
        .unwrap();
        let orders_addr = orders.local_addr();
        tokio::spawn(orders.run(shutdown.clone()));

        Some(Self {
            inventory_addr,
            orders_addr,
            pools,
            admin,
            database_name,
            shutdown,
            _database: database,
        })
    }

    /// Connections of the test database that are inside a transaction but idle (PostgreSQL's
    /// `idle in transaction`, aborted or not), longer than `at_least`.
    pub async fn stale_sessions(&self, at_least: Duration) -> Vec<StaleSession> {
        let sql = "SELECT state, query, \
                   EXTRACT(EPOCH FROM clock_timestamp() - state_change)::float8 AS idle_for \
                   FROM pg_stat_activity \
                   WHERE datname = $1 AND state LIKE 'idle in transaction%' \
                   AND clock_timestamp() - state_change >= make_interval(secs => $2)";
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [
                self.database_name.clone().into(),
                at_least.as_secs_f64().into(),
            ],
        );
        let rows = self.admin.query_all_raw(statement).await.unwrap();
        rows.iter()
            .map(|row| StaleSession {
                state: row.try_get("", "state").unwrap(),
                last_statement: row.try_get("", "query").unwrap(),
                idle_for: row.try_get("", "idle_for").unwrap(),
            })
            .collect()
    }

    /// Waits until no connection of the test database runs a statement (work that callers
    /// left behind has finished), or 10 s.
    pub async fn settle(&self) {
        let sql = "SELECT count(*) AS busy FROM pg_stat_activity \
                   WHERE datname = $1 AND state = 'active'";
        for _ in 0..100 {
            let statement = Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                [self.database_name.clone().into()],
            );
            let row = self.admin.query_one_raw(statement).await.unwrap().unwrap();
            if row.try_get::<i64>("", "busy").unwrap() == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Takes every connection of both pools at once and runs a statement in a transaction on
    /// each: a connection still inside a stale transaction makes PostgreSQL warn at `BEGIN`
    /// (counted by `notices`), an aborted one fails. Returns how many statements succeeded.
    pub async fn use_every_connection(&self) -> usize {
        let mut succeeded = 0;
        for pool in &self.pools {
            let size = shop_common::db::DEFAULT_POSTGRES_POOL as usize;
            let all_taken = std::sync::Arc::new(tokio::sync::Barrier::new(size));
            let uses = (0..size).map(|_| {
                let all_taken = all_taken.clone();
                async move {
                    let txn = pool.begin().await;
                    // Hold this connection until every other one is taken too (failed or
                    // not, so that no use waits for ever).
                    all_taken.wait().await;
                    let txn = txn?;
                    txn.execute_unprepared("SELECT 1").await?;
                    txn.commit().await
                }
            });
            let results = futures::future::join_all(uses).await;
            succeeded += results.iter().filter(|r| r.is_ok()).count();
        }
        succeeded
    }
}

/// The database name at the end of a PostgreSQL URL.
fn database_name(url: &str) -> String {
    let path = url.split('?').next().unwrap_or_default();
    path.rsplit('/').next().unwrap_or_default().to_owned()
}
