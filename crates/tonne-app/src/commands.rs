//! Reading command files (JSON Lines of envelopes). The whole file is parsed before anything is
//! applied; every syntax error names its line.

use tonne_core::limits::{MAX_LINE_BYTES, MAX_LINES_PER_FILE};
use tonne_registry::Envelope;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// A parsed command with its 1-based line number.
pub type Numbered = (usize, Envelope);

/// Parses every line; returns all errors (at most 100 are kept) if any line is bad.
pub fn parse_jsonl(text: &str) -> Result<Vec<Numbered>, Vec<LineError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if line > MAX_LINES_PER_FILE {
            errors.push(LineError {
                line,
                message: format!("a command file has at most {MAX_LINES_PER_FILE} lines"),
            });
            break;
        }
        if raw.trim().is_empty() {
            continue;
        }
        if raw.len() > MAX_LINE_BYTES {
            errors.push(LineError {
                line,
                message: format!("line is longer than {MAX_LINE_BYTES} bytes"),
            });
            continue;
        }
        match serde_json::from_str::<Envelope>(raw)
            .map_err(|e| format!("{e} (column {})", e.column()))
        {
            Ok(env) => match check_command_shape(raw) {
                Ok(()) => out.push((line, env)),
                Err(message) => {
                    if errors.len() < 100 {
                        errors.push(LineError { line, message });
                    }
                }
            },
            Err(message) => {
                if errors.len() < 100 {
                    errors.push(LineError { line, message });
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// serde also accepts a struct written as a JSON array (`{"tick": []}`); the documented form is
/// an object, so a command's arguments must be one.
fn check_command_shape(raw: &str) -> Result<(), String> {
    let v: serde_json::Value = serde_json::from_str(raw).map_err(|e| e.to_string())?;
    let cmd = v.get("cmd").and_then(|c| c.as_object());
    match cmd.and_then(|c| c.iter().next()) {
        Some((name, args)) if !args.is_object() => Err(format!(
            "cmd.{name}: arguments must be a JSON object, e.g. {{\"{name}\":{{…}}}}"
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_their_lines_and_nothing_is_returned() {
        let good =
            r#"{"v":1,"key":"k1","ts":"2026-01-05T10:00:00Z","actor":"admin","cmd":{"tick":{}}}"#;
        let text = format!(
            "{good}\n\n{}\n{}\n{}\n",
            r#"{"v":1,"key":"k2","ts":"2026-01-05T10:00:00Z","actor":"admin","cmd":{"issue":{"series":{"jurisdiction":"US-CA","kind":"allowance","vintage":2026},"quantity":-5,"to":"a"}}}"#,
            r#"{"v":1,"key":"k3","ts":"2026-01-05T10:00:00Z","actor":"admin","cmd":{"issue":{"series":{"jurisdiction":"US-CA","kind":"allowance","vintage":2026},"quantity":99999999999999999999999,"to":"a"}}}"#,
            "not json"
        );
        let errs = parse_jsonl(&text).unwrap_err();
        assert_eq!(
            errs.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![3, 4, 5]
        );
        assert!(errs[0].message.contains("-5"), "{}", errs[0]);
        assert_eq!(parse_jsonl(good).unwrap().len(), 1);
        let array_form =
            r#"{"v":1,"key":"k1","ts":"2026-01-05T10:00:00Z","actor":"admin","cmd":{"tick":[]}}"#;
        let errs = parse_jsonl(array_form).unwrap_err();
        assert!(
            errs[0]
                .message
                .contains("cmd.tick: arguments must be a JSON object"),
            "{}",
            errs[0]
        );
    }
}
