//! Payments to refund: orders flagged REFUND_REQUIRED that nobody has marked refunded yet,
//! and "mark refunded" with a note (MarkRefunded keeps the operator's name with it).

use std::collections::HashSet;

use axum::{
    Form,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect},
};
use futures::future::try_join_all;
use maud::{Markup, html};
use serde::Deserialize;
use shop_proto::orders::v1 as pb;

use super::{AppState, check_csrf, uuid_param};
use crate::{
    error::{ConsoleError, PageResult},
    session::{Session, SignedIn},
    views::{self, page},
};

/// Set after marking one.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    done: String,
}

/// `GET /refunds`.
pub async fn list(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(query): Query<ListQuery>,
) -> PageResult {
    let orders = to_refund(&state).await?;
    let notice = (query.done == "refunded").then_some("Marked refunded.");
    let body = refunds_page(&session, &orders, notice, None);
    Ok(page("Payments to refund", Some(&session), "/refunds", body).into_response())
}

/// The orders of REFUND_REQUIRED payment events still flagged, oldest event first.
async fn to_refund(state: &AppState) -> Result<Vec<pb::Order>, ConsoleError> {
    let mut events = Vec::new();
    let mut token = String::new();
    // Flagged payments are rare: all of them, a thousand at a time.
    loop {
        let page = state
            .backends
            .orders
            .clone()
            .list_payment_events(pb::ListPaymentEventsRequest {
                outcome: pb::PaymentOutcome::RefundRequired.into(),
                page_size: 1000,
                page_token: token,
                ..Default::default()
            })
            .await?
            .into_inner();
        events.extend(page.events);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let mut seen = HashSet::new();
    let ids: Vec<String> = events
        .into_iter()
        .map(|e| e.order_id)
        .filter(|id| seen.insert(id.clone()))
        .collect();
    let orders = try_join_all(ids.into_iter().map(|id| {
        let mut client = state.backends.orders.clone();
        async move { client.get_order(pb::GetOrderRequest { id }).await }
    }))
    .await?;
    Ok(orders
        .into_iter()
        .map(tonic::Response::into_inner)
        .filter(|o| o.refund_required)
        .collect())
}

/// The mark-refunded form.
#[derive(Debug, Default, Deserialize)]
pub struct MarkForm {
    #[serde(default)]
    note: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /refunds/{order id}`: MarkRefunded with the note; without one, the list again
/// with the error beside that order's note field (422).
pub async fn mark(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    Form(form): Form<MarkForm>,
) -> PageResult {
    check_csrf(&session, &form.csrf)?;
    let id = uuid_param(&id)?;
    if form.note.trim().is_empty() {
        let orders = to_refund(&state).await?;
        let error = (
            id.as_str(),
            "Say how it was refunded (e.g. the provider's refund reference).",
        );
        let body = refunds_page(&session, &orders, None, Some(error));
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            page("Payments to refund", Some(&session), "/refunds", body),
        )
            .into_response());
    }
    state
        .backends
        .orders
        .clone()
        .mark_refunded(pb::MarkRefundedRequest {
            order_id: id.clone(),
            operator: session.operator.clone(),
            note: form.note.trim().to_owned(),
        })
        .await?;
    tracing::info!(operator = %session.operator, order_id = %id, "console: payment marked refunded");
    Ok(Redirect::to("/refunds?done=refunded").into_response())
}

fn refunds_page(
    session: &Session,
    orders: &[pb::Order],
    notice: Option<&str>,
    error: Option<(&str, &str)>,
) -> Markup {
    html! {
        (views::notice(notice))
        @if orders.is_empty() {
            p { "No payment is waiting to be refunded." }
        } @else {
            table {
                thead { tr { th { "Order" } th { "Customer" } th.num { "Amount" } th { "Why" } th { "Mark refunded" } } }
                tbody {
                    @for o in orders {
                        @let field_id = format!("note-{}", o.id);
                        @let field_error = error.filter(|(id, _)| *id == o.id).map(|(_, e)| e);
                        tr {
                            td { a href={ "/orders/" (o.id) } { (o.id) } }
                            td { (o.customer_name) br; (o.customer_email) }
                            td.num.refund { (views::money(o.total_minor, &o.currency)) }
                            td { (o.cancel_reason) }
                            td {
                                form method="post" action={ "/refunds/" (o.id) } {
                                    (views::csrf_field(session))
                                    label for=(field_id) { "Note (how it was refunded)" }
                                    input id=(field_id) name="note" type="text" required
                                        aria-invalid=[field_error.map(|_| "true")]
                                        aria-describedby=[field_error.map(|_| format!("{field_id}-error"))];
                                    @if let Some(e) = field_error {
                                        span.error id={ (field_id) "-error" } { (e) }
                                    }
                                    button type="submit" { "Mark refunded" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
