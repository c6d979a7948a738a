//! The storage conformance suite: every backend, held to the contract of `latchkey::store`
//! through the rules that run on it (`latchkey::rules`). Each case is a function taking a
//! [`Fixture`]; [`cases!`] instantiates every case for every backend, so a new backend gets the
//! whole suite by adding one line there.

mod audit;
mod batch;
mod codes;
mod outbox;
mod sessions;
mod sweep;
mod users;

use std::path::PathBuf;
use std::sync::Arc;

use latchkey::rules;
use latchkey::store::{
    NewMail, PendingCode, Purpose, RedbStore, RefreshState, Session, Store, User,
};

/// The password hash every fixture account has.
pub const HASH: &str = "$argon2id$stub";

/// A store under test, and how to open it again.
pub struct Fixture {
    store: Option<Arc<dyn Store>>,
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Fixture {
    /// A fresh redb database in a temporary directory.
    pub fn redb() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("latchkey.redb");
        let store: Arc<dyn Store> = Arc::new(RedbStore::open(&path).unwrap());
        Self {
            store: Some(store),
            path,
            _dir: dir,
        }
    }

    /// The store.
    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone().expect("the fixture holds a store")
    }

    /// Closes the store and opens it again on the same data.
    pub fn reopen(&mut self) {
        let old = self.store.take().expect("the fixture holds a store");
        assert_eq!(Arc::strong_count(&old), 1, "nothing else holds the store");
        drop(old);
        self.store = Some(Arc::new(RedbStore::open(&self.path).unwrap()));
    }
}

/// Unix seconds the fixtures are made at.
pub const T0: u64 = 1000;

/// Milliseconds of `secs`.
pub fn ms(secs: u64) -> u64 {
    secs * 1000
}

/// An inactive account `id` at `email`, nickname `nick-<id>`.
pub fn user(id: &str, email: &str) -> User {
    User {
        id: id.into(),
        email: email.into(),
        nickname: format!("nick-{id}"),
        password_hash: HASH.into(),
        is_active: false,
        disabled: false,
        created_at: T0,
    }
}

/// A code issued at `T0` for an hour; `mac` fills the code's HMAC, its complement the link's.
pub fn code(user_id: &str, email: &str, purpose: Purpose, mac: u8) -> PendingCode {
    PendingCode {
        purpose,
        email: email.into(),
        user_id: user_id.into(),
        target: None,
        code_mac: [mac; 32],
        link_mac: (purpose == Purpose::Signup).then_some([mac ^ 0xff; 32]),
        issued_at: T0,
        expires_at: T0 + 3600,
        attempts: 0,
    }
}

/// A mail to `to` about no account.
pub fn mail(to: &str) -> NewMail {
    NewMail {
        to: to.into(),
        subject: "s".into(),
        text: "t".into(),
        html: "h".into(),
        message_id: format!("<{to}>"),
        user_id: None,
    }
}

/// A live session of `user_id` accepting refresh token `jti` until `T0 + 8000`.
pub fn session(sid: &str, user_id: &str, jti: &str) -> Session {
    Session {
        id: sid.into(),
        user_id: user_id.into(),
        created_at: T0,
        ip: "127.0.0.1".into(),
        refresh: refresh(jti, T0 + 8000),
        previous: None,
        revoked_at: None,
    }
}

/// A refresh token state.
pub fn refresh(jti: &str, exp: u64) -> RefreshState {
    RefreshState {
        jti: jti.into(),
        iat: T0,
        exp,
        kid: "k".into(),
        signature: None,
    }
}

/// Signs up `id` at `email` with a sign-up code of `mac`; asserts it worked.
pub async fn signup(store: &dyn Store, id: &str, email: &str, mac: u8) {
    let (u, c, m) = (
        user(id, email),
        code(id, email, Purpose::Signup, mac),
        mail(email),
    );
    let created = store
        .write(move |tx, w| rules::users::create(tx, w, &u, &c, &m, ms(T0)))
        .await
        .unwrap();
    assert_eq!(created, Ok(()));
}

/// Opens a session for an account, creating the account first if it does not exist.
pub async fn open_session(store: &dyn Store, s: &Session) {
    if store.user(&s.user_id).await.unwrap().is_none() {
        signup(store, &s.user_id, &format!("{}@example.com", s.user_id), 7).await;
    }
    let s = s.clone();
    let opened = store
        .write(move |tx, w| rules::sessions::open(tx, w, (&s, HASH), ms(T0)))
        .await
        .unwrap();
    assert!(opened);
}

/// Instantiates every case for every backend.
macro_rules! cases {
    ($($module:ident :: $case:ident),* $(,)?) => {
        mod redb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    super::$module::$case(super::Fixture::redb()).await;
                }
            )*
        }
    };
}

cases!(
    users::email_and_nickname_stay_unique,
    users::parallel_signups_of_one_address_make_one_account,
    users::nickname_changes_keep_nicknames_unique,
    users::a_password_change_loses_to_a_newer_one_and_ends_other_sessions,
    users::deletion_takes_sessions_codes_and_mail_and_frees_the_address,
    codes::the_right_code_activates_once,
    codes::wrong_guesses_count_and_void_the_code,
    codes::parallel_wrong_guesses_never_exceed_the_limit,
    codes::expired_codes_and_other_purposes_are_unknown,
    codes::links_redeem_and_a_replaced_code_takes_its_link_along,
    codes::the_resend_gate_holds_per_address_and_purpose,
    codes::an_email_change_to_a_taken_address_uses_the_code_and_changes_nothing,
    codes::a_reset_ends_every_session_and_drops_other_codes,
    sessions::rotation_grace_and_reuse,
    sessions::parallel_refreshes_of_one_token_agree_on_one_successor,
    sessions::a_session_is_refused_when_the_password_changed_after_it_was_checked,
    sessions::ending_all_sessions_can_keep_one,
    outbox::the_outbox_claims_retries_parks_and_delivers,
    outbox::parallel_claims_never_hand_out_one_mail_twice,
    sweep::sweeping_forgets_what_expired_and_nothing_else,
    sweep::a_big_backlog_is_swept_in_bounded_steps,
    batch::a_failing_work_leaves_no_trace_and_fails_nothing_else,
    batch::everything_survives_a_reopen,
    audit::parallel_audited_writes_form_one_unbroken_chain,
    audit::a_failing_work_leaves_no_audit_entry,
    audit::retention_trims_the_front_and_keeps_an_anchor,
);
