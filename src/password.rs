//! Argon2id password hashing on its own threads, bounded: one thread per core, at most
//! `max_queue` hashes waiting, and past that callers are turned away at once
//! ([`Error::Overloaded`], `503`). The threads run at a lower scheduling priority than the
//! async workers, so a login storm takes the idle CPU without making cheap requests
//! (`token/verify`, `/me`) wait behind it.

use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::config::Passwords;
use crate::input::Password;
use crate::random;

/// Why a hash could not be computed or checked.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Too many hashes are running or waiting.
    #[error("password hashing is saturated")]
    Overloaded,
    /// The parameters or a stored hash are unusable.
    #[error("password hashing: {0}")]
    Internal(String),
}

/// Work for the hashing threads.
type Job = Box<dyn FnOnce() + Send>;

/// Hashes and verifies passwords with the configured Argon2id parameters.
#[derive(Clone)]
pub struct Hasher {
    params: Params,
    /// Feeds the hashing threads; they stop when the last `Hasher` clone is dropped.
    jobs: Arc<Sender<Job>>,
    /// Running plus waiting: admission control.
    admitted: Arc<Semaphore>,
    /// A hash of a random password with the same parameters, verified when an account does not
    /// exist so that the answer takes as long as for one that does.
    dummy: Arc<str>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

/// A hashing thread: lower its priority, then take jobs until the queue closes.
fn work_loop(queue: &Mutex<Receiver<Job>>) {
    // Niceness 10: the scheduler prefers the async workers whenever both want a core (Linux;
    // elsewhere the threads keep the default priority). Best effort: an unprivileged process
    // may always lower its own priority.
    #[cfg(target_os = "linux")]
    let _ = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 10);
    loop {
        // The lock is held only while waiting for the next job, never while hashing.
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

fn argon2(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn hash_blocking(params: &Params, password: &[u8]) -> Result<String, Error> {
    let salt = random::bytes::<16>();
    argon2(params)
        .hash_password_with_salt(password, &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| Error::Internal(e.to_string()))
}

fn verify_blocking(password: &[u8], phc: &str) -> Result<bool, Error> {
    let hash = PasswordHash::new(phc).map_err(|e| Error::Internal(format!("stored hash: {e}")))?;
    // The parameters come from the PHC string, so hashes made under older settings still verify.
    let params = Params::try_from(&hash).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(argon2(&params).verify_password(password, &hash).is_ok())
}

impl Hasher {
    /// Prepares a hasher and starts its threads; computes the dummy hash, so call it at
    /// start-up.
    pub fn build(config: &Passwords, cores: usize) -> Result<Self, Error> {
        let params = Params::new(
            config.memory_kib,
            config.iterations,
            config.parallelism,
            None,
        )
        .map_err(|e| Error::Internal(e.to_string()))?;
        let dummy = hash_blocking(&params, &random::bytes::<16>())?;
        let cores = cores.max(1);
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..cores {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("latchkey-hash-{i}"))
                .spawn(move || work_loop(&queue))
                .map_err(|e| Error::Internal(format!("starting a hashing thread: {e}")))?;
        }
        Ok(Self {
            params,
            jobs: Arc::new(jobs),
            admitted: Arc::new(Semaphore::new(cores + config.max_queue)),
            dummy: dummy.into(),
        })
    }

    /// Runs `work` on a hashing thread once admitted. The admission is held until the work is
    /// done, even if the caller stops waiting.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let admitted = self
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| Error::Overloaded)?;
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work());
            drop(admitted);
        });
        self.jobs
            .send(job)
            .map_err(|_| Error::Internal("the hashing threads stopped".into()))?;
        result
            .await
            .map_err(|_| Error::Internal("a hashing thread failed".into()))?
    }

    /// Hashes a password into a PHC string.
    pub async fn hash(&self, password: Password) -> Result<String, Error> {
        let params = self.params.clone();
        self.run(move || hash_blocking(&params, password.as_bytes()))
            .await
    }

    /// Checks a password against a stored PHC string, or against the dummy when there is no
    /// account (always `false` then), taking the same time either way.
    pub async fn verify(&self, password: Password, phc: Option<String>) -> Result<bool, Error> {
        let dummy = self.dummy.clone();
        self.run(move || match phc {
            Some(phc) => verify_blocking(password.as_bytes(), &phc),
            None => verify_blocking(password.as_bytes(), &dummy).map(|_| false),
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap(max_queue: usize) -> Passwords {
        Passwords {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
            max_queue,
        }
    }

    fn pw(s: &str) -> Password {
        Password::parse(s).unwrap()
    }

    #[tokio::test]
    async fn hashes_verify_and_wrong_passwords_do_not() {
        let hasher = Hasher::build(&cheap(4), 2).unwrap();
        let phc = hasher.hash(pw("correct horse")).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{phc}");
        assert!(
            hasher
                .verify(pw("correct horse"), Some(phc.clone()))
                .await
                .unwrap()
        );
        assert!(!hasher.verify(pw("wrong horse!"), Some(phc)).await.unwrap());
        assert!(!hasher.verify(pw("correct horse"), None).await.unwrap());
    }

    #[tokio::test]
    async fn the_default_parameters_are_owasp() {
        let config = Passwords {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
            max_queue: 1,
        };
        let hasher = Hasher::build(&config, 1).unwrap();
        assert!(
            hasher.dummy.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            hasher.dummy
        );
    }

    #[tokio::test]
    async fn past_the_queue_callers_are_turned_away_at_once() {
        let hasher = Hasher::build(&cheap(0), 1).unwrap();
        let held = hasher.admitted.clone().try_acquire_owned().unwrap();
        let refused = hasher.hash(pw("password1")).await;
        assert!(matches!(refused, Err(Error::Overloaded)));
        drop(held);
        assert!(hasher.hash(pw("password1")).await.is_ok());
    }
}
