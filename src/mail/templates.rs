//! Mail texts: embedded in the binary in English and Korean, overridable per part from
//! `mail.templates_dir`, rendered with `{{placeholder}}` substitution. Values are HTML-escaped
//! in the HTML part; subjects take no placeholders at all.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::config::Language;

/// The mails latchkey sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Sign-up (and resend): code and link.
    Verify,
    /// Password reset: code.
    Reset,
    /// Password reset with a link to the front end's page (the Djoser dialect): link and code.
    ResetLink,
    /// Email change, to the new address: code.
    EmailChange,
    /// Email change, to the old address: notice.
    EmailChangeNotice,
    /// Sign-up with a taken address under `conceal_existing`: notice to the owner.
    ExistingAccount,
    /// A refresh token was reused and its session ended: notice.
    ReuseWarning,
}

const KINDS: [(Kind, &str); 7] = [
    (Kind::Verify, "verify"),
    (Kind::Reset, "reset"),
    (Kind::ResetLink, "reset_link"),
    (Kind::EmailChange, "email_change"),
    (Kind::EmailChangeNotice, "email_change_notice"),
    (Kind::ExistingAccount, "existing_account"),
    (Kind::ReuseWarning, "reuse_warning"),
];

const PLACEHOLDERS: [&str; 5] = ["nickname", "code", "link", "lifetime", "new_email"];

const EMBEDDED_EN: &str = include_str!("templates/en.toml");
const EMBEDDED_KO: &str = include_str!("templates/ko.toml");

/// Why templates could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An override file could not be read or parsed.
    #[error("{file}: {message}")]
    File {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
}

/// One mail's three parts, as written.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Parts {
    subject: Option<String>,
    text: Option<String>,
    html: Option<String>,
}

/// A rendered mail body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// Subject line.
    pub subject: String,
    /// Plain-text part.
    pub text: String,
    /// HTML part.
    pub html: String,
}

/// The values a template may use.
#[derive(Clone, Copy, Debug, Default)]
pub struct Vars<'a> {
    /// The recipient's nickname.
    pub nickname: &'a str,
    /// A verification code.
    pub code: &'a str,
    /// A verification link.
    pub link: &'a str,
    /// How long the code lives, in words.
    pub lifetime: &'a str,
    /// The address an email change goes to.
    pub new_email: &'a str,
}

impl Vars<'_> {
    fn get(&self, name: &str) -> &str {
        match name {
            "nickname" => self.nickname,
            "code" => self.code,
            "link" => self.link,
            "lifetime" => self.lifetime,
            _ => self.new_email,
        }
    }
}

/// The templates of one language.
#[derive(Clone, Debug)]
pub struct Templates {
    by_kind: HashMap<Kind, (String, String, String)>,
}

fn parse(file: &str, text: &str) -> Result<HashMap<String, Parts>, Error> {
    let parsed: HashMap<String, Parts> = toml::from_str(text).map_err(|e| Error::File {
        file: file.to_owned(),
        message: e.to_string(),
    })?;
    for (name, parts) in &parsed {
        let bad = |message: String| Error::File {
            file: file.to_owned(),
            message: format!("[{name}]: {message}"),
        };
        if !KINDS.iter().any(|(_, n)| n == name) {
            let names: Vec<_> = KINDS.iter().map(|(_, n)| *n).collect();
            return Err(bad(format!(
                "no such mail; the mails are {}",
                names.join(", ")
            )));
        }
        if parts
            .subject
            .as_deref()
            .is_some_and(|s| s.contains("{{") || s.contains(['\r', '\n']))
        {
            return Err(bad(
                "a subject is one line and takes no placeholders".to_owned()
            ));
        }
        for body in [&parts.text, &parts.html].into_iter().flatten() {
            for name in placeholders(body) {
                if !PLACEHOLDERS.contains(&name) {
                    return Err(bad(format!("unknown placeholder {{{{{name}}}}}")));
                }
            }
        }
    }
    Ok(parsed)
}

/// The names inside `{{...}}` in `text`.
fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    text.split("{{")
        .skip(1)
        .filter_map(|rest| rest.split_once("}}").map(|(name, _)| name.trim()))
}

impl Templates {
    /// The embedded templates of `language`, with any parts found in `dir/<language>.toml`
    /// taking their place.
    pub fn load(language: Language, dir: Option<&Path>) -> Result<Self, Error> {
        let (code, embedded) = match language {
            Language::En => ("en", EMBEDDED_EN),
            Language::Ko => ("ko", EMBEDDED_KO),
        };
        let mut parts = parse("embedded", embedded)?;
        if let Some(dir) = dir {
            let path = dir.join(format!("{code}.toml"));
            let label = path.display().to_string();
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    for (name, over) in parse(&label, &text)? {
                        let base = parts.entry(name).or_default();
                        base.subject = over.subject.or(base.subject.take());
                        base.text = over.text.or(base.text.take());
                        base.html = over.html.or(base.html.take());
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(Error::File {
                        file: label,
                        message: e.to_string(),
                    });
                }
            }
        }
        let mut by_kind = HashMap::new();
        for (kind, name) in KINDS {
            let p = parts.remove(name).unwrap_or_default();
            by_kind.insert(
                kind,
                (
                    p.subject.unwrap_or_default(),
                    p.text.unwrap_or_default(),
                    p.html.unwrap_or_default(),
                ),
            );
        }
        Ok(Self { by_kind })
    }

    /// Renders one mail.
    #[must_use]
    pub fn render(&self, kind: Kind, vars: &Vars<'_>) -> Rendered {
        let (subject, text, html) = &self.by_kind[&kind];
        Rendered {
            subject: subject.trim().to_owned(),
            text: substitute(text, vars, std::borrow::ToOwned::to_owned),
            html: substitute(html, vars, escape_html),
        }
    }
}

fn substitute(template: &str, vars: &Vars<'_>, encode: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(template.len() + 128);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        out.push_str(&encode(vars.get(after[..end].trim())));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Escapes text for HTML element content and quoted attribute values.
#[must_use]
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A lifetime in words: `1 hour`, `1 hour 30 minutes`, `45 seconds`; `1시간 30분` in Korean.
#[must_use]
pub fn lifetime(duration: Duration, language: Language) -> String {
    let secs = duration.as_secs();
    let parts = [
        (secs / 86_400, "day", "일"),
        (secs / 3600 % 24, "hour", "시간"),
        (secs / 60 % 60, "minute", "분"),
        (secs % 60, "second", "초"),
    ];
    let words: Vec<String> = parts
        .iter()
        .filter(|(n, ..)| *n > 0)
        .map(|&(n, en, ko)| match language {
            Language::En if n == 1 => format!("1 {en}"),
            Language::En => format!("{n} {en}s"),
            Language::Ko => format!("{n}{ko}"),
        })
        .collect();
    if words.is_empty() {
        return match language {
            Language::En => "0 seconds".to_owned(),
            Language::Ko => "0초".to_owned(),
        };
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars<'static> {
        Vars {
            nickname: "<b>Kim</b> & co",
            code: "ABC123",
            link: "http://x/api/accounts/verify-email?token=t",
            lifetime: "1 hour",
            new_email: "",
        }
    }

    #[test]
    fn verify_mail_has_the_code_line_and_link_in_both_languages() {
        let en = Templates::load(Language::En, None)
            .unwrap()
            .render(Kind::Verify, &vars());
        assert!(en.text.lines().any(|l| l == "Code: ABC123"), "{}", en.text);
        assert!(
            en.text
                .lines()
                .any(|l| l == "http://x/api/accounts/verify-email?token=t")
        );
        let ko = Templates::load(Language::Ko, None)
            .unwrap()
            .render(Kind::Verify, &vars());
        assert!(
            ko.text.lines().any(|l| l == "인증 코드: ABC123"),
            "{}",
            ko.text
        );
    }

    #[test]
    fn user_text_is_escaped_in_html_and_kept_in_text() {
        let mail = Templates::load(Language::En, None)
            .unwrap()
            .render(Kind::Verify, &vars());
        assert!(
            mail.html.contains("&lt;b&gt;Kim&lt;/b&gt; &amp; co"),
            "{}",
            mail.html
        );
        assert!(!mail.html.contains("<b>Kim"));
        assert!(mail.text.contains("<b>Kim</b> & co"));
    }

    #[test]
    fn every_mail_has_all_parts_in_every_language() {
        for language in [Language::En, Language::Ko] {
            let templates = Templates::load(language, None).unwrap();
            for (kind, name) in KINDS {
                let mail = templates.render(kind, &vars());
                assert!(
                    !mail.subject.is_empty() && !mail.text.is_empty() && !mail.html.is_empty(),
                    "{name}"
                );
                assert!(!mail.text.contains("{{"), "{name}");
            }
        }
    }

    #[test]
    fn overrides_replace_single_parts_and_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("en.toml"),
            "[verify]\nsubject = \"Welcome\"\n",
        )
        .unwrap();
        let templates = Templates::load(Language::En, Some(dir.path())).unwrap();
        let mail = templates.render(Kind::Verify, &vars());
        assert_eq!(mail.subject, "Welcome");
        assert!(
            mail.text.contains("Code: ABC123"),
            "the text part stays embedded"
        );
        for bad in [
            "[verify]\nsubject = \"Hi {{nickname}}\"\n",
            "[verify]\ntext = \"{{password}}\"\n",
            "[welcome]\n",
            "[verify]\nbody = \"x\"\n",
        ] {
            std::fs::write(dir.path().join("en.toml"), bad).unwrap();
            let err = Templates::load(Language::En, Some(dir.path()))
                .unwrap_err()
                .to_string();
            assert!(err.contains("en.toml"), "{err}");
        }
    }

    #[test]
    fn lifetimes_read_naturally() {
        let words = |secs, lang| lifetime(Duration::from_secs(secs), lang);
        assert_eq!(words(3600, Language::En), "1 hour");
        assert_eq!(words(5400, Language::En), "1 hour 30 minutes");
        assert_eq!(words(120, Language::En), "2 minutes");
        assert_eq!(words(86_400 + 1, Language::En), "1 day 1 second");
        assert_eq!(words(5400, Language::Ko), "1시간 30분");
        assert_eq!(words(0, Language::Ko), "0초");
    }
}
