//! Words that are not UTF-8. tc takes its arguments (and batch lines) as bytes: a file
//! name like `caf\xe9.o` opens that file, a device name that is not UTF-8 is simply
//! not found. rtc's grammar works on `String`s, so every byte that is not part of
//! valid UTF-8 is carried through the parser as a stand-in character, and turned
//! back into the same byte where the word leaves rtc: a path opened, a message
//! written to stdout or stderr.
//!
//! The stand-ins are the last 256 code points of plane 16 (U+10FF00 + byte), a
//! private-use range. So that the mapping stays one-to-one, a genuine character from
//! that range in the input is carried as the stand-ins of its own UTF-8 bytes, which
//! decode back to exactly those bytes.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

/// The first stand-in code point (stand-in for byte `b` is `BASE + b`).
const BASE: u32 = 0x10_FF00;

/// The stand-in character for one raw byte.
fn stand_in(byte: u8) -> char {
    char::from_u32(BASE + u32::from(byte)).unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// The byte a character stands in for, if it is a stand-in.
fn stood_for(c: char) -> Option<u8> {
    u32::from(c)
        .checked_sub(BASE)
        .and_then(|b| u8::try_from(b).ok())
}

/// A word of bytes as a `String`: valid UTF-8 as is, every other byte as its stand-in.
pub fn from_bytes(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if stood_for(c).is_some() {
                let mut buf = [0u8; 4];
                text.extend(c.encode_utf8(&mut buf).bytes().map(stand_in));
            } else {
                text.push(c);
            }
        }
        text.extend(chunk.invalid().iter().copied().map(stand_in));
    }
    text
}

/// A command-line argument as a `String` (see [`from_bytes`]).
pub fn from_os(arg: OsString) -> String {
    match arg.into_string() {
        Ok(text) if !text.chars().any(|c| stood_for(c).is_some()) => text,
        Ok(text) => from_bytes(text.as_bytes()),
        Err(arg) => from_bytes(&arg.into_vec()),
    }
}

/// True when `text` has no stand-in (the common case: nothing to convert).
fn plain(text: &str) -> bool {
    // Every stand-in's UTF-8 encoding starts with 0xF4.
    !text.as_bytes().contains(&0xF4) || !text.chars().any(|c| stood_for(c).is_some())
}

/// The bytes a word stands for: the inverse of [`from_bytes`].
pub fn to_bytes(text: &str) -> std::borrow::Cow<'_, [u8]> {
    if plain(text) {
        return std::borrow::Cow::Borrowed(text.as_bytes());
    }
    let mut bytes = Vec::with_capacity(text.len());
    for c in text.chars() {
        match stood_for(c) {
            Some(b) => bytes.push(b),
            None => {
                let mut buf = [0u8; 4];
                bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    std::borrow::Cow::Owned(bytes)
}

/// The path a word names, with its original bytes.
pub fn to_path(text: &str) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(&to_bytes(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_string_round_trips() {
        let cases: [&[u8]; 6] = [
            b"plain",
            b"caf\xe9.o",
            b"\xff",
            "caf\u{e9}".as_bytes(),
            "\u{10ff41}x\u{10ffff}".as_bytes(),
            b"\xf4\x8f\xbc\x80\xf4",
        ];
        for bytes in cases {
            let word = from_os(OsString::from_vec(bytes.to_vec()));
            assert_eq!(to_bytes(&word).as_ref(), bytes, "{bytes:?}");
        }
        assert_eq!(from_bytes(b"ok"), "ok");
        assert_eq!(
            to_path(&from_bytes(b"a\xe9")).as_os_str().as_bytes(),
            b"a\xe9"
        );
    }
}
