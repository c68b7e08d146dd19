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

/// The most characters of a customer's postal address.
pub const MAX_ADDRESS_CHARS: usize = 500;

/// A customer's postal address as printed on the invoice: not blank, at most
/// [`MAX_ADDRESS_CHARS`] characters, lines separated by newlines or `;`, no other control
/// characters. Absent is `Option::None`, not an empty address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerAddress(String);

impl CustomerAddress {
    /// Parses the optional `customer_address` field: blank means not given.
    pub fn parse_optional(raw: &str) -> Result<Option<Self>, InvalidField> {
        let field = "customer_address";
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        if trimmed.chars().count() > MAX_ADDRESS_CHARS {
            return Err(InvalidField::new(
                field,
                format!("must be at most {MAX_ADDRESS_CHARS} characters"),
            ));
        }
        if trimmed.chars().any(|c| c.is_control() && c != '\n') {
            return Err(InvalidField::new(
                field,
                "must not contain control characters other than line breaks",
            ));
        }
        Ok(Some(Self(trimmed.to_owned())))
    }

    /// The address as given (trimmed).
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
    fn addresses_are_optional_bounded_and_free_of_control_characters() {
        assert_eq!(CustomerAddress::parse_optional("  ").unwrap(), None);
        let given = CustomerAddress::parse_optional(" Rue de l'Église 7\n75001 Paris ")
            .unwrap()
            .unwrap();
        assert_eq!(given.as_str(), "Rue de l'Église 7\n75001 Paris");
        for bad in ["a\tb".to_owned(), "x".repeat(MAX_ADDRESS_CHARS + 1)] {
            let err = CustomerAddress::parse_optional(&bad).unwrap_err();
            assert_eq!(err.field, "customer_address", "{bad:?}");
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
