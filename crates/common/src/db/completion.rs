//! Database work that runs to its end whatever its caller does.
//!
//! tonic and axum drop a handler's future when its caller goes away (a deadline passes, the
//! stream is reset, the connection closes), and with it any transaction the handler was in
//! the middle of. With sqlx 0.9.0 on PostgreSQL that is not safe:
//! - dropped while `BEGIN` is in flight, the connection goes back to the pool inside a
//!   transaction nothing will end, and the next user's statements run in it (PostgreSQL
//!   warns "there is already a transaction in progress"): transact-rs/sqlx#4393, fixed by
//!   transact-rs/sqlx#4394, merged but not in a release yet;
//! - dropped while `COMMIT` is in flight, the commit still happens, but sea-orm's drop guard
//!   then queues a `ROLLBACK` behind it ("there is no transaction in progress"). The sqlx fix
//!   does not change this one.
//!
//! So a unit of work runs on its own task: the caller may stop waiting, the work still
//! commits or rolls back, and its connection returns to the pool clean. A spawn costs
//! microseconds; a transaction, milliseconds. (A pool hook, `after_release`, cannot do this
//! job cheaply: sqlx exposes only its own transaction depth, which is 0 in exactly the stale
//! case, not the server's status, so a check would cost a round trip on every release.)
//! When a sqlx release contains #4394, only the `BEGIN` case goes away: the spawn
//! still keeps cut-off commits from sending needless `ROLLBACK`s and warnings, and keeps
//! work from being stopped half-way on any other await.

use sea_orm::{DbErr, RuntimeErr};
use tracing::Instrument as _;

/// Runs `work` on its own task and waits for it: if the caller's future is dropped, the work
/// still runs to its end (commit or rollback). The stores run every transaction a request
/// makes through here. A panic in `work` is resumed in the caller.
pub async fn run_to_completion<T, E, W>(work: W) -> Result<T, E>
where
    W: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: From<DbErr> + Send + 'static,
{
    // In the caller's span, so that what the work logs still carries the request's trace id.
    match tokio::spawn(work.in_current_span()).await {
        Ok(result) => result,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        // Cancelled: the runtime is shutting down under it.
        Err(error) => Err(DbErr::Conn(RuntimeErr::Internal(format!(
            "database work stopped: {error}"
        )))
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};

    use super::*;

    async fn database() -> DatabaseConnection {
        // One connection: every statement sees the same in-memory database.
        let db = crate::db::connect("sqlite::memory:", Some(1))
            .await
            .unwrap();
        db.execute_unprepared("CREATE TABLE t (n INTEGER NOT NULL)")
            .await
            .unwrap();
        db
    }

    async fn rows(db: &DatabaseConnection) -> i64 {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT count(*) AS n FROM t",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get("", "n").unwrap()
    }

    #[tokio::test]
    async fn work_whose_caller_stops_waiting_still_commits() {
        let db = database().await;
        let work = {
            let db = db.clone();
            async move {
                let txn = db.begin().await?;
                txn.execute_unprepared("INSERT INTO t VALUES (1)").await?;
                tokio::time::sleep(Duration::from_millis(100)).await;
                txn.execute_unprepared("INSERT INTO t VALUES (2)").await?;
                txn.commit().await
            }
        };
        let caller = tokio::time::timeout(Duration::from_millis(20), run_to_completion(work));
        assert!(caller.await.is_err(), "the caller gave up first");

        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(rows(&db).await, 2, "both rows committed");
    }

    #[tokio::test]
    async fn the_work_s_result_and_errors_reach_the_caller() {
        let db = database().await;
        let failing = {
            let db = db.clone();
            async move {
                let txn = db.begin().await?;
                txn.execute_unprepared("INSERT INTO t VALUES (1)").await?;
                txn.execute_unprepared("INSERT INTO missing VALUES (1)")
                    .await?;
                txn.commit().await
            }
        };
        let error: DbErr = run_to_completion(failing).await.unwrap_err();
        assert!(error.to_string().contains("missing"), "{error}");
        assert_eq!(rows(&db).await, 0, "rolled back");

        let answer: Result<i64, DbErr> = run_to_completion(async { Ok(42) }).await;
        assert_eq!(answer.unwrap(), 42);
    }

    #[tokio::test]
    #[should_panic(expected = "broken invariant")]
    async fn a_panic_in_the_work_reaches_the_caller() {
        let _: Result<(), DbErr> = run_to_completion(async { panic!("broken invariant") }).await;
    }
}
