//! Test support: a fresh, migrated database per test, on SQLite always and on PostgreSQL
//! when `TEST_DATABASE_URL` is set, so tests run in parallel without sharing state.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A new SQLite file in a temporary directory.
    Sqlite,
    /// A new database on the server named by `TEST_DATABASE_URL`.
    Postgres,
}

/// A fresh database, migrated. SQLite files are deleted when it is dropped; PostgreSQL test
/// databases are named `shop_test_*` (`.ci/run` drops old ones before a run).
pub struct TestDatabase {
    /// Its URL.
    pub url: String,
    /// A connection pool to it.
    pub db: DatabaseConnection,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// Creates a fresh database on `backend`, or `None` for PostgreSQL when
    /// `TEST_DATABASE_URL` is not set (the test then skips, saying so).
    pub async fn create(backend: Backend) -> Option<Self> {
        let (url, dir) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("shop.db").display());
                (url, Some(dir))
            }
            Backend::Postgres => {
                let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
                    eprintln!("skipped on PostgreSQL: TEST_DATABASE_URL is not set");
                    return None;
                };
                (create_postgres_database(&admin_url).await, None)
            }
        };
        let db = shop_common::db::connect_and_migrate(&url, None)
            .await
            .unwrap_or_else(|e| panic!("test database {url}: {e}"));
        Some(Self { url, db, _dir: dir })
    }
}

async fn create_postgres_database(admin_url: &str) -> String {
    let admin = Database::connect(admin_url)
        .await
        .unwrap_or_else(|e| panic!("TEST_DATABASE_URL {admin_url} is unreachable: {e}"));
    let name = format!("shop_test_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
    admin.close().await.ok();
    let mut url = url::Url::parse(admin_url).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&name);
    url.to_string()
}

/// Declares a test that runs once on SQLite (`on_sqlite`) and once on PostgreSQL
/// (`on_postgres`, skipped when `TEST_DATABASE_URL` is not set). The body is an async
/// function taking a [`Backend`].
#[macro_export]
macro_rules! test_on_both_databases {
    ($($(#[$attr:meta])* $name:ident => $body:ident;)+) => {
        $(
            $(#[$attr])*
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn on_sqlite() {
                    super::$body($crate::db::Backend::Sqlite).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn on_postgres() {
                    super::$body($crate::db::Backend::Postgres).await
                }
            }
        )+
    };
}
