//! Who issues the invoices: the seller's name, address and tax id from configuration.

use std::path::PathBuf;

use crate::logo::Logo;

/// Demo seller printed on invoices made with the embedded defaults (SQLite) when no seller is
/// configured: clearly not a real business.
pub const DEMO_SELLER_NAME: &str = "Demo Shop (not a real business)";
/// Demo seller address, see [`DEMO_SELLER_NAME`].
pub const DEMO_SELLER_ADDRESS: &str = "1 Example Street; 12345 Example City; Nowhere";
/// Demo seller tax id, see [`DEMO_SELLER_NAME`].
pub const DEMO_SELLER_TAX_ID: &str = "XX000000000";

/// The seller's identity as configured. All three texts are required on a real deployment
/// (PostgreSQL); with the embedded SQLite defaults, missing ones get demo values.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct SellerConfig {
    /// The seller's legal name, printed at the top of every invoice.
    #[arg(
        long = "seller-name",
        env = "SHOP_SELLER_NAME",
        value_name = "SHOP_SELLER_NAME"
    )]
    pub name: Option<String>,

    /// The seller's postal address; lines separated by `;` or newlines, e.g.
    /// `Shop GmbH; Hauptstr. 1; 10115 Berlin; Germany`.
    #[arg(
        long = "seller-address",
        env = "SHOP_SELLER_ADDRESS",
        value_name = "SHOP_SELLER_ADDRESS"
    )]
    pub address: Option<String>,

    /// The seller's VAT identification (or other tax) number, e.g. `DE123456789`.
    #[arg(
        long = "seller-tax-id",
        env = "SHOP_SELLER_TAX_ID",
        value_name = "SHOP_SELLER_TAX_ID"
    )]
    pub tax_id: Option<String>,

    /// Optional logo printed at the top right of every invoice: a PNG or JPEG file, read
    /// once at start-up.
    #[arg(
        long = "seller-logo",
        env = "SHOP_SELLER_LOGO",
        value_name = "SHOP_SELLER_LOGO"
    )]
    pub logo: Option<PathBuf>,
}

/// The seller as printed on an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seller {
    /// Legal name.
    pub name: String,
    /// Postal address, one entry per printed line.
    pub address: Vec<String>,
    /// VAT identification or other tax number.
    pub tax_id: String,
    /// Printed at the top right, if configured.
    pub logo: Option<Logo>,
}

/// Why the seller's settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SellerError {
    /// A required setting is missing or blank on a real deployment.
    #[error(
        "{variable} is not set: invoices must name the seller; demo values stand in only on \
         the embedded SQLite database"
    )]
    Missing {
        /// The variable to set.
        variable: &'static str,
    },
    /// The logo file cannot be read or is not a PNG or JPEG image.
    #[error("SHOP_SELLER_LOGO: {0}")]
    Logo(String),
}

impl SellerConfig {
    /// The seller to print: the configured values, or on `embedded` (the SQLite defaults)
    /// demo values for the missing ones. Otherwise a missing or blank setting is an error
    /// naming its variable.
    pub fn resolve(&self, embedded: bool) -> Result<Seller, SellerError> {
        let pick = |value: &Option<String>, variable, demo: &str| {
            // Blank, or only separators: not set.
            match value.as_deref().filter(|v| !address_lines(v).is_empty()) {
                Some(value) => Ok(value.trim().to_owned()),
                None if embedded => Ok(demo.to_owned()),
                None => Err(SellerError::Missing { variable }),
            }
        };
        let name = pick(&self.name, "SHOP_SELLER_NAME", DEMO_SELLER_NAME)?;
        let address = pick(&self.address, "SHOP_SELLER_ADDRESS", DEMO_SELLER_ADDRESS)?;
        let tax_id = pick(&self.tax_id, "SHOP_SELLER_TAX_ID", DEMO_SELLER_TAX_ID)?;
        let logo = match &self.logo {
            Some(path) => Some(Logo::read(path).map_err(SellerError::Logo)?),
            None => None,
        };
        Ok(Seller {
            name,
            address: address_lines(&address),
            tax_id,
            logo,
        })
    }
}

/// Splits an address at `;` and newlines, dropping blank parts.
pub fn address_lines(address: &str) -> Vec<String> {
    address
        .split([';', '\n'])
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configured() -> SellerConfig {
        SellerConfig {
            name: Some("Shop GmbH".to_owned()),
            address: Some("Hauptstr. 1;10115 Berlin\nGermany".to_owned()),
            tax_id: Some("DE123456789".to_owned()),
            logo: None,
        }
    }

    #[test]
    fn a_configured_seller_is_used_as_given_with_address_lines_split() {
        let seller = configured().resolve(false).expect("configured");
        assert_eq!(seller.name, "Shop GmbH");
        assert_eq!(seller.address, ["Hauptstr. 1", "10115 Berlin", "Germany"]);
        assert_eq!(seller.tax_id, "DE123456789");
    }

    #[test]
    fn the_embedded_defaults_get_demo_values_for_what_is_missing() {
        let seller = SellerConfig::default().resolve(true).expect("demo");
        assert_eq!(seller.name, DEMO_SELLER_NAME);
        assert_eq!(seller.tax_id, DEMO_SELLER_TAX_ID);
        assert_eq!(seller.address.len(), 3);
    }

    #[test]
    fn a_logo_file_is_read_at_once_and_a_bad_one_refused_naming_the_variable() {
        let dir = tempfile::tempdir().expect("temp dir");
        let png = dir.path().join("logo.png");
        std::fs::write(&png, crate::logo::TINY_PNG).expect("write");
        let mut config = configured();
        config.logo = Some(png);
        assert!(config.resolve(false).expect("a PNG").logo.is_some());

        let text = dir.path().join("logo.txt");
        std::fs::write(&text, "not an image").expect("write");
        for path in [text, dir.path().join("missing.png")] {
            config.logo = Some(path.clone());
            let err = config.resolve(true).expect_err("refused").to_string();
            assert!(err.starts_with("SHOP_SELLER_LOGO"), "{err}");
            assert!(err.contains(&path.display().to_string()), "{err}");
        }
    }

    #[test]
    fn a_missing_or_blank_setting_on_a_real_deployment_names_its_variable() {
        for (variable, unset) in [
            (
                "SHOP_SELLER_NAME",
                (|c: &mut SellerConfig| c.name = None) as fn(&mut SellerConfig),
            ),
            ("SHOP_SELLER_ADDRESS", |c| {
                c.address = Some(" ; ".to_owned())
            }),
            ("SHOP_SELLER_TAX_ID", |c| c.tax_id = Some("  ".to_owned())),
        ] {
            let mut config = configured();
            unset(&mut config);
            let err = config.resolve(false).expect_err(variable).to_string();
            assert!(err.starts_with(variable), "{err}");
        }
    }
}
