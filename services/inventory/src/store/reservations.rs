//! Reservations: reserve, commit, release, expire.
//!
//! Lock order, the same in every transaction: the reservation row first, then product rows
//! in product-id order (the order of `ReservationLines`). Counters only change through
//! conditional updates (`… WHERE stock - stock_reserved >= q`), so no interleaving can
//! oversell, on SQLite or PostgreSQL; CHECK constraints back this up.

use shop_common::db::Transactional as _;
use std::{collections::HashMap, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, JoinType,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationDef, TryInsertResult,
    sea_query::{Expr, ExprTrait, LockType},
};
use shop_common::names::StoredName;
use uuid::Uuid;

use super::{
    Store,
    entity::{product, reservation, reservation_line},
};
use crate::{
    domain::{
        Decision, ProductId, Reservation, ReservationId, ReservationLine, ReservationLines,
        ReservationState, Transition, decide,
    },
    error::{Error, Shortage},
};

impl Store {
    /// Reserves every line or none, for `ttl`. Idempotent on `id`: an existing reservation
    /// with the same lines is returned as it is (whatever its state), one with other lines
    /// is [`Error::ReservationMismatch`].
    pub async fn reserve(
        &self,
        id: ReservationId,
        lines: &ReservationLines,
        ttl: Duration,
    ) -> Result<Reservation, Error> {
        let lines = lines.clone();
        self.to_completion(move |store| async move {
            store.retrying(|| store.reserve_once(id, &lines, ttl)).await
        })
        .await
    }

    async fn reserve_once(
        &self,
        id: ReservationId,
        lines: &ReservationLines,
        ttl: Duration,
    ) -> Result<Reservation, Error> {
        let now = shop_common::db::now();
        let expires_at = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX);
        let txn = self.begin_write().await?;
        // Claim the id first: a concurrent reserve with the same id waits here (PostgreSQL)
        // or on the write lock (SQLite), then finds the reservation made by the winner.
        let claimed = reservation::Entity::insert(reservation::ActiveModel {
            id: Set(id.as_uuid()),
            state: Set(ReservationState::Active.as_str().to_owned()),
            expires_at: Set(expires_at),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .on_conflict_do_nothing()
        .exec_without_returning(&txn)
        .await?;
        if !matches!(claimed, TryInsertResult::Inserted(1)) {
            let existing = load(&txn, id)
                .await?
                .ok_or(Error::ReservationNotFound(id))?;
            if existing.lines != *lines {
                return Err(Error::ReservationMismatch(id));
            }
            return Ok(existing);
        }

        let mut short = Vec::new();
        for line in lines.iter() {
            let quantity = line.quantity.get();
            let held = product::Entity::update_many()
                .col_expr(
                    product::Column::StockReserved,
                    Expr::col(product::Column::StockReserved).add(quantity),
                )
                .col_expr(product::Column::UpdatedAt, Expr::value(now))
                .filter(product::Column::Id.eq(line.product_id.as_uuid()))
                .filter(
                    Expr::col(product::Column::Stock)
                        .sub(Expr::col(product::Column::StockReserved))
                        .gte(quantity),
                )
                .exec(&txn)
                .await?;
            if held.rows_affected == 0 {
                short.push(*line);
            }
        }
        if !short.is_empty() {
            // Dropping the transaction rolls back what was held so far.
            return Err(shortage_error(&txn, &short, |p| p.stock - p.stock_reserved).await?);
        }

        reservation_line::Entity::insert_many(lines.iter().map(|line| {
            reservation_line::ActiveModel {
                reservation_id: Set(id.as_uuid()),
                product_id: Set(line.product_id.as_uuid()),
                quantity: Set(line.quantity.get()),
            }
        }))
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
        Ok(Reservation {
            id,
            state: ReservationState::Active,
            lines: lines.clone(),
            expires_at,
            created_at: now,
            updated_at: now,
        })
    }

    /// Takes the reservation's quantities out of `stock` and `stock_reserved`, in one
    /// transaction; idempotent. Refused when released or expired, and when any product's
    /// stock is below its quantity ([`Error::InsufficientStock`]); then nothing changes.
    pub async fn commit_reservation(&self, id: ReservationId) -> Result<Reservation, Error> {
        if self.db.get_database_backend() == DbBackend::Postgres {
            let committed = self
                .to_completion(move |store| async move {
                    store
                        .retrying(|| store.commit_active_in_one_statement(id))
                        .await
                })
                .await?;
            if let Some(reservation) = committed {
                return Ok(reservation);
            }
        }
        self.transition(id, Transition::Commit).await
    }

    /// Returns the reservation's quantities to `available`; idempotent.
    pub async fn release_reservation(&self, id: ReservationId) -> Result<Reservation, Error> {
        self.transition(id, Transition::Release).await
    }

    /// Expires up to `limit` active reservations that are past their expiry time, each in
    /// its own transaction, and returns their ids. Safe to run in several replicas at once.
    pub async fn expire_due_reservations(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<ReservationId>, Error> {
        let due: Vec<Uuid> = reservation::Entity::find()
            .select_only()
            .column(reservation::Column::Id)
            .filter(reservation::Column::State.eq(ReservationState::Active.as_str()))
            .filter(reservation::Column::ExpiresAt.lte(now))
            .order_by_asc(reservation::Column::ExpiresAt)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut expired = Vec::with_capacity(due.len());
        for id in due.into_iter().map(ReservationId::from_uuid) {
            let reservation = self.transition(id, Transition::Expire).await?;
            if reservation.state == ReservationState::Expired {
                expired.push(id);
            }
        }
        Ok(expired)
    }

    /// One reservation.
    pub async fn reservation(&self, id: ReservationId) -> Result<Reservation, Error> {
        load(&self.db, id)
            .await?
            .ok_or(Error::ReservationNotFound(id))
    }

    async fn transition(
        &self,
        id: ReservationId,
        transition: Transition,
    ) -> Result<Reservation, Error> {
        self.to_completion(move |store| async move {
            store
                .retrying(|| store.transition_once(id, transition))
                .await
        })
        .await
    }

    async fn transition_once(
        &self,
        id: ReservationId,
        transition: Transition,
    ) -> Result<Reservation, Error> {
        let txn = self.begin_write().await?;
        let now = shop_common::db::now();
        let mut reservation = load_for_update(&txn, id)
            .await?
            .ok_or(Error::ReservationNotFound(id))?;
        let next = match decide(reservation.state, reservation.is_due(now), transition) {
            Decision::Unchanged => return Ok(reservation),
            Decision::Refuse(refusal) => return Err(Error::Refused { id, refusal }),
            Decision::Apply(next) => next,
        };
        match transition {
            Transition::Commit => take_stock(&txn, &reservation.lines, now).await?,
            Transition::Release | Transition::Expire => {
                free_reserved(&txn, &reservation.lines, now).await?
            }
        }
        reservation::Entity::update_many()
            .col_expr(reservation::Column::State, Expr::value(next.as_str()))
            .col_expr(reservation::Column::UpdatedAt, Expr::value(now))
            .filter(reservation::Column::Id.eq(id.as_uuid()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        reservation.state = next;
        reservation.updated_at = now;
        Ok(reservation)
    }
}

/// stock −= q and stock_reserved −= q for every line, or an error naming every product whose
/// stock is below its quantity.
async fn take_stock(
    txn: &DatabaseTransaction,
    lines: &ReservationLines,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let mut short = Vec::new();
    for line in lines.iter() {
        let quantity = line.quantity.get();
        let taken = product::Entity::update_many()
            .col_expr(
                product::Column::Stock,
                Expr::col(product::Column::Stock).sub(quantity),
            )
            .col_expr(
                product::Column::StockReserved,
                Expr::col(product::Column::StockReserved).sub(quantity),
            )
            .col_expr(product::Column::UpdatedAt, Expr::value(now))
            .filter(product::Column::Id.eq(line.product_id.as_uuid()))
            .filter(product::Column::Stock.gte(quantity))
            .exec(txn)
            .await?;
        if taken.rows_affected == 0 {
            short.push(*line);
        }
    }
    if short.is_empty() {
        Ok(())
    } else {
        Err(shortage_error(txn, &short, |p| p.stock).await?)
    }
}

/// stock_reserved −= q for every line.
async fn free_reserved(
    txn: &DatabaseTransaction,
    lines: &ReservationLines,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    for line in lines.iter() {
        product::Entity::update_many()
            .col_expr(
                product::Column::StockReserved,
                Expr::col(product::Column::StockReserved).sub(line.quantity.get()),
            )
            .col_expr(product::Column::UpdatedAt, Expr::value(now))
            .filter(product::Column::Id.eq(line.product_id.as_uuid()))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Explains why `short` lines could not be served: a missing product is
/// [`Error::ProductNotFound`], otherwise [`Error::InsufficientStock`] with what each has.
async fn shortage_error(
    txn: &DatabaseTransaction,
    short: &[ReservationLine],
    supply: impl Fn(&product::Model) -> i64,
) -> Result<Error, Error> {
    let products: HashMap<Uuid, product::Model> = product::Entity::find()
        .filter(product::Column::Id.is_in(short.iter().map(|l| l.product_id.as_uuid())))
        .all(txn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut shortages = Vec::with_capacity(short.len());
    for line in short {
        let Some(product) = products.get(&line.product_id.as_uuid()) else {
            return Ok(Error::ProductNotFound(line.product_id));
        };
        shortages.push(Shortage {
            product_id: line.product_id,
            sku: product.sku.clone(),
            requested: line.quantity.get(),
            available: Ord::max(supply(product), 0),
        });
    }
    Ok(Error::InsufficientStock(shortages))
}

async fn load(
    conn: &impl ConnectionTrait,
    id: ReservationId,
) -> Result<Option<Reservation>, Error> {
    load_joined(conn, id, false).await
}

/// Loads a reservation and locks its row until the transaction ends (`FOR UPDATE` on
/// PostgreSQL; on SQLite the `IMMEDIATE` transaction already holds the write lock).
async fn load_for_update(
    txn: &DatabaseTransaction,
    id: ReservationId,
) -> Result<Option<Reservation>, Error> {
    load_joined(txn, id, true).await
}

/// The reservation and its lines in one statement (a LEFT JOIN), not two: every round trip
/// to the database counts on the webhook path (BENCHMARKS.md). Only the reservation's row is
/// locked, not its lines', which never change.
async fn load_joined(
    conn: &impl ConnectionTrait,
    id: ReservationId,
    lock: bool,
) -> Result<Option<Reservation>, Error> {
    let lines: RelationDef = reservation_line::Entity::belongs_to(reservation::Entity)
        .from(reservation_line::Column::ReservationId)
        .to(reservation::Column::Id)
        .into();
    let mut select = reservation::Entity::find_by_id(id.as_uuid())
        .join(JoinType::LeftJoin, lines.rev())
        .select_also(reservation_line::Entity);
    if lock {
        QueryTrait::query(&mut select).lock_with_tables(LockType::Update, [reservation::Entity]);
    }
    let mut rows = select.all(conn).await?.into_iter();
    let Some((row, first)) = rows.next() else {
        return Ok(None);
    };
    let lines = first
        .into_iter()
        .chain(rows.filter_map(|(_, line)| line))
        .collect();
    assemble(row, lines).map(Some)
}

fn assemble(
    row: reservation::Model,
    lines: Vec<reservation_line::Model>,
) -> Result<Reservation, Error> {
    let state = ReservationState::parse(&row.state).ok_or_else(|| {
        Error::Database(sea_orm::DbErr::Type(format!(
            "reservation {} has unknown state {:?}",
            row.id, row.state
        )))
    })?;
    Ok(Reservation {
        id: ReservationId::from_uuid(row.id),
        state,
        lines: ReservationLines::from_stored(
            lines
                .into_iter()
                .map(|l| (ProductId::from_uuid(l.product_id), l.quantity)),
        ),
        expires_at: row.expires_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}
