//! One order: items and totals, status, payment events, the reservation and the invoice
//! job; cancelling it, resending its invoice, downloading the invoice PDF.

use axum::{
    Form,
    extract::{Path, Query, State},
    http::header,
    response::{IntoResponse, Redirect},
};
use maud::{Markup, html};
use serde::Deserialize;
use shop_proto::{inventory::v1 as inv, orders::v1 as pb};
use tonic::Code;

use super::{AppState, check_csrf, uuid_param};
use crate::{
    error::{ConsoleError, PageResult},
    session::{Session, SignedIn},
    views::{self, enum_name, page},
};

/// What an action left to say, in the redirect back to the order.
#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    done: String,
}

/// `GET /orders/{id}`.
pub async fn show(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    Query(query): Query<ShowQuery>,
) -> PageResult {
    let id = uuid_param(&id)?;
    let mut orders = state.backends.orders.clone();
    let order = orders
        .get_order(pb::GetOrderRequest { id: id.clone() })
        .await?
        .into_inner();
    let mut events_client = orders.clone();
    let mut jobs = orders.clone();
    let mut inventory = state.backends.inventory.clone();
    // Independent calls: in parallel.
    let (events, job, reservation) = tokio::join!(
        events_client.list_payment_events(pb::ListPaymentEventsRequest {
            order_id: id.clone(),
            page_size: 100,
            ..Default::default()
        }),
        jobs.get_invoice_job(pb::GetInvoiceJobRequest {
            order_id: id.clone()
        }),
        inventory.get_reservation(inv::GetReservationRequest {
            reservation_id: order.reservation_id.clone(),
        }),
    );
    let events = events?.into_inner().events;
    let job = match job {
        Ok(job) => Some(job.into_inner()),
        Err(status) if status.code() == Code::FailedPrecondition => None,
        Err(status) => return Err(status.into()),
    };
    // A reservation is forgotten by inventory eventually; the order stays.
    let reservation = match reservation {
        Ok(r) => Some(r.into_inner()),
        Err(status) if status.code() == Code::NotFound => None,
        Err(status) => return Err(status.into()),
    };
    let notice = match query.done.as_str() {
        "cancelled" => Some("Order cancelled."),
        "resent" => Some("Invoice queued to be sent again."),
        _ => None,
    };
    let body = order_page(
        &session,
        &order,
        &events,
        job.as_ref(),
        reservation.as_ref(),
        notice,
    );
    Ok(page("Order", Some(&session), "/orders", body).into_response())
}

fn order_page(
    session: &Session,
    o: &pb::Order,
    events: &[pb::PaymentEvent],
    job: Option<&pb::InvoiceJob>,
    reservation: Option<&inv::Reservation>,
    notice: Option<&str>,
) -> Markup {
    html! {
        (views::notice(notice))
        dl {
            dt { "Order" } dd { (o.id) }
            dt { "Status" } dd #status { (views::order_status(o)) }
            @if !o.cancel_reason.is_empty() { dt { "Cancel reason" } dd { (o.cancel_reason) } }
            @if o.refunded_at.is_some() {
                dt { "Refunded" }
                dd { (views::time(o.refunded_at.as_ref())) " by " (o.refunded_by) ": " (o.refund_note) }
            }
            dt { "Customer" } dd { (o.customer_name) " <" (o.customer_email) ">" }
            @if !o.customer_address.is_empty() { dt { "Address" } dd { (o.customer_address) } }
            dt { "Created" } dd { (views::time(o.created_at.as_ref())) }
            dt { "Payment deadline" } dd { (views::time(o.payment_deadline.as_ref())) }
        }
        h2 { "Items" }
        table {
            thead { tr { th { "Item" } th.num { "Quantity" } th.num { "Unit price" } th.num { "Tax" } th.num { "Total" } } }
            tbody {
                @for item in &o.items {
                    tr {
                        td { (item.name) }
                        td.num { (item.quantity) }
                        td.num { (views::money(item.unit_price_minor, &o.currency)) }
                        td.num { (format!("{:.2} %", f64::from(item.tax_rate_bp) / 100.0)) }
                        td.num { (views::money(item.line_total_minor, &o.currency)) }
                    }
                }
            }
            tfoot { tr { th colspan="4" { "Total" } td.num #total { (views::money(o.total_minor, &o.currency)) } } }
        }
        h2 { "Payment events" }
        @if events.is_empty() { p { "None yet." } } @else {
            table {
                thead { tr { th { "When" } th { "Reported" } th { "Outcome" } th { "Detail" } } }
                tbody {
                    @for e in events {
                        tr {
                            td { (views::time(e.created_at.as_ref())) }
                            td { (enum_name(e.status().as_str_name(), "PAYMENT_STATUS_")) }
                            td { (enum_name(e.outcome().as_str_name(), "PAYMENT_OUTCOME_")) }
                            td { (e.detail) }
                        }
                    }
                }
            }
        }
        h2 { "Reservation" }
        @match reservation {
            Some(r) => p { (r.reservation_id) ": " (enum_name(r.state().as_str_name(), "RESERVATION_STATE_"))
                ", expires " (views::time(r.expires_at.as_ref())) },
            None => p { "No reservation is known for it any more." },
        }
        h2 { "Invoice" }
        @match job {
            Some(j) => {
                dl {
                    dt { "State" } dd #invoice-state { (enum_name(j.state().as_str_name(), "INVOICE_JOB_STATE_")) }
                    dt { "Number" } dd { @if j.invoice_number.is_empty() { "not yet allocated" } @else { (j.invoice_number) } }
                    dt { "Attempts" } dd { (j.attempts) }
                    dt { "Last error" } dd { @if j.last_error.is_empty() { "—" } @else { (j.last_error) } }
                    dt { "Next attempt" } dd { (views::time(j.next_attempt_at.as_ref())) }
                    dt { "Sent" } dd { (views::time(j.sent_at.as_ref())) }
                }
                @if !j.invoice_number.is_empty() {
                    p { a href={ "/orders/" (o.id) "/invoice.pdf" } download { "Download the invoice PDF" } }
                }
                form method="post" action={ "/orders/" (o.id) "/resend" } {
                    (views::csrf_field(session))
                    button type="submit" { "Resend the invoice" }
                }
            },
            None => p { "None: the order was never confirmed." },
        }
        @if o.status() == pb::OrderStatus::AwaitingPayment {
            h2 { "Cancel" }
            form method="post" action={ "/orders/" (o.id) "/cancel" } {
                (views::csrf_field(session))
                (views::field("reason", "Reason (kept on the order)", "text", "", None, false))
                p { button type="submit" { "Cancel the order" } }
            }
        }
    }
}

/// The cancel form.
#[derive(Debug, Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /orders/{id}/cancel`.
pub async fn cancel(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    Form(form): Form<CancelForm>,
) -> PageResult {
    check_csrf(&session, &form.csrf)?;
    let id = uuid_param(&id)?;
    let reason = match form.reason.trim() {
        "" => format!("cancelled by {}", session.operator),
        reason => format!("{reason} (cancelled by {})", session.operator),
    };
    state
        .backends
        .orders
        .clone()
        .cancel_order(pb::CancelOrderRequest {
            id: id.clone(),
            reason,
        })
        .await?;
    tracing::info!(operator = %session.operator, order_id = %id, "console: order cancelled");
    Ok(Redirect::to(&format!("/orders/{id}?done=cancelled")).into_response())
}

/// Where to go after a resend: the invoices list when asked from there.
#[derive(Debug, Default, Deserialize)]
pub struct ResendForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    back: String,
}

/// `POST /orders/{id}/resend`.
pub async fn resend(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    Form(form): Form<ResendForm>,
) -> PageResult {
    check_csrf(&session, &form.csrf)?;
    let id = uuid_param(&id)?;
    state
        .backends
        .orders
        .clone()
        .resend_invoice(pb::ResendInvoiceRequest {
            order_id: id.clone(),
        })
        .await?;
    tracing::info!(operator = %session.operator, order_id = %id, "console: invoice resent");
    let to = if form.back == "invoices" {
        "/invoices?done=resent".to_owned()
    } else {
        format!("/orders/{id}?done=resent")
    };
    Ok(Redirect::to(&to).into_response())
}

/// `GET /orders/{id}/invoice.pdf`: the PDF as mailed.
pub async fn invoice_pdf(
    State(state): State<AppState>,
    SignedIn(_session): SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let id = uuid_param(&id)?;
    let pdf = state
        .backends
        .orders
        .clone()
        .get_invoice_pdf(pb::GetInvoicePdfRequest { order_id: id })
        .await
        .map_err(ConsoleError::from)?
        .into_inner();
    let disposition = format!("attachment; filename=\"{}\"", pdf.file_name);
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        pdf.pdf,
    )
        .into_response())
}
