//! SOQL: lexing, parsing, name resolution against the org's schema, evaluation and projection
//! into Salesforce's record JSON.
//!
//! A connector's incremental sync lives or dies by its queries, so this is a real parser and a
//! strict checker: unknown objects and fields, filters of the wrong type and unsupported
//! syntax all fail the way Salesforce fails (`INVALID_TYPE`, `INVALID_FIELD`,
//! `INVALID_QUERY_FILTER_OPERATOR`, `MALFORMED_QUERY`, with the caret message) instead of
//! returning a quietly wrong answer.

pub mod ast;
pub mod bind;
pub mod dates;
pub mod eval;
pub mod lexer;
pub mod parser;
pub mod run;

use crate::salesforce::error::SfError;

pub use parser::parse;

/// A SOQL failure, positioned in the source when Salesforce would show a caret.
#[derive(Debug, Clone, PartialEq)]
pub struct SoqlError {
    /// `MALFORMED_QUERY`, `INVALID_FIELD`, `INVALID_TYPE`, …
    pub code: &'static str,
    /// Byte offset the caret points at.
    pub pos: Option<usize>,
    /// The message after the caret block.
    pub message: String,
}

impl SoqlError {
    /// `MALFORMED_QUERY`.
    pub fn malformed(pos: Option<usize>, message: impl Into<String>) -> Self {
        Self {
            code: "MALFORMED_QUERY",
            pos,
            message: message.into(),
        }
    }

    /// Any code.
    pub fn new(code: &'static str, pos: Option<usize>, message: impl Into<String>) -> Self {
        Self {
            code,
            pos,
            message: message.into(),
        }
    }

    /// The REST error, with Salesforce's caret block when positioned:
    /// `"\n<query line>\n<spaces>^\nERROR at Row:1:Column:N\n<message>"`.
    pub fn into_sf(self, src: &str) -> SfError {
        let message = match self.pos {
            Some(pos) => caret_message(src, pos, &self.message),
            None => self.message,
        };
        SfError::new(400, self.code, message)
    }
}

/// Salesforce's caret block. Long lines are shown from a word boundary shortly before the
/// error (Salesforce shows a window of the line, not all of it).
pub fn caret_message(src: &str, pos: usize, message: &str) -> String {
    let pos = pos.min(src.len());
    let line_start = src[..pos].rfind('\n').map_or(0, |i| i + 1);
    let line_end = src[pos..].find('\n').map_or(src.len(), |i| pos + i);
    let row = src[..pos].matches('\n').count() + 1;
    let column = src[line_start..pos].chars().count() + 1;
    let line = &src[line_start..line_end];
    let in_line = pos - line_start;
    let mut start = 0;
    if in_line > 60 {
        let from = in_line - 40;
        start = line[from..in_line]
            .find([' ', ','])
            .map_or(from, |i| from + i + 1);
        while !line.is_char_boundary(start) {
            start += 1;
        }
    }
    let shown = &line[start..];
    let spaces = " ".repeat(line[start..in_line].chars().count());
    format!("\n{shown}\n{spaces}^\nERROR at Row:{row}:Column:{column}\n{message}")
}

/// The `INVALID_FIELD` message for an unknown column.
pub fn no_such_column(field: &str, object: &str) -> String {
    format!(
        "No such column '{field}' on entity '{object}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
    )
}

/// The `INVALID_TYPE` message for an unknown or invisible object.
pub fn not_supported_type(object: &str) -> String {
    format!(
        "sObject type '{object}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_block_matches_salesforce_layout() {
        let src = "SELECT Foo FROM Case";
        assert_eq!(
            caret_message(src, 7, "boom"),
            "\nSELECT Foo FROM Case\n       ^\nERROR at Row:1:Column:8\nboom"
        );
    }

    #[test]
    fn long_lines_are_windowed_before_the_error() {
        let src = format!("SELECT {} FROM Case", "Aaaaaaa, ".repeat(12) + "Bogus");
        let pos = src.find("Bogus").unwrap();
        let msg = caret_message(&src, pos, "x");
        let lines: Vec<&str> = msg.split('\n').collect();
        let caret = lines[2].find('^').unwrap();
        assert_eq!(&lines[1][caret..caret + 5], "Bogus");
        assert!(lines[1].len() < src.len());
        assert_eq!(lines[3], format!("ERROR at Row:1:Column:{}", pos + 1));
    }
}
