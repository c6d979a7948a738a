//! Argon2id password hashing on its own threads, bounded: one thread per core, at most
//! `max_queue` hashes waiting, and past that callers are turned away at once
//! ([`Error::Overloaded`], `503`). The threads run at a lower scheduling priority than the
//! async workers, so a login storm takes the idle CPU without making cheap requests
//! (`token/verify`, `/me`) wait behind it.
//!
//! - `django`: the Django hashes imported accounts keep until their next log-in

use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq as _;
use tokio::sync::Semaphore;

pub mod django;

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

/// Work for the hashing threads, given the thread's argon2 memory.
type Job = Box<dyn FnOnce(&mut Memory) + Send>;

/// Most argon2 memory one hash may ask for (1 GiB): a stored hash with a larger cost cannot be
/// checked rather than take the machine's memory.
const MAX_BLOCKS: usize = 1 << 20;

/// One hashing thread's argon2 working memory, allocated once and reused by every hash the
/// thread computes: the allocator would keep each hash's own allocation anyway, so memory grew
/// with the number of hashes until it reached threads × peak. Now it is threads × the
/// configured cost from the first hash on.
pub(crate) struct Memory {
    blocks: Vec<Block>,
    /// Blocks kept between hashes: the configured cost. A larger stored cost (an old or
    /// imported hash) grows the memory for that one hash only.
    keep: usize,
}

impl Memory {
    fn new(params: &Params) -> Self {
        Self {
            blocks: Vec::new(),
            keep: params.block_count(),
        }
    }

    /// Hashes into `out` with this memory, then wipes it (it holds state derived from the
    /// password) and gives back whatever exceeded the configured cost.
    fn hash_into(
        &mut self,
        argon2: &Argon2<'_>,
        password: &[u8],
        salt: &[u8],
        out: &mut [u8],
    ) -> Result<(), Error> {
        let need = argon2.params().block_count();
        if need > MAX_BLOCKS {
            return Err(Error::Internal(format!(
                "a stored hash asks for {need} KiB of memory"
            )));
        }
        if self.blocks.len() < need {
            self.blocks.resize(need, Block::new());
        }
        let result = argon2
            .hash_password_into_with_memory(password, salt, out, &mut self.blocks[..need])
            .map_err(|e| Error::Internal(e.to_string()));
        self.blocks[..need].fill(Block::new());
        if self.blocks.len() > self.keep {
            self.blocks.truncate(self.keep);
            self.blocks.shrink_to_fit();
        }
        result
    }
}

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
fn work_loop(queue: &Mutex<Receiver<Job>>, mut memory: Memory) {
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
            Ok(job) => job(&mut memory),
            Err(_) => return,
        }
    }
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal(e.to_string())
}

pub(crate) fn stored(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("stored hash: {e}"))
}

fn argon2(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn hash_blocking(memory: &mut Memory, params: &Params, password: &[u8]) -> Result<String, Error> {
    let salt = random::bytes::<16>();
    let argon2 = argon2(params);
    let mut out = [0; Params::DEFAULT_OUTPUT_LEN];
    memory.hash_into(&argon2, password, &salt, &mut out)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(internal)?,
        salt: Some(Salt::new(&salt).map_err(internal)?),
        hash: Some(Output::new(&out).map_err(internal)?),
    };
    Ok(phc.to_string())
}

/// Checks `password` against a stored hash: latchkey's argon2id PHC string, or an imported
/// Django hash (checked against the password as typed).
fn verify_blocking(memory: &mut Memory, password: &Password, stored: &str) -> Result<bool, Error> {
    match django::verify(memory, password.raw_bytes(), stored) {
        Some(verdict) => verdict,
        None => verify_phc(memory, password.as_bytes(), stored),
    }
}

/// Checks `password` against a PHC string (argon2id, argon2i or argon2d).
fn verify_phc(memory: &mut Memory, password: &[u8], phc: &str) -> Result<bool, Error> {
    let hash = PasswordHash::new(phc).map_err(stored)?;
    // Algorithm, version and parameters come from the PHC string, so hashes made under older
    // settings (or imported ones) still verify.
    let algorithm = Algorithm::try_from(hash.algorithm.as_str()).map_err(stored)?;
    let version = hash
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(stored)?
        .unwrap_or_default();
    let params = Params::try_from(&hash).map_err(stored)?;
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return Err(Error::Internal("stored hash: no salt or output".into()));
    };
    let mut out = vec![0; expected.len()];
    memory.hash_into(
        &Argon2::new(algorithm, version, params),
        password,
        salt,
        &mut out,
    )?;
    Ok(bool::from(out.as_slice().ct_eq(expected.as_bytes())))
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
        let dummy = hash_blocking(&mut Memory::new(&params), &params, &random::bytes::<16>())?;
        let cores = cores.max(1);
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..cores {
            let (queue, memory) = (queue.clone(), Memory::new(&params));
            std::thread::Builder::new()
                .name(format!("latchkey-hash-{i}"))
                .spawn(move || work_loop(&queue, memory))
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
        work: impl FnOnce(&mut Memory) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let admitted = self
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| Error::Overloaded)?;
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let _ = done.send(work(memory));
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
        self.run(move |memory| hash_blocking(memory, &params, password.as_bytes()))
            .await
    }

    /// Checks a password against a stored PHC string, or against the dummy when there is no
    /// account (always `false` then), taking the same time either way.
    pub async fn verify(&self, password: Password, phc: Option<String>) -> Result<bool, Error> {
        let dummy = self.dummy.clone();
        self.run(move |memory| match phc {
            Some(phc) => verify_blocking(memory, &password, &phc),
            None => verify_blocking(memory, &password, &dummy).map(|_| false),
        })
        .await
    }

    /// Whether a stored hash should be replaced at the next successful log-in: it is not
    /// argon2id with the configured parameters (an imported Django hash, or older settings).
    #[must_use]
    pub fn outdated(&self, stored: &str) -> bool {
        let Ok(hash) = PasswordHash::new(stored) else {
            return true;
        };
        hash.algorithm != Algorithm::Argon2id.ident()
            || Params::try_from(&hash).map_or(true, |p| {
                (p.m_cost(), p.t_cost(), p.p_cost())
                    != (
                        self.params.m_cost(),
                        self.params.t_cost(),
                        self.params.p_cost(),
                    )
            })
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

    #[test]
    fn hashes_are_the_argon2_crates_own_in_both_directions() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let params = Params::new(64, 1, 1, None).unwrap();
        let mut memory = Memory::new(&params);
        let ours = hash_blocking(&mut memory, &params, b"correct horse").unwrap();
        assert!(
            argon2(&params)
                .verify_password(b"correct horse", ours.as_str())
                .is_ok()
        );
        // A hash the crate made (another cost, argon2i, a 40-byte output) verifies here.
        let theirs = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(128, 2, 1, Some(40)).unwrap(),
        )
        .hash_password_with_salt(b"correct horse", b"saltsaltsalt")
        .unwrap()
        .to_string();
        assert!(verify_phc(&mut memory, b"correct horse", &theirs).unwrap());
        assert!(!verify_phc(&mut memory, b"correct hors", &theirs).unwrap());
        assert!(verify_phc(&mut memory, b"x", "$argon2id$v=19$junk").is_err());
    }

    #[test]
    fn memory_is_the_configured_cost_after_any_hash_and_is_wiped() {
        let params = Params::new(64, 1, 1, None).unwrap();
        let mut memory = Memory::new(&params);
        hash_blocking(&mut memory, &params, b"password").unwrap();
        assert_eq!(memory.blocks.len(), 64);
        let bigger = Params::new(256, 1, 1, None).unwrap();
        let phc = hash_blocking(&mut Memory::new(&bigger), &bigger, b"password").unwrap();
        assert!(verify_phc(&mut memory, b"password", &phc).unwrap());
        assert_eq!(
            memory.blocks.len(),
            64,
            "a larger stored cost is given back"
        );
        assert!(
            memory
                .blocks
                .iter()
                .all(|b| AsRef::<[u64]>::as_ref(b).iter().all(|&x| x == 0)),
            "nothing derived from a password stays behind"
        );
        let huge = "$argon2id$v=19$m=2000000,t=1,p=1$c2FsdHNhbHRzYWx0$2L0sOebmgoDW1Dlo3KJvSXvPwYTOWWxLK3cTDOKqbZM";
        assert!(verify_phc(&mut memory, b"password", huge).is_err());
    }
}
