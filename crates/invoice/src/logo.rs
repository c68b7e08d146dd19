//! The seller's logo: a PNG or JPEG file, read and checked once at start-up.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use krilla::image::Image;

/// The bytes of a PNG or JPEG image whose header has been checked. Cheap to clone: every
/// invoice a worker renders shares them.
#[derive(Clone, PartialEq, Eq)]
pub struct Logo {
    bytes: Arc<Vec<u8>>,
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Png,
    Jpeg,
}

impl Logo {
    /// Reads `path`; the error says why it cannot be used (it names no variable: the caller
    /// knows which setting it came from).
    pub fn read(path: &Path) -> Result<Self, String> {
        let bytes =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::from_bytes(bytes).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// A logo from the bytes of a PNG or JPEG file.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, String> {
        let format = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Format::Png
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Format::Jpeg
        } else {
            return Err("not a PNG or JPEG file".to_owned());
        };
        let logo = Self {
            bytes: Arc::new(bytes),
            format,
        };
        // Parses the header (size, colour type): a broken file is refused now, not when
        // the first invoice is rendered.
        let (width, height) = logo.image()?.size();
        if width == 0 || height == 0 {
            return Err("the image is empty".to_owned());
        }
        Ok(logo)
    }

    /// The image for the PDF.
    pub(crate) fn image(&self) -> Result<Image, String> {
        let data = self.bytes.clone().into();
        match self.format {
            Format::Png => Image::from_png(data, true),
            Format::Jpeg => Image::from_jpeg(data, true),
        }
    }
}

impl fmt::Debug for Logo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Logo({:?}, {} bytes)", self.format, self.bytes.len())
    }
}

/// A 1 × 1 PNG, for tests.
#[cfg(test)]
pub(crate) const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x64, 0xf8, 0xcf, 0x50,
    0x0f, 0x00, 0x03, 0x86, 0x01, 0x80, 0x5a, 0x34, 0x7d, 0x6b, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_files_are_accepted_and_other_files_refused_saying_why() {
        assert!(Logo::from_bytes(TINY_PNG.to_vec()).is_ok());
        let err = Logo::from_bytes(b"GIF89a...".to_vec()).unwrap_err();
        assert!(err.contains("not a PNG or JPEG"), "{err}");
        let truncated = TINY_PNG[..12].to_vec();
        assert!(Logo::from_bytes(truncated).is_err());
        let err = Logo::read(Path::new("/nonexistent/logo.png")).unwrap_err();
        assert!(err.contains("/nonexistent/logo.png"), "{err}");
    }
}
