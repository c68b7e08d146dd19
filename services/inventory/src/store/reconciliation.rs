//! Reconciliation reads: every product's counters next to the sum of its active
//! reservations, in one statement (one consistent snapshot on both databases).

use sea_orm::{ConnectionTrait, Statement};
use shop_common::names::StoredName;
use uuid::Uuid;

use super::Store;
use crate::{
    domain::{ProductCounters, ProductId},
    error::Error,
};

const COUNTERS: &str = "\
SELECT p.id AS id, p.sku AS sku, p.stock AS stock, p.stock_reserved AS stock_reserved, \
       COALESCE(a.quantity, 0) AS active_reserved \
FROM products p \
LEFT JOIN (SELECT rl.product_id AS product_id, CAST(SUM(rl.quantity) AS BIGINT) AS quantity \
           FROM reservation_lines rl JOIN reservations r ON r.id = rl.reservation_id \
           WHERE r.state = 'active' GROUP BY rl.product_id) a ON a.product_id = p.id \
ORDER BY p.id";

impl Store {
    /// Every product's counters and the sum of its active reservations.
    pub async fn product_counters(&self) -> Result<Vec<ProductCounters>, Error> {
        let rows = self
            .db
            .query_all_raw(Statement::from_string(
                self.db.get_database_backend(),
                COUNTERS,
            ))
            .await?;
        rows.iter()
            .map(|row| {
                Ok(ProductCounters {
                    product_id: ProductId::from_uuid(row.try_get::<Uuid>("", "id")?),
                    sku: row.try_get("", "sku")?,
                    stock: row.try_get("", "stock")?,
                    stock_reserved: row.try_get("", "stock_reserved")?,
                    active_reserved: row.try_get("", "active_reserved")?,
                })
            })
            .collect()
    }
}

impl Store {
    /// How many reservations are in each stored state.
    pub async fn reservations_by_state(
        &self,
    ) -> Result<std::collections::HashMap<crate::domain::ReservationState, i64>, Error> {
        use sea_orm::{
            EntityTrait, QuerySelect,
            sea_query::{Expr, Func},
        };

        use super::entity::reservation;
        let rows: Vec<(String, i64)> = reservation::Entity::find()
            .select_only()
            .column(reservation::Column::State)
            .column_as(
                Expr::from(Func::count(Expr::col(reservation::Column::Id))),
                "count",
            )
            .group_by(reservation::Column::State)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(state, count)| {
                crate::domain::ReservationState::parse(&state).map(|s| (s, count))
            })
            .collect())
    }
}
