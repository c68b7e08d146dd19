//! The connection pool's gauges, read at every scrape of `/metrics`:
//! `shop_db_pool_connections{state="in_use"|"idle"}` and `shop_db_pool_max_connections`.
//! Callers waiting for a connection show as `in_use` at the maximum: sqlx counts no waiters.

use sea_orm::{DatabaseConnection, DbBackend};

/// Exports `db`'s pool gauges from now on (one pool per process: a later call replaces the
/// gauges' source, it does not add to it).
pub fn export_pool_metrics(db: &DatabaseConnection) {
    let db = db.clone();
    crate::metrics::on_render("db_pool", move || {
        let (size, idle, max) = match db.get_database_backend() {
            DbBackend::Postgres => {
                let pool = db.get_postgres_connection_pool();
                (
                    pool.size(),
                    pool.num_idle(),
                    pool.options().get_max_connections(),
                )
            }
            DbBackend::Sqlite => {
                let pool = db.get_sqlite_connection_pool();
                (
                    pool.size(),
                    pool.num_idle(),
                    pool.options().get_max_connections(),
                )
            }
            _ => return,
        };
        let idle = u32::try_from(idle).unwrap_or(u32::MAX);
        metrics::gauge!("shop_db_pool_connections", "state" => "in_use")
            .set(f64::from(size.saturating_sub(idle)));
        metrics::gauge!("shop_db_pool_connections", "state" => "idle").set(f64::from(idle));
        metrics::gauge!("shop_db_pool_max_connections").set(f64::from(max));
    });
}
