//! Invoice PDFs as composed for the mail: kept so that staff can download what the customer
//! received.

use sea_orm::{ActiveValue::Set, EntityTrait, QuerySelect};
use shop_common::db::Transactional as _;

use super::{Store, entity::invoice_pdf};
use crate::{domain::OrderId, error::Error};

impl Store {
    /// Keeps `pdf` as the invoice document of order `id`, unless one is kept already: the
    /// first composed stays (a resend composes the same invoice again).
    pub async fn keep_invoice_pdf(&self, id: OrderId, pdf: Vec<u8>) -> Result<(), Error> {
        self.retrying(|| async {
            let row = invoice_pdf::ActiveModel {
                order_id: Set(id.as_uuid()),
                pdf: Set(pdf.clone()),
                created_at: Set(shop_common::db::now()),
            };
            invoice_pdf::Entity::insert(row)
                .on_conflict_do_nothing()
                .exec_without_returning(&self.db)
                .await?;
            Ok(())
        })
        .await
    }

    /// The kept invoice PDF of order `id`, if any.
    pub async fn invoice_pdf(&self, id: OrderId) -> Result<Option<Vec<u8>>, Error> {
        Ok(invoice_pdf::Entity::find_by_id(id.as_uuid())
            .select_only()
            .column(invoice_pdf::Column::Pdf)
            .into_tuple::<Vec<u8>>()
            .one(&self.db)
            .await?)
    }
}
