//! What a laid-out page holds: runs of text, rules and the logo, in page coordinates
//! (points, `y` measured from the top).

use super::layout::{MARGIN, RIGHT};

/// The box a logo is scaled into (keeping its proportions), at the top right.
const LOGO_WIDTH: f32 = 150.0;
const LOGO_HEIGHT: f32 = 60.0;

/// One run of text; `y` is its baseline, measured from the top of the page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Text {
    pub x: f32,
    pub y: f32,
    pub size: f32,
    pub text: String,
}

/// A thin horizontal line from `x1` to `x2` at `y`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rule {
    pub x1: f32,
    pub x2: f32,
    pub y: f32,
}

/// Where the logo goes: top-left corner and size.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Placed {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

/// Everything on one page.
#[derive(Debug, Default)]
pub(crate) struct Page {
    pub texts: Vec<Text>,
    pub rules: Vec<Rule>,
    /// The seller's logo (first page only).
    pub logo: Option<Placed>,
}

/// The logo scaled into its box at the top right, keeping its proportions.
pub(crate) fn place_logo((width, height): (u32, u32)) -> Placed {
    let (width, height) = (width.max(1) as f32, height.max(1) as f32);
    let scale = (LOGO_WIDTH / width).min(LOGO_HEIGHT / height);
    let (width, height) = (width * scale, height * scale);
    Placed {
        x: RIGHT - width,
        y: MARGIN - 4.0,
        width,
        height,
    }
}
