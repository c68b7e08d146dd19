//! Text widths from the embedded font, for right-aligned columns and wrapping.

use skrifa::prelude::{FontRef, LocationRef, MetadataProvider, Size};

/// Text widths from the font's advance widths. Kerning is ignored, which is fine for
/// aligning digits (they are tabular in DejaVu Sans) and for deciding where to wrap.
pub(crate) struct Measure<'a> {
    font: FontRef<'a>,
}

impl<'a> Measure<'a> {
    /// `None` if the bytes are not a font.
    pub(crate) fn new(font: &'a [u8]) -> Option<Self> {
        FontRef::new(font).ok().map(|font| Self { font })
    }

    /// The width of `text` at `size` points.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        let charmap = self.font.charmap();
        let metrics = self
            .font
            .glyph_metrics(Size::new(size), LocationRef::default());
        text.chars()
            .filter_map(|c| {
                charmap
                    .map(c)
                    .and_then(|glyph| metrics.advance_width(glyph))
            })
            .sum()
    }

    /// Splits `text` into lines no wider than `max_width`, at spaces where possible and inside
    /// words that are too long on their own. Runs of whitespace (tabs, newlines) become one
    /// space: they have no glyph and would print as boxes.
    pub(crate) fn wrap(&self, text: &str, size: f32, max_width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut current = String::new();
        for word in text.split_whitespace() {
            let candidate = if current.is_empty() {
                word.to_owned()
            } else {
                format!("{current} {word}")
            };
            if self.width(&candidate, size) <= max_width {
                current = candidate;
                continue;
            }
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            // The word alone may still be too wide: break it between characters.
            for c in word.chars() {
                current.push(c);
                if self.width(&current, size) > max_width && current.chars().count() > 1 {
                    current.pop();
                    lines.push(std::mem::replace(&mut current, c.to_string()));
                }
            }
        }
        if !current.is_empty() || lines.is_empty() {
            lines.push(current);
        }
        lines
    }
}
