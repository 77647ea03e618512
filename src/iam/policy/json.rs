//! The JSON tree a policy is read from.
//!
//! `serde_json::Value` keeps only the last of two equal object keys, so
//! `{"Effect": "Deny", "Effect": "Allow"}` would silently read as an Allow. A policy is a
//! security document: this tree keeps every key in order, and each element decides what a
//! repeated key means ([`Json::fields`] refuses them; the `Condition` block ANDs repeated
//! operators, as the S3 guide's own Storage Lens example repeats `StringEquals`).
//! Nesting depth is bounded by serde_json's recursion limit (128), so no input can
//! overflow the stack.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::PolicyError;

/// A parsed JSON value; numbers keep their text form (condition values compare as text).
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as serde_json prints it (`10`, `1.5`).
    Number(String),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, every key kept in document order, repeats included.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Parses a whole document; anything but one JSON value is an error.
    pub(super) fn parse(text: &str) -> Result<Json, PolicyError> {
        serde_json::from_str(text).map_err(|_| PolicyError::new("Syntax errors in policy."))
    }

    /// The members of an object whose keys must be unique (`what` names it in errors).
    pub(super) fn fields(&self, what: &str) -> Result<&[(String, Json)], PolicyError> {
        let Json::Object(fields) = self else {
            return Err(PolicyError::new(format!("{what} must be a JSON object")));
        };
        let mut keys: Vec<&str> = fields.iter().map(|(key, _)| key.as_str()).collect();
        keys.sort_unstable();
        for pair in keys.windows(2) {
            if let [a, b] = pair {
                if a == b {
                    return Err(PolicyError::new(format!("{what} has a duplicate field {a}")));
                }
            }
        }
        Ok(fields)
    }

    /// A string, or an array of strings, as a list; `None` for anything else.
    pub(super) fn strings(&self) -> Option<Vec<&str>> {
        match self {
            Json::String(s) => Some(vec![s.as_str()]),
            Json::Array(items) => items.iter().map(|item| if let Json::String(s) = item { Some(s.as_str()) } else { None }).collect(),
            _ => None,
        }
    }

    /// A condition value list: strings, numbers and booleans (AWS accepts `true` and `10`
    /// unquoted), alone or in an array; `None` for anything else.
    pub(super) fn scalars(&self) -> Option<Vec<String>> {
        match self {
            Json::Array(items) => items.iter().map(Json::scalar).collect(),
            other => other.scalar().map(|s| vec![s]),
        }
    }

    fn scalar(&self) -> Option<String> {
        match self {
            Json::String(s) | Json::Number(s) => Some(s.clone()),
            Json::Bool(b) => Some(b.to_string()),
            Json::Null | Json::Array(_) | Json::Object(_) => None,
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

/// Builds [`Json`] from serde's events.
struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut fields = Vec::new();
        while let Some(entry) = map.next_entry::<String, Json>()? {
            fields.push(entry);
        }
        Ok(Json::Object(fields))
    }
}

#[cfg(test)]
mod tests {
    use super::Json;

    #[test]
    fn keeps_repeated_keys_and_number_text() {
        let json = Json::parse(r#"{"a": 10, "a": [true, 1.5, "x"]}"#).unwrap();
        let Json::Object(fields) = &json else { panic!("object expected") };
        assert_eq!(fields.len(), 2);
        assert!(json.fields("Thing").unwrap_err().0.contains("duplicate field a"));
        assert_eq!(fields[0].1.scalars().unwrap(), ["10"]);
        assert_eq!(fields[1].1.scalars().unwrap(), ["true", "1.5", "x"]);
    }

    #[test]
    fn syntax_errors() {
        for bad in ["", "{", "{} {}", "[1,]", "{\"a\" 1}", "nul"] {
            assert_eq!(Json::parse(bad).unwrap_err().0, "Syntax errors in policy.", "{bad}");
        }
        // serde_json's recursion limit stops deep nesting before the stack does.
        let deep = "[".repeat(100_000);
        assert!(Json::parse(&deep).is_err());
    }
}
