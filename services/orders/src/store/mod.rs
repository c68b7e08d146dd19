//! Persistence of orders, payment events and invoice jobs (sea-orm). Methods are named for
//! what they do and return domain types; every multi-row change is one transaction, retried
//! as a whole on lock conflicts.

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

use std::future::Future;

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbBackend};

pub use orders::InsertOutcome;
pub use outbox::{ClaimedJob, OutboxStats};
pub use transitions::Applied;

use crate::error::Error;

/// The orders service's tables.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
    backend: DbBackend,
}

impl Store {
    /// A store over `db` (migrated).
    pub fn new(db: DatabaseConnection) -> Self {
        let backend = db.get_database_backend();
        Self { db, backend }
    }

    /// Runs `op` again while it fails with a lock conflict (see `shop_common::db::retrying`).
    async fn retrying<T, F, Fut>(&self, op: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        shop_common::db::retrying(op).await
    }

    /// Runs `work` with a clone of the store on its own task, so that it commits or rolls
    /// back even when the caller's future is dropped (a gRPC caller that went away): the
    /// transactions of requests go through here (see `shop_common::db::run_to_completion`).
    async fn to_completion<T, F, Fut>(&self, work: F) -> Result<T, Error>
    where
        F: FnOnce(Store) -> Fut,
        Fut: Future<Output = Result<T, Error>> + Send + 'static,
        T: Send + 'static,
    {
        shop_common::db::run_to_completion(work(self.clone())).await
    }

    async fn begin_write(&self) -> Result<DatabaseTransaction, Error> {
        Ok(shop_common::db::begin_write(&self.db, self.backend).await?)
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), Error> {
        Ok(shop_common::db::ping(&self.db).await?)
    }
}
