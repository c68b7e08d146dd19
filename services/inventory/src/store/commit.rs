//! Committing a reservation in one statement on PostgreSQL: the paid webhook's path.
//!
//! The general path (`transition`) takes five round trips: BEGIN, the locking load, the
//! product updates, the state update, COMMIT. Here the one case the decision table applies,
//! an active reservation not yet due ([`decide`](crate::domain::decide)), is one statement,
//! atomic on its own: the state's compare-and-set and the products' decrements, the products
//! locked in product-id order (the lock order of every transaction). Anything else (a
//! repeat, a released or expired reservation, stock below the quantity, which the CHECK on
//! `stock` refuses and so rolls the whole statement back) falls back to the general path,
//! which decides and explains.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use super::Store;
use crate::{
    domain::{ProductId, Reservation, ReservationId, ReservationLines, ReservationState},
    error::Error,
};

const COMMIT_ACTIVE: &str = r#"
WITH committed AS (
    UPDATE reservations SET state = 'committed', updated_at = $2
    WHERE id = $1 AND state = 'active' AND expires_at > $2
    RETURNING id, expires_at, created_at
), locked AS (
    SELECT p.id, l.quantity
    FROM products p
    JOIN reservation_lines l ON l.product_id = p.id
    JOIN committed c ON c.id = l.reservation_id
    ORDER BY p.id
    FOR UPDATE OF p
), taken AS (
    UPDATE products p
    SET stock = p.stock - locked.quantity,
        stock_reserved = p.stock_reserved - locked.quantity,
        updated_at = $2
    FROM locked
    WHERE p.id = locked.id
    RETURNING p.id AS product_id, locked.quantity
)
SELECT c.expires_at, c.created_at, t.product_id, t.quantity
FROM committed c LEFT JOIN taken t ON true"#;

impl Store {
    /// Commits an active reservation that is not due in one statement, or returns `None`
    /// when that case does not apply (and nothing changed).
    pub(super) async fn commit_active_in_one_statement(
        &self,
        id: ReservationId,
    ) -> Result<Option<Reservation>, Error> {
        debug_assert_eq!(self.db.get_database_backend(), DbBackend::Postgres);
        let now = shop_common::db::now();
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            COMMIT_ACTIVE,
            [id.as_uuid().into(), now.into()],
        );
        let rows = match self.db.query_all_raw(statement).await {
            Ok(rows) => rows,
            Err(e) if shop_common::db::is_check_violation(&e) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let expires_at: DateTime<Utc> = first.try_get("", "expires_at")?;
        let created_at: DateTime<Utc> = first.try_get("", "created_at")?;
        let mut lines = Vec::with_capacity(rows.len());
        for row in &rows {
            let product: Option<uuid::Uuid> = row.try_get("", "product_id")?;
            let quantity: Option<i64> = row.try_get("", "quantity")?;
            if let (Some(product), Some(quantity)) = (product, quantity) {
                lines.push((ProductId::from_uuid(product), quantity));
            }
        }
        Ok(Some(Reservation {
            id,
            state: ReservationState::Committed,
            lines: ReservationLines::from_stored(lines),
            expires_at,
            created_at,
            updated_at: now,
        }))
    }
}
