//! The general path: verification of a token in any conforming JSON spelling (RFC 7515 §4,
//! RFC 7519 §4, RFC 8259), as another JWT library would write it for a holder of the key.
//!
//! Members may come in any order with any whitespace and any valid string escape; header
//! parameters and claims latchkey does not use are ignored. Still refused: a `crit` header (no
//! extension is implemented), a duplicate member name in header or claims, an `alg` other than
//! the algorithm of the key `kid` names, and every rule of `validation`.
//!
//! [`KeyRing::verify`] tries latchkey's own spelling first and comes here for whatever that
//! fast path cannot read; [`KeyRing::verify_general`] comes here for everything. Both give the
//! same answer for every input (a property test and the `verify_general` fuzz target hold the
//! fast path to that).

use compact_str::CompactString;

use super::algorithm::Algorithm;
use super::b64;
use super::claims::{Claims, MAX_NUMERIC_DATE, TokenType};
use super::decode::{Parts, payload_error};
use super::error::{Error, Segment};
use super::key::Key;
use super::keyring::KeyRing;
use super::object::{self, Value};
use super::validation::Validation;

/// The header parameters with a meaning here (RFC 7515 §4.1). `typ`, `cty`, `jku`, `jwk`,
/// `x5u`, ... are ignored: the key comes from the ring by `kid`, never from the token.
const HEADER_MEMBERS: [&str; 3] = ["alg", "kid", "crit"];

/// The claims of [`Claims`], in its field order, which is also the order they are checked in.
const CLAIM_MEMBERS: [&str; 9] = [
    "iss",
    "sub",
    "aud",
    "iat",
    "nbf",
    "exp",
    "jti",
    "sid",
    "token_type",
];

impl KeyRing {
    /// Verifies `token` as [`KeyRing::verify`] does, but without its fast path for latchkey's
    /// own spelling: the same answer for every input, only slower. For tests, fuzzing and
    /// benches.
    ///
    /// # Security
    /// `token` is untrusted; see [`KeyRing::verify`].
    pub fn verify_general(&self, token: &str, rules: &Validation) -> Result<Claims, Error> {
        let parts = Parts::split(token)?;
        let json = b64::decode(parts.payload).ok_or_else(|| payload_error(parts.payload))?;
        let signature = b64::decode(parts.signature).ok_or(Error::Base64(Segment::Signature))?;
        let key = header(parts.header, self)?;
        key.verify_bytes(parts.signing_input, &signature)?;
        let claims = payload(&json)?;
        rules.check(&claims)?;
        Ok(claims)
    }
}

/// The key that the encoded header `text` names, if the header is acceptable for it.
pub(crate) fn header<'r>(text: &[u8], ring: &'r KeyRing) -> Result<&'r Key, Error> {
    let json = b64::decode(text).ok_or(Error::Base64(Segment::Header))?;
    let members = object::parse(&json, &HEADER_MEMBERS).ok_or(Error::HeaderMalformed)?;
    if members.duplicate {
        return Err(Error::HeaderDuplicate);
    }
    let [alg, kid, crit] = members.values;
    let alg = match alg {
        None => return Err(Error::AlgMissing),
        Some(Value::Str(alg)) => Algorithm::parse(&alg).ok_or(Error::AlgNotAllowed)?,
        Some(_) => return Err(Error::AlgNotAllowed),
    };
    // RFC 7515 §4.1.11: a recipient must refuse extensions it does not understand; latchkey
    // understands none, so any `crit`, even an empty one, is refused.
    if crit.is_some() {
        return Err(Error::Crit);
    }
    let Some(Value::Str(kid)) = kid else {
        return Err(Error::KidMissing);
    };
    let key = ring.get(&kid).ok_or(Error::KidUnknown)?;
    // The key decides the algorithm; the token's `alg` may only agree with it (RFC 8725 §3.1).
    if key.algorithm() != alg {
        return Err(Error::AlgNotAllowed);
    }
    Ok(key)
}

/// The claims in the signature-verified payload `json`, in any spelling.
pub(crate) fn payload(json: &[u8]) -> Result<Claims, Error> {
    let members = object::parse(json, &CLAIM_MEMBERS).ok_or(Error::PayloadMalformed)?;
    if members.duplicate {
        return Err(Error::PayloadDuplicate);
    }
    let [iss, sub, aud, iat, nbf, exp, jti, sid, token_type] = members.values;
    Ok(Claims {
        iss: required(iss, "iss", string)?,
        sub: required(sub, "sub", string)?,
        aud: aud.map(|v| string(v, "aud")).transpose()?,
        iat: required(iat, "iat", date)?,
        nbf: nbf.map(|v| date(v, "nbf")).transpose()?,
        exp: required(exp, "exp", date)?,
        jti: required(jti, "jti", string)?,
        sid: required(sid, "sid", string)?,
        token_type: required(token_type, "token_type", kind)?,
    })
}

fn required<T>(
    value: Option<Value>,
    name: &'static str,
    read: fn(Value, &'static str) -> Result<T, Error>,
) -> Result<T, Error> {
    read(value.ok_or(Error::ClaimMissing(name))?, name)
}

fn string(value: Value, name: &'static str) -> Result<CompactString, Error> {
    match value {
        Value::Str(s) => Ok(s),
        _ => Err(Error::ClaimType(name)),
    }
}

/// A `NumericDate` (RFC 7519 §2), which latchkey requires to be an integer (SPEC §5).
#[allow(
    clippy::needless_pass_by_value,
    reason = "one signature for every claim reader"
)]
fn date(value: Value, name: &'static str) -> Result<u64, Error> {
    match value {
        Value::Int(n) if n <= MAX_NUMERIC_DATE => Ok(n),
        Value::Int(_) | Value::Negative => Err(Error::ClaimRange(name)),
        _ => Err(Error::ClaimType(name)),
    }
}

fn kind(value: Value, name: &'static str) -> Result<TokenType, Error> {
    match value {
        Value::Str(s) if s == "access" => Ok(TokenType::Access),
        Value::Str(s) if s == "refresh" => Ok(TokenType::Refresh),
        _ => Err(Error::ClaimType(name)),
    }
}
