//! Database migrations for every shop service, the same on SQLite and PostgreSQL.
//!
//! Applied at start-up by every component and by `shop migrate`. Each service owns its own
//! tables; they share one migration history so one database can serve a whole deployment.

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_inventory;
mod m20261126_000002_orders;
mod m20261202_000003_invoice_failing_since;
mod m20261207_000004_invoice_documents;
mod m20261208_000005_invoice_trace_context;
mod m20261208_000006_operator_console;

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_inventory::Migration),
            Box::new(m20261126_000002_orders::Migration),
            Box::new(m20261202_000003_invoice_failing_since::Migration),
            Box::new(m20261207_000004_invoice_documents::Migration),
            Box::new(m20261208_000005_invoice_trace_context::Migration),
            Box::new(m20261208_000006_operator_console::Migration),
        ]
    }
}
