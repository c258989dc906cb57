//! bpf(2) against the real kernel: maps, element commands, program load, verifier log,
//! info and pinning. Needs root; skips with a reason otherwise, unless
//! RTC_REQUIRE_PRIVILEGED=1 makes that a failure.

use std::os::fd::AsFd;

use bpf_sys::consts::{BPF_ANY, BPF_NOEXIST, map_type, prog_type};
use bpf_sys::*;
use rtc_tests::{Bpffs, require};

fn privileged() -> bool {
    let probe = map_create(&MapCreateAttr {
        map_type: map_type::ARRAY,
        key_size: 4,
        value_size: 4,
        max_entries: 1,
        name: "probe",
        ..Default::default()
    });
    match probe {
        Ok(_) => true,
        Err(e) => require(
            false,
            &format!("bpf(2) is not usable here ({e}); run as root"),
        ),
    }
}

/// `r0 = imm; exit`
fn return_imm(imm: i32) -> [Insn; 2] {
    [Insn::new(0xb7, 0, 0, 0, imm), Insn::new(0x95, 0, 0, 0, 0)]
}

#[test]
fn hash_map_element_commands() {
    if !privileged() {
        return;
    }
    let map = map_create(&MapCreateAttr {
        map_type: map_type::HASH,
        key_size: 4,
        value_size: 8,
        max_entries: 4,
        name: "a_rather_long_map_name",
        ..Default::default()
    })
    .unwrap();
    let fd = map.as_fd();
    let info = map_info(fd).unwrap();
    assert_eq!(info.name, "a_rather_long_m", "names are cut to 15 bytes");
    assert_eq!(
        (info.key_size, info.value_size, info.max_entries),
        (4, 8, 4)
    );

    map_update_elem(fd, &7u32.to_ne_bytes(), &99u64.to_ne_bytes(), BPF_ANY).unwrap();
    let err = map_update_elem(fd, &7u32.to_ne_bytes(), &1u64.to_ne_bytes(), BPF_NOEXIST);
    assert_eq!(err.unwrap_err().raw_os_error(), Some(libc_eexist()));
    let mut value = [0u8; 8];
    assert!(map_lookup_elem(fd, &7u32.to_ne_bytes(), &mut value).unwrap());
    assert_eq!(u64::from_ne_bytes(value), 99);
    assert!(!map_lookup_elem(fd, &8u32.to_ne_bytes(), &mut value).unwrap());

    let mut next = [0u8; 4];
    assert!(map_get_next_key(fd, None, &mut next).unwrap());
    assert_eq!(u32::from_ne_bytes(next), 7);
    assert!(!map_get_next_key(fd, Some(&7u32.to_ne_bytes()), &mut next).unwrap());

    assert!(map_delete_elem(fd, &7u32.to_ne_bytes()).unwrap());
    assert!(!map_delete_elem(fd, &7u32.to_ne_bytes()).unwrap());

    let short = map_lookup_elem(fd, &[1, 2], &mut value);
    assert!(
        matches!(short, Err(Error::InvalidInput(_))),
        "short keys are refused before the syscall"
    );
}

fn libc_eexist() -> i32 {
    17
}

#[test]
fn load_program_and_read_its_info() {
    if !privileged() {
        return;
    }
    let insns = return_imm(0);
    let loaded = prog_load(&ProgLoadAttr {
        prog_type: prog_type::SCHED_CLS,
        insns: &insns,
        license: "GPL",
        name: "a_long_program_name",
        kern_version: kernel_version_code(),
        ..Default::default()
    })
    .unwrap();
    assert!(loaded.log.is_empty());
    let info = prog_info(loaded.fd.as_fd()).unwrap();
    assert_eq!(info.prog_type, prog_type::SCHED_CLS);
    assert_eq!(info.name, "a_long_program_");
    assert_eq!(info.xlated_prog_len, 16);
    assert_eq!(info.tag_hex().len(), 16);

    // Regression: implicit padding in the info struct once made a second call fail (E2BIG).
    let twice = prog_info(loaded.fd.as_fd());
    assert!(twice.is_ok(), "second info on same fd: {twice:?}");
    let again = prog_get_fd_by_id(info.id).unwrap();
    assert_eq!(prog_info(again.as_fd()).unwrap().tag, info.tag);
}

#[test]
fn verbose_load_returns_the_log_on_success() {
    if !privileged() {
        return;
    }
    let insns = return_imm(0);
    let loaded = prog_load(&ProgLoadAttr {
        prog_type: prog_type::SCHED_CLS,
        insns: &insns,
        license: "GPL",
        name: "verbose",
        log_level: 1,
        ..Default::default()
    })
    .unwrap();
    assert!(
        loaded.log.contains("processed 2 insns"),
        "log: {}",
        loaded.log
    );
}

#[test]
fn rejection_carries_the_whole_verifier_log() {
    if !privileged() {
        return;
    }
    // r0 = *(u32 *)(r2 + 0) with r2 uninitialised: the verifier must refuse it.
    let insns = [Insn::new(0x61, 0, 2, 0, 0), Insn::new(0x95, 0, 0, 0, 0)];
    let err = prog_load(&ProgLoadAttr {
        prog_type: prog_type::SCHED_CLS,
        insns: &insns,
        license: "GPL",
        name: "bad",
        ..Default::default()
    })
    .unwrap_err();
    let log = err.verifier_log().expect("a verifier error");
    assert!(log.contains("R2 !read_ok"), "log: {log}");
    assert_eq!(err.raw_os_error(), Some(13), "EACCES");
}

#[test]
fn long_logs_are_fetched_whole() {
    if !privileged() {
        return;
    }
    // 20000 instructions of r0 += 1 at log level 2 produce far more than the first buffer.
    let mut insns = vec![Insn::new(0xb7, 0, 0, 0, 0)];
    insns.extend(std::iter::repeat_n(Insn::new(0x07, 0, 0, 0, 1), 20_000));
    insns.push(Insn::new(0x95, 0, 0, 0, 0));
    let loaded = prog_load(&ProgLoadAttr {
        prog_type: prog_type::SCHED_CLS,
        insns: &insns,
        license: "GPL",
        name: "long_log",
        log_level: 2,
        ..Default::default()
    })
    .unwrap();
    assert!(
        loaded.log.len() > 64 * 1024,
        "log is only {} bytes",
        loaded.log.len()
    );
    assert!(
        loaded.log.contains("processed 20002 insns"),
        "the end of the log is there"
    );
}

#[test]
fn pin_and_get_in_a_private_bpffs() {
    if !privileged() {
        return;
    }
    let bpffs = Bpffs::new();
    let dir = bpffs.path();

    let map = map_create(&MapCreateAttr {
        map_type: map_type::ARRAY,
        key_size: 4,
        value_size: 4,
        max_entries: 2,
        name: "pinned",
        ..Default::default()
    })
    .unwrap();
    let path = dir.join("pinned");
    obj_pin(map.as_fd(), &path).unwrap();
    let again = MapFd::from(obj_get(&path).unwrap());
    assert_eq!(
        map_info(again.as_fd()).unwrap().id,
        map_info(map.as_fd()).unwrap().id
    );
    assert!(
        obj_pin(map.as_fd(), &path).is_err(),
        "pinning twice at one path fails"
    );
    assert!(obj_get(&dir.join("absent")).is_err());
}

#[test]
fn kernel_btf_objects_are_listed() {
    if !privileged() {
        return;
    }
    // bpftool's list of BTF objects is the oracle: every kernel one (vmlinux, and
    // modules that have BTF) is found with the same id and name.
    // Its lines read `1: name [vmlinux]  size 5481434B`: kernel BTF names are
    // bracketed, programs' are `<anon>`.
    let listed = rtc_tests::bpftool(&["btf", "list"]).ok("bpftool btf list");
    let expected: Vec<(u32, String)> = listed
        .stdout
        .lines()
        .filter_map(|line| {
            let (id, rest) = line.split_once(": name [")?;
            let (name, _) = rest.split_once(']')?;
            Some((id.trim().parse().ok()?, name.to_string()))
        })
        .collect();
    assert!(expected.iter().any(|(_, name)| name == "vmlinux"));
    let mut found = Vec::new();
    let mut id = 0;
    while let Some(next) = btf_get_next_id(id).unwrap() {
        id = next;
        let Ok(fd) = btf_get_fd_by_id(id) else {
            continue; // unloaded meanwhile
        };
        let info = btf_info(fd.as_fd()).unwrap();
        assert_eq!(info.id, id);
        if info.kernel_btf {
            found.push((info.id, info.name));
        }
    }
    assert_eq!(found, expected);
}

/// An Ethernet frame of `len` bytes: broadcast to a made-up source, ethertype IPv4.
fn frame(len: usize) -> Vec<u8> {
    let mut f = vec![0u8; len];
    f[..6].copy_from_slice(&[0xff; 6]);
    f[6..12].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    f
}

#[test]
fn test_run_returns_the_verdict_and_the_packet() {
    if !privileged() {
        return;
    }
    // tc: return TC_ACT_SHOT (2) without touching the packet.
    let insns = return_imm(2);
    let tc = prog_load(&ProgLoadAttr {
        prog_type: prog_type::SCHED_CLS,
        insns: &insns,
        license: "GPL",
        name: "shot",
        ..Default::default()
    })
    .unwrap();
    let data = frame(60);
    let out = prog_test_run(
        tc.fd.as_fd(),
        &TestRunAttr {
            data_in: &data,
            data_out_room: 256,
            repeat: 100,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(out.retval, 2);
    assert_eq!(
        out.data_out, data,
        "an unchanged packet comes back as it went in"
    );
    assert_eq!(out.data_size_out, 60);
    assert!(!out.data_truncated);

    // XDP: write 0xaa into the first byte if the packet has one, return XDP_PASS (2).
    let insns = [
        Insn::new(0x61, 2, 1, 0, 0),    // r2 = ctx->data
        Insn::new(0x61, 3, 1, 4, 0),    // r3 = ctx->data_end
        Insn::new(0xbf, 4, 2, 0, 0),    // r4 = r2
        Insn::new(0x07, 4, 0, 0, 1),    // r4 += 1
        Insn::new(0x2d, 4, 3, 1, 0),    // if r4 > r3 goto +1
        Insn::new(0x72, 2, 0, 0, 0xaa), // *(u8 *)(r2 + 0) = 0xaa
        Insn::new(0xb7, 0, 0, 0, 2),    // r0 = XDP_PASS
        Insn::new(0x95, 0, 0, 0, 0),    // exit
    ];
    let xdp = prog_load(&ProgLoadAttr {
        prog_type: prog_type::XDP,
        insns: &insns,
        license: "GPL",
        name: "mark",
        ..Default::default()
    })
    .unwrap();
    let out = prog_test_run(
        xdp.fd.as_fd(),
        &TestRunAttr {
            data_in: &data,
            data_out_room: 256,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(out.retval, 2);
    assert_eq!(out.data_out[0], 0xaa);
    assert_eq!(out.data_out[1..], data[1..]);

    // Too little room: the kernel cuts the packet and says ENOSPC; we say truncated.
    let out = prog_test_run(
        xdp.fd.as_fd(),
        &TestRunAttr {
            data_in: &data,
            data_out_room: 10,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(out.data_truncated);
    assert_eq!(out.data_out.len(), 10);
    assert_eq!(out.data_size_out, 60);
    assert_eq!(out.retval, 2);

    // A frame shorter than an Ethernet header is refused by the kernel for tc.
    let err = prog_test_run(
        tc.fd.as_fd(),
        &TestRunAttr {
            data_in: &data[..5],
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("BPF_PROG_TEST_RUN"), "{err}");
}

/// Every (key, value) of `map` by get-next-key and lookup, in walk order.
fn walk_per_element(map: &MapHandle) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut entries = Vec::new();
    let mut key: Option<Vec<u8>> = None;
    let mut next = vec![0u8; map.info().key_size as usize];
    while map.next_key(key.as_deref(), &mut next).unwrap() {
        let mut value = vec![0u8; map.value_len()];
        assert!(map.lookup(&next, &mut value).unwrap());
        entries.push((next.clone(), value));
        key = Some(next.clone());
    }
    entries
}

/// Every (key, value) of `map` by BPF_MAP_LOOKUP_BATCH, `chunk` elements per call
/// (grown when a hash bucket does not fit).
fn walk_batched(map: &MapHandle, mut chunk: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
    let key_size = map.info().key_size as usize;
    let mut cursor = map.batch_cursor();
    let mut entries = Vec::new();
    loop {
        let mut keys = vec![0u8; chunk * key_size];
        let mut values = vec![0u8; chunk * map.value_len()];
        let read = match map.lookup_batch(&mut cursor, &mut keys, &mut values) {
            Ok(read) => read,
            Err(e) if e.raw_os_error() == Some(28) => {
                chunk *= 2;
                continue;
            }
            Err(e) => panic!("{e}"),
        };
        for i in 0..read.count {
            entries.push((
                keys[i * key_size..(i + 1) * key_size].to_vec(),
                values[i * map.value_len()..(i + 1) * map.value_len()].to_vec(),
            ));
        }
        if read.done {
            return entries;
        }
    }
}

#[test]
fn batch_lookup_gives_the_per_element_walk() {
    if !privileged() {
        return;
    }
    for (kind, entries) in [
        (map_type::HASH, 1000u32),
        (map_type::PERCPU_HASH, 300),
        (map_type::LRU_HASH, 300),
        (map_type::ARRAY, 257),
        (map_type::PERCPU_ARRAY, 100),
    ] {
        let fd = map_create(&MapCreateAttr {
            map_type: kind,
            key_size: 4,
            value_size: 12,
            max_entries: entries,
            name: "batch_walk",
            ..Default::default()
        })
        .unwrap();
        let map = MapHandle::new(fd.into_owned()).unwrap();
        for k in 0..entries {
            let mut value = vec![0u8; map.value_len()];
            for (i, byte) in value.iter_mut().enumerate() {
                *byte = (k as usize * 7 + i) as u8;
            }
            let is_array = kind == map_type::ARRAY || kind == map_type::PERCPU_ARRAY;
            let key = if is_array { k } else { k * 3 + 1 };
            map.update(&key.to_ne_bytes(), &value, BPF_ANY).unwrap();
        }
        let expected = walk_per_element(&map);
        assert!(!expected.is_empty());
        for chunk in [1, 7, 64, entries as usize, 4 * entries as usize] {
            assert_eq!(
                walk_batched(&map, chunk),
                expected,
                "map type {kind}, {chunk} per batch"
            );
        }
    }
    // Empty hash map: one call, nothing, done.
    let fd = map_create(&MapCreateAttr {
        map_type: map_type::HASH,
        key_size: 8,
        value_size: 4,
        max_entries: 16,
        name: "batch_empty",
        ..Default::default()
    })
    .unwrap();
    let map = MapHandle::new(fd.into_owned()).unwrap();
    assert!(walk_batched(&map, 4).is_empty());
}

#[test]
fn batch_lookup_refused_where_the_type_has_none() {
    if !privileged() {
        return;
    }
    let fd = map_create(&MapCreateAttr {
        map_type: map_type::QUEUE,
        key_size: 0,
        value_size: 4,
        max_entries: 4,
        name: "batch_queue",
        ..Default::default()
    })
    .unwrap();
    let map = MapHandle::new(fd.into_owned()).unwrap();
    let mut cursor = map.batch_cursor();
    let (mut keys, mut values) = (vec![0u8; 16], vec![0u8; 16]);
    let err = map
        .lookup_batch(&mut cursor, &mut keys, &mut values)
        .unwrap_err();
    assert!(batch_unsupported(&err), "{err}");
}

#[test]
fn syscall_program_context_comes_back_in_place() {
    if !privileged() {
        return;
    }
    // ctx[1] (u64) = ctx[0] + 5; return 7. Syscall programs must be sleepable.
    let insns = [
        Insn::new(0x79, 2, 1, 0, 0), // r2 = *(u64 *)(r1 + 0)
        Insn::new(0x07, 2, 0, 0, 5), // r2 += 5
        Insn::new(0x7b, 1, 2, 8, 0), // *(u64 *)(r1 + 8) = r2
        Insn::new(0xb7, 0, 0, 0, 7), // r0 = 7
        Insn::new(0x95, 0, 0, 0, 0), // exit
    ];
    let prog = match prog_load(&ProgLoadAttr {
        prog_type: prog_type::SYSCALL,
        prog_flags: consts::BPF_F_SLEEPABLE,
        insns: &insns,
        license: "GPL",
        name: "ctx_add",
        ..Default::default()
    }) {
        Ok(prog) => prog,
        Err(e) => {
            require(false, &format!("no syscall programs here ({e})"));
            return;
        }
    };
    let mut ctx = [0u8; 16];
    ctx[..8].copy_from_slice(&37u64.to_ne_bytes());
    assert_eq!(prog_run_syscall(prog.fd.as_fd(), &mut ctx).unwrap(), 7);
    assert_eq!(&ctx[..8], &37u64.to_ne_bytes(), "read-only slot unchanged");
    assert_eq!(
        &ctx[8..],
        &42u64.to_ne_bytes(),
        "the program's write came back"
    );
    // A context shorter than the furthest byte the program touches is refused.
    assert!(prog_run_syscall(prog.fd.as_fd(), &mut ctx[..8]).is_err());
    assert!(prog_run_syscall(prog.fd.as_fd(), &mut vec![0u8; 70_000]).is_err());
}
