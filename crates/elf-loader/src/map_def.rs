//! The numbers that describe a map (`struct bpf_elf_map`'s fields), on their own so
//! that errors and fix-ups can name a definition without depending on the parser.

/// The numbers that describe a map, in `struct bpf_elf_map` order. Fields a shorter
/// definition does not have are zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MapDef {
    /// `BPF_MAP_TYPE_*` (see `bpf_sys::consts::map_type`).
    pub map_type: u32,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// Maximum number of entries.
    pub max_entries: u32,
    /// `BPF_F_*` map flags.
    pub map_flags: u32,
    /// iproute2: an id that inner maps of map-in-map are matched by.
    pub id: u32,
    /// iproute2: 0 none, 1 pin per object, 2 pin in the global namespace, else custom.
    pub pinning: u32,
    /// iproute2: for map-in-map, the `id` of the inner map's template.
    pub inner_id: u32,
    /// iproute2: for map-in-map, the index in the outer map to store this map at.
    pub inner_idx: u32,
}
