//! Identifiers: UUIDs, time-ordered (v7) when we mint them, so that creation order is id order.

use std::fmt;

use uuid::Uuid;

use super::validation::{InvalidField, quoted};

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            /// Parses a UUID string given in request field `field`.
            pub fn parse(field: &str, raw: &str) -> Result<Self, InvalidField> {
                if raw.is_empty() {
                    return Err(InvalidField::new(field, "must not be empty"));
                }
                Uuid::try_parse(raw)
                    .map(Self)
                    .map_err(|_| InvalidField::new(field, format!("must be a UUID, got {}", quoted(raw))))
            }

            /// Wraps a UUID read from storage.
            pub fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            /// The UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(
    /// Identifies a product.
    ProductId
);
uuid_id!(
    /// Identifies a reservation; chosen by the caller, it is the idempotency key of `ReserveStock`.
    ReservationId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_from_uuid_strings_only() {
        let id = ProductId::parse("id", "0195f3a4-7b7e-7c3e-9a1b-2c3d4e5f6a7b").unwrap();
        assert_eq!(id.to_string(), "0195f3a4-7b7e-7c3e-9a1b-2c3d4e5f6a7b");
        let err = ProductId::parse("lines[0].product_id", "nope").unwrap_err();
        assert_eq!(err.field, "lines[0].product_id");
        assert!(err.reason.contains("UUID"), "{err}");
        assert_eq!(
            ProductId::parse("id", "").unwrap_err().reason,
            "must not be empty"
        );
    }

    #[test]
    fn generated_ids_sort_in_creation_order() {
        let first = ReservationId::generate();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = ReservationId::generate();
        assert!(first < second);
    }
}
