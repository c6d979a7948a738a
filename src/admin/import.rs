//! `import django FILE` (SPEC §12): the accounts of a `manage.py dumpdata` file for
//! `auth.user` or a custom user model with an email field, keeping their Django hashes (no
//! hashing at import: the first log-in verifies and upgrades each one). Rows latchkey cannot
//! take are listed with the reason; the rest are written in one transaction, so nothing is
//! half-imported; an account imported before (same address, same `date_joined`) is left as
//! it is, so running it twice imports nothing twice.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use super::{Context, Error, Reply, Request, audit_event, row};
use crate::input::{Email, Nickname, nickname_key};
use crate::password::django;
use crate::store::User;

/// Fields a custom user model may name its display name with, in order of preference.
const NAME_FIELDS: [&str; 4] = ["nickname", "name", "display_name", "username"];

/// What became of one row.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    Import(User),
    Already,
    Refused(String),
}

/// One user row of the file.
struct Row {
    pk: Value,
    fields: Map<String, Value>,
}

fn text<'a>(fields: &'a Map<String, Value>, name: &str) -> &'a str {
    fields.get(name).and_then(Value::as_str).unwrap_or_default()
}

/// The user rows of a dumpdata file: the objects whose fields have an email and a password.
fn user_rows(data: &[u8]) -> Result<(Vec<Row>, usize), Error> {
    let parsed: Value = serde_json::from_slice(data)
        .map_err(|e| Error::Usage(format!("not dumpdata JSON: {e}")))?;
    let Value::Array(objects) = parsed else {
        return Err(Error::Usage(
            "not dumpdata JSON: expected a list of objects".into(),
        ));
    };
    let (mut rows, mut other) = (Vec::new(), 0);
    for object in objects {
        let Value::Object(mut object) = object else {
            other += 1;
            continue;
        };
        match object.remove("fields") {
            Some(Value::Object(fields))
                if fields.contains_key("email") && fields.contains_key("password") =>
            {
                rows.push(Row {
                    pk: object.remove("pk").unwrap_or(Value::Null),
                    fields,
                });
            }
            _ => other += 1,
        }
    }
    Ok((rows, other))
}

/// The nickname a row asks for, before uniqueness.
fn wanted_nickname(fields: &Map<String, Value>, email: &Email) -> String {
    let full = format!(
        "{} {}",
        text(fields, "first_name"),
        text(fields, "last_name")
    );
    NAME_FIELDS
        .iter()
        .map(|f| text(fields, f).to_owned())
        .chain([full])
        .find_map(|n| Nickname::parse(&n).ok())
        .map_or_else(
            || crate::input::nickname_from_address(email, 0),
            |n| n.as_str().to_owned(),
        )
}

/// `base`, or `base-2`, `base-3`, ... for `attempt` 1, 2, 3, ..., within 32 characters.
fn suffixed(base: &str, attempt: u32) -> String {
    if attempt == 1 {
        base.to_owned()
    } else {
        let kept: String = base.chars().take(27).collect();
        format!("{kept}-{attempt}")
    }
}

/// Unix seconds of Django's `date_joined` (RFC 3339, as dumpdata writes it).
fn joined(fields: &Map<String, Value>) -> Option<u64> {
    let at = time::OffsetDateTime::parse(
        text(fields, "date_joined"),
        &time::format_description::well_known::Rfc3339,
    )
    .ok()?;
    u64::try_from(at.unix_timestamp()).ok()
}

/// A row that passed the checks that need no database: the account it would make, and the
/// nickname it asked for.
struct Candidate {
    user: User,
    wanted: String,
}

/// What a row is before the database has been looked at.
enum Checked {
    Candidate(Candidate),
    Refused(String),
}

/// The checks that need no database: the address, duplicates within the file, the hash.
fn check(rows: &[Row], now: u64) -> Vec<Checked> {
    let mut seen: HashMap<String, String> = HashMap::new();
    rows.iter()
        .map(|row| {
            let fields = &row.fields;
            let email = match Email::parse(text(fields, "email")) {
                Ok(email) => email,
                Err(e) => {
                    let shown = text(fields, "email");
                    return Checked::Refused(format!("{shown:?}: {e}"));
                }
            };
            if let Some(first) = seen.get(email.as_str()) {
                return Checked::Refused(format!(
                    "the same address as row {first} once normalized"
                ));
            }
            seen.insert(email.as_str().to_owned(), row.pk.to_string());
            let password = text(fields, "password");
            if let Err(why) = django::importable(password) {
                return Checked::Refused(why);
            }
            Checked::Candidate(Candidate {
                wanted: wanted_nickname(fields, &email),
                user: User {
                    id: crate::random::id(),
                    email: email.as_str().to_owned(),
                    nickname: String::new(),
                    password_hash: password.to_owned(),
                    is_active: fields
                        .get("is_active")
                        .and_then(Value::as_bool)
                        .unwrap_or(true),
                    disabled: false,
                    created_at: joined(fields).unwrap_or(now),
                },
            })
        })
        .collect()
}

/// Decides every candidate against the accounts in the transaction, and writes the new ones
/// unless `dry_run`: one transaction for the whole file, so nothing is half-imported and
/// nothing can slip in between a look and a write. The notes say what was adjusted.
fn decide(
    tx: &mut dyn crate::store::Tx,
    w: &mut crate::store::Changes,
    checked: &[Checked],
    dry_run: bool,
) -> Result<Vec<(Outcome, Option<String>)>, crate::store::Error> {
    // This work's own writes are not visible to its reads: nicknames it gives out are kept here.
    let mut given: HashSet<String> = HashSet::new();
    let mut decided = Vec::with_capacity(checked.len());
    for row in checked {
        let Checked::Candidate(Candidate { user, wanted }) = row else {
            if let Checked::Refused(why) = row {
                decided.push((Outcome::Refused(why.clone()), None));
            }
            continue;
        };
        if let Some(owner) = tx.email_owner(&user.email)? {
            let same = tx
                .user(&owner)?
                .is_some_and(|u| u.created_at == user.created_at);
            decided.push(if same {
                (Outcome::Already, None)
            } else {
                let why = "an account with this address exists already".to_owned();
                (Outcome::Refused(why), None)
            });
            continue;
        }
        let mut chosen = None;
        for attempt in 1..1000 {
            let candidate = suffixed(wanted, attempt);
            let key = nickname_key(&candidate);
            if !given.contains(&key) && tx.nickname_owner(&key)?.is_none() {
                given.insert(key);
                chosen = Some(candidate);
                break;
            }
        }
        let Some(nickname) = chosen else {
            let why = format!("no free nickname near {wanted:?}");
            decided.push((Outcome::Refused(why), None));
            continue;
        };
        let note = (nickname != *wanted)
            .then(|| format!("nickname {wanted:?} was taken: imported as {nickname:?}"));
        let user = User {
            nickname,
            ..user.clone()
        };
        if !dry_run {
            w.put_user(user.clone());
        }
        decided.push((Outcome::Import(user), note));
    }
    Ok(decided)
}

pub(super) async fn django(
    cx: &Context<'_>,
    file: &std::path::Path,
    dry_run: bool,
) -> Result<Reply, Error> {
    let data = std::fs::read(file).map_err(|e| Error::Usage(format!("{}: {e}", file.display())))?;
    let (rows, other) = user_rows(&data)?;
    let started = std::time::Instant::now();
    let checked = check(&rows, cx.now);
    let request = Request::ImportDjango {
        file: file.to_owned(),
        dry_run,
    };
    let event = audit_event(cx, &request, None, None);
    let shown = file.display().to_string();
    let plans = cx
        .app
        .write(move |tx, w| {
            let decided = decide(tx, w, &checked, dry_run)?;
            let count = decided
                .iter()
                .filter(|(o, _)| matches!(o, Outcome::Import(_)))
                .count();
            if !dry_run && count > 0 {
                let mut event = event.clone();
                event.detail = Some(format!("{count} account(s) from {shown}"));
                w.audit(event);
            }
            Ok(decided)
        })
        .await?;
    let count = plans
        .iter()
        .filter(|(o, _)| matches!(o, Outcome::Import(_)))
        .count();
    let mut out = Vec::new();
    let (mut already, mut refused) = (0, 0);
    for (row, (outcome, note)) in rows.iter().zip(&plans) {
        let (state, why) = match outcome {
            Outcome::Import(_) if note.is_none() => continue,
            Outcome::Import(_) => ("imported", note.clone().unwrap_or_default()),
            Outcome::Already => {
                already += 1;
                continue;
            }
            Outcome::Refused(why) => {
                refused += 1;
                ("refused", why.clone())
            }
        };
        out.push(row_of(row, state, &why));
    }
    let verb = if dry_run { "would import" } else { "imported" };
    Ok(Reply {
        rows: out,
        message: Some(format!(
            "{verb} {count} account(s) in {:.1} s; {already} imported before, {refused} refused \
             (listed), {other} other object(s) ignored; their Django passwords work, and each \
             becomes argon2id at its next log-in",
            started.elapsed().as_secs_f64()
        )),
        ..Reply::default()
    })
}

fn row_of(found: &Row, state: &str, why: &str) -> Map<String, Value> {
    row([
        ("pk", found.pk.clone()),
        ("email", json!(text(&found.fields, "email"))),
        ("state", json!(state)),
        ("reason", json!(why)),
    ])
}
