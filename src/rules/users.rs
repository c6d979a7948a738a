//! Accounts: sign-up's insert with its first code and mail, nickname and password changes,
//! and deletion with everything that hangs off an account.

use super::{Conflict, audit, codes, sessions};
use crate::input::nickname_key;
use crate::store::{Changes, Error, NewMail, PendingCode, Purpose, Revocation, Tx, User};

/// What deleting an account removed that caches hold too.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Deleted {
    /// Its sessions, now ended.
    pub ended: Vec<Revocation>,
    /// Its pending codes, as (purpose, address).
    pub codes: Vec<(Purpose, String)>,
}

/// Whether `user`'s email or nickname already belongs to another account.
pub fn conflict(tx: &mut dyn Tx, user: &User) -> Result<Option<Conflict>, Error> {
    if tx.email_owner(&user.email)?.is_some_and(|id| id != user.id) {
        return Ok(Some(Conflict::Email));
    }
    let key = nickname_key(&user.nickname);
    if tx.nickname_owner(&key)?.is_some_and(|id| id != user.id) {
        return Ok(Some(Conflict::Nickname));
    }
    Ok(None)
}

/// Creates an inactive account with its first code and the mail carrying it, unless the
/// address or nickname is taken.
pub fn create(
    tx: &mut dyn Tx,
    w: &mut Changes,
    user: &User,
    code: &PendingCode,
    mail: &NewMail,
    now_ms: u64,
) -> Result<Result<(), Conflict>, Error> {
    if let Some(conflict) = conflict(tx, user)? {
        return Ok(Err(conflict));
    }
    w.put_user(user.clone());
    codes::put(w, code, std::slice::from_ref(mail), now_ms);
    w.audit(audit::event("signup", now_ms, Some(&user.id), None));
    Ok(Ok(()))
}

/// Changes a nickname, unless another account has it (compared lower-cased); `None` if the
/// account is gone.
pub fn set_nickname(
    tx: &mut dyn Tx,
    w: &mut Changes,
    user_id: &str,
    nickname: &str,
) -> Result<Option<Result<User, Conflict>>, Error> {
    let Some(mut user) = tx.user(user_id)? else {
        return Ok(None);
    };
    nickname.clone_into(&mut user.nickname);
    if let Some(conflict) = conflict(tx, &user)? {
        return Ok(Some(Err(conflict)));
    }
    w.put_user(user.clone());
    Ok(Some(Ok(user)))
}

/// Replaces the password hash `checked` (the one just verified) with `hash` and ends every
/// session but `keep`; `None` if the account is gone or its password changed meanwhile.
pub fn set_password(
    tx: &mut dyn Tx,
    w: &mut Changes,
    (user_id, checked): (&str, &str),
    hash: &str,
    keep: Option<&str>,
    now: u64,
) -> Result<Option<Vec<Revocation>>, Error> {
    let Some(mut user) = tx.user(user_id)?.filter(|u| u.password_hash == checked) else {
        return Ok(None);
    };
    hash.clone_into(&mut user.password_hash);
    w.put_user(user);
    sessions::end_all(tx, w, user_id, keep, now).map(Some)
}

/// Replaces the hash `checked` with `upgraded`, a hash of the same password under the current
/// settings, unless the password changed meanwhile; sessions stay. Whether it did.
pub fn upgrade_hash(
    tx: &mut dyn Tx,
    w: &mut Changes,
    (user_id, checked): (&str, &str),
    upgraded: &str,
    now_ms: u64,
) -> Result<bool, Error> {
    let Some(mut user) = tx.user(user_id)?.filter(|u| u.password_hash == checked) else {
        return Ok(false);
    };
    let from = crate::password::django::algorithm(checked).map_or_else(
        || "older argon2 settings".to_owned(),
        |name| format!("django {name}"),
    );
    upgraded.clone_into(&mut user.password_hash);
    w.put_user(user);
    let mut event = audit::event("password_upgrade", now_ms, Some(user_id), None);
    event.detail = Some(format!("{from} -> argon2id"));
    w.audit(event);
    Ok(true)
}

/// Deletes an account if its password hash is still `checked`: its sessions end, its codes and
/// its mail go, and the address and nickname are free again.
pub fn delete(
    tx: &mut dyn Tx,
    w: &mut Changes,
    (user_id, checked): (&str, &str),
    now: u64,
) -> Result<Option<Deleted>, Error> {
    let Some(user) = tx.user(user_id)?.filter(|u| u.password_hash == checked) else {
        return Ok(None);
    };
    w.delete_user(&user.id);
    // The ended sessions stay until their tokens expire, so the revoked set can reload them.
    let ended = sessions::end_all(tx, w, &user.id, None, now)?;
    let codes = codes::drop_codes_of(tx, w, &user.email, &user.id, None)?;
    for mail in tx.mails_of(&user.id)? {
        w.delete_mail(mail.id);
    }
    Ok(Some(Deleted { ended, codes }))
}
