//! Tests for ADF and wiki-markup conversion.

use super::*;
use proptest::prelude::*;
use serde_json::json;

fn doc(content: Value) -> Value {
    json!({"type": "doc", "version": 1, "content": content})
}

fn p(text: &str) -> Value {
    json!({"type": "paragraph", "content": [{"type": "text", "text": text}]})
}

#[test]
fn paragraphs_are_separated_by_a_blank_line() {
    let d = doc(json!([p("one"), p("two"), {"type": "paragraph"}, p("three")]));
    assert_eq!(adf_to_text(&d), "one\n\ntwo\n\nthree");
}

#[test]
fn headings_hard_breaks_and_rules() {
    let d = doc(json!([
        {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Title"}]},
        {"type": "paragraph", "content": [
            {"type": "text", "text": "line one"}, {"type": "hardBreak"}, {"type": "text", "text": "line two"}
        ]},
        {"type": "rule"},
        p("after")
    ]));
    assert_eq!(
        adf_to_text(&d),
        "Title\n\nline one\nline two\n\n---\n\nafter"
    );
}

#[test]
fn nested_lists_are_indented_under_their_item() {
    let item = |text: &str, nested: Option<Value>| {
        let mut content = vec![p(text)];
        content.extend(nested);
        json!({"type": "listItem", "content": content})
    };
    let inner = json!({"type": "orderedList", "attrs": {"order": 3}, "content": [item("x", None), item("y", None)]});
    let d = doc(json!([
        {"type": "bulletList", "content": [item("a", Some(inner)), item("b", None)]},
        {"type": "orderedList", "content": [item("first", None), item("second", None)]}
    ]));
    assert_eq!(
        adf_to_text(&d),
        "- a\n  3. x\n  4. y\n- b\n\n1. first\n2. second"
    );
}

#[test]
fn inline_nodes_render_readably() {
    let d = doc(json!([{"type": "paragraph", "content": [
        {"type": "mention", "attrs": {"id": "abc", "text": "@Ada Lovelace"}},
        {"type": "text", "text": " and "},
        {"type": "mention", "attrs": {"id": "def", "text": "Grace"}},
        {"type": "text", "text": " "},
        {"type": "emoji", "attrs": {"shortName": ":smile:", "text": "😄"}},
        {"type": "emoji", "attrs": {"shortName": ":party:"}},
        {"type": "text", "text": " see "},
        {"type": "text", "text": "the docs", "marks": [{"type": "link", "attrs": {"href": "https://example.com/d"}}]},
        {"type": "text", "text": " or "},
        {"type": "text", "text": "https://example.com", "marks": [{"type": "link", "attrs": {"href": "https://example.com"}}]},
        {"type": "text", "text": " run "},
        {"type": "text", "text": "make", "marks": [{"type": "code"}, {"type": "strong"}]},
        {"type": "text", "text": " "},
        {"type": "status", "attrs": {"text": "IN REVIEW", "color": "blue"}},
        {"type": "text", "text": " due "},
        {"type": "date", "attrs": {"timestamp": "1704153600000"}},
        {"type": "inlineCard", "attrs": {"url": " https://x.test/card"}}
    ]}]));
    assert_eq!(
        adf_to_text(&d),
        "@Ada Lovelace and @Grace 😄:party: see the docs (https://example.com/d) or https://example.com run `make` [IN REVIEW] due 2024-01-02 https://x.test/card"
    );
}

#[test]
fn code_quotes_tables_and_media() {
    let d = doc(json!([
        {"type": "codeBlock", "attrs": {"language": "rust"}, "content": [{"type": "text", "text": "fn main() {}\n"}]},
        {"type": "blockquote", "content": [p("quoted"), p("more")]},
        {"type": "table", "content": [
            {"type": "tableRow", "content": [
                {"type": "tableHeader", "content": [p("Name")]},
                {"type": "tableHeader", "content": [p("Value")]}
            ]},
            {"type": "tableRow", "content": [
                {"type": "tableCell", "content": [p("a")]},
                {"type": "tableCell", "content": [p("1"), p("2")]}
            ]}
        ]},
        {"type": "mediaSingle", "content": [{"type": "media", "attrs": {"id": "u1", "type": "file", "alt": "screen.png"}}]},
        {"type": "mediaGroup", "content": [{"type": "media", "attrs": {"id": "u2", "type": "file"}}]}
    ]));
    assert_eq!(
        adf_to_text(&d),
        "```rust\nfn main() {}\n```\n\n> quoted\n>\n> more\n\nName | Value\na | 1 2\n\n[attachment: screen.png]\n\n[attachment]"
    );
}

#[test]
fn tasks_panels_and_expands() {
    let d = doc(json!([
        {"type": "taskList", "content": [
            {"type": "taskItem", "attrs": {"state": "DONE"}, "content": [{"type": "text", "text": "done"}]},
            {"type": "taskItem", "attrs": {"state": "TODO"}, "content": [{"type": "text", "text": "todo"}]}
        ]},
        {"type": "panel", "attrs": {"panelType": "info"}, "content": [p("inside panel")]},
        {"type": "expand", "attrs": {"title": "More"}, "content": [p("hidden")]}
    ]));
    assert_eq!(
        adf_to_text(&d),
        "[x] done\n[ ] todo\n\ninside panel\n\nMore\nhidden"
    );
}

#[test]
fn odd_input_never_panics() {
    let odd = [
        json!(null),
        json!(42),
        json!([1, "x", null]),
        json!({"type": "doc"}),
        json!({"type": "doc", "content": "nope"}),
        json!({"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text"}]}]}),
        json!({"type": "doc", "content": [{"type": "mystery", "content": [{"type": "text", "text": "kept"}]}]}),
        json!({"type": "doc", "content": [{"type": "unknownInline", "text": "t"}]}),
        json!({"type": "doc", "content": [{"type": "date", "attrs": {"timestamp": "soon"}}]}),
        json!({"type": "doc", "content": [{"type": "orderedList", "attrs": {"order": "x"}, "content": [{"type": "listItem"}]}]}),
        json!({"type": "doc", "content": [{"type": "text", "text": "bare", "marks": [{"type": "link"}, 7]}]}),
    ];
    let rendered: Vec<String> = odd.iter().map(adf_to_text).collect();
    assert_eq!(rendered[6], "kept");
    assert_eq!(rendered[7], "t");
    assert_eq!(rendered[9], "1.");
    assert_eq!(rendered[10], "bare");
    assert_eq!(rendered[0], "");
}

#[test]
fn a_string_body_is_read_as_wiki_markup() {
    assert_eq!(adf_to_text(&json!("*hi* there")), "hi there");
}

#[test]
fn text_to_adf_builds_paragraphs_breaks_and_links() {
    let adf =
        text_to_adf("Hello\r\nsee https://example.com/a_b.\n\n\n  \nBye (http://x.test/q?a=(1))");
    assert_eq!(
        adf,
        json!({"type": "doc", "version": 1, "content": [
            {"type": "paragraph", "content": [
                {"type": "text", "text": "Hello"},
                {"type": "hardBreak"},
                {"type": "text", "text": "see "},
                {"type": "text", "text": "https://example.com/a_b", "marks": [{"type": "link", "attrs": {"href": "https://example.com/a_b"}}]},
                {"type": "text", "text": "."}
            ]},
            {"type": "paragraph", "content": [
                {"type": "text", "text": "Bye ("},
                {"type": "text", "text": "http://x.test/q?a=(1)", "marks": [{"type": "link", "attrs": {"href": "http://x.test/q?a=(1)"}}]},
                {"type": "text", "text": ")"}
            ]}
        ]})
    );
}

#[test]
fn text_to_adf_of_nothing_is_an_empty_doc() {
    assert_eq!(
        text_to_adf(""),
        json!({"type": "doc", "version": 1, "content": []})
    );
    assert_eq!(
        text_to_adf(" \n\t\n"),
        json!({"type": "doc", "version": 1, "content": []})
    );
}

#[test]
fn urls_need_a_boundary_and_a_host() {
    assert_eq!(find_url("xhttp://a.b"), None);
    assert_eq!(find_url("http:// nothing"), None);
    assert_eq!(find_url("go http://a.b!"), Some((3, 13)));
    assert_eq!(find_url("<https://a.b>"), Some((1, 12)));
}

#[test]
fn normalize_text_rules() {
    assert_eq!(normalize_text("\n\n a \r\n\r\n\r\nb\t\n\n"), " a\n\nb");
    assert_eq!(normalize_text("x\ry"), "x\ny");
}

#[test]
fn wiki_inline_markup_is_stripped() {
    assert_eq!(
        wiki_to_text("*bold* and _it_ and -gone- +under+ ^sup^ ~sub~ ??cite?? {{mono_x}}"),
        "bold and it and gone under sup sub cite mono_x"
    );
    assert_eq!(
        wiki_to_text("snake_case_name and 2*3*4 and a - b"),
        "snake_case_name and 2*3*4 and a - b"
    );
    assert_eq!(
        wiki_to_text("see http://x.test/_a_ now"),
        "see http://x.test/_a_ now"
    );
    assert_eq!(
        wiki_to_text("escaped \\*star\\* line\\\\break"),
        "escaped *star* line\nbreak"
    );
    assert_eq!(wiki_to_text("{color:red}red{color} text"), "red text");
}

#[test]
fn wiki_links_mentions_and_attachments() {
    assert_eq!(
        wiki_to_text("[Docs|https://d.test] [https://e.test] [~accountid:557058:abc] [~jdoe] [^log.txt] !shot.png|thumbnail! [WIP]"),
        "Docs (https://d.test) https://e.test @557058:abc @jdoe [attachment: log.txt] [attachment: shot.png] [WIP]"
    );
    let resolved = wiki_to_text_with("hi [~accountid:42]", &|id| {
        (id == "42").then(|| "Ada".to_string())
    });
    assert_eq!(resolved, "hi @Ada");
    assert_eq!(
        wiki_to_text("[https://x.test|https://x.test]"),
        "https://x.test"
    );
}

#[test]
fn wiki_blocks() {
    let markup = "h1. Title\n\nbq. quoted line\n{quote}\nmulti\nquote\n{quote}\n* one\n** one-a\n# first\n# second\n## second-a\n----\n||H1||H2||\n|a|[x|http://y.test]|";
    assert_eq!(
        wiki_to_text(markup),
        "Title\n\n> quoted line\n> multi\n> quote\n- one\n  - one-a\n1. first\n2. second\n   1. second-a\n---\nH1 | H2\na | x (http://y.test)"
    );
}

#[test]
fn wiki_code_blocks_are_fenced_and_verbatim() {
    assert_eq!(
        wiki_to_text("before\n{code:java}\nint *x* = 1;\n{code}\nafter"),
        "before\n```java\nint *x* = 1;\n```\nafter"
    );
    assert_eq!(
        wiki_to_text("{noformat}raw _x_{noformat} tail"),
        "```\nraw _x_\n```\ntail"
    );
    assert_eq!(
        wiki_to_text("{code}\nunterminated"),
        "```\nunterminated\n```"
    );
    assert_eq!(
        wiki_to_text("{code:title=A.java|borderStyle=solid}\nx\n{code}"),
        "```\nx\n```"
    );
}

#[test]
fn wiki_odd_input_never_panics() {
    for s in [
        "*", "**", "[", "]", "{", "{{", "!", "!!", "\\", "[~", "h1.", "#", "* ", "|", "{quote}",
        "é*é*é", "_é_", "??é??",
    ] {
        let _ = wiki_to_text(s);
    }
    assert_eq!(wiki_to_text("_é_"), "é");
}

/// Text whose lines are arbitrary printable content, including URLs and markup-like symbols.
fn arb_text() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        "[a-zA-Z0-9 ,.;:!?()\\[\\]{}*_#>|'\"-]{0,12}",
        Just("https://example.com/x_y?q=(1)".to_string()),
        Just("http://a.test".to_string()),
        Just("é😄".to_string()),
        Just("\t".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("\n\n".to_string()),
        Just("  ".to_string()),
    ];
    prop::collection::vec(atom, 0..20).prop_map(|parts| parts.concat())
}

proptest! {
    #[test]
    fn text_to_adf_to_text_is_identity_on_normalised_text(text in arb_text()) {
        let back = adf_to_text(&text_to_adf(&text));
        prop_assert_eq!(back, normalize_text(&text));
    }

    #[test]
    fn text_to_adf_never_emits_empty_text_nodes(text in arb_text()) {
        let adf = text_to_adf(&text);
        prop_assert_eq!(&adf["type"], "doc");
        prop_assert_eq!(&adf["version"], 1);
        for para in adf["content"].as_array().unwrap() {
            prop_assert_eq!(&para["type"], "paragraph");
            let content = para["content"].as_array().unwrap();
            prop_assert!(!content.is_empty());
            prop_assert_ne!(&content[0]["type"], "hardBreak");
            for node in content {
                if node["type"] == "text" {
                    prop_assert!(!node["text"].as_str().unwrap().is_empty());
                }
            }
        }
    }

    #[test]
    fn normalize_text_is_idempotent(text in arb_text()) {
        let once = normalize_text(&text);
        prop_assert_eq!(normalize_text(&once), once);
    }

    #[test]
    fn wiki_to_text_never_panics(text in "\\PC{0,60}") {
        let _ = wiki_to_text(&text);
    }

    #[test]
    fn adf_to_text_never_panics_on_arbitrary_json(value in arb_json()) {
        let _ = adf_to_text(&value);
        let _ = adf_to_text(&json!({"type": "doc", "content": [value]}));
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop_oneof![
            Just("paragraph"),
            Just("text"),
            Just("bulletList"),
            Just("listItem"),
            Just("orderedList"),
            Just("table"),
            Just("tableRow"),
            Just("media"),
            Just("mention"),
            Just("date"),
            Just("codeBlock"),
            Just("blockquote"),
            Just("x")
        ]
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("type"),
                    Just("content"),
                    Just("text"),
                    Just("attrs"),
                    Just("marks"),
                    Just("order"),
                    Just("timestamp"),
                    Just("href")
                ]
                .prop_map(String::from),
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[test]
fn adversarial_markup_is_handled_in_linear_time() {
    // Thousands of unclosed markers on one line. With unbounded look-ahead this takes minutes;
    // bounded, it is a fraction of a second. (No timing assertion: a hang is the failure.)
    let line = "*a [b {c !d _e http ".repeat(5_000);
    let out = wiki_to_text(&line);
    assert_eq!(out, line.trim_end());
}
