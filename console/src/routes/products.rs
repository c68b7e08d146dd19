//! Products: search by SKU or name, one product's counters, and adjusting its stock with a
//! reason (recorded with the operator's name).

use axum::{
    Form,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect},
};
use maud::{Markup, html};
use serde::Deserialize;
use shop_proto::inventory::v1 as pb;
use tonic::Code;

use super::{AppState, check_csrf, uuid_param};
use crate::{
    error::PageResult,
    session::{Session, SignedIn},
    views::{self, page},
};

/// `GET /products` filters.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: String,
}

/// `GET /products`: the products matching the search, 50 a page.
pub async fn list(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(query): Query<ListQuery>,
) -> PageResult {
    let found = state
        .backends
        .inventory
        .clone()
        .list_products(pb::ListProductsRequest {
            query: query.q.clone(),
            page_size: 50,
            page_token: query.page.clone(),
        })
        .await?
        .into_inner();
    let filters = format!("q={}", views::urlencode(&query.q));
    let body = html! {
        form.filters method="get" action="/products" role="search" {
            (views::field("q", "SKU or name", "search", &query.q, None, false))
            div { button type="submit" { "Search" } }
        }
        @if found.products.is_empty() {
            p { "No product matches." }
        } @else {
            table {
                thead { tr {
                    th { "SKU" } th { "Name" }
                    th.num { "Stock" } th.num { "Reserved" } th.num { "Available" }
                } }
                tbody {
                    @for p in &found.products {
                        tr {
                            td { a href={ "/products/" (p.id) } { (p.sku) } }
                            td { (p.name) }
                            td.num { (p.stock) } td.num { (p.stock_reserved) } td.num { (p.available) }
                        }
                    }
                }
            }
        }
        (views::next_link("/products", &filters, &found.next_page_token))
    };
    Ok(page("Products", Some(&session), "/products", body).into_response())
}

/// `GET /products/{id}` query: set after an adjustment.
#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    adjusted: Option<String>,
}

/// `GET /products/{id}`: the product's counters and the adjustment form.
pub async fn show(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    Query(query): Query<ShowQuery>,
) -> PageResult {
    let product = product(&state, &id).await?;
    let notice = query.adjusted.map(|_| "Stock adjusted.");
    let body = product_page(
        &session,
        &product,
        notice,
        &AdjustForm::default(),
        &Errors::default(),
    );
    Ok(page(&product.name, Some(&session), "/products", body).into_response())
}

/// The adjustment form's fields.
#[derive(Debug, Default, Deserialize)]
pub struct AdjustForm {
    #[serde(default)]
    delta: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    csrf: String,
}

#[derive(Debug, Default)]
struct Errors {
    delta: Option<String>,
    reason: Option<String>,
}

/// `POST /products/{id}/adjust`: AdjustStock with the operator's name; a wrong field is
/// shown beside it (422), the stock unchanged.
pub async fn adjust(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    Form(form): Form<AdjustForm>,
) -> PageResult {
    check_csrf(&session, &form.csrf)?;
    let id = uuid_param(&id)?;
    let mut errors = Errors::default();
    let delta = match form.delta.trim().parse::<i32>() {
        Ok(0) | Err(_) => {
            errors.delta =
                Some("Enter a whole number of units other than 0 (negative to remove).".into());
            0
        }
        Ok(delta) => delta,
    };
    if form.reason.trim().is_empty() {
        errors.reason = Some("Say why (e.g. \"delivery 4711\", \"stocktake\").".into());
    }
    if errors.delta.is_none() && errors.reason.is_none() {
        let adjusted = state
            .backends
            .inventory
            .clone()
            .adjust_stock(pb::AdjustStockRequest {
                product_id: id.clone(),
                delta,
                reason: form.reason.trim().to_owned(),
                operator: session.operator.clone(),
            })
            .await;
        match adjusted {
            Ok(_) => {
                return Ok(Redirect::to(&format!("/products/{id}?adjusted=1")).into_response());
            }
            // Stock would go below 0 or above the maximum: the delta is wrong.
            Err(status)
                if matches!(
                    status.code(),
                    Code::FailedPrecondition | Code::InvalidArgument
                ) =>
            {
                errors.delta = Some(status.message().to_owned());
            }
            Err(status) => return Err(status.into()),
        }
    }
    let product = product(&state, &id).await?;
    let body = product_page(&session, &product, None, &form, &errors);
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        page(&product.name, Some(&session), "/products", body),
    )
        .into_response())
}

async fn product(state: &AppState, id: &str) -> Result<pb::Product, crate::error::ConsoleError> {
    let id = uuid_param(id)?;
    Ok(state
        .backends
        .inventory
        .clone()
        .get_product(pb::GetProductRequest { id })
        .await?
        .into_inner())
}

fn product_page(
    session: &Session,
    p: &pb::Product,
    notice: Option<&str>,
    form: &AdjustForm,
    errors: &Errors,
) -> Markup {
    html! {
        (views::notice(notice))
        dl {
            dt { "SKU" } dd { (p.sku) }
            dt { "Stock" } dd #stock { (p.stock) }
            dt { "Reserved" } dd #reserved { (p.stock_reserved) }
            dt { "Available" } dd #available { (p.available) }
            dt { "Updated" } dd { (views::time(p.updated_at.as_ref())) }
        }
        form method="post" action={ "/products/" (p.id) "/adjust" } {
            fieldset {
                legend { "Adjust stock" }
                (views::csrf_field(session))
                (views::field("delta", "Units to add (negative to remove)", "number", &form.delta, errors.delta.as_deref(), true))
                (views::field("reason", "Reason", "text", &form.reason, errors.reason.as_deref(), true))
                p { button type="submit" { "Adjust" } }
            }
        }
        p { a href="/products" { "All products" } }
    }
}
