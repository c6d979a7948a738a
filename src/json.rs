//! JSON that means one thing to every reader. RFC 8259 leaves duplicate member names to the
//! parser, and parsers disagree (first wins, last wins): a proxy or a log reading one member
//! while latchkey reads the other is how a check gets bypassed. So request bodies, token
//! headers and claims are parsed here, and a duplicate name anywhere is refused.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Why a document was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    /// Not JSON at all (syntax, trailing data, too deep).
    Syntax,
    /// An object named this member twice.
    Duplicate(String),
}

/// Parses `bytes` as one JSON value, refusing duplicate member names at any depth.
pub fn parse(bytes: &[u8]) -> Result<Value, Refused> {
    let duplicate = RefCell::new(None);
    let mut reader = serde_json::Deserializer::from_slice(bytes);
    let parsed = Strict {
        duplicate: &duplicate,
    }
    .deserialize(&mut reader)
    .and_then(|value| reader.end().map(|()| value));
    match (parsed, duplicate.into_inner()) {
        (Ok(value), _) => Ok(value),
        (Err(_), Some(name)) => Err(Refused::Duplicate(name)),
        (Err(_), None) => Err(Refused::Syntax),
    }
}

/// Builds a [`Value`] like `serde_json` does, noting the first duplicate name it meets.
#[derive(Clone, Copy)]
struct Strict<'a> {
    duplicate: &'a RefCell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("not a finite number"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            if members.contains_key(&name) {
                let message = format!("duplicate member {name:?}");
                *self.duplicate.borrow_mut() = Some(name);
                return Err(de::Error::custom(message));
            }
            let value = map.next_value_seed(self)?;
            members.insert(name, value);
        }
        Ok(Value::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_serde_json_parses() {
        for text in [
            r#"{"a":1,"b":[true,null,"x",-2,1.5],"c":{"d":"\u00e9"}}"#,
            " [ ] ",
            "\"\\ud83d\\ude00\"",
            "18446744073709551615",
        ] {
            let expected: Value = serde_json::from_str(text).unwrap();
            assert_eq!(parse(text.as_bytes()), Ok(expected), "{text}");
        }
    }

    #[test]
    fn refuses_duplicates_at_any_depth_and_names_them() {
        assert_eq!(
            parse(br#"{"email":"a@x.io","email":"b@x.io"}"#),
            Err(Refused::Duplicate("email".into()))
        );
        assert_eq!(
            parse(br#"{"a":[{"k":1,"k":2}]}"#),
            Err(Refused::Duplicate("k".into()))
        );
        // The same name spelt with an escape is the same name.
        assert_eq!(
            parse(br#"{"ab":1,"\u0061b":2}"#),
            Err(Refused::Duplicate("ab".into()))
        );
        // The same name in sibling objects is fine.
        assert!(parse(br#"[{"k":1},{"k":2}]"#).is_ok());
    }

    #[test]
    fn refuses_what_is_not_one_json_value() {
        for text in ["", "{", r#"{"a":1}x"#, "[1,]", "NaN", &"[".repeat(200)] {
            assert_eq!(parse(text.as_bytes()), Err(Refused::Syntax), "{text}");
        }
    }
}
