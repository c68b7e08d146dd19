//! The inventory service's tables: products, reservations and their lines, stock adjustments.
//!
//! CHECK constraints keep the counters non-negative even against a bug in the service: a
//! statement that would break them fails instead of corrupting stock.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    Sku,
    Name,
    Stock,
    StockReserved,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Reservations {
    Table,
    Id,
    State,
    ExpiresAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ReservationLines {
    Table,
    ReservationId,
    ProductId,
    Quantity,
}

#[derive(DeriveIden)]
enum StockAdjustments {
    Table,
    Id,
    ProductId,
    Delta,
    Reason,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .col(pk_uuid(Products::Id))
                    .col(string_len_uniq(Products::Sku, 64))
                    .col(string_len(Products::Name, 200))
                    .col(big_integer(Products::Stock).check(Expr::col(Products::Stock).gte(0)))
                    .col(
                        big_integer(Products::StockReserved)
                            .check(Expr::col(Products::StockReserved).gte(0)),
                    )
                    .col(timestamp_with_time_zone(Products::CreatedAt))
                    .col(timestamp_with_time_zone(Products::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Reservations::Table)
                    .col(pk_uuid(Reservations::Id))
                    .col(string_len(Reservations::State, 16).check(
                        Expr::col(Reservations::State).is_in([
                            "active",
                            "committed",
                            "released",
                            "expired",
                        ]),
                    ))
                    .col(timestamp_with_time_zone(Reservations::ExpiresAt))
                    .col(timestamp_with_time_zone(Reservations::CreatedAt))
                    .col(timestamp_with_time_zone(Reservations::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // The sweeper looks for active reservations past their expiry.
        manager
            .create_index(
                Index::create()
                    .name("idx_reservations_state_expires_at")
                    .table(Reservations::Table)
                    .col(Reservations::State)
                    .col(Reservations::ExpiresAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReservationLines::Table)
                    .col(uuid(ReservationLines::ReservationId))
                    .col(uuid(ReservationLines::ProductId))
                    .col(
                        big_integer(ReservationLines::Quantity)
                            .check(Expr::col(ReservationLines::Quantity).gt(0)),
                    )
                    .primary_key(
                        Index::create()
                            .col(ReservationLines::ReservationId)
                            .col(ReservationLines::ProductId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reservation_lines_reservation")
                            .from(ReservationLines::Table, ReservationLines::ReservationId)
                            .to(Reservations::Table, Reservations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reservation_lines_product")
                            .from(ReservationLines::Table, ReservationLines::ProductId)
                            .to(Products::Table, Products::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_reservation_lines_product")
                    .table(ReservationLines::Table)
                    .col(ReservationLines::ProductId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(StockAdjustments::Table)
                    .col(pk_uuid(StockAdjustments::Id))
                    .col(uuid(StockAdjustments::ProductId))
                    .col(big_integer(StockAdjustments::Delta))
                    .col(text(StockAdjustments::Reason))
                    .col(timestamp_with_time_zone(StockAdjustments::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_stock_adjustments_product")
                            .from(StockAdjustments::Table, StockAdjustments::ProductId)
                            .to(Products::Table, Products::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_stock_adjustments_product")
                    .table(StockAdjustments::Table)
                    .col(StockAdjustments::ProductId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            StockAdjustments::Table.into_iden(),
            ReservationLines::Table.into_iden(),
            Reservations::Table.into_iden(),
            Products::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
