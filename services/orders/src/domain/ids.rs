//! Identifiers.

shop_common::uuid_id!(
    /// Identifies an order; also the id of the inventory reservation made for it.
    OrderId
);
shop_common::uuid_id!(
    /// Identifies an inventory product.
    ProductId
);
