//! Sequential invoice numbers: allocated once per order, gap-free per year.
//!
//! A number is allocated by the invoice worker when it claims a job that has none yet, in the
//! claim's transaction: the year's counter row in `invoice_counters` is bumped by the number
//! of new invoices of that year (an upsert, so the first invoice of a year creates it) and the
//! numbers are written to `invoice_numbers`, keyed by order. Both commit with the claim or not
//! at all, so a number is never skipped (a rolled-back claim returns its numbers) nor issued
//! twice (the job rows are locked by the claim, the order is the table's key, and
//! `(year, number)` is unique). A job claimed again — a retry, a resend, a worker that died
//! mid-send — finds its number and keeps it.
//!
//! The webhooks' confirmation path never touches the counter: it only queues the job. The
//! counter row of the current year serialises the claims that allocate numbers (one short
//! upsert per batch, held until the claim commits), which costs workers, not webhooks.
//! The year is the UTC year of the confirmation (the job's queueing), the invoice date.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use uuid::Uuid;

use super::entity::{invoice_counter, invoice_number};
use crate::{domain::InvoiceNumber, error::Error};

/// The invoice numbers of `jobs` (order id, confirmed at), allocating the missing ones, in
/// confirmation order within each year.
pub(super) async fn assign_invoice_numbers(
    txn: &DatabaseTransaction,
    jobs: &[(Uuid, DateTime<Utc>)],
) -> Result<HashMap<Uuid, InvoiceNumber>, Error> {
    let mut numbers = numbers_of(txn, jobs.iter().map(|(id, _)| *id)).await?;
    let mut missing: BTreeMap<i32, Vec<(DateTime<Utc>, Uuid)>> = BTreeMap::new();
    for (id, confirmed_at) in jobs {
        if !numbers.contains_key(id) {
            missing
                .entry(confirmed_at.year())
                .or_default()
                .push((*confirmed_at, *id));
        }
    }
    let now = shop_common::db::now();
    // Years in ascending order: concurrent claims lock counter rows in the same order.
    for (year, mut orders) in missing {
        orders.sort_unstable();
        let count = orders.len() as i64;
        let last = bump_counter(txn, year, count).await?;
        let first = last - count + 1;
        let rows = orders.iter().zip(first..).map(|((_, id), number)| {
            numbers.insert(*id, InvoiceNumber { year, number });
            invoice_number::ActiveModel {
                order_id: Set(*id),
                year: Set(year),
                number: Set(number),
                created_at: Set(now),
            }
        });
        invoice_number::Entity::insert_many(rows.collect::<Vec<_>>())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(numbers)
}

/// Adds `count` to `year`'s counter (creating it at `count`) and returns its new value: the
/// last number now issued that year.
async fn bump_counter(txn: &DatabaseTransaction, year: i32, count: i64) -> Result<i64, Error> {
    use invoice_counter::Column;
    let row = invoice_counter::ActiveModel {
        year: Set(year),
        last_number: Set(count),
    };
    let counter = invoice_counter::Entity::insert(row)
        .on_conflict(
            OnConflict::column(Column::Year)
                .value(
                    Column::LastNumber,
                    Expr::col((invoice_counter::Entity, Column::LastNumber)).add(count),
                )
                .to_owned(),
        )
        .exec_with_returning(txn)
        .await?;
    Ok(counter.last_number)
}

/// The numbers already allocated to `orders`.
pub(super) async fn numbers_of(
    conn: &impl sea_orm::ConnectionTrait,
    orders: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, InvoiceNumber>, Error> {
    let rows: Vec<(Uuid, i32, i64)> = invoice_number::Entity::find()
        .select_only()
        .column(invoice_number::Column::OrderId)
        .column(invoice_number::Column::Year)
        .column(invoice_number::Column::Number)
        .filter(invoice_number::Column::OrderId.is_in(orders))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, year, number)| (id, InvoiceNumber { year, number }))
        .collect())
}
