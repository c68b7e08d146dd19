//! The shop's gRPC contract, generated from `proto/`.
//!
//! The `.proto` files are the source of truth; this crate only compiles them (see `build.rs`).

/// `shop.inventory.v1`: stock and reservations.
pub mod inventory {
    /// Version 1 of the inventory API.
    pub mod v1 {
        #![allow(missing_docs, clippy::all)]
        tonic::include_proto!("shop.inventory.v1");
    }

    /// `google.rpc.ErrorInfo` reasons the inventory service attaches to refusals, so that
    /// callers can tell them apart without parsing messages.
    pub mod reasons {
        /// The `ErrorInfo.domain` of inventory errors.
        pub const DOMAIN: &str = "inventory.shop";
        /// FAILED_PRECONDITION: some product has too little available stock (reserve) or
        /// stock (commit). `PreconditionFailure` violations name each product.
        pub const INSUFFICIENT_STOCK: &str = "INSUFFICIENT_STOCK";
        /// FAILED_PRECONDITION: the reservation was released, so it cannot be committed.
        pub const RESERVATION_RELEASED: &str = "RESERVATION_RELEASED";
        /// FAILED_PRECONDITION: the reservation expired, so it cannot be committed.
        pub const RESERVATION_EXPIRED: &str = "RESERVATION_EXPIRED";
        /// FAILED_PRECONDITION: the reservation was committed, so it cannot be released.
        pub const RESERVATION_COMMITTED: &str = "RESERVATION_COMMITTED";
        /// ALREADY_EXISTS: the reservation id is taken by a reservation with other lines.
        pub const RESERVATION_MISMATCH: &str = "RESERVATION_MISMATCH";
        /// ALREADY_EXISTS: a product with this SKU exists.
        pub const SKU_TAKEN: &str = "SKU_TAKEN";
        /// FAILED_PRECONDITION: the adjustment would take stock below 0.
        pub const STOCK_BELOW_ZERO: &str = "STOCK_BELOW_ZERO";
    }
}

/// `shop.orders.v1`: orders, payments and invoice jobs.
pub mod orders {
    /// Version 1 of the orders API.
    pub mod v1 {
        #![allow(missing_docs, clippy::all)]
        tonic::include_proto!("shop.orders.v1");
    }
}

/// Encoded `FileDescriptorSet` of every shop `.proto`, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("shop_descriptor");
