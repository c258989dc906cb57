//! The load layer's refusals that happen before any syscall, so they run without
//! privileges: wrong byte order, unknown section, references this loader cannot
//! relocate yet, maps asking for pinning.

mod common;

use bpf_sys::consts::prog_type;
use common::{Target, build};
use elf_loader::{LoadError, LoadOptions, NoObserver, Object, RelocError, Unsupported};

fn load_error(
    file: &str,
    target: Target,
    section: &str,
    function: Option<&str>,
) -> Option<LoadError> {
    let bytes = build(file, target)?;
    let object = Object::parse(&bytes).unwrap();
    let options = LoadOptions::new(prog_type::SCHED_CLS);
    match object.load(section, function, &options, &NoObserver) {
        Ok(loaded) => panic!("{file} [{section}] loaded as {}", loaded.name),
        Err(e) => Some(e),
    }
}

#[test]
fn foreign_byte_order_is_refused() {
    let foreign = if cfg!(target_endian = "little") {
        Target::Big
    } else {
        Target::Little
    };
    let Some(err) = load_error("two-maps.c", foreign, "ingress", None) else {
        return;
    };
    assert!(matches!(err, LoadError::ForeignByteOrder { .. }), "{err}");
    println!("{err}");
    assert!(
        err.to_string()
            .contains("only loads BPF built for its own byte order")
    );
}

#[test]
fn unknown_section_lists_the_programs() {
    let Some(err) = load_error("two-maps.c", Target::Host, "classifier", None) else {
        return;
    };
    assert_eq!(
        err.to_string(),
        "section \"classifier\" not found; the object has: ingress, egress"
    );
}

#[test]
fn unsupported_references_fail_before_anything_is_created() {
    for (file, feature) in [
        ("global-data.c", Unsupported::GlobalData),
        ("btf-map.c", Unsupported::BtfMap),
        ("subprog.c", Unsupported::SubprogramCall),
    ] {
        let Some(err) = load_error(file, Target::Host, "ingress", None) else {
            return;
        };
        println!("{file}: {err}");
        match err {
            LoadError::Reloc(RelocError::NotSupportedYet { feature: found, .. }) => {
                assert_eq!(found, feature, "{file}")
            }
            other => panic!("{file}: {other}"),
        }
    }
}

#[test]
fn pinned_maps_are_refused_clearly() {
    let Some(err) = load_error("elf-map.c", Target::Host, "pinned", None) else {
        return;
    };
    println!("{err}");
    assert!(matches!(err, LoadError::MapNotSupportedYet { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "map \"shared\": pinning (pinning = 2, PIN_GLOBAL_NS) is not supported yet"
    );
}
