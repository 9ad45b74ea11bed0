//! SOQL tokens: identifiers, string literals with Salesforce's escape sequences, numbers,
//! unquoted date and datetime literals, operators and punctuation — each with its byte offset so
//! errors can point a caret at it the way Salesforce does.
//!
//! Escapes (SOQL and SOSL reference, "Quoted String Escape Sequences"): `\n \N \r \R \t \T \b \B
//! \f \F \" \' \\`, and in LIKE patterns `\_` and `\%`; any other backslash is an error.

use chrono::{DateTime, NaiveDate, Utc};
use winnow::ascii::digit1;
use winnow::combinator::{alt, opt, preceded};
use winnow::prelude::*;
use winnow::token::{one_of, take_while};

use crate::salesforce::values::parse_datetime;

/// Stands for an escaped `%` inside a string literal (literal in LIKE, `%` elsewhere).
pub const ESCAPED_PERCENT: char = '\u{E000}';
/// Stands for an escaped `_` inside a string literal.
pub const ESCAPED_UNDERSCORE: char = '\u{E001}';

/// A token kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// Name or keyword.
    Ident(String),
    /// Decoded string literal.
    Str(String),
    /// Number as written.
    Num(String),
    /// `YYYY-MM-DD`.
    Date(NaiveDate),
    /// `YYYY-MM-DDThh:mm:ss(.sss)(Z|±hh:mm)`.
    DateTime(DateTime<Utc>),
    /// `,`
    Comma,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `.`
    Dot,
    /// `:`
    Colon,
    /// `=`
    Eq,
    /// `!=` or `<>`
    Ne,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
}

/// A token and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// Kind and value.
    pub tok: Tok,
    /// Byte offset in the source.
    pub pos: usize,
    /// Byte length in the source.
    pub len: usize,
}

impl Token {
    /// Whether this is the keyword `kw` (case-insensitive).
    pub fn is_kw(&self, kw: &str) -> bool {
        matches!(&self.tok, Tok::Ident(s) if s.eq_ignore_ascii_case(kw))
    }
}

/// Why the source could not be split into tokens.
#[derive(Debug, Clone, PartialEq)]
pub enum LexError {
    /// A string literal with an illegal escape.
    BadEscape {
        /// Offset of the literal.
        pos: usize,
        /// The literal as written, without quotes.
        raw: String,
        /// The illegal sequence.
        seq: String,
    },
    /// A string literal without its closing quote.
    Unterminated {
        /// Offset of the literal.
        pos: usize,
    },
    /// A character that starts no token.
    Unexpected {
        /// Offset.
        pos: usize,
        /// The character.
        ch: char,
    },
}

/// Splits SOQL into tokens.
pub fn tokenize(src: &str) -> Result<Vec<Token>, LexError> {
    let mut out = Vec::new();
    let mut input = src;
    loop {
        input = input.trim_start();
        if input.is_empty() {
            return Ok(out);
        }
        let pos = src.len() - input.len();
        let tok = if input.starts_with('\'') {
            let (tok, rest) = string_literal(input, pos)?;
            input = rest;
            tok
        } else {
            let mut probe = input;
            match token.parse_next(&mut probe) {
                Ok(tok) => {
                    input = probe;
                    tok
                }
                Err(_) => {
                    return Err(LexError::Unexpected {
                        pos,
                        ch: input.chars().next().unwrap_or(' '),
                    })
                }
            }
        };
        let len = src.len() - input.len() - pos;
        out.push(Token { tok, pos, len });
    }
}

/// Reads a quoted literal starting at `input[0] == '\''`; returns it and the rest.
pub fn string_literal(input: &str, pos: usize) -> Result<(Tok, &str), LexError> {
    let mut out = String::new();
    let mut chars = input.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' => return Ok((Tok::Str(out), &input[i + 1..])),
            '\\' => {
                let Some((_, e)) = chars.next() else {
                    return Err(LexError::Unterminated { pos });
                };
                let decoded = match e {
                    'n' | 'N' => '\n',
                    'r' | 'R' => '\r',
                    't' | 'T' => '\t',
                    'b' | 'B' => '\u{8}',
                    'f' | 'F' => '\u{c}',
                    '"' => '"',
                    '\'' => '\'',
                    '\\' => '\\',
                    '%' => ESCAPED_PERCENT,
                    '_' => ESCAPED_UNDERSCORE,
                    other => {
                        let end = input[1..].find('\'').map_or(input.len(), |e| e + 1);
                        return Err(LexError::BadEscape {
                            pos,
                            raw: input[1..end].to_string(),
                            seq: format!("\\{other}"),
                        });
                    }
                };
                out.push(decoded);
            }
            c => out.push(c),
        }
    }
    Err(LexError::Unterminated { pos })
}

fn token(input: &mut &str) -> ModalResult<Tok> {
    alt((temporal, number, ident, operator, punct)).parse_next(input)
}

fn two_digits<'i>(input: &mut &'i str) -> ModalResult<&'i str> {
    take_while(2..=2, |c: char| c.is_ascii_digit()).parse_next(input)
}

fn temporal(input: &mut &str) -> ModalResult<Tok> {
    let start = *input;
    let _ = (
        take_while(4..=4, |c: char| c.is_ascii_digit()),
        '-',
        two_digits,
        '-',
        two_digits,
    )
        .parse_next(input)?;
    let date_text = &start[..10];
    let time = opt(preceded(
        'T',
        (
            two_digits,
            ':',
            two_digits,
            ':',
            two_digits,
            opt(preceded('.', digit1)),
            alt((
                "Z".map(|_| ()),
                (one_of(['+', '-']), two_digits, opt(':'), two_digits).map(|_| ()),
            )),
        ),
    ))
    .take()
    .parse_next(input)?;
    if time.is_empty() {
        let date = NaiveDate::parse_from_str(date_text, "%Y-%m-%d")
            .map_err(|_| winnow::error::ErrMode::Backtrack(winnow::error::ContextError::new()))?;
        return Ok(Tok::Date(date));
    }
    let text = &start[..start.len() - input.len()];
    parse_datetime(text)
        .map(Tok::DateTime)
        .ok_or_else(|| winnow::error::ErrMode::Backtrack(winnow::error::ContextError::new()))
}

fn number(input: &mut &str) -> ModalResult<Tok> {
    (opt(one_of(['-', '+'])), digit1, opt(preceded('.', digit1)))
        .take()
        .map(|s: &str| Tok::Num(s.to_string()))
        .parse_next(input)
}

fn ident(input: &mut &str) -> ModalResult<Tok> {
    (
        one_of(|c: char| c.is_ascii_alphabetic() || c == '_'),
        take_while(0.., |c: char| c.is_ascii_alphanumeric() || c == '_'),
    )
        .take()
        .map(|s: &str| Tok::Ident(s.to_string()))
        .parse_next(input)
}

fn operator(input: &mut &str) -> ModalResult<Tok> {
    alt((
        "!=".value(Tok::Ne),
        "<>".value(Tok::Ne),
        "<=".value(Tok::Le),
        ">=".value(Tok::Ge),
        "=".value(Tok::Eq),
        "<".value(Tok::Lt),
        ">".value(Tok::Gt),
    ))
    .parse_next(input)
}

fn punct(input: &mut &str) -> ModalResult<Tok> {
    alt((
        ','.value(Tok::Comma),
        '('.value(Tok::LParen),
        ')'.value(Tok::RParen),
        '.'.value(Tok::Dot),
        ':'.value(Tok::Colon),
    ))
    .parse_next(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        tokenize(src).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn splits_a_query_with_literals_of_every_kind() {
        let toks = kinds(
            "SELECT Id FROM Case WHERE Subject = 'It\\'s' AND CreatedDate >= 2024-01-02T03:04:05Z AND CloseDate < 2024-02-01 AND Amount > -1.5",
        );
        assert!(toks.contains(&Tok::Str("It's".into())));
        assert!(toks.contains(&Tok::DateTime(
            parse_datetime("2024-01-02T03:04:05Z").unwrap()
        )));
        assert!(toks.contains(&Tok::Date(NaiveDate::from_ymd_opt(2024, 2, 1).unwrap())));
        assert!(toks.contains(&Tok::Num("-1.5".into())));
        assert!(toks.contains(&Tok::Ge));
    }

    #[test]
    fn datetimes_accept_offsets_and_fractions() {
        let expected = parse_datetime("2024-01-02T01:04:05Z").unwrap();
        assert_eq!(
            kinds("2024-01-02T03:04:05+02:00"),
            vec![Tok::DateTime(expected)]
        );
        assert_eq!(
            kinds("2024-01-02T03:04:05.000+0200"),
            vec![Tok::DateTime(expected)]
        );
    }

    #[test]
    fn escapes_follow_the_documented_table() {
        assert_eq!(
            kinds(r"'a\nb\\c\%d\_'"),
            vec![Tok::Str(format!(
                "a\nb\\c{ESCAPED_PERCENT}d{ESCAPED_UNDERSCORE}"
            ))]
        );
        assert_eq!(
            tokenize(r"x = 'bad\q'").unwrap_err(),
            LexError::BadEscape {
                pos: 4,
                raw: r"bad\q".into(),
                seq: r"\q".into()
            }
        );
        assert_eq!(
            tokenize("'open").unwrap_err(),
            LexError::Unterminated { pos: 0 }
        );
        assert!(matches!(
            tokenize("a # b"),
            Err(LexError::Unexpected { pos: 2, ch: '#' })
        ));
    }

    #[test]
    fn operators_and_positions() {
        let toks = tokenize("a<>b").unwrap();
        assert_eq!(toks[1].tok, Tok::Ne);
        assert_eq!((toks[1].pos, toks[1].len), (1, 2));
        assert_eq!(toks[2].pos, 3);
    }
}
