//! Escaping of user text placed inside SOQL, SOSL and JQL.
//!
//! Search boxes and record ids typed by people end up inside query strings. Without escaping, a
//! quote closes the literal early and the rest of the input becomes query syntax (injection),
//! or a `%`, `*` or `?` turns into a wildcard that matches far more than intended. Every query
//! the connectors build from outside text goes through one of these functions; the property
//! tests below parse the output the way the server would and check that the literal ends
//! exactly where it should and decodes back to the input.

/// Escapes text for the inside of a SOQL string literal (`'…'`): backslash, both quotes,
/// newline, carriage return, tab, backspace and form feed get a backslash escape.
pub fn soql_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c => out.push(c),
        }
    }
    out
}

/// A complete SOQL string literal: `'` + [`soql_escape`] + `'`.
pub fn soql_quote(text: &str) -> String {
    format!("'{}'", soql_escape(text))
}

/// Escapes text for the inside of a SOQL `LIKE` literal so that it matches literally: string
/// escaping first, then `%` → `\%` and `_` → `\_` (in that order, so the wildcard escapes are
/// not themselves doubled).
pub fn soql_escape_like(text: &str) -> String {
    soql_escape(text).replace('%', "\\%").replace('_', "\\_")
}

/// A `LIKE` literal matching values that contain `text`: `'%…%'`.
pub fn soql_like_contains(text: &str) -> String {
    format!("'%{}%'", soql_escape_like(text))
}

/// A `LIKE` literal matching values that start with `text`: `'…%'`.
pub fn soql_like_starts_with(text: &str) -> String {
    format!("'{}%'", soql_escape_like(text))
}

/// Characters with a meaning in a SOSL search term.
pub const SOSL_RESERVED: &[char] = &[
    '?', '&', '|', '!', '{', '}', '[', ']', '(', ')', '^', '~', '*', ':', '\\', '"', '\'', '+', '-',
];

/// Escapes a SOSL search term: each reserved character gets a backslash, and control
/// characters (line breaks, tabs) become spaces. The result is searched literally.
pub fn sosl_escape(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 4);
    for c in term.chars() {
        if SOSL_RESERVED.contains(&c) {
            out.push('\\');
            out.push(c);
        } else if c.is_control() {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// A SOSL `FIND` clause for a literal term: `FIND {…}`.
pub fn sosl_find(term: &str) -> String {
    format!("FIND {{{}}}", sosl_escape(term))
}

/// Escapes text for the inside of a JQL string literal (`"…"`): backslash, double quote,
/// newline, carriage return and tab.
pub fn jql_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out
}

/// A complete JQL string literal: `"` + [`jql_escape`] + `"`.
pub fn jql_quote(text: &str) -> String {
    format!("\"{}\"", jql_escape(text))
}

/// Characters with a meaning in a JQL text search (`~`), which uses Lucene syntax.
pub const JQL_TEXT_RESERVED: &[char] = &[
    '+', '-', '&', '|', '!', '(', ')', '{', '}', '[', ']', '^', '~', '*', '?', '\\', ':', '"', '/',
];

/// A JQL literal for a literal text search (`text ~ …`): reserved search characters are
/// backslash-escaped for the search engine, then the whole is quoted as a JQL string (which
/// doubles those backslashes, as JQL requires).
pub fn jql_text_search_literal(text: &str) -> String {
    let mut lucene = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        if JQL_TEXT_RESERVED.contains(&c) {
            lucene.push('\\');
        }
        lucene.push(c);
    }
    jql_quote(&lucene)
}

#[cfg(test)]
mod tests;
