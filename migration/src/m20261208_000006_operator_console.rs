//! What the operator console needs: indexes for finding orders, refunds marked by an
//! operator, the invoice PDF as it was sent, and the operator behind a stock adjustment.
//!
//! - Orders are found by customer e-mail (case-insensitive: an index on `lower(...)`) and by
//!   creation time, newest first, a page at a time: both indexes end in `id`, the paging key.
//! - A refunded order keeps who refunded it, when and why on its row (`refunded_*`); set once,
//!   never changed: the audit record of the refund.
//! - `invoice_pdfs` keeps each invoice's PDF exactly as first composed, so that what staff
//!   download is what the customer received (a re-rendering would follow today's seller
//!   settings). Invoices composed before this migration have none.
//! - Existing stock adjustments have no operator (empty).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    CreatedAt,
    RefundedAt,
    RefundedBy,
    RefundNote,
}

#[derive(DeriveIden)]
enum InvoicePdfs {
    Table,
    OrderId,
    Pdf,
    CreatedAt,
}

#[derive(DeriveIden)]
enum StockAdjustments {
    Table,
    Operator,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            timestamp_with_time_zone_null(Orders::RefundedAt),
            string_len_null(Orders::RefundedBy, 100),
            text_null(Orders::RefundNote),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(Orders::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_orders_created_at_id")
                    .table(Orders::Table)
                    .col(Orders::CreatedAt)
                    .col(Orders::Id)
                    .to_owned(),
            )
            .await?;
        // An expression index: the same statement on SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_orders_email_id ON orders (lower(customer_email), id)",
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InvoicePdfs::Table)
                    .col(uuid(InvoicePdfs::OrderId).primary_key())
                    .col(blob(InvoicePdfs::Pdf))
                    .col(timestamp_with_time_zone(InvoicePdfs::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_invoice_pdfs_order")
                            .from(InvoicePdfs::Table, InvoicePdfs::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(StockAdjustments::Table)
                    .add_column(string_len(StockAdjustments::Operator, 100).default(""))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(StockAdjustments::Table)
                    .drop_column(StockAdjustments::Operator)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(InvoicePdfs::Table).to_owned())
            .await?;
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX idx_orders_email_id")
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_orders_created_at_id")
                    .table(Orders::Table)
                    .to_owned(),
            )
            .await?;
        for column in [Orders::RefundNote, Orders::RefundedBy, Orders::RefundedAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Orders::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
