//! Who an order is for.

use shop_common::validation::{InvalidField, display_name, quoted};

/// A syntactically valid e-mail address (RFC 5322 addr-spec, checked by `email_address`),
/// at most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parses the `customer_email` field.
    pub fn parse(raw: &str) -> Result<Self, InvalidField> {
        let field = "customer_email";
        if raw.is_empty() {
            return Err(InvalidField::new(field, "must not be empty"));
        }
        if raw.len() > 254 || !email_address::EmailAddress::is_valid(raw) || raw.contains(' ') {
            return Err(InvalidField::new(
                field,
                format!("must be an e-mail address, got {}", quoted(raw)),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The customer's name as shown on the invoice: 1–200 characters, not blank, no control
/// characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerName(String);

impl CustomerName {
    /// Parses `field` (e.g. `customer_name`, `items[0].name`).
    pub fn parse(field: &str, raw: &str) -> Result<Self, InvalidField> {
        display_name(field, raw).map(Self)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_must_be_addresses() {
        assert_eq!(
            Email::parse("ada@example.com").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada @example.com",
            "a@b@c",
        ] {
            let err = Email::parse(bad).unwrap_err();
            assert_eq!(err.field, "customer_email", "{bad:?}");
        }
    }

    #[test]
    fn names_must_not_be_blank_or_huge() {
        assert!(CustomerName::parse("customer_name", "Zoë Ångström").is_ok());
        assert!(CustomerName::parse("customer_name", " ").is_err());
        assert!(CustomerName::parse("customer_name", &"x".repeat(201)).is_err());
        assert_eq!(
            CustomerName::parse("items[1].name", "").unwrap_err().field,
            "items[1].name"
        );
    }
}
