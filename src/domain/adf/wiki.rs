//! Jira wiki markup → plain text.
//!
//! Webhook payloads in the v2 representation carry comment and description bodies as wiki
//! markup strings rather than ADF. This renders them to the same plain-text shape as
//! [`super::adf_to_text`] so both paths produce comparable text: emphasis markers are dropped,
//! `{code}`/`{noformat}` become fenced blocks, `{quote}` and `bq.` become `> ` lines, headings
//! lose their `h1.` prefix, lists use `- ` and `1. `, links become `text (url)`, mentions become
//! `@name`, attachments and images become `[attachment: name]`, tables become ` | ` rows.

use std::borrow::Cow;

use super::{find_url, normalize_text};

/// Renders wiki markup as plain text; user mentions render as `@` plus the account id.
pub fn wiki_to_text(markup: &str) -> String {
    wiki_to_text_with(markup, &|_| None)
}

/// Renders wiki markup as plain text, asking `resolve_user` for the display name behind a
/// `[~accountid:…]` mention (the argument is the account id; `None` keeps the id).
pub fn wiki_to_text_with(markup: &str, resolve_user: &dyn Fn(&str) -> Option<String>) -> String {
    let unified = markup.replace("\r\n", "\n").replace('\r', "\n");
    let mut out: Vec<String> = Vec::new();
    let mut in_code = false;
    let mut in_quote = false;
    // Per list depth: the marker printed at that depth and, for ordered lists, the count.
    let mut list: Vec<(bool, u64)> = Vec::new();
    for line in unified.split('\n') {
        if in_code {
            match find_code_close(line) {
                Some((pos, len)) => {
                    if !line[..pos].trim().is_empty() {
                        out.push(line[..pos].to_string());
                    }
                    out.push("```".to_string());
                    in_code = false;
                    let rest = &line[pos + len..];
                    if !rest.trim().is_empty() {
                        out.push(inline(rest.trim_start(), resolve_user));
                    }
                }
                None => out.push(line.to_string()),
            }
            continue;
        }
        let trimmed = line.trim_start();
        if let Some((lang, after)) = code_open(trimmed) {
            list.clear();
            out.push(format!("```{lang}"));
            match find_code_close(after) {
                Some((pos, len)) => {
                    if !after[..pos].trim().is_empty() {
                        out.push(after[..pos].to_string());
                    }
                    out.push("```".to_string());
                    let rest = &after[pos + len..];
                    if !rest.trim().is_empty() {
                        out.push(inline(rest.trim_start(), resolve_user));
                    }
                }
                None => {
                    in_code = true;
                    if !after.trim().is_empty() {
                        out.push(after.to_string());
                    }
                }
            }
            continue;
        }
        if trimmed.contains("{quote}") {
            list.clear();
            for (i, segment) in trimmed.split("{quote}").enumerate() {
                if i > 0 {
                    in_quote = !in_quote;
                }
                if segment.trim().is_empty() {
                    continue;
                }
                let text = block_line(segment, resolve_user, &mut list);
                out.push(quote_if(in_quote, &text));
            }
            continue;
        }
        let text = block_line(line, resolve_user, &mut list);
        out.push(quote_if(in_quote, &text));
    }
    if in_code {
        out.push("```".to_string());
    }
    normalize_text(&out.join("\n"))
}

fn quote_if(quoted: bool, text: &str) -> String {
    if !quoted {
        return text.to_string();
    }
    text.split('\n')
        .map(|l| {
            if l.trim().is_empty() {
                ">".to_string()
            } else {
                format!("> {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `{code}`, `{code:java}`, `{noformat}` at the start of a line: the language and the rest.
fn code_open(trimmed: &str) -> Option<(String, &str)> {
    let body = trimmed
        .strip_prefix("{code")
        .or_else(|| trimmed.strip_prefix("{noformat"))?;
    let close = body.find('}')?;
    let params = &body[..close];
    if !(params.is_empty() || params.starts_with(':')) {
        return None;
    }
    let lang = params
        .trim_start_matches(':')
        .split('|')
        .next()
        .filter(|p| !p.contains('=') && !p.is_empty())
        .unwrap_or("")
        .to_string();
    Some((lang, &body[close + 1..]))
}

fn find_code_close(line: &str) -> Option<(usize, usize)> {
    [("{code}", 6), ("{noformat}", 10)]
        .into_iter()
        .filter_map(|(tag, len)| line.find(tag).map(|p| (p, len)))
        .min()
}

/// Renders one non-code line: headings, `bq.`, lists, tables, rules, then inline markup.
fn block_line(
    line: &str,
    resolve_user: &dyn Fn(&str) -> Option<String>,
    list: &mut Vec<(bool, u64)>,
) -> String {
    let trimmed = line.trim();
    if let Some((markers, rest)) = list_item(trimmed) {
        let depth = markers.len();
        let ordered = markers.ends_with('#');
        list.truncate(depth);
        while list.len() < depth {
            list.push((ordered, 0));
        }
        let entry = &mut list[depth - 1];
        if entry.0 != ordered {
            *entry = (ordered, 0);
        }
        entry.1 += 1;
        let count = entry.1;
        let indent: usize = list[..depth - 1]
            .iter()
            .map(|(o, n)| if *o { format!("{n}. ").len() } else { 2 })
            .sum();
        let marker = if ordered {
            format!("{count}. ")
        } else {
            "- ".to_string()
        };
        return format!(
            "{}{marker}{}",
            " ".repeat(indent),
            inline(rest, resolve_user)
        );
    }
    list.clear();
    if trimmed.len() >= 4 && trimmed.chars().all(|c| c == '-') {
        return "---".to_string();
    }
    for level in 1..=6 {
        if let Some(rest) = trimmed.strip_prefix(&format!("h{level}.")) {
            return inline(rest.trim_start(), resolve_user);
        }
    }
    if let Some(rest) = trimmed.strip_prefix("bq.") {
        return format!("> {}", inline(rest.trim_start(), resolve_user));
    }
    if trimmed.starts_with('|') {
        return table_row(trimmed, resolve_user);
    }
    inline(line, resolve_user)
}

/// A list item line: its run of `*`/`#` markers (or a single `-`) and the text after it.
fn list_item(trimmed: &str) -> Option<(&str, &str)> {
    let end = trimmed
        .find(|c: char| c != '*' && c != '#')
        .unwrap_or(trimmed.len());
    let (markers, rest) = if end > 0 {
        trimmed.split_at(end)
    } else if trimmed.starts_with('-') && !trimmed.starts_with("--") {
        trimmed.split_at(1)
    } else {
        return None;
    };
    rest.starts_with(char::is_whitespace)
        .then(|| (markers, rest.trim_start()))
}

fn table_row(trimmed: &str, resolve_user: &dyn Fn(&str) -> Option<String>) -> String {
    let mut cells: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut bracket_depth = 0usize;
    for c in trimmed.chars() {
        match c {
            '[' => bracket_depth += 1,
            ']' => bracket_depth = bracket_depth.saturating_sub(1),
            _ => {}
        }
        if c == '|' && bracket_depth == 0 {
            cells.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    cells.push(current);
    cells
        .iter()
        .map(|c| inline(c.trim(), resolve_user))
        .filter(|c| !c.is_empty())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Single-character emphasis markers and what they mean: bold, italic, strike, underline,
/// superscript, subscript.
const EMPHASIS: &[char] = &['*', '_', '-', '+', '^', '~'];
/// How far ahead (in bytes) a closing marker, bracket or brace is looked for. Spans in real
/// markup are short; the bound keeps adversarial input (thousands of unclosed markers on one
/// line) linear instead of quadratic.
const SPAN_WINDOW_BYTES: usize = 1024;

/// The largest char boundary of `s` at or below `max`.
fn floor_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    (0..=max)
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0)
}

/// The first [`SPAN_WINDOW_BYTES`] of `s`.
fn window(s: &str) -> &str {
    &s[..floor_boundary(s, SPAN_WINDOW_BYTES)]
}

/// Macros whose tags are dropped wherever they appear inline.
const DROPPED_MACROS: &[&str] = &["color", "panel", "quote", "anchor", "noformat", "code"];

/// A rendered span of inline markup, and how many bytes of the source it took.
type Span<'a> = (Cow<'a, str>, usize);

/// Renders inline markup: escapes, bare URLs, `[…]`, `{{…}}` and dropped macros, `!images!`
/// and emphasis; everything else is kept as it is.
fn inline(text: &str, resolve_user: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        let rest = &text[i..];
        let prev_alnum = text[..i]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric);
        match span(rest, c, prev_alnum, resolve_user) {
            Some((rendered, len)) => {
                out.push_str(&rendered);
                i += len;
            }
            None => {
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

/// The markup span at the start of `rest` (whose first char is `c`), or `None` when `c` is
/// plain text; `prev_alnum` says whether a letter or digit comes just before.
fn span<'a>(
    rest: &'a str,
    c: char,
    prev_alnum: bool,
    resolve_user: &dyn Fn(&str) -> Option<String>,
) -> Option<Span<'a>> {
    if c == '\\' {
        return Some(escape(rest));
    }
    if !prev_alnum {
        if let Some(url) = bare_url(rest) {
            return Some(url);
        }
    }
    let found = match c {
        '[' => bracket(rest, resolve_user),
        '{' => brace(rest),
        '!' if !prev_alnum => image(rest),
        _ => None,
    };
    found.or_else(|| emphasis(rest, c, prev_alnum, resolve_user))
}

/// A backslash escape: `\\` is a line break, `\x` is `x`, a trailing `\` is dropped.
fn escape(rest: &str) -> Span<'_> {
    match rest[1..].chars().next() {
        Some('\\') => (Cow::Borrowed("\n"), 2),
        Some(next) => {
            let end = 1 + next.len_utf8();
            (Cow::Borrowed(&rest[1..end]), end)
        }
        None => (Cow::Borrowed(""), 1),
    }
}

/// A bare `http://` or `https://` URL, kept whole so no emphasis is read inside it.
fn bare_url(rest: &str) -> Option<Span<'_>> {
    if !(rest.starts_with("http://") || rest.starts_with("https://")) {
        return None;
    }
    match find_url(rest) {
        Some((0, end)) => Some((Cow::Borrowed(&rest[..end]), end)),
        _ => None,
    }
}

/// `[…]` closed within the window: a mention, attachment or link, rendered by [`link`].
fn bracket<'a>(rest: &'a str, resolve_user: &dyn Fn(&str) -> Option<String>) -> Option<Span<'a>> {
    let len = window(&rest[1..]).find(']')?;
    Some((Cow::Owned(link(&rest[1..1 + len], resolve_user)), len + 2))
}

/// `{{monospace}}` keeps its text; the tags of [`DROPPED_MACROS`] are dropped.
fn brace(rest: &str) -> Option<Span<'_>> {
    if let Some(body) = rest.strip_prefix("{{") {
        let end = window(body).find("}}")?;
        return Some((Cow::Borrowed(&body[..end]), end + 4));
    }
    let end = window(rest).find('}')?;
    let name = rest[1..end].split(':').next().unwrap_or("");
    DROPPED_MACROS
        .contains(&name)
        .then_some((Cow::Borrowed(""), end + 1))
}

/// `!name.ext!` (options after `|`) within one word: an attachment, or an external image's URL.
fn image(rest: &str) -> Option<Span<'_>> {
    let ahead = window(&rest[1..]);
    let word_end = ahead
        .find(char::is_whitespace)
        .map_or(1 + ahead.len(), |p| p + 1);
    let len = rest[1..word_end].find('!')?;
    let name = rest[1..1 + len].split('|').next().unwrap_or("");
    if !name.contains('.') {
        return None;
    }
    let rendered = if name.starts_with("http://") || name.starts_with("https://") {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(format!("[attachment: {name}]"))
    };
    Some((rendered, len + 2))
}

/// Emphasis (`*bold*`, `_italic_`, `??citation??`…) opening at a word start and validly
/// closed: its text, with the markers dropped and the inside rendered.
fn emphasis<'a>(
    rest: &'a str,
    c: char,
    prev_alnum: bool,
    resolve_user: &dyn Fn(&str) -> Option<String>,
) -> Option<Span<'a>> {
    if prev_alnum {
        return None;
    }
    let marker = if rest.starts_with("??") {
        "??"
    } else if EMPHASIS.contains(&c) {
        &rest[..1]
    } else {
        return None;
    };
    let inner_end = emphasis_close(rest, marker)?;
    let inner = inline(&rest[marker.len()..inner_end], resolve_user);
    Some((Cow::Owned(inner), inner_end + marker.len()))
}

/// For emphasis opening with `marker` at the start of `text`, the byte offset of the closing
/// marker when a valid one follows: the emphasised text must not start or end with whitespace
/// and the closing marker must not be followed by a letter or digit.
fn emphasis_close(text: &str, marker: &str) -> Option<usize> {
    let first = text[marker.len()..].chars().next()?;
    if first.is_whitespace() || marker.contains(first) {
        return None;
    }
    let search_from = marker.len() + first.len_utf8();
    let mut from = search_from;
    let limit = floor_boundary(text, SPAN_WINDOW_BYTES);
    while let Some(pos) = text[from..limit].find(marker) {
        let at = from + pos;
        let before_ok = text[..at]
            .chars()
            .next_back()
            .is_some_and(|c| !c.is_whitespace());
        let after_ok = text[at + marker.len()..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric());
        if before_ok && after_ok {
            return Some(at);
        }
        from = at + marker.len();
    }
    None
}

/// Renders the inside of `[...]`: mentions, attachments, `text|url` links and bare URLs.
fn link(inner: &str, resolve_user: &dyn Fn(&str) -> Option<String>) -> String {
    let inner = inner.trim();
    if let Some(id) = inner.strip_prefix("~accountid:") {
        let id = id.trim();
        return format!("@{}", resolve_user(id).unwrap_or_else(|| id.to_string()));
    }
    if let Some(user) = inner.strip_prefix('~') {
        return format!("@{}", user.trim());
    }
    if let Some(file) = inner.strip_prefix('^') {
        return format!("[attachment: {}]", file.trim());
    }
    if let Some((text, target)) = inner.split_once('|') {
        let url = target.split('|').next().unwrap_or("").trim();
        let text = inline(text.trim(), resolve_user);
        if text.is_empty() || text == url {
            return url.to_string();
        }
        return format!("{text} ({url})");
    }
    let looks_like_url = ["http://", "https://", "mailto:", "file:", "ftp://"]
        .iter()
        .any(|p| inner.starts_with(p));
    if looks_like_url {
        inner.to_string()
    } else {
        format!("[{inner}]")
    }
}
