//! Identifiers: UUIDs, time-ordered (v7) when we mint them, so that creation order is id order.

shop_common::uuid_id!(
    /// Identifies a product.
    ProductId
);
shop_common::uuid_id!(
    /// Identifies a reservation; chosen by the caller, it is the idempotency key of `ReserveStock`.
    ReservationId
);
