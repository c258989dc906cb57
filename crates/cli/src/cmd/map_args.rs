//! The grammar of `bpftool map {show|dump|update|lookup|getnext|delete} MAP ...`
//! (bpftool 7.1's `map.c` and `common.c`), read with no side effects: the command
//! word, the map reference (`id N`, `pinned PATH`, `name NAME`) and, once the map's
//! key and value sizes are known, the element (`key [hex] BYTES`, `value [hex]
//! BYTES`, `any|noexist|exist`).
//!
//! Words match as bpftool matches them: any prefix of a keyword (`k` for `key`,
//! `h` for `hex`). Bytes are C `strtoul` numbers: decimal, `0x` hex or leading-zero
//! octal, or hex digits after `hex`. Unlike bpftool, a byte above 255 is refused
//! rather than cut to its low eight bits.

use crate::error::{CliError, CliResult};

/// bpftool's `BPF_OBJ_NAME_LEN - 1`: the longest map name.
const MAX_NAME_LEN: usize = 15;

/// `BPF_ANY`, `BPF_NOEXIST`, `BPF_EXIST`.
const UPDATE_FLAGS: &[(&str, u64)] = &[("any", 0), ("noexist", 1), ("exist", 2)];

/// bpftool's `is_prefix(word, keyword)`: `word` is the start of `keyword` (an empty
/// word is the start of everything).
pub fn is_prefix(word: &str, keyword: &str) -> bool {
    keyword.starts_with(word)
}

/// A `map` command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapVerb {
    /// `show`/`list`: describe maps.
    Show,
    /// `help`.
    Help,
    /// `dump`: every entry.
    Dump,
    /// `update`: write one entry.
    Update,
    /// `lookup`: read one entry.
    Lookup,
    /// `getnext`: the key after a key (or the first key).
    GetNext,
    /// `delete`: remove one entry.
    Delete,
}

/// bpftool's map commands in its matching order; `None` marks those rtc lacks.
const VERBS: &[(&str, Option<MapVerb>)] = &[
    ("show", Some(MapVerb::Show)),
    ("list", Some(MapVerb::Show)),
    ("help", Some(MapVerb::Help)),
    ("dump", Some(MapVerb::Dump)),
    ("update", Some(MapVerb::Update)),
    ("lookup", Some(MapVerb::Lookup)),
    ("getnext", Some(MapVerb::GetNext)),
    ("delete", Some(MapVerb::Delete)),
    ("pin", None),
    ("event_pipe", None),
    ("create", None),
    ("peek", None),
    ("push", None),
    ("enqueue", None),
    ("pop", None),
    ("dequeue", None),
    ("freeze", None),
];

impl MapVerb {
    /// Reads the command word: the first of bpftool's commands it is a prefix of.
    pub fn parse(word: &str) -> CliResult<MapVerb> {
        match VERBS.iter().find(|(name, _)| is_prefix(word, name)) {
            Some((_, Some(verb))) => Ok(*verb),
            Some((name, None)) => Err(CliError::usage(format!(
                "\"map {name}\" is not supported by rtc; use bpftool."
            ))),
            None => Err(usage()),
        }
    }
}

/// How the command names its map (bpftool's `MAP`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapRef {
    /// `id N`.
    Id(u32),
    /// `pinned PATH`.
    Pinned(String),
    /// `name NAME`: every map with that name.
    Name(String),
}

impl MapRef {
    /// Reads `id N`, `pinned PATH` or `name NAME` from the first two words.
    pub fn parse(words: &[String]) -> CliResult<MapRef> {
        let (Some(kind), Some(value)) = (words.first(), words.get(1)) else {
            return Err(usage());
        };
        if is_prefix(kind, "id") {
            parse_c_number(value, 0)
                .and_then(|n| u32::try_from(n).ok())
                .map(MapRef::Id)
                .ok_or_else(|| error(format!("can't parse {value} as ID")))
        } else if is_prefix(kind, "name") {
            if value.len() > MAX_NAME_LEN {
                return Err(error("can't parse name"));
            }
            Ok(MapRef::Name(value.clone()))
        } else if is_prefix(kind, "pinned") {
            Ok(MapRef::Pinned(value.clone()))
        } else {
            Err(error(format!(
                "expected 'id', 'name' or 'pinned', got: '{kind}'?"
            )))
        }
    }
}

/// A parsed `map` command line, element words still unread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapArgs {
    /// The command.
    pub verb: MapVerb,
    /// The map; `None` for `show` of every map and for `help`.
    pub map: Option<MapRef>,
    /// The words after the map reference (`key ...`, `value ...`, flags).
    pub rest: Vec<String>,
}

impl MapArgs {
    /// Reads the words after `map`. No command means `show`, as in bpftool.
    pub fn parse(words: &[String]) -> CliResult<MapArgs> {
        let Some((verb, rest)) = words.split_first() else {
            return Ok(MapArgs {
                verb: MapVerb::Show,
                map: None,
                rest: Vec::new(),
            });
        };
        let verb = MapVerb::parse(verb)?;
        let map = match verb {
            MapVerb::Help => None,
            MapVerb::Show => match rest.len() {
                0 => None,
                2 => Some(MapRef::parse(rest)?),
                _ => return Err(error(format!("what is '{}'?", rest[0]))),
            },
            MapVerb::Dump if rest.len() != 2 => return Err(usage()),
            _ if rest.len() < 2 => return Err(usage()),
            _ => Some(MapRef::parse(rest)?),
        };
        Ok(MapArgs {
            verb,
            map,
            rest: rest.get(2..).unwrap_or(&[]).to_vec(),
        })
    }
}

/// What an element's words say, sized for the map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// The key bytes, if the command takes a key and it was given.
    pub key: Option<Vec<u8>>,
    /// The value bytes (one value, not yet copied per CPU).
    pub value: Option<Vec<u8>>,
    /// `BPF_ANY` (default), `BPF_NOEXIST` or `BPF_EXIST`.
    pub flags: u64,
}

/// What a command wants from the element words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElementSpec {
    /// Key size, if a key must be given.
    pub key_size: Option<usize>,
    /// Value size, if a value must be given.
    pub value_size: Option<usize>,
    /// Whether update flags may be given.
    pub flags: bool,
}

/// bpftool's `parse_elem`: reads `key`, `value` and update flags in any order,
/// each once, until the words run out; everything asked for must be there.
pub fn parse_element(words: &[String], spec: ElementSpec) -> CliResult<Element> {
    let mut element = Element::default();
    let mut flags_given = !spec.flags;
    let mut i = 0;
    loop {
        let want_key = spec.key_size.is_some() && element.key.is_none();
        let want_value = spec.value_size.is_some() && element.value.is_none();
        let Some(word) = words.get(i) else {
            if want_key {
                return Err(error("did not find key"));
            }
            if want_value {
                return Err(error("did not find value"));
            }
            return Ok(element);
        };
        if is_prefix(word, "key") {
            let Some(size) = spec.key_size.filter(|_| want_key) else {
                return Err(error(if spec.key_size.is_some() {
                    "duplicate key"
                } else {
                    "unnecessary key"
                }));
            };
            let (bytes, used) = parse_bytes(&words[i + 1..], "key", size)?;
            element.key = Some(bytes);
            i += 1 + used;
        } else if is_prefix(word, "value") {
            let Some(size) = spec.value_size.filter(|_| want_value) else {
                return Err(error(if spec.value_size.is_some() {
                    "duplicate value"
                } else {
                    "unnecessary value"
                }));
            };
            let (bytes, used) = parse_bytes(&words[i + 1..], "value", size)?;
            element.value = Some(bytes);
            i += 1 + used;
        } else if let Some(&(_, flags)) =
            UPDATE_FLAGS.iter().find(|(name, _)| is_prefix(word, name))
        {
            if flags_given {
                return Err(error(format!("flags specified multiple times: {word}")));
            }
            flags_given = true;
            element.flags = flags;
            i += 1;
        } else {
            return Err(error(format!("expected key or value, got: {word}")));
        }
    }
}

/// bpftool's `parse_bytes`: `[hex] B1 B2 ...`, exactly `n` bytes; returns them and
/// how many words were used.
pub fn parse_bytes(words: &[String], name: &str, n: usize) -> CliResult<(Vec<u8>, usize)> {
    let (base, skip) = match words.first() {
        Some(first) if is_prefix(first, "hex") => (16, 1),
        _ => (0, 0),
    };
    let mut bytes = Vec::with_capacity(n.min(words.len()));
    for word in words.iter().skip(skip).take(n) {
        let value = parse_c_number(word, base)
            .ok_or_else(|| error(format!("error parsing byte: {word}")))?;
        let byte = u8::try_from(value)
            .map_err(|_| error(format!("error parsing byte: {word} (more than 255)")))?;
        bytes.push(byte);
    }
    if bytes.len() != n {
        return Err(error(format!(
            "{name} expected {n} bytes got {}",
            bytes.len()
        )));
    }
    Ok((bytes, skip + n))
}

/// An unsigned number as C's `strtoul(text, &end, base)` reads it when the whole
/// text must be used: base 0 takes `0x` hex, leading-zero octal or decimal; base 16
/// takes hex digits with an optional `0x`.
pub fn parse_c_number(text: &str, base: u32) -> Option<u64> {
    let (digits, radix) = match base {
        16 => (
            text.strip_prefix("0x")
                .or_else(|| text.strip_prefix("0X"))
                .unwrap_or(text),
            16,
        ),
        _ => {
            if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
                (hex, 16)
            } else if text.len() > 1 && text.starts_with('0') {
                (&text[1..], 8)
            } else {
                (text, 10)
            }
        }
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// What bpftool puts before a complaint on stderr (with `-j`, the rest becomes
/// `{"error":"..."}` on stdout instead).
pub const ERROR_PREFIX: &str = "Error: ";

/// A bpftool-style complaint: `Error: ...`, exit 255.
pub fn error(message: impl Into<String>) -> CliError {
    CliError::usage(format!("{ERROR_PREFIX}{}", message.into()))
}

/// The part of bpftool's map usage that rtc implements.
pub fn usage() -> CliError {
    CliError::usage_exit(
        "Usage: rtc map { show | list }   [MAP]\n\
         \x20      rtc map dump       MAP\n\
         \x20      rtc map update     MAP [key DATA] [value VALUE] [UPDATE_FLAGS]\n\
         \x20      rtc map lookup     MAP [key DATA]\n\
         \x20      rtc map getnext    MAP [key DATA]\n\
         \x20      rtc map delete     MAP  key DATA\n\
         \x20      rtc map help\n\
         \n\
         \x20      MAP := { id MAP_ID | pinned FILE | name MAP_NAME }\n\
         \x20      DATA := { [hex] BYTES }\n\
         \x20      VALUE := DATA\n\
         \x20      UPDATE_FLAGS := { any | exist | noexist }",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    const UPDATE_4_8: ElementSpec = ElementSpec {
        key_size: Some(4),
        value_size: Some(8),
        flags: true,
    };
    const LOOKUP_4: ElementSpec = ElementSpec {
        key_size: Some(4),
        value_size: None,
        flags: false,
    };

    fn message(line: &str, spec: ElementSpec) -> String {
        let message = parse_element(&words(line), spec).unwrap_err().message;
        message
            .strip_prefix(ERROR_PREFIX)
            .unwrap_or(&message)
            .to_string()
    }

    #[test]
    fn bytes_in_every_base_bpftool_reads() {
        let e = parse_element(
            &words("key 10 0 0 2 value hex 0a ff 0x1 0 0 0 0 0"),
            UPDATE_4_8,
        )
        .unwrap();
        assert_eq!(e.key, Some(vec![10, 0, 0, 2]));
        assert_eq!(e.value, Some(vec![0x0a, 0xff, 1, 0, 0, 0, 0, 0]));
        assert_eq!(e.flags, 0);
        let e = parse_element(&words("k 012 0x0a 0 1 v 1 2 3 4 5 6 7 8 noe"), UPDATE_4_8).unwrap();
        assert_eq!(e.key, Some(vec![10, 10, 0, 1]));
        assert_eq!(e.flags, 1);
        let e = parse_element(
            &words("value 0 0 0 0 0 0 0 0 exist key h a b c d"),
            UPDATE_4_8,
        )
        .unwrap();
        assert_eq!((e.key, e.flags), (Some(vec![0xa, 0xb, 0xc, 0xd]), 2));
    }

    #[test]
    fn errors_are_bpftools() {
        assert_eq!(
            message("key 10 0 0 value 1 0 0 0 0 0 0 0", UPDATE_4_8),
            "error parsing byte: value"
        );
        assert_eq!(
            message("key 10 0 0 2 value 1 0 0 0", UPDATE_4_8),
            "value expected 8 bytes got 4"
        );
        assert_eq!(message("key 10 0 0 2", UPDATE_4_8), "did not find value");
        assert_eq!(
            message("value 1 0 0 0 0 0 0 0", UPDATE_4_8),
            "did not find key"
        );
        assert_eq!(message("", LOOKUP_4), "did not find key");
        assert_eq!(
            message("key 10 0 0 0x1z value 1 0 0 0 0 0 0 0", UPDATE_4_8),
            "error parsing byte: 0x1z"
        );
        assert_eq!(
            message("key 10 0 0 7 value 1 0 0 0 0 0 0 0 any noexist", UPDATE_4_8),
            "flags specified multiple times: noexist"
        );
        assert_eq!(
            message("key 10 0 0 2 value 1 0 0 0 0 0 0 0 0", UPDATE_4_8),
            "expected key or value, got: 0"
        );
        assert_eq!(
            message("key 10 0 0 2 key 1 2 3 4", UPDATE_4_8),
            "duplicate key"
        );
        assert_eq!(
            message("frob", UPDATE_4_8),
            "expected key or value, got: frob"
        );
        assert_eq!(
            message("key 1 2 3 4 value 1", LOOKUP_4),
            "unnecessary value"
        );
        assert_eq!(
            message("key 1 2 3 4 any", LOOKUP_4),
            "flags specified multiple times: any"
        );
        assert_eq!(message("key 08 0 0 0", LOOKUP_4), "error parsing byte: 08");
        assert!(message("key 300 0 0 1", LOOKUP_4).contains("300"));
    }

    #[test]
    fn commands_and_map_references() {
        let args = MapArgs::parse(&words("up pinned /sys/fs/bpf/m key 1 2 3 4")).unwrap();
        assert_eq!(args.verb, MapVerb::Update);
        assert_eq!(args.map, Some(MapRef::Pinned("/sys/fs/bpf/m".into())));
        assert_eq!(args.rest, words("key 1 2 3 4"));
        assert_eq!(MapArgs::parse(&[]).unwrap().verb, MapVerb::Show);
        assert_eq!(MapVerb::parse("d").unwrap(), MapVerb::Dump);
        assert_eq!(MapVerb::parse("de").unwrap(), MapVerb::Delete);
        assert_eq!(MapVerb::parse("l").unwrap(), MapVerb::Show);
        assert_eq!(MapVerb::parse("lo").unwrap(), MapVerb::Lookup);
        assert_eq!(MapVerb::parse("g").unwrap(), MapVerb::GetNext);
        assert!(MapVerb::parse("p").unwrap_err().message.contains("pin"));
        assert_eq!(MapVerb::parse("frob").unwrap_err().code, 255);
        assert_eq!(
            MapArgs::parse(&words("dump id 0x10")).unwrap().map,
            Some(MapRef::Id(16))
        );
        assert_eq!(
            MapArgs::parse(&words("dump id 12x")).unwrap_err().message,
            "Error: can't parse 12x as ID"
        );
        assert_eq!(
            MapArgs::parse(&words("dump frob 1")).unwrap_err().message,
            "Error: expected 'id', 'name' or 'pinned', got: 'frob'?"
        );
        assert_eq!(
            MapArgs::parse(&words("show name blocked")).unwrap().map,
            Some(MapRef::Name("blocked".into()))
        );
        assert_eq!(
            MapArgs::parse(&words("show id")).unwrap_err().message,
            "Error: what is 'id'?"
        );
        assert!(MapArgs::parse(&words("dump pinned /p extra")).is_err());
        assert!(MapArgs::parse(&words("dump id")).is_err());
        assert!(MapArgs::parse(&words("lookup id")).is_err());
        assert_eq!(
            MapArgs::parse(&words("dump name a_name_that_is_too_long"))
                .unwrap_err()
                .message,
            "Error: can't parse name"
        );
    }
}
