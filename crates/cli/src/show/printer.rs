//! One output in two forms: tc prints each field either as text (`-j` off) or as a
//! JSON member (`-j` on), and a few only in one of the two. [`Printer`] takes each
//! field once with both forms and keeps the one asked for, so the renderers read
//! like tc's field order and cannot drift between text and JSON.

use super::json::JsonWriter;

/// A JSON value of a field.
#[derive(Clone, Copy, Debug)]
pub enum Value<'a> {
    /// A string.
    Str(&'a str),
    /// An unsigned number.
    Uint(u64),
    /// `true` / `false`.
    Bool(bool),
    /// A signed number.
    Int(i64),
    /// `null`.
    Null,
}

/// The text form of a field: a string, or `format_args!(...)` written straight
/// into the output (no string of its own per field).
pub trait FieldText {
    /// Appends the text to `out`.
    fn write_to(self, out: &mut String);
}

impl FieldText for &str {
    fn write_to(self, out: &mut String) {
        out.push_str(self);
    }
}

impl FieldText for &String {
    fn write_to(self, out: &mut String) {
        out.push_str(self);
    }
}

impl FieldText for std::fmt::Arguments<'_> {
    fn write_to(self, out: &mut String) {
        // Writing into a String cannot fail.
        let _ = std::fmt::Write::write_fmt(out, self);
    }
}

/// Collects the text or the JSON of a listing.
#[derive(Debug)]
pub struct Printer {
    text: String,
    json: Option<JsonWriter>,
}

impl Printer {
    /// A printer for text, or for JSON (`pretty` for `-p`). JSON output is one
    /// array around all entries, as tc prints it.
    pub fn new(json: bool, pretty: bool) -> Self {
        let json = json.then(|| {
            let mut writer = JsonWriter::new(pretty);
            writer.start_array();
            writer
        });
        Printer {
            text: String::new(),
            json,
        }
    }

    /// A field printed in both modes: `text` as text, `key: value` as JSON.
    pub fn field(&mut self, key: &str, value: Value<'_>, text: impl FieldText) {
        match &mut self.json {
            Some(json) => {
                json.name(key);
                match value {
                    Value::Str(s) => json.string(s),
                    Value::Uint(n) => json.uint(n),
                    Value::Bool(b) => json.bool(b),
                    Value::Int(n) => json.literal(&n.to_string()),
                    Value::Null => json.literal("null"),
                }
            }
            None => text.write_to(&mut self.text),
        }
    }

    /// True when the output is JSON (`-j`).
    pub fn is_json(&self) -> bool {
        self.json.is_some()
    }

    /// A string element of the innermost JSON array; `text` in text mode.
    pub fn element(&mut self, value: &str, text: impl FieldText) {
        match &mut self.json {
            Some(json) => json.string(value),
            None => text.write_to(&mut self.text),
        }
    }

    /// A field printed only in JSON.
    pub fn json_only(&mut self, key: &str, value: Value<'_>) {
        if self.json.is_some() {
            self.field(key, value, "");
        }
    }

    /// Text printed only in text mode.
    pub fn text(&mut self, text: &str) {
        if self.json.is_none() {
            self.text.push_str(text);
        }
    }

    /// Text tc writes straight to stdout whatever the mode (it lands inside the
    /// JSON when `-j` is on).
    pub fn raw(&mut self, text: &str) {
        match &mut self.json {
            Some(json) => json.raw(text),
            None => self.text.push_str(text),
        }
    }

    /// tc's `print_nl`: a newline in text mode, nothing in JSON.
    pub fn newline(&mut self) {
        self.text("\n");
    }

    /// Opens a JSON object (named, or an array element); nothing in text mode.
    pub fn open_object(&mut self, key: Option<&str>) {
        if let Some(json) = &mut self.json {
            if let Some(key) = key {
                json.name(key);
            }
            json.start_object();
        }
    }

    /// Closes the innermost JSON object.
    pub fn close_object(&mut self) {
        if let Some(json) = &mut self.json {
            json.end_object();
        }
    }

    /// Opens a named JSON array; nothing in text mode.
    pub fn open_array(&mut self, key: &str) {
        if let Some(json) = &mut self.json {
            json.name(key);
            json.start_array();
        }
    }

    /// Closes the innermost JSON array.
    pub fn close_array(&mut self) {
        if let Some(json) = &mut self.json {
            json.end_array();
        }
    }

    /// Writes the output since the last call to `sink` and forgets it; what
    /// follows continues it (the JSON array stays open until [`Printer::finish`]).
    pub fn drain_to(&mut self, sink: &mut impl std::io::Write) -> std::io::Result<()> {
        match &mut self.json {
            Some(json) => json.drain_to(sink),
            None => {
                let written = sink.write_all(self.text.as_bytes());
                self.text.clear();
                written
            }
        }
    }

    /// The finished output: the text, or the JSON array followed by a newline.
    pub fn finish(self) -> String {
        match self.json {
            Some(mut json) => {
                json.end_array();
                let mut out = json.into_string();
                out.push('\n');
                out
            }
            None => self.text,
        }
    }
}
