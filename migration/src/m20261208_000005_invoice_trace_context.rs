//! Invoice jobs remember the trace of the request that queued them (its W3C `traceparent`),
//! so that the worker's delivery joins the webhook's trace. Existing rows have none: their
//! delivery starts a trace of its own.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InvoiceJobs {
    Table,
    TraceContext,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(InvoiceJobs::Table)
                    .add_column(text_null(InvoiceJobs::TraceContext))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(InvoiceJobs::Table)
                    .drop_column(InvoiceJobs::TraceContext)
                    .to_owned(),
            )
            .await
    }
}
