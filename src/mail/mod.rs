//! Mail: what latchkey says (`templates`), how it is queued (here: [`Mailer`] renders a
//! [`NewMail`] that the store queues in the same transaction as the change that caused it),
//! how it leaves (`transport`), and the worker that drains the queue (`outbox`).

mod outbox;
mod templates;
mod transport;

use std::time::Duration;

pub use outbox::Outbox;
pub use templates::{Kind, Templates, escape_html, lifetime};
pub use transport::{SendError, Transport};

use crate::codes::Issued;
use crate::config::{Config, Language};
use crate::random;
use crate::store::{NewMail, User};

/// The Djoser dialect's `uid` for an account: its id, base64url-encoded as Djoser encodes a
/// primary key.
#[must_use]
pub fn uid(user_id: &str) -> String {
    crate::jwt::encode_b64(user_id.as_bytes())
}

/// The account id a Djoser `uid` names, if it is one.
#[must_use]
pub fn user_id_of(uid: &str) -> Option<String> {
    crate::jwt::decode_b64(uid).and_then(|bytes| String::from_utf8(bytes).ok())
}

/// Renders latchkey's mails into outbox entries.
#[derive(Clone, Debug)]
pub struct Mailer {
    templates: Templates,
    language: Language,
    public_url: String,
    /// How long codes live, said in words in the mails.
    code_ttl: Duration,
    /// The domain of the `From` address, for `Message-ID`s.
    domain: String,
    /// The Djoser dialect's front-end links, when it is on.
    compat: Option<crate::config::Compat>,
}

/// Why the mailer could not be set up.
pub type Error = templates::Error;

impl Mailer {
    /// Loads the templates the configuration names.
    pub fn build(config: &Config) -> Result<Self, Error> {
        let templates =
            Templates::load(config.mail.language, config.mail.templates_dir.as_deref())?;
        let domain = config
            .mail
            .from
            .rsplit_once('@')
            .map_or("localhost", |(_, d)| d.trim_end_matches('>'))
            .to_owned();
        Ok(Self {
            templates,
            language: config.mail.language,
            public_url: config.server.public_url.clone(),
            code_ttl: config.codes.ttl,
            domain,
            compat: config.compat.clone(),
        })
    }

    /// The link a sign-up mail carries for `token`.
    #[must_use]
    pub fn verify_link(&self, token: &str) -> String {
        format!(
            "{}/api/accounts/verify-email?token={token}",
            self.public_url
        )
    }

    /// A mail to `to` about `user`'s account carrying a code (and, for [`Kind::Verify`], the
    /// link). With the Djoser dialect, links go to the front end's pages instead, with
    /// `{uid}` and `{token}` filled in (the link token to activate, the code to reset).
    #[must_use]
    pub fn code(&self, kind: Kind, to: &str, user: &User, issued: &Issued) -> NewMail {
        let front_end = |url: &str, token: &str| {
            url.replace("{uid}", &uid(&user.id))
                .replace("{token}", token)
        };
        let (kind, link) = match (&self.compat, kind, issued.link.as_deref()) {
            (Some(compat), Kind::Verify, Some(token)) => {
                (kind, front_end(&compat.activation_url, token))
            }
            (Some(compat), Kind::Reset, _) => (
                Kind::ResetLink,
                front_end(&compat.password_reset_url, &issued.code),
            ),
            (_, _, Some(token)) => (kind, self.verify_link(token)),
            (_, _, None) => (kind, String::new()),
        };
        let lifetime = lifetime(self.code_ttl, self.language);
        let vars = templates::Vars {
            nickname: &user.nickname,
            code: &issued.code,
            link: &link,
            lifetime: &lifetime,
            new_email: "",
        };
        self.mail(kind, to, &vars, &user.id)
    }

    /// A notice to `to` about `user`'s account: no code, no link.
    #[must_use]
    pub fn notice(&self, kind: Kind, to: &str, user: &User, new_email: &str) -> NewMail {
        let vars = templates::Vars {
            nickname: &user.nickname,
            new_email,
            ..templates::Vars::default()
        };
        self.mail(kind, to, &vars, &user.id)
    }

    fn mail(&self, kind: Kind, to: &str, vars: &templates::Vars<'_>, user_id: &str) -> NewMail {
        let rendered = self.templates.render(kind, vars);
        NewMail {
            to: to.to_owned(),
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
            message_id: format!("<{}@{}>", random::id(), self.domain),
            user_id: Some(user_id.to_owned()),
        }
    }
}
