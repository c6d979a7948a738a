//! Names the reason a header or payload was refused. Only rejected tokens get here: an accepted
//! token never pays for these general JSON parses.
//!
//! Each function is called after the fast path has already refused its input, so it always
//! returns an error; when every rule it knows holds, the input was merely not canonical.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::b64;
use super::claims::MAX_NUMERIC_DATE;
use super::error::{Error, Segment};
use super::key::KeyRing;

/// Header members with a meaning here; anything else (`b64`, `jwk`, `jku`, `x5u`, `cty`, ...)
/// is refused rather than ignored.
const HEADER_MEMBERS: [&str; 3] = ["typ", "alg", "kid"];

/// Why the encoded header `text` matches no key's canonical header.
pub(crate) fn header(text: &[u8], ring: &KeyRing) -> Error {
    let Some(json) = b64::decode(text) else {
        return Error::Base64(Segment::Header);
    };
    let Ok(members) = serde_json::from_slice::<Members>(&json) else {
        return Error::HeaderMalformed;
    };
    if members.has_duplicates() {
        return Error::HeaderDuplicate;
    }
    match members.get("alg") {
        None => return Error::AlgMissing,
        Some(Value::Str(alg)) if alg == "HS256" => {}
        Some(_) => return Error::AlgNotAllowed,
    }
    if members.get("crit").is_some() {
        return Error::Crit;
    }
    if members
        .0
        .iter()
        .any(|(name, _)| !HEADER_MEMBERS.contains(&name.as_str()))
    {
        return Error::HeaderUnsupported;
    }
    if members
        .get("typ")
        .is_some_and(|typ| !matches!(typ, Value::Str(t) if t == "JWT"))
    {
        return Error::Typ;
    }
    match members.get("kid") {
        Some(Value::Str(kid)) if ring.get(kid).is_none() => Error::KidUnknown,
        Some(Value::Str(_)) => Error::HeaderNotCanonical,
        _ => Error::KidMissing,
    }
}

/// How a claim must look.
#[derive(Clone, Copy)]
enum Kind {
    Str,
    Date,
    TokenType,
}

/// Every claim latchkey knows, whether it is required, and its kind.
const CLAIMS: [(&str, bool, Kind); 9] = [
    ("exp", true, Kind::Date),
    ("iat", true, Kind::Date),
    ("nbf", false, Kind::Date),
    ("iss", true, Kind::Str),
    ("sub", true, Kind::Str),
    ("aud", false, Kind::Str),
    ("jti", true, Kind::Str),
    ("sid", true, Kind::Str),
    ("token_type", true, Kind::TokenType),
];

/// Why the MAC-verified payload `json` is not a canonical claims set.
pub(crate) fn payload(json: &[u8]) -> Error {
    let Ok(members) = serde_json::from_slice::<Members>(json) else {
        return Error::PayloadMalformed;
    };
    if members.has_duplicates() {
        return Error::PayloadDuplicate;
    }
    if members
        .0
        .iter()
        .any(|(name, _)| !CLAIMS.iter().any(|(known, ..)| known == name))
    {
        return Error::PayloadUnknown;
    }
    for (name, required, kind) in CLAIMS {
        let Some(value) = members.get(name) else {
            if required {
                return Error::ClaimMissing(name);
            }
            continue;
        };
        match (kind, value) {
            (Kind::Str, Value::Str(_)) | (Kind::Date, Value::Int(0..=MAX_NUMERIC_DATE)) => {}
            (Kind::TokenType, Value::Str(t)) if t == "access" || t == "refresh" => {}
            (Kind::Date, Value::Int(_) | Value::Negative) => return Error::ClaimRange(name),
            _ => return Error::ClaimType(name),
        }
    }
    Error::PayloadNotCanonical
}

/// A JSON object's members in document order, duplicates kept so they can be reported.
struct Members(Vec<(String, Value)>);

impl Members {
    fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    fn has_duplicates(&self) -> bool {
        self.0
            .iter()
            .enumerate()
            .any(|(i, (name, _))| self.0[..i].iter().any(|(n, _)| n == name))
    }
}

/// A member's value, reduced to what the rules look at.
enum Value {
    Str(String),
    Int(u64),
    Negative,
    Other,
}

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, Value>()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
                Ok(Value::Str(v.to_owned()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
                Ok(Value::Int(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
                Ok(u64::try_from(v).map_or(Value::Negative, Value::Int))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Value, E> {
                Ok(Value::Other)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Value, E> {
                Ok(Value::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
                Ok(Value::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Value::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Value::Other)
            }
        }
        deserializer.deserialize_any(ValueVisitor)
    }
}
