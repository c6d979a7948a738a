//! [`Secret`]: key material and passwords from configuration, zeroed on drop and never shown.

use std::fmt;

use zeroize::Zeroizing;

/// Bytes that must not leak: `Debug` prints only their length, and they are zeroed when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Wraps `bytes`.
    #[must_use]
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The secret bytes.
    ///
    /// # Security
    /// Hand them only to the code that needs them (a MAC key, an SMTP login); never log them.
    #[must_use]
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Number of bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} bytes)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_only_the_length() {
        let secret = Secret::new(b"hunter2hunter2".to_vec());
        assert_eq!(format!("{secret:?}"), "Secret(14 bytes)");
    }
}
