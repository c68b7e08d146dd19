//! A fixture for tests (feature `testing`); the SMTP server tests send to is in the
//! `shop-testkit` crate.

/// A small EUR invoice with non-ASCII customer and product names (`Jürgen Weiß-Éluard`,
/// `Crème brûlée torch`), two lines and a total of `64.99 EUR`.
pub fn sample_invoice() -> crate::Invoice {
    crate::invoice::sample_invoice()
}
