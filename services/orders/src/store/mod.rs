//! Persistence of orders, payment events and invoice jobs (sea-orm). Methods are named for
//! what they do and return domain types; every multi-row change is one transaction, retried
//! as a whole on lock conflicts, and run to its end even if the caller goes away
//! (`shop_common::db::Transactional`).

mod confirm;
mod entity;
mod invoice_pdfs;
mod invoices;
mod listing;
mod numbering;
mod orders;
mod outbox;
mod payments;
mod refunds;
mod transitions;

use sea_orm::DatabaseConnection;

pub use orders::InsertOutcome;
pub use outbox::{ClaimedJob, OutboxStats};
pub use transitions::Applied;

use crate::error::Error;

/// The orders service's tables.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
}

impl Store {
    /// A store over `db` (migrated).
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl shop_common::db::Transactional for Store {
    type Error = Error;

    fn connection(&self) -> &DatabaseConnection {
        &self.db
    }
}
