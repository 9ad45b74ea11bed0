//! JSON as Salesforce prints it when a client sends `X-PrettyPrint: 1` (simple-salesforce
//! always does): Jackson's default pretty printer — two-space indents for objects, `" : "`
//! between key and value, arrays kept on the opening line (`[ {`, `[ "a", "b" ]`), and empty
//! containers as `{ }` and `[ ]`.

use std::io;

use serde::Serialize;
use serde_json::ser::Formatter;

/// A serde_json formatter reproducing Jackson's `DefaultPrettyPrinter`.
#[derive(Default)]
struct Jackson {
    /// Enclosing objects (arrays do not indent).
    depth: usize,
    /// Whether each open container has written a value yet.
    filled: Vec<bool>,
}

impl Jackson {
    fn indent<W: ?Sized + io::Write>(&self, w: &mut W) -> io::Result<()> {
        w.write_all(b"\n")?;
        for _ in 0..self.depth {
            w.write_all(b"  ")?;
        }
        Ok(())
    }
}

impl Formatter for Jackson {
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.filled.push(false);
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.filled.pop();
        w.write_all(b" ]")
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if let Some(f) = self.filled.last_mut() {
            *f = true;
        }
        w.write_all(if first { b" " } else { b", " })
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, _w: &mut W) -> io::Result<()> {
        Ok(())
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.filled.push(false);
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.filled.pop().unwrap_or(false) {
            self.indent(w)?;
            w.write_all(b"}")
        } else {
            w.write_all(b" }")
        }
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if let Some(f) = self.filled.last_mut() {
            *f = true;
        }
        if !first {
            w.write_all(b",")?;
        }
        self.indent(w)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b" : ")
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, _w: &mut W) -> io::Result<()> {
        Ok(())
    }
}

/// Serializes `value` the way Salesforce pretty-prints.
pub fn to_vec<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, Jackson::default());
    if value.serialize(&mut ser).is_err() {
        return serde_json::to_vec(value).unwrap_or_default();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prints_like_jackson() {
        let v = json!({"totalSize": 1, "done": true, "records": [{"attributes": {"type": "Case"}, "Id": "500"}], "errors": [], "e": {}});
        let text = String::from_utf8(to_vec(&v)).unwrap();
        assert_eq!(
            text,
            "{\n  \"totalSize\" : 1,\n  \"done\" : true,\n  \"records\" : [ {\n    \"attributes\" : {\n      \"type\" : \"Case\"\n    },\n    \"Id\" : \"500\"\n  } ],\n  \"errors\" : [ ],\n  \"e\" : { }\n}"
        );
        assert_eq!(
            String::from_utf8(to_vec(&json!(["a", "b"]))).unwrap(),
            "[ \"a\", \"b\" ]"
        );
    }
}
