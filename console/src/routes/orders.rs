//! Orders: newest first, filtered by status, customer e-mail and creation date, 50 a page.

use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::IntoResponse,
};
use chrono::{NaiveDate, TimeZone, Utc};
use maud::html;
use serde::Deserialize;
use shop_proto::orders::v1 as pb;

use super::AppState;
use crate::{
    error::PageResult,
    session::SignedIn,
    views::{self, page},
};

/// `GET /orders` filters, as the form sends them.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    email: String,
    #[serde(default)]
    status: String,
    /// First day (YYYY-MM-DD, UTC), included.
    #[serde(default)]
    from: String,
    /// Last day (YYYY-MM-DD, UTC), included.
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: String,
}

const STATUSES: [(&str, &str, pb::OrderStatus); 4] = [
    ("", "Any", pb::OrderStatus::Unspecified),
    (
        "awaiting_payment",
        "Awaiting payment",
        pb::OrderStatus::AwaitingPayment,
    ),
    ("confirmed", "Confirmed", pb::OrderStatus::Confirmed),
    ("cancelled", "Cancelled", pb::OrderStatus::Cancelled),
];

/// A day filter: midnight UTC at the start of the day, `days_later` days on.
fn day(raw: &str, days_later: u64) -> Result<Option<prost_types::Timestamp>, String> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| format!("Enter a date as YYYY-MM-DD, not {:?}.", raw.trim()))?;
    let start = date
        .checked_add_days(chrono::Days::new(days_later))
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .ok_or_else(|| "That date is out of range.".to_owned())?;
    Ok(Some(shop_common::grpc::timestamp(
        Utc.from_utc_datetime(&start),
    )))
}

/// `GET /orders`.
pub async fn list(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(query): Query<ListQuery>,
) -> PageResult {
    let status = STATUSES
        .iter()
        .find(|(value, ..)| *value == query.status)
        .map_or(pb::OrderStatus::Unspecified, |(.., status)| *status);
    let from = day(&query.from, 0);
    let to = day(&query.to, 1);
    let (orders, next) = match (&from, &to) {
        (Ok(created_after), Ok(created_before)) => {
            let page = state
                .backends
                .orders
                .clone()
                .list_orders(pb::ListOrdersRequest {
                    status: status.into(),
                    page_size: 50,
                    page_token: query.page.clone(),
                    customer_email: query.email.trim().to_owned(),
                    created_after: *created_after,
                    created_before: *created_before,
                    order_by: "created_at desc".into(),
                })
                .await?
                .into_inner();
            (page.orders, page.next_page_token)
        }
        _ => (Vec::new(), String::new()),
    };
    let filters = format!(
        "email={}&status={}&from={}&to={}",
        views::urlencode(&query.email),
        views::urlencode(&query.status),
        views::urlencode(&query.from),
        views::urlencode(&query.to)
    );
    let invalid = from.is_err() || to.is_err();
    let body = html! {
        form.filters method="get" action="/orders" role="search" {
            (views::field("email", "Customer e-mail", "email", &query.email, None, false))
            div {
                label for="status" { "Status" }
                select id="status" name="status" {
                    @for (value, label, _) in STATUSES {
                        option value=(value) selected[value == query.status] { (label) }
                    }
                }
            }
            (views::field("from", "Created from (YYYY-MM-DD)", "date", &query.from, from.as_ref().err().map(String::as_str), false))
            (views::field("to", "Created until (YYYY-MM-DD)", "date", &query.to, to.as_ref().err().map(String::as_str), false))
            div { button type="submit" { "Find orders" } }
        }
        @if orders.is_empty() && !invalid {
            p { "No order matches." }
        } @else if !orders.is_empty() {
            table {
                thead { tr {
                    th { "Created" } th { "Customer" } th { "Status" } th.num { "Total" } th { "Order" }
                } }
                tbody {
                    @for o in &orders {
                        tr {
                            td { (views::time(o.created_at.as_ref())) }
                            td { (o.customer_name) br; (o.customer_email) }
                            td { (views::order_status(o)) }
                            td.num { (views::money(o.total_minor, &o.currency)) }
                            td { a href={ "/orders/" (o.id) } { (o.id) } }
                        }
                    }
                }
            }
        }
        (views::next_link("/orders", &filters, &next))
    };
    let status = if invalid {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, page("Orders", Some(&session), "/orders", body)).into_response())
}
