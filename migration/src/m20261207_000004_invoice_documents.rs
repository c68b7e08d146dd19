//! Invoices as legal documents: a tax rate per order item, the buyer's postal address, and
//! sequential invoice numbers per year.
//!
//! `invoice_counters` holds the last number issued per year; `invoice_numbers` the number of
//! each invoiced order. The invoice worker allocates both in one transaction (see the orders
//! service's `store::numbering`), so a number is never issued twice nor skipped. The unique
//! `(year, number)` index is the database's own guard against a second holder.
//! Existing items are untaxed (rate 0) and existing orders have no address, as before.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    CustomerAddress,
}

#[derive(DeriveIden)]
enum OrderItems {
    Table,
    TaxRateBp,
}

#[derive(DeriveIden)]
enum InvoiceCounters {
    Table,
    Year,
    LastNumber,
}

#[derive(DeriveIden)]
enum InvoiceNumbers {
    Table,
    OrderId,
    Year,
    Number,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OrderItems::Table)
                    .add_column(
                        integer(OrderItems::TaxRateBp)
                            .default(0)
                            .check(Expr::col(OrderItems::TaxRateBp).between(0, 10_000)),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .add_column(text(Orders::CustomerAddress).default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InvoiceCounters::Table)
                    .col(integer(InvoiceCounters::Year).primary_key())
                    .col(big_integer(InvoiceCounters::LastNumber))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InvoiceNumbers::Table)
                    .col(uuid(InvoiceNumbers::OrderId).primary_key())
                    .col(integer(InvoiceNumbers::Year))
                    .col(
                        big_integer(InvoiceNumbers::Number)
                            .check(Expr::col(InvoiceNumbers::Number).gt(0)),
                    )
                    .col(timestamp_with_time_zone(InvoiceNumbers::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_invoice_numbers_order")
                            .from(InvoiceNumbers::Table, InvoiceNumbers::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_invoice_numbers_year_number")
                    .table(InvoiceNumbers::Table)
                    .col(InvoiceNumbers::Year)
                    .col(InvoiceNumbers::Number)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            InvoiceNumbers::Table.into_iden(),
            InvoiceCounters::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .drop_column(Orders::CustomerAddress)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OrderItems::Table)
                    .drop_column(OrderItems::TaxRateBp)
                    .to_owned(),
            )
            .await
    }
}
