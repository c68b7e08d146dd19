//! What every service's store does the same way: write transactions that take the write lock
//! up front, whole-operation retries on lock conflicts, work that runs to its end when the
//! caller goes away. Each service's `Store` implements
//! [`Transactional`] by naming its error type and its connection.

use std::future::Future;

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};

use super::{Conflict, begin_write, retrying, run_to_completion};

/// A service's store over one migrated database.
pub trait Transactional: Clone + Send + Sync + 'static {
    /// The service's error type.
    type Error: From<DbErr> + Conflict + Send + 'static;

    /// The migrated database.
    fn connection(&self) -> &DatabaseConnection;

    /// Runs `op` again while it fails with a lock conflict (see [`retrying`]).
    fn retrying<T, F, Fut>(&self, op: F) -> impl Future<Output = Result<T, Self::Error>> + Send
    where
        F: FnMut() -> Fut + Send,
        Fut: Future<Output = Result<T, Self::Error>> + Send,
        T: Send,
    {
        retrying(op)
    }

    /// Runs `work` with a clone of the store on its own task, so that it commits or rolls
    /// back even when the caller's future is dropped (a gRPC caller that went away): the
    /// transactions of requests go through here (see [`run_to_completion`]).
    fn to_completion<T, F, Fut>(
        &self,
        work: F,
    ) -> impl Future<Output = Result<T, Self::Error>> + Send
    where
        F: FnOnce(Self) -> Fut,
        Fut: Future<Output = Result<T, Self::Error>> + Send + 'static,
        T: Send + 'static,
    {
        run_to_completion(work(self.clone()))
    }

    /// Begins a transaction that will write (see [`begin_write`]).
    fn begin_write(&self) -> impl Future<Output = Result<DatabaseTransaction, Self::Error>> + Send {
        let db = self.connection();
        async move { Ok(begin_write(db, db.get_database_backend()).await?) }
    }
}
