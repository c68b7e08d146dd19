//! The JSON encoding: a map visitor over the raw body, so that repeated keys are seen.

use serde::{
    Deserialize, Deserializer,
    de::{MapAccess, Visitor},
};

use super::RawFields;
use crate::error::ApiError;

impl RawFields {
    pub(super) fn from_json(body: &[u8]) -> Result<Self, ApiError> {
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        let fields = Self::deserialize(&mut deserializer)
            .and_then(|fields| deserializer.end().map(|()| fields))
            .map_err(|e| ApiError::MalformedBody(format!("malformed JSON: {e}")))?;
        Ok(fields)
    }
}

// A map visitor instead of a derived struct, so that repeated keys are seen (serde_json's own
// maps keep only the last) and non-string values become "invalid", not "malformed JSON".
impl<'de> Deserialize<'de> for RawFields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;

        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = RawFields;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object with order_id and status")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawFields, A::Error> {
                let mut fields = RawFields::default();
                while let Some(name) = map.next_key::<String>()? {
                    if fields.slot(&name).is_some() {
                        let value = match map.next_value::<serde_json::Value>()? {
                            serde_json::Value::String(text) => Some(text),
                            _ => None,
                        };
                        fields.push(&name, value);
                    } else {
                        // Read as a value (not skipped with `IgnoredAny`, which has no depth
                        // limit) so serde_json's recursion limit refuses deep nesting here too.
                        map.next_value::<serde_json::Value>()?;
                    }
                }
                Ok(fields)
            }
        }

        deserializer.deserialize_map(FieldsVisitor)
    }
}
