//! The HTML behind the mailed link: a page with a "Confirm" button (a form posting the token),
//! and the pages the form post answers with.

use crate::mail::escape_html;

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>body{{font-family:system-ui,sans-serif;max-width:32rem;\
         margin:4rem auto;padding:0 1rem;line-height:1.5}}button{{font-size:1rem;padding:.6rem 1.4rem;\
         cursor:pointer}}</style></head><body><h1>{title}</h1>{body}</body></html>\n"
    )
}

/// The link's landing page: nothing happens until the button is pressed, because mail
/// scanners open links too.
#[must_use]
pub fn confirm(token: &str) -> String {
    page(
        "Confirm your email address",
        &format!(
            "<p>Press the button to confirm your email address.</p>\
             <form method=\"post\" action=\"/api/accounts/verify-email/link\">\
             <input type=\"hidden\" name=\"token\" value=\"{}\">\
             <button type=\"submit\">Confirm</button></form>",
            escape_html(token)
        ),
    )
}

/// The link is unknown, expired, used or replaced.
#[must_use]
pub fn invalid_link() -> String {
    page(
        "This link does not work",
        "<p>The link is wrong, has expired, or was already used. Ask for a new code from the \
         app where you signed up.</p>",
    )
}

/// The address is confirmed.
#[must_use]
pub fn verified(email: &str) -> String {
    page(
        "Email address confirmed",
        &format!(
            "<p>{} is confirmed. You can log in now.</p>",
            escape_html(email)
        ),
    )
}
