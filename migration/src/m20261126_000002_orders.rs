//! The orders service's tables: orders and their items, payment events (the audit trail of
//! every RecordPayment call), and invoice jobs (the transactional outbox of invoice mails).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    Status,
    CustomerEmail,
    CustomerName,
    Currency,
    TotalMinor,
    ReservationId,
    PaymentDeadline,
    CancelReason,
    RefundRequired,
    RequestId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrderItems {
    Table,
    OrderId,
    Position,
    ProductId,
    Name,
    Quantity,
    UnitPriceMinor,
}

#[derive(DeriveIden)]
enum PaymentEvents {
    Table,
    Id,
    OrderId,
    Status,
    Outcome,
    Detail,
    CreatedAt,
}

#[derive(DeriveIden)]
enum InvoiceJobs {
    Table,
    OrderId,
    State,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    MessageId,
    SentAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .col(pk_uuid(Orders::Id))
                    .col(
                        string_len(Orders::Status, 24).check(Expr::col(Orders::Status).is_in([
                            "awaiting_payment",
                            "confirmed",
                            "cancelled",
                        ])),
                    )
                    .col(string_len(Orders::CustomerEmail, 254))
                    .col(string_len(Orders::CustomerName, 200))
                    .col(string_len(Orders::Currency, 3))
                    .col(
                        big_integer(Orders::TotalMinor).check(Expr::col(Orders::TotalMinor).gte(0)),
                    )
                    .col(uuid(Orders::ReservationId))
                    .col(timestamp_with_time_zone(Orders::PaymentDeadline))
                    .col(text(Orders::CancelReason).default(""))
                    .col(boolean(Orders::RefundRequired).default(false))
                    // The client's idempotency key of CreateOrder, when it sent one.
                    .col(string_len_null(Orders::RequestId, 200).unique_key())
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone(Orders::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // The expiry sweeper looks for orders awaiting payment past their deadline; listing
        // by status pages through ids.
        manager
            .create_index(
                Index::create()
                    .name("idx_orders_status_deadline")
                    .table(Orders::Table)
                    .col(Orders::Status)
                    .col(Orders::PaymentDeadline)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_orders_status_id")
                    .table(Orders::Table)
                    .col(Orders::Status)
                    .col(Orders::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OrderItems::Table)
                    .col(uuid(OrderItems::OrderId))
                    .col(integer(OrderItems::Position))
                    .col(uuid(OrderItems::ProductId))
                    .col(string_len(OrderItems::Name, 200))
                    .col(integer(OrderItems::Quantity).check(Expr::col(OrderItems::Quantity).gt(0)))
                    .col(
                        big_integer(OrderItems::UnitPriceMinor)
                            .check(Expr::col(OrderItems::UnitPriceMinor).gte(0)),
                    )
                    .primary_key(
                        Index::create()
                            .col(OrderItems::OrderId)
                            .col(OrderItems::Position),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_items_order")
                            .from(OrderItems::Table, OrderItems::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        // No foreign key: payments for unknown orders are recorded too.
        manager
            .create_table(
                Table::create()
                    .table(PaymentEvents::Table)
                    .col(pk_uuid(PaymentEvents::Id))
                    .col(uuid(PaymentEvents::OrderId))
                    .col(string_len(PaymentEvents::Status, 16))
                    .col(string_len(PaymentEvents::Outcome, 32))
                    .col(text(PaymentEvents::Detail).default(""))
                    .col(timestamp_with_time_zone(PaymentEvents::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_payment_events_order")
                    .table(PaymentEvents::Table)
                    .col(PaymentEvents::OrderId)
                    .col(PaymentEvents::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_payment_events_outcome")
                    .table(PaymentEvents::Table)
                    .col(PaymentEvents::Outcome)
                    .col(PaymentEvents::Id)
                    .to_owned(),
            )
            .await?;

        // One job per order: the primary key makes a second confirmation's job impossible.
        manager
            .create_table(
                Table::create()
                    .table(InvoiceJobs::Table)
                    .col(uuid(InvoiceJobs::OrderId).primary_key())
                    .col(
                        string_len(InvoiceJobs::State, 16).check(
                            Expr::col(InvoiceJobs::State).is_in(["pending", "sent", "dead"]),
                        ),
                    )
                    .col(integer(InvoiceJobs::Attempts).default(0))
                    .col(timestamp_with_time_zone(InvoiceJobs::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(InvoiceJobs::LockedUntil))
                    .col(text_null(InvoiceJobs::LastError))
                    .col(string_len(InvoiceJobs::MessageId, 200))
                    .col(timestamp_with_time_zone_null(InvoiceJobs::SentAt))
                    .col(timestamp_with_time_zone(InvoiceJobs::CreatedAt))
                    .col(timestamp_with_time_zone(InvoiceJobs::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_invoice_jobs_order")
                            .from(InvoiceJobs::Table, InvoiceJobs::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_invoice_jobs_due")
                    .table(InvoiceJobs::Table)
                    .col(InvoiceJobs::State)
                    .col(InvoiceJobs::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            InvoiceJobs::Table.into_iden(),
            PaymentEvents::Table.into_iden(),
            OrderItems::Table.into_iden(),
            Orders::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
