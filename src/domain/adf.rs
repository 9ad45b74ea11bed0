//! Atlassian Document Format (ADF) ⇄ plain text, and Jira wiki markup → plain text.
//!
//! Jira's v3 API speaks ADF for descriptions, comments and long-text fields, while Salesforce
//! comments and textarea fields are plain text; v2-style webhook bodies arrive as wiki markup.
//! The sync needs one faithful, readable plain-text rendering of each so that a comment reads
//! well on the other side and so that a value we wrote can be recognised when it comes back
//! (see [`crate::domain::echo`]). The conversion is total: any JSON, however odd, renders to
//! some text without panicking, and unknown nodes contribute their text content.
//!
//! Output of [`adf_to_text`] is *normalised*: line endings are `\n`, trailing whitespace is
//! removed from every line, runs of blank lines collapse to one and the text has no leading or
//! trailing blank lines. [`text_to_adf`] followed by [`adf_to_text`] gives back
//! [`normalize_text`] of the input.

mod wiki;

pub use wiki::{wiki_to_text, wiki_to_text_with};

use chrono::DateTime;
use serde_json::{json, Map, Value};

/// Normalises plain text the way [`adf_to_text`] shapes its output: `\r\n` and `\r` become
/// `\n`, trailing whitespace is trimmed from each line, whitespace-only lines count as blank,
/// runs of blank lines become a single blank line, and leading/trailing blank lines go.
pub fn normalize_text(text: &str) -> String {
    let unified = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out: Vec<&str> = Vec::new();
    let mut pending_blank = false;
    for line in unified.split('\n').map(str::trim_end) {
        if line.is_empty() {
            pending_blank = !out.is_empty();
            continue;
        }
        if pending_blank {
            out.push("");
            pending_blank = false;
        }
        out.push(line);
    }
    out.join("\n")
}

/// Renders an ADF document (or any ADF node, or an array of nodes) as readable plain text.
///
/// Paragraphs and other blocks are separated by a blank line; headings become their text;
/// bullet lists use `- ` and ordered lists `1. ` (nested lists are indented under their item);
/// mentions render as `@Name`, emoji as their character or `:shortname:`, links as
/// `text (url)` unless the text is the URL, inline code as `` `code` ``, code blocks fenced
/// with three backticks, blockquotes with `> `, rules as `---`, table rows as cells joined by
/// ` | `, media as `[attachment: name]`, status lozenges as `[TEXT]` and dates as
/// `YYYY-MM-DD`. A JSON string is taken to be a v2 wiki-markup body and goes through
/// [`wiki_to_text`]; other non-node values render as nothing.
pub fn adf_to_text(doc: &Value) -> String {
    let rendered = match doc {
        Value::String(s) => return wiki_to_text(s),
        Value::Array(nodes) => render_mixed(nodes, "\n\n"),
        Value::Object(_) => render_mixed(std::slice::from_ref(doc), "\n\n"),
        _ => String::new(),
    };
    normalize_text(&rendered)
}

fn node_type(node: &Value) -> &str {
    node.get("type").and_then(Value::as_str).unwrap_or("")
}

fn children(node: &Value) -> &[Value] {
    node.get("content")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn attr<'a>(node: &'a Value, name: &str) -> Option<&'a Value> {
    node.get("attrs").and_then(|a| a.get(name))
}

fn attr_str<'a>(node: &'a Value, name: &str) -> Option<&'a str> {
    attr(node, name)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// Node types that flow inside a paragraph.
const INLINE_TYPES: &[&str] = &[
    "text",
    "hardBreak",
    "mention",
    "emoji",
    "inlineCard",
    "status",
    "date",
    "placeholder",
    "mediaInline",
    "inlineExtension",
];

fn is_inline(node: &Value) -> bool {
    let t = node_type(node);
    INLINE_TYPES.contains(&t) || (!t.is_empty() && node.get("text").is_some() && !is_known_block(t))
}

fn is_known_block(t: &str) -> bool {
    matches!(
        t,
        "doc"
            | "paragraph"
            | "heading"
            | "bulletList"
            | "orderedList"
            | "listItem"
            | "taskList"
            | "taskItem"
            | "decisionList"
            | "decisionItem"
            | "codeBlock"
            | "blockquote"
            | "rule"
            | "table"
            | "tableRow"
            | "tableHeader"
            | "tableCell"
            | "media"
            | "mediaSingle"
            | "mediaGroup"
            | "panel"
            | "expand"
            | "nestedExpand"
            | "blockCard"
            | "embedCard"
    )
}

/// Renders a sequence that may mix inline and block nodes: consecutive inline nodes form one
/// paragraph, blocks stand alone; the pieces are joined with `separator`.
fn render_mixed(nodes: &[Value], separator: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut inline_run = String::new();
    for node in nodes {
        if !node.is_object() {
            continue;
        }
        if is_inline(node) {
            inline_run.push_str(&render_inline(node));
            continue;
        }
        if !inline_run.trim().is_empty() {
            parts.push(std::mem::take(&mut inline_run));
        }
        inline_run.clear();
        let block = render_block(node);
        if !block.trim().is_empty() {
            parts.push(block);
        }
    }
    if !inline_run.trim().is_empty() {
        parts.push(inline_run);
    }
    parts.join(separator)
}

fn render_inlines(nodes: &[Value]) -> String {
    nodes.iter().map(render_inline).collect()
}

fn render_block(node: &Value) -> String {
    match node_type(node) {
        "paragraph" | "heading" => render_inlines(children(node)),
        "bulletList" => render_list(node, None),
        "orderedList" => {
            let start = attr(node, "order").and_then(Value::as_u64).unwrap_or(1);
            render_list(node, Some(start))
        }
        "taskList" | "decisionList" => render_list(node, None),
        "codeBlock" => {
            let lang = attr_str(node, "language").unwrap_or("");
            let code: String = children(node)
                .iter()
                .filter_map(|n| n.get("text").and_then(Value::as_str))
                .collect();
            format!("```{lang}\n{}\n```", code.trim_end_matches('\n'))
        }
        "blockquote" => render_mixed(children(node), "\n\n")
            .lines()
            .map(|l| {
                if l.is_empty() {
                    ">".to_string()
                } else {
                    format!("> {l}")
                }
            })
            .collect::<Vec<_>>()
            .join("\n"),
        "rule" => "---".to_string(),
        "table" => children(node)
            .iter()
            .map(|row| {
                children(row)
                    .iter()
                    .map(|cell| {
                        render_mixed(children(cell), " ")
                            .split_whitespace()
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .filter(|row| !row.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n"),
        "media" => media_label(node),
        "expand" | "nestedExpand" => {
            let body = render_mixed(children(node), "\n\n");
            match attr_str(node, "title") {
                Some(title) if body.is_empty() => title.to_string(),
                Some(title) => format!("{title}\n{body}"),
                None => body,
            }
        }
        "blockCard" | "embedCard" => attr_str(node, "url").unwrap_or("").to_string(),
        // mediaSingle, mediaGroup, panel, layouts, extensions and anything unknown: their content.
        _ => render_mixed(children(node), "\n\n"),
    }
}

fn media_label(node: &Value) -> String {
    let name = ["alt", "__fileName", "fileName", "name"]
        .iter()
        .find_map(|k| attr_str(node, k));
    match name {
        Some(name) => format!("[attachment: {}]", name.trim()),
        None => "[attachment]".to_string(),
    }
}

/// Renders a list; `start` is `Some(n)` for an ordered list numbered from `n`.
fn render_list(node: &Value, start: Option<u64>) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut number = start.unwrap_or(1);
    for item in children(node).iter().filter(|n| n.is_object()) {
        let marker = match (start, node_type(item)) {
            (Some(_), _) => {
                let m = format!("{number}. ");
                number += 1;
                m
            }
            (None, "taskItem") => {
                if attr_str(item, "state") == Some("DONE") {
                    "[x] ".to_string()
                } else {
                    "[ ] ".to_string()
                }
            }
            _ => "- ".to_string(),
        };
        let body = render_mixed(children(item), "\n");
        let indent = " ".repeat(marker.chars().count());
        let mut first = true;
        for line in body.split('\n') {
            if first {
                lines.push(format!("{marker}{line}"));
                first = false;
            } else if line.is_empty() {
                lines.push(String::new());
            } else {
                lines.push(format!("{indent}{line}"));
            }
        }
        if first {
            lines.push(marker.trim_end().to_string());
        }
    }
    lines.join("\n")
}

fn render_inline(node: &Value) -> String {
    match node_type(node) {
        "text" => render_text(node),
        "hardBreak" => "\n".to_string(),
        "mention" => {
            let name = attr_str(node, "text")
                .map(str::trim)
                .or_else(|| attr_str(node, "id"))
                .unwrap_or("someone");
            if name.starts_with('@') {
                name.to_string()
            } else {
                format!("@{name}")
            }
        }
        "emoji" => attr_str(node, "text")
            .or_else(|| attr_str(node, "shortName"))
            .unwrap_or("")
            .to_string(),
        "inlineCard" => attr_str(node, "url").unwrap_or("").to_string(),
        "status" => attr_str(node, "text")
            .map(|t| format!("[{}]", t.trim()))
            .unwrap_or_default(),
        "date" => attr(node, "timestamp").map(render_date).unwrap_or_default(),
        "mediaInline" => media_label(node),
        "placeholder" => String::new(),
        _ => match node.get("text").and_then(Value::as_str) {
            Some(t) => t.to_string(),
            None => render_inlines(children(node)),
        },
    }
}

fn render_date(timestamp: &Value) -> String {
    let millis = match timestamp {
        Value::String(s) => s.trim().parse::<i64>().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    };
    millis
        .and_then(DateTime::from_timestamp_millis)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn render_text(node: &Value) -> String {
    let text = node.get("text").and_then(Value::as_str).unwrap_or("");
    let marks = node
        .get("marks")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let mut out = text.to_string();
    let is_mark = |m: &&Value| !text.is_empty() && m.is_object();
    if marks.iter().filter(is_mark).any(|m| node_type(m) == "code") {
        out = format!("`{out}`");
    }
    let href = marks
        .iter()
        .filter(is_mark)
        .find(|m| node_type(m) == "link")
        .and_then(|m| attr_str(m, "href"));
    if let Some(href) = href {
        let same = text.trim() == href.trim()
            || text.trim().trim_start_matches("mailto:")
                == href.trim().trim_start_matches("mailto:");
        if !same {
            out = format!("{out} ({href})");
        }
    }
    out
}

/// Builds a valid ADF document from plain text: blank-line-separated blocks become
/// paragraphs, single newlines inside a block become `hardBreak` nodes, and `http://` or
/// `https://` URLs get a link mark. Trailing whitespace on each line is dropped and no text
/// node is ever empty; text without any visible content gives a document with no content.
pub fn text_to_adf(text: &str) -> Value {
    let normalised = normalize_text(text);
    let paragraphs: Vec<Value> = normalised
        .split("\n\n")
        .filter(|block| !block.is_empty())
        .map(|block| {
            let mut content: Vec<Value> = Vec::new();
            for (i, line) in block.split('\n').enumerate() {
                if i > 0 {
                    content.push(json!({"type": "hardBreak"}));
                }
                content.extend(inline_nodes(line));
            }
            json!({"type": "paragraph", "content": content})
        })
        .collect();
    json!({"type": "doc", "version": 1, "content": paragraphs})
}

fn text_node(text: &str, href: Option<&str>) -> Value {
    let mut node = Map::new();
    node.insert("type".into(), json!("text"));
    node.insert("text".into(), json!(text));
    if let Some(href) = href {
        node.insert(
            "marks".into(),
            json!([{"type": "link", "attrs": {"href": href}}]),
        );
    }
    Value::Object(node)
}

/// Splits one line into text nodes, marking URLs as links.
fn inline_nodes(line: &str) -> Vec<Value> {
    let mut nodes = Vec::new();
    let mut rest = line;
    while let Some((start, end)) = find_url(rest) {
        if start > 0 {
            nodes.push(text_node(&rest[..start], None));
        }
        let url = &rest[start..end];
        nodes.push(text_node(url, Some(url)));
        rest = &rest[end..];
    }
    if !rest.is_empty() {
        nodes.push(text_node(rest, None));
    }
    nodes
}

/// Finds the first `http(s)://` URL in `s` that starts at a word boundary; returns byte range.
pub(crate) fn find_url(s: &str) -> Option<(usize, usize)> {
    let mut from = 0;
    while from < s.len() {
        let rest = &s[from..];
        let found = [rest.find("https://"), rest.find("http://")]
            .into_iter()
            .flatten()
            .min()?;
        let start = from + found;
        let boundary = s[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let scheme_len = if s[start..].starts_with("https://") {
            8
        } else {
            7
        };
        if boundary {
            let end = url_end(s, start);
            if end > start + scheme_len {
                return Some((start, end));
            }
        }
        from = start + scheme_len;
    }
    None
}

/// Where a URL starting at `start` ends: at whitespace or a delimiter, without trailing
/// punctuation, and without a closing bracket that it did not open.
fn url_end(s: &str, start: usize) -> usize {
    let tail = &s[start..];
    let mut end = tail
        .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '`'))
        .unwrap_or(tail.len());
    loop {
        let candidate = &tail[..end];
        let Some(last) = candidate.chars().next_back() else {
            break;
        };
        let strip = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*' => true,
            ')' => candidate.matches('(').count() < candidate.matches(')').count(),
            ']' => candidate.matches('[').count() < candidate.matches(']').count(),
            '}' => candidate.matches('{').count() < candidate.matches('}').count(),
            _ => false,
        };
        if !strip {
            break;
        }
        end -= last.len_utf8();
    }
    start + end
}

#[cfg(test)]
mod tests;
