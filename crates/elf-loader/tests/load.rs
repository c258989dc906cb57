//! The load layer's refusals, which all happen before the first syscall, so they run
//! without privileges: wrong byte order, unknown section, externs (kfuncs, ksyms,
//! kconfig), CO-RE, arena maps, custom pinning, a tail-call key out of range. An
//! observer that fails the test on any kernel step proves nothing reached the
//! kernel, and the bpffs given does not exist, so nothing could be mounted either.

mod common;

use std::path::Path;
use std::sync::Arc;

use bpf_sys::{Insn, ProgLoadAttr};
use common::{Target, build};
use elf_loader::{
    KernelInfo, LoadError, LoadOptions, MapDef, Object, Observer, PinOptions, ProgType, RelocError,
    Unsupported,
};

/// Panics on every step that would involve the kernel.
struct NoKernel;

impl Observer for NoKernel {
    fn btf_loaded(&self, _fd: i32, _size: usize) {
        panic!("BTF reached the kernel");
    }
    fn btf_refused(&self, _reason: &str) {
        panic!("BTF reached the kernel");
    }
    fn bpffs_mounted(&self, path: &std::path::Path) {
        panic!("mounted {}", path.display());
    }
    fn map_created(&self, name: &str, _def: &MapDef, _fd: i32) {
        panic!("map {name} was created");
    }
    fn relocated(&self, _i: usize, _symbol: &str, _before: Insn, _after: Insn) {
        panic!("a map reference was rewritten with a real fd");
    }
    fn prog_loading(&self, attr: &ProgLoadAttr<'_>) {
        panic!("program {} reached BPF_PROG_LOAD", attr.name);
    }
}

fn load_error(
    file: &str,
    target: Target,
    section: &str,
    function: Option<&str>,
) -> Option<LoadError> {
    let bytes = build(file, target)?;
    let object = Object::parse(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
    let options = LoadOptions::new(ProgType::SCHED_CLS)
        .with_pinning(PinOptions::new("/nonexistent/rtc-test-bpffs"));
    match object.load(section, function, &options, &NoKernel) {
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
fn externs_are_refused_by_name_before_anything_is_created() {
    // Without a kernel to resolve them for, relocation refuses externs by name.
    for (file, feature, symbol) in [
        ("kfunc.c", Unsupported::ExternCall, "bpf_rcu_read_lock"),
        (
            "kconfig.c",
            Unsupported::ExternVariable,
            "LINUX_KERNEL_VERSION",
        ),
    ] {
        let Some(bytes) = build(file, Target::Host) else {
            return;
        };
        let object = Object::parse(&bytes).unwrap();
        let program = object.find_program("ingress", None).unwrap();
        let err = elf_loader::reloc::relocate(&object, program, |_| Some(3), &NoKernel)
            .expect_err("an extern without a kernel");
        println!("{file}: {err}");
        assert!(err.to_string().contains(symbol), "{err}");
        match err {
            RelocError::NotSupported { feature: found, .. } => assert_eq!(found, feature, "{file}"),
            other => panic!("{file}: {other}"),
        }
    }
}

#[test]
fn core_relocations_without_kernel_btf_are_refused_before_any_syscall() {
    let Some(bytes) = build("core.c", Target::Host) else {
        return;
    };
    let object = Object::parse(&bytes).unwrap();
    let options = LoadOptions::new(ProgType::SCHED_CLS)
        .with_pinning(PinOptions::new("/nonexistent/rtc-test-bpffs"))
        .with_kernel(Arc::new(KernelInfo::with_btf_file(Path::new(
            "/nonexistent/vmlinux",
        ))));
    let err = object
        .load("ingress", None, &options, &NoKernel)
        .expect_err("no kernel BTF");
    println!("{err}");
    assert!(
        matches!(err, LoadError::Reloc(RelocError::KernelBtf { .. })),
        "{err}"
    );
    let message = err.to_string();
    assert!(message.contains("reads_with_core"), "{message}");
    assert!(message.contains("CO-RE relocations"), "{message}");
    assert!(message.contains("/nonexistent/vmlinux"), "{message}");

    // Relocating without any kernel names the relocation instead.
    let program = object.find_program("ingress", None).unwrap();
    let err = elf_loader::reloc::relocate(&object, program, |_| Some(3), &NoKernel).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, RelocError::CoreRelocation { .. }),
        "{message}"
    );
    assert!(message.contains("section \"ingress\""), "{message}");
    assert!(message.contains("sk_buff_view"), "{message}");
    assert!(message.contains("field byte offset"), "{message}");
}

#[test]
fn arena_and_custom_pinning_are_refused() {
    let Some(err) = load_error("arena.c", Target::Host, "ingress", None) else {
        return;
    };
    println!("{err}");
    assert_eq!(
        err.to_string(),
        "map \"arena\": an arena map (BPF_MAP_TYPE_ARENA) is not supported"
    );
    let Some(err) = load_error("custom-pin.c", Target::Host, "ingress", None) else {
        return;
    };
    println!("{err}");
    assert!(
        err.to_string().starts_with(
            "map \"custom\": custom pinning (pinning = 7, a path from /etc/iproute2/bpf_pinning)"
        ),
        "{err}"
    );
}

#[test]
fn tail_call_key_out_of_range_is_refused() {
    let Some(err) = load_error("tail-range.c", Target::Host, "ingress", None) else {
        return;
    };
    println!("{err}");
    assert_eq!(
        err.to_string(),
        "tail-call section \"1/5\": key 5 is out of range for program array \"jumps\" (max_entries 2)"
    );
}

#[test]
fn plan_load_reports_what_would_be_created() {
    let Some(bytes) = build("btf-init.c", Target::Host) else {
        return;
    };
    let object = Object::parse(&bytes).unwrap();
    let plan = elf_loader::plan_load(&object, "tc", Some("entry")).unwrap();
    assert_eq!(plan.program, "entry");
    assert_eq!(plan.functions, ["entry"]);
    assert_eq!(plan.maps, ["inner", "jumps", "outer"]);
    assert_eq!(plan.extra_programs.len(), 1);
    assert_eq!(plan.extra_programs[0].name, "tail");
    assert_eq!(plan.extra_programs[0].slots, [("jumps".to_string(), 1)]);

    let Some(bytes) = build("subprog.c", Target::Host) else {
        return;
    };
    let object = Object::parse(&bytes).unwrap();
    let plan = elf_loader::plan_load(&object, "ingress", None).unwrap();
    assert_eq!(plan.functions, ["drop_arp", "is_arp"]);
    let program = object.find_program("ingress", None).unwrap();
    assert_eq!(
        plan.insns,
        program.insns.len() + object.subprograms()[0].insns.len()
    );
}
