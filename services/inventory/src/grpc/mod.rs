//! `shop.inventory.v1.InventoryService` handlers: convert the request, call the store,
//! convert the answer. Errors become `tonic::Status` in `crate::error`, nowhere else.

mod convert;

use std::time::Duration;

use shop_common::paging;
use shop_proto::inventory::v1::{self as pb, inventory_service_server::InventoryService};
use tonic::{Request, Response, Status};

use crate::{
    domain::{ProductId, ReservationId, ReservationLines, StockAdjustment, StockDelta},
    error::Error,
    store::Store,
};

/// The inventory gRPC API over a [`Store`].
#[derive(Debug, Clone)]
pub struct InventoryApi {
    store: Store,
    reservation_ttl: Duration,
}

impl InventoryApi {
    /// Serves `store`; reservations hold stock for `reservation_ttl`.
    pub fn new(store: Store, reservation_ttl: Duration) -> Self {
        Self {
            store,
            reservation_ttl,
        }
    }
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl InventoryService for InventoryApi {
    async fn create_product(
        &self,
        request: Request<pb::CreateProductRequest>,
    ) -> Reply<pb::Product> {
        let new = convert::new_product(request.into_inner())?;
        let product = self.store.create_product(&new).await?;
        tracing::info!(product_id = %product.id, sku = %product.sku, stock = product.stock, "product created");
        Ok(Response::new(product.into()))
    }

    async fn get_product(&self, request: Request<pb::GetProductRequest>) -> Reply<pb::Product> {
        let id = ProductId::parse("id", &request.into_inner().id).map_err(Error::from)?;
        Ok(Response::new(self.store.product(id).await?.into()))
    }

    async fn list_products(
        &self,
        request: Request<pb::ListProductsRequest>,
    ) -> Reply<pb::ListProductsResponse> {
        let request = request.into_inner();
        let limit = paging::page_size(request.page_size).map_err(Error::from)?;
        let after = paging::parse_page_token(&request.page_token).map_err(Error::from)?;
        let search = Some(request.query.trim()).filter(|q| !q.is_empty());
        let products = self
            .store
            .list_products(search, after.map(ProductId::from_uuid), limit)
            .await?;
        let last = products.last().map(|p| p.id.as_uuid());
        let next_page_token = paging::next_page_token(products.len(), limit, last);
        Ok(Response::new(pb::ListProductsResponse {
            products: products.into_iter().map(Into::into).collect(),
            next_page_token,
        }))
    }

    async fn adjust_stock(&self, request: Request<pb::AdjustStockRequest>) -> Reply<pb::Product> {
        let request = request.into_inner();
        let adjustment = ProductId::parse("product_id", &request.product_id)
            .and_then(|id| {
                StockAdjustment::new(
                    id,
                    StockDelta::parse(request.delta.into())?,
                    &request.reason,
                    &request.operator,
                )
            })
            .map_err(Error::from)?;
        let product = self.store.adjust_stock(&adjustment).await?;
        tracing::info!(
            product_id = %product.id, delta = request.delta, reason = %adjustment.reason,
            operator = %adjustment.operator, stock = product.stock, "stock adjusted"
        );
        Ok(Response::new(product.into()))
    }

    async fn reserve_stock(
        &self,
        request: Request<pb::ReserveStockRequest>,
    ) -> Reply<pb::Reservation> {
        let request = request.into_inner();
        let id =
            ReservationId::parse("reservation_id", &request.reservation_id).map_err(Error::from)?;
        let lines = ReservationLines::parse(
            request
                .lines
                .iter()
                .map(|l| (l.product_id.as_str(), i64::from(l.quantity))),
        )
        .map_err(Error::from)?;
        let reservation = self.store.reserve(id, &lines, self.reservation_ttl).await?;
        Ok(Response::new(convert::reservation(reservation)))
    }

    async fn commit_reservation(
        &self,
        request: Request<pb::CommitReservationRequest>,
    ) -> Reply<pb::Reservation> {
        let id = ReservationId::parse("reservation_id", &request.into_inner().reservation_id)
            .map_err(Error::from)?;
        let reservation = self.store.commit_reservation(id).await?;
        Ok(Response::new(convert::reservation(reservation)))
    }

    async fn release_reservation(
        &self,
        request: Request<pb::ReleaseReservationRequest>,
    ) -> Reply<pb::Reservation> {
        let id = ReservationId::parse("reservation_id", &request.into_inner().reservation_id)
            .map_err(Error::from)?;
        let reservation = self.store.release_reservation(id).await?;
        Ok(Response::new(convert::reservation(reservation)))
    }

    async fn check_stock(
        &self,
        _request: Request<pb::CheckStockRequest>,
    ) -> Reply<pb::CheckStockResponse> {
        let counters = self.store.product_counters().await?;
        Ok(Response::new(convert::check_report(&counters)))
    }

    async fn get_reservation(
        &self,
        request: Request<pb::GetReservationRequest>,
    ) -> Reply<pb::Reservation> {
        let id = ReservationId::parse("reservation_id", &request.into_inner().reservation_id)
            .map_err(Error::from)?;
        Ok(Response::new(convert::reservation(
            self.store.reservation(id).await?,
        )))
    }
}
