//! The building blocks of every service's parse-don't-validate domain types: the one
//! validation error, and UUID identifier newtypes.

/// A request field that failed to parse. `field` is the request's field path as clients
/// see it, e.g. `lines[2].quantity`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct InvalidField {
    /// Path of the field in the request.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl InvalidField {
    /// A new error for `field`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Checks a name shown to people (a customer's, a product's): 1–200 characters, not blank,
/// no control characters.
pub fn display_name(field: &str, raw: &str) -> Result<String, InvalidField> {
    if raw.trim().is_empty() {
        return Err(InvalidField::new(field, "must not be empty"));
    }
    if raw.chars().count() > 200 {
        return Err(InvalidField::new(field, "must be at most 200 characters"));
    }
    if raw.chars().any(char::is_control) {
        return Err(InvalidField::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(raw.to_owned())
}

/// Quotes client input for an error message, cut short so that huge inputs stay out of logs.
pub fn quoted(raw: &str) -> String {
    const MAX: usize = 40;
    if raw.chars().count() <= MAX {
        format!("{raw:?}")
    } else {
        let head: String = raw.chars().take(MAX).collect();
        format!("{head:?}…")
    }
}

#[doc(hidden)]
pub use uuid as __uuid;

/// Declares a UUID identifier newtype with `generate` (time-ordered v7, so creation order is
/// id order), `parse(field, raw)`, `from_uuid`, `as_uuid` and `Display`.
#[macro_export]
macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name($crate::validation::__uuid::Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn generate() -> Self {
                Self($crate::validation::__uuid::Uuid::now_v7())
            }

            /// Parses a UUID string given in request field `field`.
            pub fn parse(field: &str, raw: &str) -> Result<Self, $crate::validation::InvalidField> {
                if raw.is_empty() {
                    return Err($crate::validation::InvalidField::new(field, "must not be empty"));
                }
                $crate::validation::__uuid::Uuid::try_parse(raw).map(Self).map_err(|_| {
                    $crate::validation::InvalidField::new(
                        field,
                        format!("must be a UUID, got {}", $crate::validation::quoted(raw)),
                    )
                })
            }

            /// Wraps a UUID read from storage.
            pub fn from_uuid(id: $crate::validation::__uuid::Uuid) -> Self {
                Self(id)
            }

            /// The UUID.
            pub fn as_uuid(&self) -> $crate::validation::__uuid::Uuid {
                self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::uuid_id!(
        /// A test id.
        ThingId
    );

    #[test]
    fn ids_parse_from_uuid_strings_only() {
        let id = ThingId::parse("id", "0195f3a4-7b7e-7c3e-9a1b-2c3d4e5f6a7b").unwrap();
        assert_eq!(id.to_string(), "0195f3a4-7b7e-7c3e-9a1b-2c3d4e5f6a7b");
        assert_eq!(ThingId::from_uuid(id.as_uuid()), id);
        let err = ThingId::parse("lines[0].product_id", "nope").unwrap_err();
        assert_eq!(err.field, "lines[0].product_id");
        assert!(err.reason.contains("UUID"), "{err}");
        assert_eq!(
            ThingId::parse("id", "").unwrap_err().reason,
            "must not be empty"
        );
    }

    #[test]
    fn generated_ids_sort_in_creation_order() {
        let first = ThingId::generate();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = ThingId::generate();
        assert!(first < second);
    }

    #[test]
    fn long_input_is_cut_short_in_messages() {
        assert_eq!(quoted("abc"), "\"abc\"");
        assert!(quoted(&"x".repeat(100)).ends_with('…'));
    }
}
