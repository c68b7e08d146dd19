//! The pages' shared parts: the layout, form helpers, and how values are shown.

use axum::http::StatusCode;
use maud::{DOCTYPE, Markup, html};
use shop_proto::orders::v1 as pb;

use crate::session::Session;

/// The stylesheet, compiled in.
pub const STYLESHEET: &str = include_str!("../../assets/console.css");

/// The sections of the navigation.
const SECTIONS: [(&str, &str); 4] = [
    ("/products", "Products"),
    ("/orders", "Orders"),
    ("/refunds", "Payments to refund"),
    ("/invoices", "Invoices"),
];

/// A whole page: navigation (when signed in), a sign-out button, and `body`.
pub fn page(title: &str, session: Option<&Session>, current: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · shop console" }
                link rel="stylesheet" href="/assets/console.css";
            }
            body {
                header {
                    strong { "shop console" }
                    @if let Some(session) = session {
                        nav aria-label="Sections" {
                            @for (href, label) in SECTIONS {
                                @if href == current {
                                    a href=(href) aria-current="page" { (label) }
                                } @else {
                                    a href=(href) { (label) }
                                }
                            }
                        }
                        span { "Signed in as " (session.operator) }
                        form.inline method="post" action="/logout" {
                            (csrf_field(session))
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main { h1 { (title) } (body) }
            }
        }
    }
}

/// The page shown when a request fails.
pub fn error_page(status: StatusCode, message: &str) -> Markup {
    page(
        status.canonical_reason().unwrap_or("Error"),
        None,
        "",
        html! {
            p role="alert" { (message) }
            p { a href="/orders" { "Back to the console" } }
        },
    )
}

/// The hidden CSRF field every form carries.
pub fn csrf_field(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

/// A labelled input with its error beside it (`aria-invalid` and `aria-describedby` when
/// there is one).
pub fn field(
    id: &str,
    label: &str,
    kind: &str,
    value: &str,
    error: Option<&str>,
    required: bool,
) -> Markup {
    let error_id = format!("{id}-error");
    html! {
        div {
            label for=(id) { (label) }
            input id=(id) name=(id) type=(kind) value=(value) required[required]
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| error_id.as_str())];
            @if let Some(error) = error {
                span.error id=(error_id) { (error) }
            }
        }
    }
}

/// An amount in minor units, as the invoice prints it ("25.00 EUR").
pub fn money(minor: i64, currency: &str) -> String {
    shop_invoice::format_minor(minor, currency)
}

/// A timestamp in UTC to the second; "—" for none.
pub fn time(t: Option<&prost_types::Timestamp>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
        .map_or_else(
            || "—".to_owned(),
            |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        )
}

/// An order's status for people, refunds included.
pub fn order_status(order: &pb::Order) -> String {
    if order.refunded_at.is_some() {
        return "cancelled, refunded".to_owned();
    }
    let status = enum_name(order.status().as_str_name(), "ORDER_STATUS_");
    if order.refund_required {
        format!("{status}, refund required")
    } else {
        status
    }
}

/// `PREFIX_SOME_NAME` as "some name".
pub fn enum_name(name: &str, prefix: &str) -> String {
    name.trim_start_matches(prefix)
        .replace('_', " ")
        .to_lowercase()
}

/// A notice above a page's content (after a successful action).
pub fn notice(text: Option<&str>) -> Markup {
    html! {
        @if let Some(text) = text {
            p.notice role="status" { (text) }
        }
    }
}

/// A link to the next page, keeping the filters in `query` (already URL-encoded pairs).
pub fn next_link(path: &str, query: &str, token: &str) -> Markup {
    if token.is_empty() {
        return html! {};
    }
    let separator = if query.is_empty() { "" } else { "&" };
    let href = format!("{path}?{query}{separator}page={}", urlencode(token));
    html! { p { a href=(href) rel="next" { "Next page →" } } }
}

/// Percent-encodes a query value.
pub fn urlencode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
