//! Opens a map pinned in a bpffs and prints its info and every entry, as bytes in hex
//! (per-CPU maps: one value per possible CPU, back to back). Needs root:
//!
//! ```sh
//! cargo run -p rtc-bpf-sys --example read_pinned_map -- /sys/fs/bpf/tc/globals/NAME
//! ```

use std::os::fd::AsFd;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: read_pinned_map PATH")?,
    );
    let map = bpf_sys::obj_get(&path)?;
    let info = bpf_sys::map_info(map.as_fd())?;
    println!(
        "{}: id {} type {} key {}B value {}B max_entries {}",
        info.name, info.id, info.map_type, info.key_size, info.value_size, info.max_entries
    );
    let (mut key, mut next) = (None::<Vec<u8>>, vec![0u8; info.key_size as usize]);
    let mut value = vec![0u8; bpf_sys::value_buffer_size(&info)?];
    // Bounded: a map that changes while it is read cannot keep the walk going.
    for _ in 0..info.max_entries {
        if !bpf_sys::map_get_next_key(map.as_fd(), key.as_deref(), &mut next)? {
            break;
        }
        if bpf_sys::map_lookup_elem(map.as_fd(), &next, &mut value)? {
            println!(
                "key: {}  value: {}",
                bpf_sys::hex(&next),
                bpf_sys::hex(&value)
            );
        }
        key = Some(next.clone());
    }
    Ok(())
}
