//! Invoice jobs remember when they started failing: a failing job is retried for a window of
//! time counted from its first failure (`SHOP_INVOICE_RETRY_FOR`), not for a number of
//! attempts. Existing rows start with none: their window starts at their next failure.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InvoiceJobs {
    Table,
    FailingSince,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(InvoiceJobs::Table)
                    .add_column(timestamp_with_time_zone_null(InvoiceJobs::FailingSince))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(InvoiceJobs::Table)
                    .drop_column(InvoiceJobs::FailingSince)
                    .to_owned(),
            )
            .await
    }
}
