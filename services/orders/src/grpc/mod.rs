//! `shop.orders.v1.OrderService` handlers: convert the request, call the app, convert the
//! answer. Errors become `tonic::Status` in `crate::error`, nowhere else.

mod convert;

use shop_common::paging;
use shop_proto::orders::v1::{self as pb, order_service_server::OrderService};
use tonic::{Request, Response, Status};

use crate::{
    app::OrdersApp,
    domain::{NewOrder, OrderId, RefundMark},
    error::Error,
};

/// The orders gRPC API.
#[derive(Debug, Clone)]
pub struct OrdersApi {
    app: OrdersApp,
}

impl OrdersApi {
    /// Serves `app`.
    pub fn new(app: OrdersApp) -> Self {
        Self { app }
    }
}

type Reply<T> = Result<Response<T>, Status>;

fn order_id(field: &str, raw: &str) -> Result<OrderId, Error> {
    Ok(OrderId::parse(field, raw)?)
}

#[tonic::async_trait]
impl OrderService for OrdersApi {
    async fn create_order(&self, request: Request<pb::CreateOrderRequest>) -> Reply<pb::Order> {
        let request = request.into_inner();
        let new = NewOrder::parse(&convert::order_form(&request)).map_err(Error::from)?;
        let request_id = Some(request.request_id.trim()).filter(|key| !key.is_empty());
        let order = self.app.create_order(new, request_id).await?;
        Ok(Response::new(order.into()))
    }

    async fn get_order(&self, request: Request<pb::GetOrderRequest>) -> Reply<pb::Order> {
        let id = order_id("id", &request.into_inner().id)?;
        Ok(Response::new(self.app.store().order(id).await?.into()))
    }

    async fn list_orders(
        &self,
        request: Request<pb::ListOrdersRequest>,
    ) -> Reply<pb::ListOrdersResponse> {
        let request = request.into_inner();
        let filter = convert::order_filter(&request).map_err(Error::from)?;
        let limit = paging::page_size(request.page_size).map_err(Error::from)?;
        let after = paging::parse_page_token(&request.page_token).map_err(Error::from)?;
        let orders = self
            .app
            .store()
            .list_orders(&filter, after.map(OrderId::from_uuid), limit)
            .await?;
        let last = orders.last().map(|o| o.id.as_uuid());
        Ok(Response::new(pb::ListOrdersResponse {
            next_page_token: paging::next_page_token(orders.len(), limit, last),
            orders: orders.into_iter().map(Into::into).collect(),
        }))
    }

    async fn cancel_order(&self, request: Request<pb::CancelOrderRequest>) -> Reply<pb::Order> {
        let request = request.into_inner();
        let id = order_id("id", &request.id)?;
        Ok(Response::new(
            self.app.cancel_order(id, &request.reason).await?.into(),
        ))
    }

    async fn record_payment(
        &self,
        request: Request<pb::RecordPaymentRequest>,
    ) -> Reply<pb::RecordPaymentResponse> {
        let request = request.into_inner();
        let id = order_id("order_id", &request.order_id)?;
        let status = convert::payment_status(request.status).map_err(Error::from)?;
        let (order, outcome) = self.app.record_payment(id, status).await?;
        Ok(Response::new(pb::RecordPaymentResponse {
            order: Some(order.into()),
            outcome: convert::outcome(outcome).into(),
        }))
    }

    async fn list_payment_events(
        &self,
        request: Request<pb::ListPaymentEventsRequest>,
    ) -> Reply<pb::ListPaymentEventsResponse> {
        let request = request.into_inner();
        let order = match request.order_id.as_str() {
            "" => None,
            raw => Some(order_id("order_id", raw)?.as_uuid()),
        };
        let outcome = convert::outcome_filter(request.outcome).map_err(Error::from)?;
        let limit = paging::page_size(request.page_size).map_err(Error::from)?;
        let after = paging::parse_page_token(&request.page_token).map_err(Error::from)?;
        let events = self
            .app
            .store()
            .list_payment_events(order, outcome, after, limit)
            .await?;
        let last = events.last().map(|e| e.id);
        Ok(Response::new(pb::ListPaymentEventsResponse {
            next_page_token: paging::next_page_token(events.len(), limit, last),
            events: events.into_iter().map(Into::into).collect(),
        }))
    }

    async fn list_invoice_jobs(
        &self,
        request: Request<pb::ListInvoiceJobsRequest>,
    ) -> Reply<pb::ListInvoiceJobsResponse> {
        let request = request.into_inner();
        let state = convert::job_state_filter(request.state).map_err(Error::from)?;
        let limit = paging::page_size(request.page_size).map_err(Error::from)?;
        let after = paging::parse_page_token(&request.page_token).map_err(Error::from)?;
        let jobs = self
            .app
            .store()
            .list_invoice_jobs(state, after, limit)
            .await?;
        let last = jobs.last().map(|j| j.order_id.as_uuid());
        Ok(Response::new(pb::ListInvoiceJobsResponse {
            next_page_token: paging::next_page_token(jobs.len(), limit, last),
            jobs: jobs.into_iter().map(Into::into).collect(),
        }))
    }

    async fn get_invoice_job(
        &self,
        request: Request<pb::GetInvoiceJobRequest>,
    ) -> Reply<pb::InvoiceJob> {
        let id = order_id("order_id", &request.into_inner().order_id)?;
        Ok(Response::new(
            self.app.store().invoice_job(id).await?.into(),
        ))
    }

    async fn resend_invoice(
        &self,
        request: Request<pb::ResendInvoiceRequest>,
    ) -> Reply<pb::InvoiceJob> {
        let id = order_id("order_id", &request.into_inner().order_id)?;
        let job = self.app.store().requeue_invoice(id).await?;
        tracing::info!(order_id = %id, "invoice re-queued on request");
        Ok(Response::new(job.into()))
    }

    async fn mark_refunded(&self, request: Request<pb::MarkRefundedRequest>) -> Reply<pb::Order> {
        let request = request.into_inner();
        let id = order_id("order_id", &request.order_id)?;
        let mark = RefundMark::parse(&request.operator, &request.note).map_err(Error::from)?;
        Ok(Response::new(
            self.app.mark_refunded(id, &mark).await?.into(),
        ))
    }

    async fn get_invoice_pdf(
        &self,
        request: Request<pb::GetInvoicePdfRequest>,
    ) -> Reply<pb::GetInvoicePdfResponse> {
        let id = order_id("order_id", &request.into_inner().order_id)?;
        let (pdf, invoice_number) = self.app.invoice_pdf(id).await?;
        Ok(Response::new(pb::GetInvoicePdfResponse {
            pdf,
            file_name: shop_invoice::attachment_name(id.as_uuid()),
            invoice_number,
        }))
    }
}
