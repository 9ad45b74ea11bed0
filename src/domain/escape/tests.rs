//! Tests for query escaping, with small parsers that read literals the way the servers do.

use super::*;
use proptest::prelude::*;

/// Reads a quoted literal opening at `input[0]` with backslash escapes; returns the decoded
/// content and the byte index of the closing quote. `escapes` maps an escape letter to what it
/// stands for.
fn read_literal(input: &str, quote: char, escapes: &[(char, &str)]) -> Option<(String, usize)> {
    let mut chars = input.char_indices();
    let (_, first) = chars.next()?;
    assert_eq!(first, quote);
    let mut decoded = String::new();
    while let Some((i, c)) = chars.next() {
        if c == '\\' {
            let (_, e) = chars.next()?;
            let (_, meaning) = escapes.iter().find(|(k, _)| *k == e)?;
            decoded.push_str(meaning);
        } else if c == quote {
            return Some((decoded, i));
        } else {
            decoded.push(c);
        }
    }
    None
}

const SOQL_ESCAPES: &[(char, &str)] = &[
    ('\\', "\\"),
    ('\'', "'"),
    ('"', "\""),
    ('n', "\n"),
    ('r', "\r"),
    ('t', "\t"),
    ('b', "\u{8}"),
    ('f', "\u{c}"),
];
/// Inside LIKE, `\%` and `\_` are literal characters; we decode them to markers that cannot
/// be confused with wildcards.
const LIKE_ESCAPES: &[(char, &str)] = &[
    ('\\', "\\"),
    ('\'', "'"),
    ('"', "\""),
    ('n', "\n"),
    ('r', "\r"),
    ('t', "\t"),
    ('b', "\u{8}"),
    ('f', "\u{c}"),
    ('%', "\u{E000}"),
    ('_', "\u{E001}"),
];
const JQL_ESCAPES: &[(char, &str)] = &[
    ('\\', "\\"),
    ('"', "\""),
    ('n', "\n"),
    ('r', "\r"),
    ('t', "\t"),
];

#[test]
fn soql_examples() {
    assert_eq!(soql_quote("O'Brien"), "'O\\'Brien'");
    assert_eq!(
        soql_quote("a\\b\"c\nd\re\tf\u{8}g\u{c}"),
        "'a\\\\b\\\"c\\nd\\re\\tf\\bg\\f'"
    );
    assert_eq!(soql_like_contains("50%_off"), "'%50\\%\\_off%'");
    assert_eq!(soql_like_starts_with("a\\%"), "'a\\\\\\%%'");
    assert_eq!(soql_quote("' OR Name != '"), "'\\' OR Name != \\''");
}

#[test]
fn sosl_examples() {
    assert_eq!(
        sosl_find("Acme (EU) -test*"),
        "FIND {Acme \\(EU\\) \\-test\\*}"
    );
    assert_eq!(sosl_escape("a}b\\c\n"), "a\\}b\\\\c ");
    for c in SOSL_RESERVED {
        assert_eq!(sosl_escape(&c.to_string()), format!("\\{c}"));
    }
}

#[test]
fn jql_examples() {
    assert_eq!(jql_quote("say \"hi\"\\"), "\"say \\\"hi\\\"\\\\\"");
    assert_eq!(
        jql_quote("SUP-1\" OR project = X"),
        "\"SUP-1\\\" OR project = X\""
    );
    assert_eq!(
        jql_text_search_literal("C++ [x]"),
        "\"C\\\\+\\\\+ \\\\[x\\\\]\""
    );
}

proptest! {
    #[test]
    fn soql_literals_close_only_at_the_end(text in "(\\PC|[\n\r\t\u{8}\u{c}'\"\\\\])*") {
        let literal = soql_quote(&text);
        let (decoded, end) = read_literal(&literal, '\'', SOQL_ESCAPES).expect("literal must close");
        prop_assert_eq!(end, literal.len() - 1);
        prop_assert_eq!(decoded, text);
    }

    #[test]
    fn like_literals_have_no_stray_wildcards(text in "(\\PC|[%_'\\\\\n])*") {
        prop_assume!(!text.contains(['\u{E000}', '\u{E001}']));
        let literal = soql_like_contains(&text);
        let (decoded, end) = read_literal(&literal, '\'', LIKE_ESCAPES).expect("literal must close");
        prop_assert_eq!(end, literal.len() - 1);
        // Only our own leading and trailing % are wildcards.
        let inner = decoded.strip_prefix('%').and_then(|d| d.strip_suffix('%')).expect("wrapped in %");
        prop_assert!(!inner.contains(['%', '_']));
        prop_assert_eq!(inner.replace('\u{E000}', "%").replace('\u{E001}', "_"), text);
    }

    #[test]
    fn sosl_terms_never_close_the_braces(text in "(\\PC|[{}\\\\\n])*") {
        let clause = sosl_find(&text);
        let body = clause.strip_prefix("FIND {").expect("prefix");
        let mut chars = body.char_indices();
        let mut close = None;
        let mut unescaped_reserved = false;
        while let Some((i, c)) = chars.next() {
            if c == '\\' {
                chars.next();
            } else if c == '}' {
                close = Some(i);
                break;
            } else if SOSL_RESERVED.contains(&c) {
                unescaped_reserved = true;
            }
        }
        prop_assert_eq!(close, Some(body.len() - 1));
        prop_assert!(!unescaped_reserved);
    }

    #[test]
    fn jql_literals_close_only_at_the_end(text in "(\\PC|[\n\r\t\"\\\\])*") {
        let literal = jql_quote(&text);
        let (decoded, end) = read_literal(&literal, '"', JQL_ESCAPES).expect("literal must close");
        prop_assert_eq!(end, literal.len() - 1);
        prop_assert_eq!(decoded, text);
    }

    #[test]
    fn jql_text_search_decodes_to_escaped_lucene(text in "(\\PC|[\"\\\\+*?])*") {
        let literal = jql_text_search_literal(&text);
        let (lucene, end) = read_literal(&literal, '"', JQL_ESCAPES).expect("literal must close");
        prop_assert_eq!(end, literal.len() - 1);
        // Reading the Lucene escapes back gives the text, with no unescaped operator left.
        let mut back = String::new();
        let mut chars = lucene.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                back.push(chars.next().expect("escape has a character"));
            } else {
                prop_assert!(!JQL_TEXT_RESERVED.contains(&c));
                back.push(c);
            }
        }
        prop_assert_eq!(back, text);
    }
}
