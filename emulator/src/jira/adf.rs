//! Atlassian Document Format helpers: checking that a v3 body is a document, turning v2 plain
//! text into a document and back, and rendering HTML for `renderedFields`.
//!
//! Rich text is stored once, as ADF; v2 endpoints and webhook payloads read it as text, so a body
//! written through either version reads back the same through the other.

use serde_json::{json, Value};

/// Whether `value` is an ADF document Jira would accept: `{"type":"doc","version":1,
/// "content":[…]}` whose nodes all have a string `type`, and text nodes a string `text`.
pub fn is_document(value: &Value) -> bool {
    let Some(doc) = value.as_object() else {
        return false;
    };
    doc.get("type").and_then(Value::as_str) == Some("doc")
        && doc.get("version").and_then(Value::as_u64) == Some(1)
        && doc
            .get("content")
            .and_then(Value::as_array)
            .is_some_and(|nodes| nodes.iter().all(is_node))
}

fn is_node(node: &Value) -> bool {
    let Some(obj) = node.as_object() else {
        return false;
    };
    let Some(kind) = obj.get("type").and_then(Value::as_str) else {
        return false;
    };
    if kind == "text" && !obj.get("text").is_some_and(Value::is_string) {
        return false;
    }
    match obj.get("content") {
        None => true,
        Some(Value::Array(children)) => children.iter().all(is_node),
        Some(_) => false,
    }
}

/// A document from plain (or wiki-markup) text: paragraphs at blank lines, hard breaks at single
/// newlines. Empty text gives an empty document.
pub fn from_text(text: &str) -> Value {
    let normalized = text.replace("\r\n", "\n");
    let paragraphs: Vec<Value> = normalized
        .split("\n\n")
        .filter(|p| !p.is_empty())
        .map(|para| {
            let mut content = Vec::new();
            for (i, line) in para.split('\n').enumerate() {
                if i > 0 {
                    content.push(json!({"type": "hardBreak"}));
                }
                if !line.is_empty() {
                    content.push(json!({"type": "text", "text": line}));
                }
            }
            json!({"type": "paragraph", "content": content})
        })
        .collect();
    json!({"type": "doc", "version": 1, "content": paragraphs})
}

/// The text of a document: blocks separated by blank lines, hard breaks as newlines, mentions
/// and emoji by their text.
pub fn to_text(doc: &Value) -> String {
    let mut blocks = Vec::new();
    if let Some(nodes) = doc.get("content").and_then(Value::as_array) {
        for node in nodes {
            blocks.push(block_text(node));
        }
    }
    blocks.join("\n\n")
}

fn block_text(node: &Value) -> String {
    match node.get("type").and_then(Value::as_str) {
        Some("text") => node
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        Some("hardBreak") => "\n".to_string(),
        Some("mention") => node
            .pointer("/attrs/text")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        Some("emoji") => node
            .pointer("/attrs/shortName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        Some("paragraph") | Some("heading") => inline_children(node),
        Some("bulletList") | Some("orderedList") | Some("blockquote") | Some("panel")
        | Some("listItem") | Some("codeBlock") | Some("table") | Some("tableRow")
        | Some("tableCell") | Some("tableHeader") => node
            .get("content")
            .and_then(Value::as_array)
            .map(|c| c.iter().map(block_text).collect::<Vec<_>>().join("\n"))
            .unwrap_or_default(),
        _ => inline_children(node),
    }
}

fn inline_children(node: &Value) -> String {
    node.get("content")
        .and_then(Value::as_array)
        .map(|c| c.iter().map(block_text).collect::<String>())
        .unwrap_or_default()
}

/// Simple HTML for `renderedFields` and `renderedBody`: one `<p>` per block.
pub fn to_html(doc: &Value) -> String {
    to_text(doc)
        .split("\n\n")
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", escape_html(p).replace('\n', "<br/>\n")))
        .collect::<Vec<_>>()
        .join("\n")
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_through_a_document() {
        let text = "First line\nsecond line\n\nNew paragraph";
        let doc = from_text(text);
        assert!(is_document(&doc));
        assert_eq!(to_text(&doc), text);
        assert_eq!(to_text(&from_text("")), "");
    }

    #[test]
    fn strings_and_broken_nodes_are_not_documents() {
        assert!(!is_document(&json!("plain")));
        assert!(!is_document(&json!({"type": "doc", "version": 1})));
        assert!(!is_document(
            &json!({"type": "doc", "version": 1, "content": [{"type": "text"}]})
        ));
    }
}
