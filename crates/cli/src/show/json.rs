//! A streaming JSON writer that lays out its output exactly as iproute2's does,
//! since `tc -j` and `tc -j -p` output is compared byte for byte: no spaces in
//! compact mode; in pretty mode four spaces per level, `"key": value`, arrays opened
//! as `[ ` and closed as ` ]`, and `},{` between objects of an array.
//!
//! Strings are escaped only for `\t \n \r \f \b \\ "`, other bytes go out as they
//! are, as tc does.
//!
//! bpftool carries its own copy of that writer, with two differences, so the same
//! type serves `rtc map` in the [`Dialect::Bpftool`] dialect: arrays are not padded
//! with spaces, and strings are escaped as bpftool's `jsonw_puts` escapes them.

/// Whose JSON layout to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// iproute2 (`tc -j`, `ip -j`).
    Iproute2,
    /// bpftool (`bpftool -j`).
    Bpftool,
}

/// Writes one JSON document into a `String`.
#[derive(Debug)]
pub struct JsonWriter {
    out: String,
    depth: usize,
    pretty: bool,
    dialect: Dialect,
    /// Whether the next element needs a comma before it (a value was written at
    /// the current level).
    separate: bool,
}

impl JsonWriter {
    /// An empty writer in iproute2's layout; `pretty` selects tc's `-p` layout.
    pub fn new(pretty: bool) -> Self {
        JsonWriter::with_dialect(pretty, Dialect::Iproute2)
    }

    /// An empty writer in bpftool's layout; `pretty` selects bpftool's `-p` layout.
    pub fn bpftool(pretty: bool) -> Self {
        JsonWriter::with_dialect(pretty, Dialect::Bpftool)
    }

    fn with_dialect(pretty: bool, dialect: Dialect) -> Self {
        JsonWriter {
            out: String::new(),
            depth: 0,
            pretty,
            dialect,
            separate: false,
        }
    }

    /// The document with bpftool's closing newline.
    pub fn finish(mut self) -> String {
        self.out.push('\n');
        self.out
    }

    /// Everything written so far.
    pub fn into_string(self) -> String {
        self.out
    }

    /// Writes what was written since the last call to `sink` and forgets it,
    /// keeping the writer's place in the document (so a long listing can be
    /// printed as it is written) and its buffer.
    pub fn drain_to(&mut self, sink: &mut impl std::io::Write) -> std::io::Result<()> {
        let written = sink.write_all(self.out.as_bytes());
        self.out.clear();
        written
    }

    /// Appends text that is not JSON (tc lets some plain `fprintf` output through).
    pub fn raw(&mut self, text: &str) {
        self.out.push_str(text);
    }

    fn indent_line(&mut self) {
        if self.pretty {
            self.out.push('\n');
            for _ in 0..self.depth {
                self.out.push_str("    ");
            }
        }
    }

    fn comma(&mut self) {
        if self.separate {
            self.out.push(',');
        }
        self.separate = true;
    }

    fn open(&mut self, bracket: char) {
        self.comma();
        self.out.push(bracket);
        self.depth += 1;
        self.separate = false;
    }

    fn close(&mut self, bracket: char) {
        self.depth = self.depth.saturating_sub(1);
        if self.separate {
            self.indent_line();
        }
        self.out.push(bracket);
        self.separate = true;
    }

    /// `{`.
    pub fn start_object(&mut self) {
        self.open('{');
    }

    /// `}`.
    pub fn end_object(&mut self) {
        self.close('}');
    }

    /// `[` (followed by a space when pretty).
    pub fn start_array(&mut self) {
        self.open('[');
        if self.pretty && self.dialect == Dialect::Iproute2 {
            self.out.push(' ');
        }
    }

    /// `]` (preceded by a space when pretty and the array is not empty).
    pub fn end_array(&mut self) {
        if self.dialect == Dialect::Iproute2 {
            if self.pretty && self.separate {
                self.out.push(' ');
            }
            self.separate = false;
        }
        self.close(']');
    }

    /// `"name":` (with a space after the colon when pretty); a value must follow.
    pub fn name(&mut self, name: &str) {
        self.comma();
        self.indent_line();
        self.separate = false;
        self.quoted(name);
        self.out.push(':');
        if self.pretty {
            self.out.push(' ');
        }
    }

    fn quoted(&mut self, text: &str) {
        self.out.push('"');
        let bpftool = self.dialect == Dialect::Bpftool;
        for c in text.chars() {
            match c {
                // bpftool's jsonw_puts writes a backslash as `\n` and escapes `'`.
                '\\' | '\n' if bpftool => self.out.push_str("\\n"),
                '\'' if bpftool => self.out.push_str("\\'"),
                '\t' => self.out.push_str("\\t"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\u{c}' => self.out.push_str("\\f"),
                '\u{8}' => self.out.push_str("\\b"),
                '\\' => self.out.push_str("\\\\"),
                '"' => self.out.push_str("\\\""),
                other => self.out.push(other),
            }
        }
        self.out.push('"');
    }

    /// A string value.
    pub fn string(&mut self, value: &str) {
        self.comma();
        self.quoted(value);
    }

    /// An unsigned number.
    pub fn uint(&mut self, value: u64) {
        self.comma();
        self.out.push_str(&value.to_string());
    }

    /// `true` or `false`.
    pub fn bool(&mut self, value: bool) {
        self.comma();
        self.out.push_str(if value { "true" } else { "false" });
    }

    /// A value written as given (`null`, a signed number, pre-quoted text).
    pub fn literal(&mut self, text: &str) {
        self.comma();
        self.out.push_str(text);
    }

    /// `"name": "value"`.
    pub fn string_field(&mut self, name: &str, value: &str) {
        self.name(name);
        self.string(value);
    }

    /// `"name": N`.
    pub fn uint_field(&mut self, name: &str, value: u64) {
        self.name(name);
        self.uint(value);
    }

    /// Bytes as an array of `"0x%02x"` strings (bpftool's `print_hex_data_json`).
    pub fn hex_bytes(&mut self, bytes: &[u8]) {
        self.start_array();
        for byte in bytes {
            self.literal(&format!("\"0x{byte:02x}\""));
        }
        self.end_array();
    }

    /// `{"error":"MESSAGE"}`: bpftool writes the message between quotes unescaped.
    pub fn error(&mut self, message: &str) {
        self.start_object();
        self.name("error");
        self.literal(&format!("\"{message}\""));
        self.end_object();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(pretty: bool) -> String {
        let mut w = JsonWriter::new(pretty);
        w.start_array();
        w.start_object();
        w.name("kind");
        w.string("a\"b");
        w.name("options");
        w.start_object();
        w.end_object();
        w.end_object();
        w.start_object();
        w.name("n");
        w.uint(2);
        w.end_object();
        w.end_array();
        w.into_string()
    }

    #[test]
    fn compact_and_pretty_layouts() {
        assert_eq!(sample(false), r#"[{"kind":"a\"b","options":{}},{"n":2}]"#);
        assert_eq!(
            sample(true),
            "[ {\n        \"kind\": \"a\\\"b\",\n        \"options\": {}\n    },{\n        \"n\": 2\n    } ]"
        );
        let mut empty = JsonWriter::new(true);
        empty.start_array();
        empty.end_array();
        assert_eq!(empty.into_string(), "[ ]");
    }
}
