//! One JSON object read with `serde_json` for the general path: any member order, whitespace
//! and string escape, and every member name seen (after unescaping) so that duplicates are
//! caught, which `serde_json::Value` and derived structs silently let through (last one wins).
//!
//! Only the members the caller names are kept, each reduced to what the rules look at; every
//! other value is checked for JSON syntax and skipped without being built.

use std::borrow::Cow;
use std::fmt;

use compact_str::CompactString;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A member's value, reduced to what the rules look at.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Value {
    /// A string, unescaped.
    Str(CompactString),
    /// A non-negative integer that fits `u64`.
    Int(u64),
    /// A negative integer.
    Negative,
    /// Anything else: a fraction or exponent, a huge integer, `true`, `null`, an array, ...
    Other,
}

/// The members named `N` in the call to [`parse`], and whether any name appeared twice.
#[derive(Debug)]
pub(crate) struct Object<const N: usize> {
    /// The value of each named member, in the order the names were given.
    pub values: [Option<Value>; N],
    /// Some member name, named or not, appears more than once.
    pub duplicate: bool,
}

/// Parses `json` as one JSON object (RFC 8259), keeping the members called `names`. `None` if
/// it is not UTF-8, not an object, not valid JSON, or has anything but whitespace after it.
pub(crate) fn parse<const N: usize>(json: &[u8], names: &[&str; N]) -> Option<Object<N>> {
    // UTF-8 is checked for the whole text first: `serde_json` checks it only in strings it
    // builds, not in the ones it skips (RFC 8259 §8.1 requires it everywhere).
    let text = std::str::from_utf8(json).ok()?;
    let mut de = serde_json::Deserializer::from_str(text);
    let object = ObjectSeed(names).deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(object)
}

struct ObjectSeed<'n, const N: usize>(&'n [&'n str; N]);

impl<'de, const N: usize> DeserializeSeed<'de> for ObjectSeed<'_, N> {
    type Value = Object<N>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Object<N>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for ObjectSeed<'_, N> {
    type Value = Object<N>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Object<N>, A::Error> {
        let mut values = [const { None }; N];
        let mut duplicate = false;
        // Names nobody asked for, kept only to find duplicates among them; borrowed from the
        // input unless they contain escapes.
        let mut others: Vec<Cow<'de, str>> = Vec::new();
        while let Some(Name(name)) = map.next_key()? {
            if let Some(i) = self.0.iter().position(|&n| n == name) {
                duplicate |= values[i].replace(map.next_value()?).is_some();
            } else {
                map.next_value::<IgnoredAny>()?;
                others.push(name);
            }
        }
        if !duplicate && others.len() > 1 {
            // Sorting keeps this O(n log n) for a hostile payload of thousands of members.
            others.sort_unstable();
            duplicate = others.windows(2).any(|w| w[0] == w[1]);
        }
        Ok(Object { values, duplicate })
    }
}

/// A member name, unescaped.
struct Name<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl<'de> Visitor<'de> for NameVisitor {
            type Value = Name<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(NameVisitor)
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
                Ok(Value::Str(CompactString::from(v)))
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
            // Nested values are skipped by `IgnoredAny`, which `serde_json` walks without
            // recursion, so depth costs nothing but length.
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

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 2] = ["a", "b"];

    fn read(json: &str) -> Option<Object<2>> {
        parse(json.as_bytes(), &NAMES)
    }

    #[test]
    fn keeps_named_members_in_any_order_and_spelling() {
        let o = read(" {\n\"b\" : -3 ,\t\"x\":[1,{\"y\":null}], \"\\u0061\":\"\\u00e9\\/\\ud83d\\ude00\"}\r\n")
            .unwrap();
        assert_eq!(
            o.values,
            [Some(Value::Str("é/😀".into())), Some(Value::Negative)]
        );
        assert!(!o.duplicate);
        let o = read(r#"{"a":1.0,"b":18446744073709551615}"#).unwrap();
        assert_eq!(o.values, [Some(Value::Other), Some(Value::Int(u64::MAX))]);
        let o = read(r#"{"a":true,"b":18446744073709551616}"#).unwrap();
        assert_eq!(o.values, [Some(Value::Other), Some(Value::Other)]);
        assert_eq!(read("{}").unwrap().values, [None, None]);
    }

    #[test]
    fn finds_duplicates_named_or_not_and_however_escaped() {
        for json in [
            r#"{"a":1,"a":1}"#,
            r#"{"a":1,"\u0061":2}"#,
            r#"{"x":1,"b":2,"x":3}"#,
            r#"{"x\/":1,"x/":1}"#,
            r#"{"é":1,"\u00e9":1}"#,
        ] {
            assert!(read(json).unwrap().duplicate, "{json}");
        }
        for json in [r#"{"a":1,"A":1}"#, r#"{"x":1,"x ":1,"b":{"b":1}}"#] {
            assert!(!read(json).unwrap().duplicate, "{json}");
        }
    }

    #[test]
    fn refuses_anything_but_one_object_of_utf8_json() {
        for json in [
            "",
            "[]",
            "null",
            r#""a""#,
            "{",
            r#"{"a":1}x"#,
            r#"{"a":1}{}"#,
            r#"{"a":1,}"#,
            r"{'a':1}",
            r#"{"a":01}"#,
            r#"{"a":"\x"}"#,
            "{\"a\":\"\u{1}\"}",
            r#"{"a":"\ud800"}"#,
            "\u{feff}{}",
            r#"{"x":[1,]}"#,
            r#"{"x":NaN}"#,
        ] {
            assert!(read(json).is_none(), "{json:?}");
        }
        assert!(parse(b"{\"x\":\"\xff\"}", &NAMES).is_none());
    }

    #[test]
    fn deep_nesting_in_skipped_values_is_not_recursion() {
        let deep = format!(r#"{{"x":{}{}}}"#, "[".repeat(5000), "]".repeat(5000));
        assert!(read(&deep).is_some());
        let deep = format!(r#"{{"a":{}{}}}"#, "[".repeat(5000), "]".repeat(5000));
        assert_eq!(read(&deep).unwrap().values[0], Some(Value::Other));
    }
}
