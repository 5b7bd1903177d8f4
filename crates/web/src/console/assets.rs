//! The console's stylesheet and script, embedded in the binary and served under names that carry
//! a hash of their content, so browsers may cache them for a year and still never see a stale one.

use std::sync::LazyLock;

use axum::{
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

struct Asset {
    stem: &'static str,
    extension: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const CSS: Asset = Asset {
    stem: "console",
    extension: "css",
    content_type: "text/css; charset=utf-8",
    body: include_str!("../../assets/console.css"),
};

const JS: Asset = Asset {
    stem: "console",
    extension: "js",
    content_type: "text/javascript; charset=utf-8",
    body: include_str!("../../assets/console.js"),
};

impl Asset {
    fn file_name(&self) -> String {
        let digest = Sha256::digest(self.body.as_bytes());
        let hash: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        format!("{}-{hash}.{}", self.stem, self.extension)
    }
}

static CSS_NAME: LazyLock<String> = LazyLock::new(|| CSS.file_name());
static JS_NAME: LazyLock<String> = LazyLock::new(|| JS.file_name());

/// The stylesheet's URL, for templates.
pub fn css_url() -> String {
    format!("/console/assets/{}", *CSS_NAME)
}

/// The script's URL, for templates.
pub fn js_url() -> String {
    format!("/console/assets/{}", *JS_NAME)
}

pub async fn asset(Path(name): Path<String>) -> Response {
    let found = [(&*CSS_NAME, &CSS), (&*JS_NAME, &JS)]
        .into_iter()
        .find(|(file, _)| **file == name);
    let Some((_, asset)) = found else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        asset.body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_names_change_with_their_content() {
        assert!(css_url().starts_with("/console/assets/console-"));
        assert!(css_url().ends_with(".css"));
        assert_ne!(CSS.file_name(), JS.file_name());
    }
}
