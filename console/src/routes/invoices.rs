//! Invoice jobs by state, dead ones first (they need a person), then pending, then sent;
//! each with a resend button.

use axum::{
    extract::{Query, State},
    response::IntoResponse,
};
use maud::html;
use serde::Deserialize;
use shop_proto::orders::v1 as pb;

use super::AppState;
use crate::{
    error::PageResult,
    session::SignedIn,
    views::{self, page},
};

const SECTIONS: [(pb::InvoiceJobState, &str); 3] = [
    (
        pb::InvoiceJobState::Dead,
        "Dead: gave up, resend once the cause is fixed",
    ),
    (pb::InvoiceJobState::Pending, "Pending"),
    (pb::InvoiceJobState::Sent, "Sent"),
];

/// Set after a resend.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    done: String,
}

/// `GET /invoices`: the first 50 jobs of each state.
pub async fn list(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(query): Query<ListQuery>,
) -> PageResult {
    let fetch = |job_state: pb::InvoiceJobState| {
        let mut client = state.backends.orders.clone();
        async move {
            client
                .list_invoice_jobs(pb::ListInvoiceJobsRequest {
                    state: job_state.into(),
                    page_size: 50,
                    page_token: String::new(),
                })
                .await
                .map(|r| r.into_inner().jobs)
        }
    };
    let (dead, pending, sent) = tokio::join!(
        fetch(SECTIONS[0].0),
        fetch(SECTIONS[1].0),
        fetch(SECTIONS[2].0)
    );
    let lists = [dead?, pending?, sent?];
    let notice = (query.done == "resent").then_some("Invoice queued to be sent again.");
    let body = html! {
        (views::notice(notice))
        @for ((job_state, title), jobs) in SECTIONS.iter().zip(&lists) {
            @let id = views::enum_name(job_state.as_str_name(), "INVOICE_JOB_STATE_");
            section aria-labelledby={ "h-" (id) } {
                h2 id={ "h-" (id) } { (title) " (" (jobs.len()) @if jobs.len() == 50 { "+" } ")" }
                @if jobs.is_empty() { p { "None." } } @else {
                    table {
                        thead { tr { th { "Order" } th { "Number" } th.num { "Attempts" } th { "Last error" } th { "Next attempt / sent" } th { "" } } }
                        tbody {
                            @for j in jobs {
                                tr {
                                    td { a href={ "/orders/" (j.order_id) } { (j.order_id) } }
                                    td { (j.invoice_number) }
                                    td.num { (j.attempts) }
                                    td.state-dead[j.state() == pb::InvoiceJobState::Dead] { (j.last_error) }
                                    td { @if j.sent_at.is_some() { (views::time(j.sent_at.as_ref())) } @else { (views::time(j.next_attempt_at.as_ref())) } }
                                    td {
                                        form.inline method="post" action={ "/orders/" (j.order_id) "/resend" } {
                                            (views::csrf_field(&session))
                                            input type="hidden" name="back" value="invoices";
                                            button type="submit" aria-label={ "Resend the invoice of order " (j.order_id) } { "Resend" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page("Invoices", Some(&session), "/invoices", body).into_response())
}
