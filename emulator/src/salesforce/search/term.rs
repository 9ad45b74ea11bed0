//! The search term inside `FIND {…}` (and the `q` of parameterizedSearch): words, phrases,
//! wildcards, `AND`/`OR`/`AND NOT`, parentheses, and Salesforce's reserved-character escapes.

use regex::Regex;

use crate::salesforce::error::SfError;
use crate::salesforce::soql::caret_message;

/// Characters that must be escaped with a backslash to be searched for literally.
pub const RESERVED: &[char] = &[
    '?', '&', '|', '!', '{', '}', '[', ']', '(', ')', '^', '~', '*', ':', '\\', '"', '\'', '+', '-',
];

/// Reserved characters that have no meaning of their own in a term and are refused unescaped.
const FORBIDDEN: &[char] = &['{', '[', ']', '^', '~', ':', '|', '&', '!'];

/// A term that could not be parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct TermError {
    /// Byte offset of the offending character in the source.
    pub pos: usize,
    /// Salesforce's message.
    pub message: String,
}

impl TermError {
    /// `MALFORMED_SEARCH`, with the caret block when the term sits inside a SOSL statement.
    pub fn into_sf(self, src: &str, caret: bool) -> SfError {
        let message = if caret {
            // Salesforce's SOSL lexer reports the column of the character before the culprit.
            caret_message(src, self.pos.saturating_sub(1), &self.message)
        } else {
            self.message
        };
        SfError::new(400, "MALFORMED_SEARCH", message)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Wc {
    Lit(char),
    Star,
    Quest,
}

#[derive(Debug, Clone, PartialEq)]
enum Item {
    Word(Vec<Wc>),
    Phrase(Vec<Wc>),
    Open,
    Close,
}

/// One token pattern: literal text or a wildcard regex.
#[derive(Debug, Clone)]
pub struct Pat {
    literal: String,
    regex: Option<Regex>,
}

impl Pat {
    fn matches(&self, token: &str) -> bool {
        match &self.regex {
            Some(re) => re.is_match(token),
            None => self.literal == token,
        }
    }
}

/// A parsed search term.
#[derive(Debug, Clone)]
pub enum Expr {
    /// Consecutive token patterns (one word, or a phrase).
    Seq(Vec<Pat>),
    /// All must match.
    And(Vec<Expr>),
    /// Any must match.
    Or(Vec<Expr>),
    /// Left matches and right does not.
    AndNot(Box<Expr>, Box<Expr>),
}

fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase)
        .collect()
}

impl Expr {
    /// Whether the given field texts match.
    pub fn matches(&self, fields: &[&str]) -> bool {
        match self {
            Expr::Seq(pats) => fields.iter().any(|f| {
                let toks = tokens(f);
                !pats.is_empty()
                    && toks
                        .windows(pats.len())
                        .any(|w| w.iter().zip(pats).all(|(t, p)| p.matches(t)))
            }),
            Expr::And(all) => all.iter().all(|e| e.matches(fields)),
            Expr::Or(any) => any.iter().any(|e| e.matches(fields)),
            Expr::AndNot(a, b) => a.matches(fields) && !b.matches(fields),
        }
    }
}

/// Splits a word on punctuation into token patterns.
fn patterns(word: &[Wc]) -> Vec<Pat> {
    let mut out = Vec::new();
    let mut current: Vec<Wc> = Vec::new();
    let flush = |current: &mut Vec<Wc>, out: &mut Vec<Pat>| {
        if current.is_empty() {
            return;
        }
        let wild = current.iter().any(|c| !matches!(c, Wc::Lit(_)));
        let literal: String = current
            .iter()
            .filter_map(|c| match c {
                Wc::Lit(ch) => Some(ch.to_lowercase().to_string()),
                _ => None,
            })
            .collect();
        let regex = wild.then(|| {
            let mut re = String::from("^");
            for c in current.iter() {
                match c {
                    Wc::Lit(ch) => re.push_str(&regex::escape(&ch.to_lowercase().to_string())),
                    Wc::Star => re.push_str(".*"),
                    Wc::Quest => re.push('.'),
                }
            }
            re.push('$');
            Regex::new(&re).unwrap_or_else(|_| Regex::new("^$").expect("constant regex"))
        });
        out.push(Pat { literal, regex });
        current.clear();
    };
    for c in word {
        match c {
            Wc::Lit(ch) if !ch.is_alphanumeric() => flush(&mut current, &mut out),
            other => current.push(*other),
        }
    }
    flush(&mut current, &mut out);
    out
}

/// Scans from `start`; when `braced`, stops at the closing `}` and returns its offset.
fn scan(src: &str, start: usize, braced: bool) -> Result<(Vec<Item>, usize), TermError> {
    let mut items = Vec::new();
    let mut word: Vec<Wc> = Vec::new();
    let mut phrase: Option<Vec<Wc>> = None;
    let mut chars = src[start..]
        .char_indices()
        .map(|(i, c)| (i + start, c))
        .peekable();
    let push_word = |word: &mut Vec<Wc>, items: &mut Vec<Item>| {
        if !word.is_empty() {
            items.push(Item::Word(std::mem::take(word)));
        }
    };
    while let Some((i, c)) = chars.next() {
        let in_phrase = phrase.is_some();
        let target = |phrase: &'_ mut Option<Vec<Wc>>, word: &'_ mut Vec<Wc>, c: Wc| match phrase {
            Some(p) => p.push(c),
            None => word.push(c),
        };
        match c {
            '\\' => match chars.next() {
                Some((_, e)) if RESERVED.contains(&e) => target(&mut phrase, &mut word, Wc::Lit(e)),
                Some((j, e)) => {
                    return Err(TermError {
                        pos: j,
                        message: format!("line 1:{j} invalid escape sequence '\\{e}'"),
                    })
                }
                None => break,
            },
            '}' if braced && !in_phrase => {
                push_word(&mut word, &mut items);
                return Ok((items, i));
            }
            '"' => match phrase.take() {
                Some(p) => items.push(Item::Phrase(p)),
                None => {
                    push_word(&mut word, &mut items);
                    phrase = Some(Vec::new());
                }
            },
            '*' => target(&mut phrase, &mut word, Wc::Star),
            '?' => target(&mut phrase, &mut word, Wc::Quest),
            c if !in_phrase && (FORBIDDEN.contains(&c) || (!braced && c == '}')) => {
                return Err(TermError {
                    pos: i,
                    message: format!("line 1:{i} mismatched character '{c}' expecting '}}'"),
                })
            }
            '(' if !in_phrase => {
                push_word(&mut word, &mut items);
                items.push(Item::Open);
            }
            ')' if !in_phrase => {
                push_word(&mut word, &mut items);
                items.push(Item::Close);
            }
            c if c.is_whitespace() => match phrase.as_mut() {
                Some(p) => p.push(Wc::Lit(' ')),
                None => push_word(&mut word, &mut items),
            },
            c => target(&mut phrase, &mut word, Wc::Lit(c)),
        }
    }
    if braced {
        return Err(TermError {
            pos: src.len(),
            message: format!(
                "line 1:{} mismatched character '<EOF>' expecting '}}'",
                src.len()
            ),
        });
    }
    if let Some(p) = phrase {
        items.push(Item::Phrase(p));
    }
    push_word(&mut word, &mut items);
    Ok((items, src.len()))
}

fn keyword(item: Option<&Item>, kw: &str) -> bool {
    match item {
        Some(Item::Word(w)) => {
            let text: String = w
                .iter()
                .map(|c| match c {
                    Wc::Lit(ch) => *ch,
                    _ => '*',
                })
                .collect();
            text.eq_ignore_ascii_case(kw)
        }
        _ => false,
    }
}

struct Parser {
    items: Vec<Item>,
    i: usize,
    pos: usize,
}

impl Parser {
    fn error(&self) -> TermError {
        TermError {
            pos: self.pos,
            message: "search term must be longer than one character".into(),
        }
    }

    fn or(&mut self) -> Result<Expr, TermError> {
        let mut terms = vec![self.and()?];
        while keyword(self.items.get(self.i), "OR") {
            self.i += 1;
            terms.push(self.and()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::Or(terms)
        })
    }

    fn and(&mut self) -> Result<Expr, TermError> {
        let mut acc = self.unary()?;
        loop {
            let next = self.items.get(self.i);
            if next.is_none() || keyword(next, "OR") || matches!(next, Some(Item::Close)) {
                return Ok(acc);
            }
            if keyword(next, "AND") {
                self.i += 1;
                if keyword(self.items.get(self.i), "NOT") {
                    self.i += 1;
                    let right = self.unary()?;
                    acc = Expr::AndNot(Box::new(acc), Box::new(right));
                    continue;
                }
            }
            let right = self.unary()?;
            acc = match acc {
                Expr::And(mut v) => {
                    v.push(right);
                    Expr::And(v)
                }
                other => Expr::And(vec![other, right]),
            };
        }
    }

    fn unary(&mut self) -> Result<Expr, TermError> {
        let item = self
            .items
            .get(self.i)
            .cloned()
            .ok_or_else(|| self.error())?;
        self.i += 1;
        match item {
            Item::Open => {
                let inner = self.or()?;
                if !matches!(self.items.get(self.i), Some(Item::Close)) {
                    return Err(self.error());
                }
                self.i += 1;
                Ok(inner)
            }
            Item::Close => Err(self.error()),
            Item::Word(w) | Item::Phrase(w) => {
                let pats = patterns(&w);
                if pats.is_empty() {
                    return Err(self.error());
                }
                Ok(Expr::Seq(pats))
            }
        }
    }
}

fn build(items: Vec<Item>, pos: usize) -> Result<Expr, TermError> {
    // A word or phrase of punctuation alone (`printer \& scanner`) has no token to look up in
    // the search index, so it drops out of the term, as it does in Salesforce's tokenizer; a
    // term left with nothing to search for is refused below.
    let items = items
        .into_iter()
        .filter(|item| match item {
            Item::Word(w) | Item::Phrase(w) => !patterns(w).is_empty(),
            Item::Open | Item::Close => true,
        })
        .collect();
    let mut p = Parser { items, i: 0, pos };
    let expr = p.or()?;
    if p.i < p.items.len() {
        return Err(p.error());
    }
    Ok(expr)
}

/// Parses the term between `{` (just before `start`) and its `}`; returns the term and the
/// offset of the closing brace.
pub fn parse_braced(src: &str, start: usize) -> Result<(Expr, usize), TermError> {
    let (items, close) = scan(src, start, true)?;
    Ok((build(items, start)?, close))
}

/// Parses a bare term (parameterizedSearch's `q`).
pub fn parse_term(q: &str) -> Result<Expr, TermError> {
    let (items, _) = scan(q, 0, false)?;
    build(items, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(term: &str, text: &str) -> bool {
        parse_term(term).unwrap().matches(&[text])
    }

    #[test]
    fn words_are_anded_case_insensitively_and_phrases_are_consecutive() {
        assert!(m("acme widget", "Widget order for ACME Corp"));
        assert!(!m("acme gadget", "Widget order for ACME Corp"));
        assert!(m("\"order for\"", "Widget order for ACME"));
        assert!(!m("\"for order\"", "Widget order for ACME"));
        assert!(m("gadget OR acme", "acme"));
        assert!(m("acme AND NOT gadget", "acme widget"));
        assert!(!m("acme AND NOT widget", "acme widget"));
    }

    #[test]
    fn wildcards_emails_and_escapes() {
        assert!(m("wid*", "Widgets"));
        assert!(m("w?dget", "widget"));
        assert!(m("jane@acme.com", "JANE@acme.com"));
        assert!(m(r"555\-1234", "(555) 555-1234"));
        assert!(m(r"C\+\+", "c++ compiler"));
    }

    #[test]
    fn unescaped_reserved_characters_and_bad_escapes_are_refused() {
        let src = "FIND {John|jane_gray@uoa.edu} RETURNING Contact";
        let e = parse_braced(src, 6).unwrap_err();
        assert_eq!(
            e.message,
            "line 1:10 mismatched character '|' expecting '}'"
        );
        let sf = e.into_sf(src, true);
        assert_eq!(sf.code, "MALFORMED_SEARCH");
        assert!(
            sf.message
                .contains("\n         ^\nERROR at Row:1:Column:10\n"),
            "{}",
            sf.message
        );
        assert!(parse_term(r"bad\q").is_err());
        assert!(parse_braced("FIND {open", 6).is_err());
    }

    #[test]
    fn escaped_punctuation_standing_alone_drops_out_of_the_term() {
        assert!(m(r"printer \& scanner", "Printer and scanner jam"));
        assert!(m(r"\? printer", "printer"));
        assert!(m(r"printer \-", "printer"));
        assert!(m("printer \\\"", "printer"));
        assert!(!m(r"printer \& fax", "printer scanner"));
        let alone = parse_term(r"\&").unwrap_err();
        assert_eq!(
            alone.message,
            "search term must be longer than one character"
        );
    }

    #[test]
    fn the_braced_term_ends_at_the_closing_brace() {
        let src = r"FIND {a\}b} IN ALL FIELDS";
        let (expr, close) = parse_braced(src, 6).unwrap();
        assert_eq!(&src[close..close + 1], "}");
        assert!(expr.matches(&["a}b"]));
    }
}
