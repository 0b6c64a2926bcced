//! Validated identifiers. Built only through `parse`, so every id in the system is well formed.

use crate::limits::MAX_ID_LEN;
use compact_str::CompactString;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{what} is empty")]
    Empty { what: &'static str },
    #[error("{what} is longer than {max} characters", max = MAX_ID_LEN)]
    TooLong { what: &'static str },
    #[error("{what} may only contain letters, digits, '-', '_', '.' and ':' (found {found:?})")]
    BadChar { what: &'static str, found: char },
}

fn validate(what: &'static str, s: &str) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty { what });
    }
    if s.len() > MAX_ID_LEN {
        return Err(IdError::TooLong { what });
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
    {
        return Err(IdError::BadChar { what, found: c });
    }
    Ok(())
}

macro_rules! id_type {
    ($name:ident, $what:literal) => {
        /// Stored inline (no heap allocation) up to 24 bytes: ids are cloned on every move.
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(CompactString);

        impl $name {
            pub fn parse(s: &str) -> Result<Self, IdError> {
                validate($what, s)?;
                Ok(Self(CompactString::new(s)))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str(crate::id::StrVisitor(|s: &str| {
                    Self::parse(s).map_err(|e| e.to_string())
                }))
            }
        }
    };
}

/// Deserialises a string without an intermediate `String` and validates it with `f`.
pub(crate) struct StrVisitor<F>(pub F);

impl<'de, T, F: FnOnce(&str) -> Result<T, String>> serde::de::Visitor<'de> for StrVisitor<F> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        (self.0)(v).map_err(E::custom)
    }
}

id_type!(AccountId, "account id");
id_type!(EntityId, "entity id");
id_type!(GroupId, "corporate group id");
id_type!(UserId, "user id");
id_type!(TransferId, "transfer id");
id_type!(ObligationId, "obligation id");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_validate() {
        assert!(AccountId::parse("CA-1234-H").is_ok());
        assert_eq!(
            AccountId::parse(""),
            Err(IdError::Empty { what: "account id" })
        );
        assert!(matches!(
            AccountId::parse("a b"),
            Err(IdError::BadChar { found: ' ', .. })
        ));
        assert!(AccountId::parse(&"x".repeat(65)).is_err());
        let e: Result<AccountId, _> = serde_json::from_str("\"bad/id\"");
        assert!(e.is_err());
    }
}
