//! One way to name the values of a status enum in the database, metrics and logs: strum's
//! derives, `IntoStaticStr` (the name) and `EnumString` (parsing it back) with
//! `#[strum(serialize_all = "snake_case")]`, and `VariantArray` where every value is listed.
//! [`StoredName`] gives every such enum the same two methods.

use std::str::FromStr;

/// The snake_case name of an enum value, and back.
pub trait StoredName: Copy + Into<&'static str> + FromStr {
    /// The stored name.
    fn as_str(self) -> &'static str {
        self.into()
    }

    /// Parses a stored name; `None` for any other text.
    fn parse(raw: &str) -> Option<Self> {
        raw.parse().ok()
    }
}

impl<T: Copy + Into<&'static str> + FromStr> StoredName for T {}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
    #[strum(serialize_all = "snake_case")]
    enum Light {
        Green,
        RedAndAmber,
    }

    #[test]
    fn names_are_snake_case_and_parse_back_exactly() {
        assert_eq!(Light::RedAndAmber.as_str(), "red_and_amber");
        assert_eq!(Light::parse("green"), Some(Light::Green));
        assert_eq!(Light::parse("Green"), None);
        assert_eq!(Light::parse("red_and_amber "), None);
    }
}
