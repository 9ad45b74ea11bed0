//! Fitting long text into Salesforce's byte limits: numbered parts or a truncation note.
//!
//! Cuts always fall on UTF-8 character boundaries and prefer, in order, a paragraph break, a
//! line break and a space, as long as that keeps at least half of the room in use; otherwise
//! the text is cut at the last character that fits.

/// The smallest limit honoured; smaller limits (plus any footer) are raised to this so that
/// every part can make progress.
pub const MIN_SPLIT_LIMIT: usize = 64;

/// Splits `text` into bodies of at most `limit_bytes` bytes each (see [`MIN_SPLIT_LIMIT`]).
/// Text that fits is returned unchanged as one body; otherwise each part starts with
/// `(part i/n)` on its own line, counted within the limit.
pub fn split_for_case_comment(text: &str, limit_bytes: usize) -> Vec<String> {
    split_parts(text, limit_bytes, "")
}

/// Like [`split_for_case_comment`], with `suffix` appended to every part (within the limit).
/// When the suffix leaves less than [`MIN_SPLIT_LIMIT`] bytes of room, the limit is raised.
pub(crate) fn split_parts(text: &str, limit_bytes: usize, suffix: &str) -> Vec<String> {
    let limit = limit_bytes.max(MIN_SPLIT_LIMIT + suffix.len());
    if text.len() + suffix.len() <= limit {
        return vec![format!("{text}{suffix}")];
    }
    let mut digits = 1u32;
    loop {
        // "(part " + i + "/" + n + ")\n"
        let tag_len = 6 + digits as usize + 1 + digits as usize + 2;
        let budget = limit - suffix.len() - tag_len;
        let chunks = chunk(text, budget);
        let n = chunks.len();
        if n == 1 {
            // Only trailing whitespace made it too long.
            return vec![format!("{}{suffix}", chunks[0])];
        }
        if n < 10usize.saturating_pow(digits) {
            return chunks
                .into_iter()
                .enumerate()
                .map(|(i, c)| format!("(part {}/{n})\n{c}{suffix}", i + 1))
                .collect();
        }
        digits += 1;
    }
}

/// The largest char boundary of `s` that is at most `max`.
fn floor_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    (0..=max)
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0)
}

/// Where to cut `s` to keep at most `budget` bytes: the byte offset of the cut and the length
/// of the separator to skip after it.
fn cut_point(s: &str, budget: usize) -> (usize, usize) {
    let hard = floor_boundary(s, budget);
    let window = &s[..hard];
    let min = hard / 2;
    let soft = [("\n\n", 2), ("\n", 1), (" ", 1)]
        .into_iter()
        .find_map(|(sep, len)| window.rfind(sep).filter(|&p| p >= min).map(|p| (p, len)));
    match soft {
        Some((p, len)) if !s[..p].trim_end().is_empty() => (p, len),
        _ => (hard.max(first_char_len(s)), 0),
    }
}

fn first_char_len(s: &str) -> usize {
    s.chars().next().map_or(0, char::len_utf8)
}

/// Splits `text` into pieces of at most `budget` bytes (a budget of at least 4 guarantees
/// progress with any character).
fn chunk(text: &str, budget: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if rest.len() <= budget {
            let piece = rest.trim_end();
            if !piece.is_empty() {
                out.push(piece.to_string());
            }
            break;
        }
        let (at, skip) = cut_point(rest, budget);
        let piece = rest[..at].trim_end();
        if !piece.is_empty() {
            out.push(piece.to_string());
        }
        rest = rest[at + skip..].trim_start_matches('\n');
    }
    if out.is_empty() {
        out.push(String::new());
    }
    out
}

/// Returns `text` unchanged when it fits in `limit_bytes`; otherwise cuts it (at a boundary as
/// above) and appends a note saying how many characters were left out, the whole within the
/// limit (raised to [`MIN_SPLIT_LIMIT`] if smaller).
pub fn truncate_with_note(text: &str, limit_bytes: usize) -> String {
    let limit = limit_bytes.max(MIN_SPLIT_LIMIT);
    if text.len() <= limit {
        return text.to_string();
    }
    let total_chars = text.chars().count();
    // Reserve room for the note with the widest possible count.
    let reserve = note(total_chars).len();
    let (at, _) = cut_point(text, limit - reserve);
    let kept = text[..at].trim_end();
    let omitted = total_chars - kept.chars().count();
    format!("{kept}{}", note(omitted))
}

fn note(omitted_chars: usize) -> String {
    format!("\n\n[… truncated: {omitted_chars} more characters not copied]")
}
