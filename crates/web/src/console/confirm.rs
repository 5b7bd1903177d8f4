//! Confirmation before a change that cannot be undone (revoking an API key, removing a webhook
//! endpoint, disabling SCIM or Microsoft SSO): a GET page that says what will happen and whose
//! form posts, with the CSRF field, to the same URL. Each page's template extends
//! `console/confirm.html` and writes only its question and consequences; the form, the danger
//! button and the way back are this one.

/// Where a confirmation page sits and where its answers go.
#[derive(Debug, Clone)]
pub struct Confirm {
    /// The integration's page, linked from the crumbs.
    pub section_url: String,
    pub section_label: &'static str,
    /// Where *yes* posts.
    pub action: String,
    /// Where *keep it* goes: the thing that was about to change.
    pub keep: String,
}

impl Confirm {
    pub fn new(section_url: &str, section_label: &'static str, action: String) -> Self {
        Self {
            section_url: section_url.to_owned(),
            section_label,
            action,
            keep: section_url.to_owned(),
        }
    }

    #[must_use]
    pub fn keep_at(mut self, keep: String) -> Self {
        self.keep = keep;
        self
    }
}
