//! Maps and their entries as bpftool 7.1 prints them without BTF: `map show`
//! (`ID: TYPE  name N  flags 0x0` / `key 4B  value 8B  max_entries N  memlock NB`),
//! `map dump` and `map lookup` (`key: 0a 00 00 02  value: 01 00 ...`, one value
//! line per possible CPU for per-CPU maps), `map getnext`, and the `-j` / `-p`
//! JSON of each, laid out as bpftool's own JSON writer lays it out.
//!
//! Pure formatting: the caller reads the map and passes bytes. Maps that carry BTF
//! are printed the same way (bpftool would print their values formatted by type).

use bpf_sys::MapInfo;
use bpf_sys::consts::map_type::{PROG_ARRAY, is_per_cpu};

use super::json::JsonWriter;

/// What `map show` prints about one map: its info plus what `/proc/self/fdinfo`
/// says about the fd.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MapDescription {
    /// `BPF_OBJ_GET_INFO_BY_FD`.
    pub info: MapInfo,
    /// fdinfo `memlock` (bytes, as text).
    pub memlock: Option<String>,
    /// fdinfo `frozen`.
    pub frozen: bool,
    /// fdinfo `owner_prog_type` (program arrays).
    pub owner_prog_type: Option<u32>,
    /// fdinfo `owner_jited` (program arrays).
    pub owner_jited: Option<bool>,
}

/// bpftool's `fprint_hex`: bytes as `%02x` separated by `sep`, two spaces after
/// every 8th byte and a newline after every 16th.
pub fn fprint_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, byte) in bytes.iter().enumerate() {
        if i > 0 {
            out.push_str(if i % 16 == 0 {
                "\n"
            } else if i % 8 == 0 {
                "  "
            } else {
                " "
            });
        }
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

fn type_name(map_type: u32) -> Option<&'static str> {
    bpf_sys::consts::map_type::name(map_type)
}

/// `ID: TYPE  name NAME  flags 0xF` and its newline (`show_map_header_plain`).
pub fn header_plain(info: &MapInfo) -> String {
    let mut out = format!("{}: ", info.id);
    match type_name(info.map_type) {
        Some(name) => out.push_str(&format!("{name}  ")),
        None => out.push_str(&format!("type {}  ", info.map_type)),
    }
    if !info.name.is_empty() {
        out.push_str(&format!("name {}  ", info.name));
    }
    out.push_str(&format!("flags 0x{:x}\n", info.map_flags));
    out
}

/// One map of `map show` in text (`show_map_close_plain`, without pids and pins).
pub fn show_plain(map: &MapDescription) -> String {
    let info = &map.info;
    let mut out = header_plain(info);
    out.push_str(&format!(
        "\tkey {}B  value {}B  max_entries {}",
        info.key_size, info.value_size, info.max_entries
    ));
    if let Some(memlock) = &map.memlock {
        out.push_str(&format!("  memlock {memlock}B"));
    }
    if info.map_type == PROG_ARRAY {
        if map.owner_prog_type.is_some() || map.owner_jited.is_some() {
            out.push_str("\n\t");
        }
        if let Some(kind) = map.owner_prog_type {
            match bpf_sys::consts::prog_type::name(kind) {
                Some(name) => out.push_str(&format!("owner_prog_type {name}  ")),
                None => out.push_str(&format!("owner_prog_type {kind}  ")),
            }
        }
        if let Some(jited) = map.owner_jited {
            out.push_str(if jited {
                "owner jited"
            } else {
                "owner not jited"
            });
        }
    }
    if info.btf_id != 0 || map.frozen {
        out.push_str("\n\t");
    }
    if info.btf_id != 0 {
        out.push_str(&format!("btf_id {}", info.btf_id));
    }
    if map.frozen {
        out.push_str(if info.btf_id != 0 {
            "  frozen"
        } else {
            "frozen"
        });
    }
    out.push('\n');
    out
}

/// `"id":N,"type":"T","name":"N","flags":F` (`show_map_header_json`).
pub fn header_json(w: &mut JsonWriter, info: &MapInfo) {
    w.uint_field("id", u64::from(info.id));
    match type_name(info.map_type) {
        Some(name) => w.string_field("type", name),
        None => w.uint_field("type", u64::from(info.map_type)),
    }
    if !info.name.is_empty() {
        w.string_field("name", &info.name);
    }
    w.name("flags");
    w.literal(&(info.map_flags as i32).to_string());
}

/// One map of `map show` in JSON (`show_map_close_json`, without pids and pins).
pub fn show_json(w: &mut JsonWriter, map: &MapDescription) {
    let info = &map.info;
    w.start_object();
    header_json(w, info);
    w.uint_field("bytes_key", u64::from(info.key_size));
    w.uint_field("bytes_value", u64::from(info.value_size));
    w.uint_field("max_entries", u64::from(info.max_entries));
    if let Some(memlock) = &map.memlock {
        w.name("bytes_memlock");
        w.literal(&memlock.trim().parse::<i64>().unwrap_or(0).to_string());
    }
    if info.map_type == PROG_ARRAY {
        if let Some(kind) = map.owner_prog_type {
            match bpf_sys::consts::prog_type::name(kind) {
                Some(name) => w.string_field("owner_prog_type", name),
                None => w.uint_field("owner_prog_type", u64::from(kind)),
            }
        }
        if let Some(jited) = map.owner_jited {
            w.name("owner_jited");
            w.literal(if jited { "true" } else { "false" });
        }
    }
    w.name("frozen");
    w.literal(if map.frozen { "1" } else { "0" });
    if info.btf_id != 0 {
        w.uint_field("btf_id", u64::from(info.btf_id));
    }
    w.end_object();
}

/// The value bytes of CPU `cpu` in a per-CPU buffer (each slot rounded up to 8).
fn cpu_value<'a>(info: &MapInfo, value: &'a [u8], cpu: usize) -> &'a [u8] {
    let step = (info.value_size as usize).div_ceil(8) * 8;
    let start = cpu.saturating_mul(step);
    let end = start.saturating_add(info.value_size as usize);
    value.get(start..end).unwrap_or(&[])
}

/// One entry in text (`print_entry_plain`); `cpus` is the number of possible CPUs.
pub fn entry_plain(info: &MapInfo, key: &[u8], value: &[u8], cpus: usize) -> String {
    let (key_size, value_size) = (info.key_size as usize, info.value_size as usize);
    let mut out = String::new();
    if !is_per_cpu(info.map_type) {
        let break_names = key_size > 16 || value_size > 16;
        let single_line = key_size + value_size <= 24 && !break_names;
        let gap = if break_names { '\n' } else { ' ' };
        if key_size > 0 {
            out.push_str(&format!("key:{gap}{}", fprint_hex(key)));
            out.push_str(if single_line { "  " } else { "\n" });
        }
        if value_size > 0 {
            out.push_str(&format!(
                "value:{gap}{}",
                fprint_hex(value.get(..value_size).unwrap_or(value))
            ));
        }
        out.push('\n');
    } else {
        if key_size > 0 {
            out.push_str(&format!("key:\n{}\n", fprint_hex(key)));
        }
        if value_size > 0 {
            let gap = if value_size > 16 { '\n' } else { ' ' };
            for cpu in 0..cpus {
                out.push_str(&format!(
                    "value (CPU {cpu:02}):{gap}{}\n",
                    fprint_hex(cpu_value(info, value, cpu))
                ));
            }
        }
    }
    out
}

/// An entry whose value could not be read, in text (`print_entry_error_msg`).
pub fn entry_error_plain(info: &MapInfo, key: &[u8], message: &str) -> String {
    let break_names = info.key_size > 16 || message.len() > 16;
    let single_line = info.key_size as usize + message.len() <= 24 && !break_names;
    let gap = if break_names { '\n' } else { ' ' };
    format!(
        "key:{gap}{}{}value:{gap}{message}\n",
        fprint_hex(key),
        if single_line { "  " } else { "\n" }
    )
}

/// An entry whose value could not be read, in JSON (`print_entry_error`).
pub fn entry_error_json(w: &mut JsonWriter, info: &MapInfo, key: &[u8], message: &str) {
    w.start_object();
    w.name("key");
    w.hex_bytes(key.get(..info.key_size as usize).unwrap_or(key));
    w.name("value");
    w.start_object();
    w.string_field("error", message);
    w.end_object();
    w.end_object();
}

/// One entry in JSON (`print_entry_json` without BTF).
pub fn entry_json(w: &mut JsonWriter, info: &MapInfo, key: &[u8], value: &[u8], cpus: usize) {
    w.start_object();
    w.name("key");
    w.hex_bytes(key);
    if !is_per_cpu(info.map_type) {
        w.name("value");
        w.hex_bytes(value.get(..info.value_size as usize).unwrap_or(value));
    } else {
        w.name("values");
        w.start_array();
        for cpu in 0..cpus {
            w.start_object();
            w.name("cpu");
            w.literal(&cpu.to_string());
            w.name("value");
            w.hex_bytes(cpu_value(info, value, cpu));
            w.end_object();
        }
        w.end_array();
    }
    w.end_object();
}

/// `map lookup` of a missing key, in text.
pub fn not_found_plain(key: &[u8]) -> String {
    format!("key:\n{}\n\nNot found\n", fprint_hex(key))
}

/// `map getnext` in text: the key asked about (or `None`) and the next one.
pub fn getnext_plain(key: Option<&[u8]>, next: &[u8]) -> String {
    let key = match key {
        Some(key) => format!("key:\n{}\n", fprint_hex(key)),
        None => "key: None\n".to_string(),
    };
    format!("{key}next key:\n{}\n", fprint_hex(next))
}

/// `map getnext` in JSON.
pub fn getnext_json(w: &mut JsonWriter, key: Option<&[u8]>, next: &[u8]) {
    w.start_object();
    w.name("key");
    match key {
        Some(key) => w.hex_bytes(key),
        None => w.literal("null"),
    }
    w.name("next_key");
    w.hex_bytes(next);
    w.end_object();
}

/// `Found N element(s)`, the last line of a text dump.
pub fn found_line(count: usize) -> String {
    format!(
        "Found {count} element{}\n",
        if count == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests {
    //! Expected texts are real bpftool 7.1 output on maps with the same contents.

    use super::*;

    fn info(map_type: u32, key_size: u32, value_size: u32) -> MapInfo {
        MapInfo {
            map_type,
            id: 118,
            key_size,
            value_size,
            max_entries: 16,
            map_flags: 0,
            name: "rtcx_blocked".into(),
            btf_id: 0,
        }
    }

    const KEY: [u8; 4] = [0x0a, 0, 0, 3];
    const VALUE: [u8; 8] = [0xff, 0, 0, 0, 0, 0, 0, 1];

    #[test]
    fn a_hash_dump_like_bpftool() {
        let hash = info(1, 4, 8);
        let text = entry_plain(&hash, &KEY, &VALUE, 2)
            + &entry_plain(&hash, &[10, 0, 0, 2], &[1, 0, 0, 0, 0, 0, 0, 0], 2)
            + &found_line(2);
        assert_eq!(
            text,
            "key: 0a 00 00 03  value: ff 00 00 00 00 00 00 01\n\
             key: 0a 00 00 02  value: 01 00 00 00 00 00 00 00\n\
             Found 2 elements\n"
        );
        for (pretty, expected) in [
            (
                false,
                "[{\"key\":[\"0x0a\",\"0x00\",\"0x00\",\"0x03\"],\"value\":[\"0xff\",\"0x00\",\"0x00\",\"0x00\",\"0x00\",\"0x00\",\"0x00\",\"0x01\"]}]\n",
            ),
            (
                true,
                "[{\n        \"key\": [\"0x0a\",\"0x00\",\"0x00\",\"0x03\"\n        ],\n        \"value\": [\"0xff\",\"0x00\",\"0x00\",\"0x00\",\"0x00\",\"0x00\",\"0x00\",\"0x01\"\n        ]\n    }\n]\n",
            ),
        ] {
            let mut w = JsonWriter::bpftool(pretty);
            w.start_array();
            entry_json(&mut w, &hash, &KEY, &VALUE, 2);
            w.end_array();
            assert_eq!(w.finish(), expected);
        }
    }

    #[test]
    fn per_cpu_values_one_line_per_cpu() {
        let percpu = info(6, 4, 8);
        let value = [5, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            entry_plain(&percpu, &[0; 4], &value, 2),
            "key:\n00 00 00 00\nvalue (CPU 00): 05 00 00 00 00 00 00 00\nvalue (CPU 01): 05 00 00 00 00 00 00 00\n"
        );
        let mut w = JsonWriter::bpftool(false);
        entry_json(&mut w, &percpu, &[0; 4], &value, 2);
        assert_eq!(
            w.finish(),
            "{\"key\":[\"0x00\",\"0x00\",\"0x00\",\"0x00\"],\"values\":[{\"cpu\":0,\"value\":[\"0x05\",\"0x00\",\"0x00\",\"0x00\",\"0x00\",\"0x00\",\"0x00\",\"0x00\"]},{\"cpu\":1,\"value\":[\"0x05\",\"0x00\",\"0x00\",\"0x00\",\"0x00\",\"0x00\",\"0x00\",\"0x00\"]}]}\n"
        );
    }

    #[test]
    fn long_keys_and_values_break_lines() {
        let big = info(1, 20, 20);
        let key: Vec<u8> = (1..=20).collect();
        let mut value = vec![0u8; 20];
        value[19] = 0xff;
        assert_eq!(
            entry_plain(&big, &key, &value, 2),
            "key:\n01 02 03 04 05 06 07 08  09 0a 0b 0c 0d 0e 0f 10\n11 12 13 14\nvalue:\n00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00\n00 00 00 ff\n"
        );
    }

    #[test]
    fn show_getnext_and_not_found() {
        let mut percpu = info(6, 4, 8);
        percpu.id = 119;
        percpu.max_entries = 1;
        percpu.name = "rtcx_drops".into();
        let map = MapDescription {
            info: percpu,
            memlock: Some("336".into()),
            ..MapDescription::default()
        };
        assert_eq!(
            show_plain(&map),
            "119: percpu_array  name rtcx_drops  flags 0x0\n\tkey 4B  value 8B  max_entries 1  memlock 336B\n"
        );
        let mut w = JsonWriter::bpftool(false);
        show_json(&mut w, &map);
        assert_eq!(
            w.finish(),
            "{\"id\":119,\"type\":\"percpu_array\",\"name\":\"rtcx_drops\",\"flags\":0,\"bytes_key\":4,\"bytes_value\":8,\"max_entries\":1,\"bytes_memlock\":336,\"frozen\":0}\n"
        );
        let mut w = JsonWriter::bpftool(true);
        show_json(&mut w, &map);
        assert_eq!(
            w.finish(),
            "{\n    \"id\": 119,\n    \"type\": \"percpu_array\",\n    \"name\": \"rtcx_drops\",\n    \"flags\": 0,\n    \"bytes_key\": 4,\n    \"bytes_value\": 8,\n    \"max_entries\": 1,\n    \"bytes_memlock\": 336,\n    \"frozen\": 0\n}\n"
        );
        assert_eq!(
            getnext_plain(None, &KEY),
            "key: None\nnext key:\n0a 00 00 03\n"
        );
        assert_eq!(
            getnext_plain(Some(&KEY), &[10, 0, 0, 2]),
            "key:\n0a 00 00 03\nnext key:\n0a 00 00 02\n"
        );
        let mut w = JsonWriter::bpftool(false);
        getnext_json(&mut w, Some(&KEY), &[10, 0, 0, 2]);
        assert_eq!(
            w.finish(),
            "{\"key\":[\"0x0a\",\"0x00\",\"0x00\",\"0x03\"],\"next_key\":[\"0x0a\",\"0x00\",\"0x00\",\"0x02\"]}\n"
        );
        assert_eq!(
            not_found_plain(&[10, 0, 0, 9]),
            "key:\n0a 00 00 09\n\nNot found\n"
        );
        let mut w = JsonWriter::bpftool(false);
        w.error("update failed: No such file or directory");
        assert_eq!(
            w.finish(),
            "{\"error\":\"update failed: No such file or directory\"}\n"
        );
    }
}
