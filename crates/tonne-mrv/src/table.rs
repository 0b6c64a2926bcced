//! Versioned factor tables shipped as data files (`crates/tonne-mrv/data/*.csv`).
//!
//! Each file starts with `# key: value` lines — `table`, `version`, `effective_from`, `source`,
//! any number of `note`s — then a CSV header and rows. Every row carries its verification mark
//! (reference/README.md). Tables are parsed once, at first use; a malformed shipped file is a bug
//! caught by the tests, and a caller-supplied file gets the same parser with a typed error.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The verification mark of a value (reference/README.md, "Verification marks").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Mark {
    #[serde(rename = "VERIFIED")]
    Verified,
    #[serde(rename = "VERIFIED-SECONDARY")]
    VerifiedSecondary,
    #[serde(rename = "DERIVED")]
    Derived,
    #[serde(rename = "UNVERIFIED")]
    Unverified,
}

impl Mark {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "VERIFIED" => Self::Verified,
            "VERIFIED-SECONDARY" => Self::VerifiedSecondary,
            "DERIVED" => Self::Derived,
            "UNVERIFIED" => Self::Unverified,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verified => "VERIFIED",
            Self::VerifiedSecondary => "VERIFIED-SECONDARY",
            Self::Derived => "DERIVED",
            Self::Unverified => "UNVERIFIED",
        }
    }
}

impl fmt::Display for Mark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a table comes from: stored with every result it produces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableMeta {
    pub table: String,
    pub version: String,
    pub effective_from: String,
    pub source: String,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}, line {line}: {what}")]
pub struct TableError {
    pub file: String,
    pub line: u64,
    pub what: String,
}

/// A parsed data file: its provenance and its rows as header-keyed strings.
#[derive(Debug, Clone)]
pub struct RawTable {
    pub meta: TableMeta,
    pub header: Vec<String>,
    /// (line number in the file, fields)
    pub rows: Vec<(u64, Vec<String>)>,
    file: String,
}

impl RawTable {
    pub fn parse(file: &str, text: &str) -> Result<Self, TableError> {
        let err = |line: u64, what: String| TableError {
            file: file.to_owned(),
            line,
            what,
        };
        let mut meta = TableMeta {
            table: String::new(),
            version: String::new(),
            effective_from: String::new(),
            source: String::new(),
            notes: Vec::new(),
        };
        let mut body_at = 0;
        let mut skipped = 0u64;
        for (i, line) in text.lines().enumerate() {
            let Some(rest) = line.strip_prefix('#') else {
                break;
            };
            body_at += line.len() + 1;
            skipped += 1;
            let Some((k, v)) = rest.trim().split_once(':') else {
                return Err(err(i as u64 + 1, "a `# key: value` line expected".into()));
            };
            let v = v.trim().to_owned();
            match k.trim() {
                "table" => meta.table = v,
                "version" => meta.version = v,
                "effective_from" => meta.effective_from = v,
                "source" => meta.source = v,
                "note" | "columns" | "c2_category" => meta.notes.push(v),
                other => return Err(err(i as u64 + 1, format!("unknown key {other:?}"))),
            }
        }
        for (k, v) in [
            ("table", &meta.table),
            ("version", &meta.version),
            ("source", &meta.source),
        ] {
            if v.is_empty() {
                return Err(err(1, format!("the `# {k}:` line is missing")));
            }
        }
        let body = text.get(body_at.min(text.len())..).unwrap_or("");
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(body.as_bytes());
        let header: Vec<String> = rdr
            .headers()
            .map_err(|e| err(skipped + 1, e.to_string()))?
            .iter()
            .map(str::to_owned)
            .collect();
        let mut rows = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line()) + skipped;
                err(line, e.to_string())
            })?;
            let line = rec.position().map_or(0, |p| p.line()) + skipped;
            rows.push((line, rec.iter().map(str::to_owned).collect()));
        }
        Ok(Self {
            meta,
            header,
            rows,
            file: file.to_owned(),
        })
    }

    fn col(&self, name: &str) -> Result<usize, TableError> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| TableError {
                file: self.file.clone(),
                line: 1,
                what: format!("column {name:?} is missing"),
            })
    }

    /// Reads each row through `f`, which gets a typed accessor.
    pub fn map_rows<T>(
        &self,
        mut f: impl FnMut(&Row<'_>) -> Result<T, String>,
    ) -> Result<Vec<T>, TableError> {
        let cols: Vec<(String, usize)> = self
            .header
            .iter()
            .map(|h| self.col(h).map(|i| (h.clone(), i)))
            .collect::<Result<_, _>>()?;
        self.rows
            .iter()
            .map(|(line, fields)| {
                let row = Row {
                    cols: &cols,
                    fields,
                };
                f(&row).map_err(|what| TableError {
                    file: self.file.clone(),
                    line: *line,
                    what,
                })
            })
            .collect()
    }
}

/// One row of a [`RawTable`].
pub struct Row<'a> {
    cols: &'a [(String, usize)],
    fields: &'a [String],
}

impl Row<'_> {
    pub fn str(&self, name: &str) -> Result<&str, String> {
        let i = self
            .cols
            .iter()
            .find(|(h, _)| h == name)
            .map(|(_, i)| *i)
            .ok_or_else(|| format!("column {name:?} is missing"))?;
        Ok(self.fields.get(i).map_or("", |s| s.trim()))
    }
    pub fn decimal(&self, name: &str) -> Result<rust_decimal::Decimal, String> {
        let s = self.str(name)?;
        crate::num::parse_decimal(s).map_err(|e| format!("{name}: {e}"))
    }
    pub fn opt_decimal(&self, name: &str) -> Result<Option<rust_decimal::Decimal>, String> {
        if self.str(name)?.is_empty() {
            Ok(None)
        } else {
            self.decimal(name).map(Some)
        }
    }
    pub fn bool(&self, name: &str) -> Result<bool, String> {
        match self.str(name)? {
            "true" => Ok(true),
            "false" => Ok(false),
            s => Err(format!("{name}: {s:?} is not true or false")),
        }
    }
    pub fn mark(&self) -> Result<Mark, String> {
        let s = self.str("mark")?;
        Mark::parse(s).ok_or_else(|| format!("mark: {s:?} is not a verification mark"))
    }
}
