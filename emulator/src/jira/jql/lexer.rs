//! JQL tokens: unquoted words (field names, values, keys like `SUP-12`, periods like `-5m`,
//! `cf[10000]`, `issue.property[x].y`), quoted strings, operators, parentheses and commas, each
//! with its 1-based character position for Jira's "(line 1, character N)" errors.
//!
//! Built with winnow: each token kind is a small parser, and the lexer loop records where each
//! one starts.

use winnow::combinator::alt;
use winnow::prelude::*;
use winnow::token::{any, one_of, take_while};

use super::JqlError;

/// Comparison and logical operator symbols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sym {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `~`
    Like,
    /// `!~`
    NotLike,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
    /// `&&` or `&`
    And,
    /// `||` or `|`
    Or,
    /// `!`
    Not,
}

impl Sym {
    /// The symbol as written.
    pub fn text(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Ne => "!=",
            Self::Like => "~",
            Self::NotLike => "!~",
            Self::Lt => "<",
            Self::Gt => ">",
            Self::Le => "<=",
            Self::Ge => ">=",
            Self::And => "&&",
            Self::Or => "||",
            Self::Not => "!",
        }
    }
}

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Unquoted text.
    Word(String),
    /// Quoted text, unescaped.
    Str(String),
    /// An operator symbol.
    Sym(Sym),
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `,`
    Comma,
    /// End of the query.
    Eof,
}

/// A token and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// Kind and text.
    pub kind: Kind,
    /// 1-based character position.
    pub pos: usize,
}

impl Token {
    /// The token as Jira quotes it in errors (`EOF` at the end).
    pub fn shown(&self) -> String {
        match &self.kind {
            Kind::Word(w) | Kind::Str(w) => w.clone(),
            Kind::Sym(s) => s.text().to_string(),
            Kind::LParen => "(".into(),
            Kind::RParen => ")".into(),
            Kind::Comma => ",".into(),
            Kind::Eof => "EOF".into(),
        }
    }

    /// Whether this is the unquoted keyword `kw` (case-insensitive).
    pub fn is_keyword(&self, kw: &str) -> bool {
        matches!(&self.kind, Kind::Word(w) if w.eq_ignore_ascii_case(kw))
    }
}

fn symbol(input: &mut &str) -> ModalResult<Sym> {
    alt((
        "!=".value(Sym::Ne),
        "!~".value(Sym::NotLike),
        "<=".value(Sym::Le),
        ">=".value(Sym::Ge),
        "&&".value(Sym::And),
        "||".value(Sym::Or),
        "=".value(Sym::Eq),
        "~".value(Sym::Like),
        "<".value(Sym::Lt),
        ">".value(Sym::Gt),
        "&".value(Sym::And),
        "|".value(Sym::Or),
        "!".value(Sym::Not),
    ))
    .parse_next(input)
}

const SPECIAL: &str = "\"'=!<>~(),&|";

fn word(input: &mut &str) -> ModalResult<String> {
    take_while(1.., |c: char| !c.is_whitespace() && !SPECIAL.contains(c))
        .map(str::to_string)
        .parse_next(input)
}

fn punctuation(input: &mut &str) -> ModalResult<Kind> {
    alt((
        '('.value(Kind::LParen),
        ')'.value(Kind::RParen),
        ','.value(Kind::Comma),
    ))
    .parse_next(input)
}

/// Reads a quoted string whose opening quote is next; `Err(partial)` when it never closes.
fn quoted(input: &mut &str) -> Result<String, String> {
    let quote: char = one_of::<_, _, winnow::error::ContextError>(['"', '\''])
        .parse_next(input)
        .map_err(|_| String::new())?;
    let mut out = String::new();
    loop {
        let next: Result<char, winnow::error::ContextError> = any.parse_next(input);
        match next {
            Err(_) => return Err(out),
            Ok(c) if c == quote => return Ok(out),
            Ok('\\') => {
                let escaped: Result<char, winnow::error::ContextError> = any.parse_next(input);
                match escaped {
                    Ok('n') => out.push('\n'),
                    Ok('t') => out.push('\t'),
                    Ok('r') => out.push('\r'),
                    Ok(c) => out.push(c),
                    Err(_) => return Err(out),
                }
            }
            Ok(c) => out.push(c),
        }
    }
}

/// Splits a query into tokens, ending with [`Kind::Eof`].
pub fn tokenize(text: &str) -> Result<Vec<Token>, JqlError> {
    let mut input = text;
    let mut tokens = Vec::new();
    let position = |rest: &str| text[..text.len() - rest.len()].chars().count() + 1;
    loop {
        input = input.trim_start();
        let pos = position(input);
        if input.is_empty() {
            tokens.push(Token {
                kind: Kind::Eof,
                pos,
            });
            return Ok(tokens);
        }
        let kind = if input.starts_with(['"', '\'']) {
            match quoted(&mut input) {
                Ok(s) => Kind::Str(s),
                Err(partial) => {
                    return Err(JqlError::syntax(
                        format!("The quoted string '{partial}' has not been completed."),
                        pos,
                    ))
                }
            }
        } else if let Ok(kind) = punctuation(&mut input) {
            kind
        } else if let Ok(sym) = symbol(&mut input) {
            Kind::Sym(sym)
        } else if let Ok(w) = word(&mut input) {
            Kind::Word(w)
        } else {
            let c = input.chars().next().unwrap_or(' ');
            return Err(JqlError::syntax(
                format!("The character '{c}' is a reserved JQL character. You must enclose it in a string or use the escape '\\u{:04x}' instead.", c as u32),
                pos,
            ));
        };
        tokens.push(Token { kind, pos });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Kind> {
        tokenize(text)
            .expect("lexes")
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn words_strings_and_operators_are_told_apart() {
        assert_eq!(
            kinds(r#"project=SUP AND summary ~ "printer \"fire\"" OR key!=SUP-1"#),
            vec![
                Kind::Word("project".into()),
                Kind::Sym(Sym::Eq),
                Kind::Word("SUP".into()),
                Kind::Word("AND".into()),
                Kind::Word("summary".into()),
                Kind::Sym(Sym::Like),
                Kind::Str("printer \"fire\"".into()),
                Kind::Word("OR".into()),
                Kind::Word("key".into()),
                Kind::Sym(Sym::Ne),
                Kind::Word("SUP-1".into()),
                Kind::Eof,
            ]
        );
    }

    #[test]
    fn property_paths_periods_and_lists_are_single_words() {
        assert_eq!(
            kinds("issue.property[sfsync].caseId in (a, 'b') and updated >= -5m"),
            vec![
                Kind::Word("issue.property[sfsync].caseId".into()),
                Kind::Word("in".into()),
                Kind::LParen,
                Kind::Word("a".into()),
                Kind::Comma,
                Kind::Str("b".into()),
                Kind::RParen,
                Kind::Word("and".into()),
                Kind::Word("updated".into()),
                Kind::Sym(Sym::Ge),
                Kind::Word("-5m".into()),
                Kind::Eof,
            ]
        );
    }

    #[test]
    fn an_unclosed_quote_is_reported_with_its_position() {
        let err = tokenize("summary ~ \"abc").expect_err("unterminated");
        assert_eq!(
            err.to_string(),
            "Error in the JQL Query: The quoted string 'abc' has not been completed. (line 1, character 11)"
        );
    }
}
