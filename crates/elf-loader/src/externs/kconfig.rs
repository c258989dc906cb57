//! The kernel's build configuration (`CONFIG_X=y` lines) and how libbpf turns it,
//! plus a few facts about the kernel (`LINUX_KERNEL_VERSION`, ...), into the value
//! of the `.kconfig` map. Pure: [`Kconfig::parse`] takes the text, and
//! [`fill_kconfig`] the externs and the facts; reading the files is
//! [`super::system`]'s job.
//!
//! libbpf's rules, followed here exactly:
//! * only lines starting with `CONFIG_` count; each must have `=` and a value
//!   (`# CONFIG_X is not set` is a comment, so `X` is simply absent); the first
//!   line for a name wins;
//! * a value starting with `y`, `n` or `m` is a tristate: a `bool` extern takes
//!   `y`/`n`, a tristate `y`/`n`/`m` (1, 0, 2), a `char` the letter itself;
//! * a value starting with `"` is a string for a `char` array: it must end with
//!   `"`; the bytes between the quotes are copied as they are (libbpf does not
//!   undo backslash escapes) and cut to the array size minus one, NUL-terminated;
//! * anything else is an integer as C's `strtoull(value, 0)` reads it (decimal,
//!   `0x` hex, `0` octal, a leading `-` wraps), for `char` and integer externs,
//!   checked to fit the extern's size and signedness;
//! * `LINUX_KERNEL_VERSION`, `LINUX_HAS_BPF_COOKIE` and
//!   `LINUX_HAS_SYSCALL_WRAPPER` come from [`KernelFacts`]; another `LINUX_*` name
//!   is zero if `__weak` and an error otherwise; any other name is an error;
//! * an extern left without a value is zero if `__weak`, an error otherwise.

use std::collections::BTreeMap;

use super::libbpf::LibbpfVersion;
use super::types::TypeTable;
use super::{ExternError, ExternKind, Externs, KconfigSlot, KconfigType};
use crate::btf::BtfKind;

/// A parsed kernel config: for each `CONFIG_` name, the value of its first line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Kconfig {
    values: BTreeMap<String, String>,
}

impl Kconfig {
    /// Reads config text (the contents of `/boot/config-*` or the decompressed
    /// `/proc/config.gz`). Fails, as libbpf does, on a `CONFIG_` line without `=`
    /// or without a value.
    pub fn parse(text: &str) -> Result<Kconfig, ExternError> {
        let mut values = BTreeMap::new();
        for (number, line) in text.lines().enumerate() {
            if !line.starts_with("CONFIG_") {
                continue;
            }
            let fail = |reason: &str| ExternError::KconfigLine {
                line: number + 1,
                text: line.to_string(),
                reason: reason.to_string(),
            };
            let (name, value) = line.split_once('=').ok_or_else(|| fail("no '='"))?;
            if value.is_empty() {
                return Err(fail("no value after '='"));
            }
            values
                .entry(name.to_string())
                .or_insert_with(|| value.to_string());
        }
        Ok(Kconfig { values })
    }

    /// The value written for `name` (`y`, `"text"`, `1000`), if the config sets it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// How many options the config sets.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when it sets none.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// What libbpf computes about the running kernel for the virtual `LINUX_*` externs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct KernelFacts {
    /// `LINUX_KERNEL_VERSION`: `KERNEL_VERSION(major, minor, patch)`, see
    /// [`kernel_version`]. 0 (unknown) is an error if an extern needs it.
    pub version: u32,
    /// `LINUX_HAS_BPF_COOKIE`: whether the kernel has `bpf_get_attach_cookie`.
    pub has_bpf_cookie: bool,
    /// `LINUX_HAS_SYSCALL_WRAPPER`: whether syscalls go through arch wrappers
    /// (`__x64_sys_bpf`).
    pub has_syscall_wrapper: bool,
}

impl KernelFacts {
    /// Facts with these values.
    pub fn new(version: u32, has_bpf_cookie: bool, has_syscall_wrapper: bool) -> KernelFacts {
        KernelFacts {
            version,
            has_bpf_cookie,
            has_syscall_wrapper,
        }
    }
}

/// The `LINUX_*` facts `externs` need, for a kernel of version `version` whose BTF
/// is `btf`, without the probes libbpf runs:
///
/// * `LINUX_HAS_BPF_COOKIE`: libbpf loads a tracepoint program calling
///   `bpf_get_attach_cookie`; here, the BTF has that helper's tracepoint
///   implementation, the function `bpf_get_attach_cookie_trace`;
/// * `LINUX_HAS_SYSCALL_WRAPPER`: libbpf opens a kprobe on `__<arch>_sys_bpf`;
///   here, `kprobes` (the kernel takes kprobes: see
///   [`super::system::kprobes_available`]) and the BTF has that function.
///
/// The BTF is searched only for the facts some extern asks for.
pub fn kernel_facts<T: TypeTable + ?Sized>(
    externs: &Externs,
    version: u32,
    btf: Option<&T>,
    kprobes: bool,
) -> KernelFacts {
    let wants = |name: &str| externs.get(name).is_some();
    let has_func =
        |name: &str| btf.is_some_and(|btf| btf.find_named(BtfKind::Func, name).is_some());
    let has_bpf_cookie = wants("LINUX_HAS_BPF_COOKIE") && has_func("bpf_get_attach_cookie_trace");
    let has_syscall_wrapper = wants("LINUX_HAS_SYSCALL_WRAPPER")
        && kprobes
        && syscall_prefix().is_some_and(|arch| has_func(&format!("__{arch}_sys_bpf")));
    KernelFacts {
        version,
        has_bpf_cookie,
        has_syscall_wrapper,
    }
}

/// The prefix of syscall wrappers on this architecture, as libbpf's
/// `arch_specific_syscall_pfx` names it.
fn syscall_prefix() -> Option<&'static str> {
    Some(match std::env::consts::ARCH {
        "x86_64" => "x64",
        "x86" => "ia32",
        "s390x" => "s390x",
        "arm" => "arm",
        "aarch64" => "arm64",
        "mips" | "mips64" => "mips",
        "riscv64" | "riscv32" => "riscv",
        "powerpc" => "powerpc",
        "powerpc64" => "powerpc64",
        _ => return None,
    })
}

/// `KERNEL_VERSION(a, b, c)`: `a << 16 | b << 8 | min(c, 255)`.
pub fn kernel_version_code(major: u32, minor: u32, patch: u32) -> u32 {
    (major << 16)
        .wrapping_add(minor << 8)
        .wrapping_add(patch.min(255))
}

/// The kernel version as libbpf works it out: from Ubuntu's
/// `/proc/version_signature` (`Ubuntu 5.4.0-12.15-generic 5.4.8`: the third
/// field), then, for libbpf ≥ 1.2 only, from a Debian `uname -v`
/// (`... Debian 6.1.76-1 ...`), else from `uname -r` (`6.18.44-fc`). So on a
/// Debian kernel `6.1.0-18-amd64`, tc 6.1's libbpf 1.1 says 6.1.0 where later
/// libbpf says 6.1.76. 0 when none of them has three numbers.
pub fn kernel_version(
    version_signature: Option<&str>,
    release: &str,
    uts_version: &str,
    libbpf: LibbpfVersion,
) -> u32 {
    if let Some(code) = version_signature
        .and_then(|s| s.split_whitespace().nth(2))
        .and_then(three_numbers)
    {
        return code;
    }
    if libbpf != LibbpfVersion::V1_1 {
        if let Some(code) = uts_version
            .find("Debian ")
            .and_then(|at| uts_version.get(at + "Debian ".len()..))
            .and_then(three_numbers)
        {
            return code;
        }
    }
    three_numbers(release).unwrap_or(0)
}

/// `sscanf(s, "%u.%u.%u")`: three dot-separated decimal numbers at the start of `s`.
fn three_numbers(s: &str) -> Option<u32> {
    let mut rest = s;
    let mut numbers = [0u32; 3];
    for (i, slot) in numbers.iter_mut().enumerate() {
        if i > 0 {
            rest = rest.strip_prefix('.')?;
        }
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        *slot = rest.get(..digits)?.parse().ok()?;
        rest = rest.get(digits..)?;
    }
    let [major, minor, patch] = numbers;
    Some(kernel_version_code(major, minor, patch))
}

/// The `.kconfig` map's value for `externs` ([`Externs::kconfig_size`] bytes, in
/// the host's byte order): each kconfig extern at its offset, from `config` for
/// `CONFIG_*` names and from `facts` for `LINUX_*` ones, zero for absent `__weak`
/// ones. `config` is needed only if a `CONFIG_*` extern exists (libbpf fails then
/// without a config, even if every such extern is weak).
pub fn fill_kconfig(
    externs: &Externs,
    config: Option<&Kconfig>,
    facts: &KernelFacts,
) -> Result<Vec<u8>, ExternError> {
    let mut value = vec![0u8; externs.kconfig_size() as usize];
    for ext in externs.iter() {
        let ExternKind::Kconfig(slot) = &ext.kind else {
            continue;
        };
        let name = ext.name.as_str();
        let raw = if name.starts_with("CONFIG_") {
            let config = config.ok_or_else(|| ExternError::NoKconfig {
                name: name.to_string(),
                reason: None,
            })?;
            match config.get(name) {
                Some(raw) => kconfig_value_bytes(name, slot, raw)?,
                None if ext.weak => continue,
                None => {
                    return Err(ExternError::Unresolved {
                        name: name.to_string(),
                        reason: "the kernel config does not set it".to_string(),
                    });
                }
            }
        } else {
            let number = match name {
                "LINUX_KERNEL_VERSION" => {
                    if facts.version == 0 {
                        return Err(ExternError::KconfigValue {
                            name: name.to_string(),
                            value: "0".to_string(),
                            reason: "the kernel version is unknown".to_string(),
                        });
                    }
                    u64::from(facts.version)
                }
                "LINUX_HAS_BPF_COOKIE" => u64::from(facts.has_bpf_cookie),
                "LINUX_HAS_SYSCALL_WRAPPER" => u64::from(facts.has_syscall_wrapper),
                _ if name.starts_with("LINUX_") && ext.weak => 0,
                _ => {
                    return Err(ExternError::UnknownVirtual {
                        name: name.to_string(),
                    });
                }
            };
            number_bytes(name, slot, number, &number.to_string(), true)?
        };
        let start = slot.offset as usize;
        let dest = start
            .checked_add(raw.len())
            .and_then(|end| value.get_mut(start..end))
            .ok_or_else(|| ExternError::KconfigValue {
                name: name.to_string(),
                value: String::new(),
                reason: format!(
                    "{} bytes at offset {start} do not fit in the {}-byte .kconfig value",
                    raw.len(),
                    externs.kconfig_size()
                ),
            })?;
        dest.copy_from_slice(&raw);
    }
    Ok(value)
}

/// The bytes a kconfig extern gets from its config value `raw` (what follows `=`),
/// by libbpf's rules (see the module documentation). At most `slot.size` bytes,
/// written from the slot's start.
pub fn kconfig_value_bytes(
    name: &str,
    slot: &KconfigSlot,
    raw: &str,
) -> Result<Vec<u8>, ExternError> {
    let fail = |reason: String| ExternError::KconfigValue {
        name: name.to_string(),
        value: raw.to_string(),
        reason,
    };
    match raw.as_bytes().first() {
        Some(&letter @ (b'y' | b'n' | b'm')) => match slot.ty {
            KconfigType::Bool if letter == b'm' => Err(fail(
                "'m' implies a tristate or char type, the extern is bool".to_string(),
            )),
            KconfigType::Bool => Ok(vec![u8::from(letter == b'y')]),
            KconfigType::Tristate => {
                let tri: u32 = match letter {
                    b'y' => 1,
                    b'm' => 2,
                    _ => 0,
                };
                Ok(tri.to_ne_bytes().to_vec())
            }
            KconfigType::Char => Ok(vec![letter]),
            _ => Err(fail(
                "a y/n/m value implies a bool, tristate or char type".to_string(),
            )),
        },
        Some(b'"') => {
            if slot.ty != KconfigType::CharArray {
                return Err(fail("a string value implies a char array type".to_string()));
            }
            if raw.len() < 2 || !raw.ends_with('"') {
                return Err(fail("the string has no closing quote".to_string()));
            }
            let inner = raw.as_bytes().get(1..raw.len() - 1).unwrap_or_default();
            let keep = inner.len().min(slot.size.saturating_sub(1) as usize);
            let mut out = inner.get(..keep).unwrap_or_default().to_vec();
            out.push(0);
            Ok(out)
        }
        _ => {
            let number = strtoull(raw).ok_or_else(|| fail("not a valid integer".to_string()))?;
            if !matches!(slot.ty, KconfigType::Int { .. } | KconfigType::Char) {
                return Err(fail("an integer value implies an integer type".to_string()));
            }
            number_bytes(name, slot, number, raw, false)
        }
    }
}

/// libbpf's `set_kcfg_value_num`: `number` stored in the slot's size, if the type
/// takes numbers (integers and chars; bools too for computed values, 0 or 1) and
/// the number fits its size and signedness.
fn number_bytes(
    name: &str,
    slot: &KconfigSlot,
    number: u64,
    shown: &str,
    bool_ok: bool,
) -> Result<Vec<u8>, ExternError> {
    let fail = |reason: String| ExternError::KconfigValue {
        name: name.to_string(),
        value: shown.to_string(),
        reason,
    };
    match slot.ty {
        KconfigType::Int { .. } | KconfigType::Char => {}
        KconfigType::Bool if bool_ok => {
            if number > 1 {
                return Err(fail("is not a boolean (0 or 1)".to_string()));
            }
        }
        _ => {
            return Err(fail(
                "a number implies an integer, char or bool type".to_string(),
            ));
        }
    }
    if !fits(number, slot.size, slot.signed) {
        return Err(fail(format!("does not fit in {} bytes", slot.size)));
    }
    let bytes = number.to_ne_bytes();
    Ok(match slot.size {
        1 => vec![number as u8],
        2 => (number as u16).to_ne_bytes().to_vec(),
        4 => (number as u32).to_ne_bytes().to_vec(),
        8 => bytes.to_vec(),
        other => return Err(fail(format!("{other}-byte integers cannot be filled"))),
    })
}

/// libbpf's `is_kcfg_value_in_range`: whether a 64-bit value read by `strtoull`
/// fits in `size` bytes without loss (for signed types, as a two's-complement
/// value).
fn fits(value: u64, size: u32, signed: bool) -> bool {
    if size >= 8 {
        return true;
    }
    if size == 0 {
        return false;
    }
    let bits = size * 8;
    if signed {
        value.wrapping_add(1u64 << (bits - 1)) < (1u64 << bits)
    } else {
        value >> bits == 0
    }
}

/// C's `strtoull(s, &end, 0)` requiring `end` to reach the end of `s`: optional
/// leading whitespace and sign, then `0x` hex, `0` octal or decimal digits. A
/// leading `-` negates modulo 2^64, as C does. `None` on overflow or stray text.
fn strtoull(s: &str) -> Option<u64> {
    let s = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, s) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..)?),
        Some(b'+') => (false, s.get(1..)?),
        _ => (false, s),
    };
    let (radix, digits) = if let Some(hex) = s.strip_prefix("0x").or(s.strip_prefix("0X")) {
        if hex.as_bytes().first().is_some_and(u8::is_ascii_hexdigit) {
            (16, hex)
        } else {
            // "0x" with no hex digit: C reads the "0" and stops at the "x".
            return None;
        }
    } else if s.starts_with('0') {
        (8, s)
    } else {
        (10, s)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let value = u64::from_str_radix(digits, radix).ok()?;
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(ty: KconfigType, size: u32, signed: bool) -> KconfigSlot {
        KconfigSlot {
            ty,
            size,
            align: size.min(8),
            offset: 0,
            signed,
        }
    }

    #[test]
    fn parses_config_text() {
        let text = "#\n# Automatically generated file\n#\nCONFIG_HZ=250\n\
                    # CONFIG_FOO is not set\nCONFIG_BPF=y\nCONFIG_LOCALVERSION=\"-fc\"\n\
                    CONFIG_HZ=1000\n";
        let config = Kconfig::parse(text).unwrap();
        assert_eq!(config.get("CONFIG_HZ"), Some("250"), "first line wins");
        assert_eq!(config.get("CONFIG_BPF"), Some("y"));
        assert_eq!(config.get("CONFIG_LOCALVERSION"), Some("\"-fc\""));
        assert_eq!(config.get("CONFIG_FOO"), None);
        assert_eq!(config.len(), 3);
        for bad in ["CONFIG_X\n", "CONFIG_X=\n"] {
            let err = Kconfig::parse(bad).unwrap_err();
            assert!(
                matches!(err, ExternError::KconfigLine { line: 1, .. }),
                "{err}"
            );
        }
    }

    #[test]
    fn tristate_values() {
        let tri = slot(KconfigType::Tristate, 4, false);
        assert_eq!(
            kconfig_value_bytes("C", &tri, "y").unwrap(),
            1u32.to_ne_bytes()
        );
        assert_eq!(
            kconfig_value_bytes("C", &tri, "m").unwrap(),
            2u32.to_ne_bytes()
        );
        assert_eq!(
            kconfig_value_bytes("C", &tri, "n").unwrap(),
            0u32.to_ne_bytes()
        );
        let boolean = slot(KconfigType::Bool, 1, false);
        assert_eq!(kconfig_value_bytes("C", &boolean, "y").unwrap(), [1]);
        assert_eq!(kconfig_value_bytes("C", &boolean, "n").unwrap(), [0]);
        assert!(kconfig_value_bytes("C", &boolean, "m").is_err());
        let ch = slot(KconfigType::Char, 1, true);
        assert_eq!(kconfig_value_bytes("C", &ch, "m").unwrap(), [b'm']);
        let int = slot(KconfigType::Int { signed: false }, 4, false);
        assert!(kconfig_value_bytes("C", &int, "y").is_err());
        // Only the first letter counts, as in libbpf.
        assert_eq!(kconfig_value_bytes("C", &boolean, "yes").unwrap(), [1]);
    }

    #[test]
    fn string_values() {
        let arr = slot(KconfigType::CharArray, 8, false);
        assert_eq!(kconfig_value_bytes("C", &arr, "\"abc\"").unwrap(), b"abc\0");
        assert_eq!(
            kconfig_value_bytes("C", &arr, "\"0123456789\"").unwrap(),
            b"0123456\0",
            "cut to the array size with its NUL"
        );
        assert_eq!(kconfig_value_bytes("C", &arr, "\"\"").unwrap(), b"\0");
        assert_eq!(
            kconfig_value_bytes("C", &arr, r#""a\"b""#).unwrap(),
            b"a\\\"b\0",
            "escapes are kept as written"
        );
        assert!(kconfig_value_bytes("C", &arr, "\"abc").is_err());
        assert!(kconfig_value_bytes("C", &arr, "\"").is_err());
        let int = slot(KconfigType::Int { signed: true }, 4, true);
        assert!(kconfig_value_bytes("C", &int, "\"1\"").is_err());
    }

    #[test]
    fn integer_values() {
        let u32s = slot(KconfigType::Int { signed: false }, 4, false);
        let i32s = slot(KconfigType::Int { signed: true }, 4, true);
        let u64s = slot(KconfigType::Int { signed: false }, 8, false);
        let i16s = slot(KconfigType::Int { signed: true }, 2, true);
        let bytes = |s: &KconfigSlot, v: &str| kconfig_value_bytes("C", s, v);
        assert_eq!(bytes(&u32s, "1000").unwrap(), 1000u32.to_ne_bytes());
        assert_eq!(bytes(&u32s, "0x10").unwrap(), 16u32.to_ne_bytes());
        assert_eq!(bytes(&u32s, "010").unwrap(), 8u32.to_ne_bytes(), "octal");
        assert_eq!(bytes(&u32s, "0").unwrap(), 0u32.to_ne_bytes());
        assert_eq!(bytes(&i32s, "-1").unwrap(), (-1i32).to_ne_bytes());
        assert_eq!(bytes(&i32s, "-2147483648").unwrap(), i32::MIN.to_ne_bytes());
        assert!(bytes(&i32s, "2147483648").is_err());
        assert!(bytes(&i32s, "-2147483649").is_err());
        assert!(bytes(&u32s, "-1").is_err(), "wraps to 2^64-1, too big");
        assert!(bytes(&u32s, "4294967296").is_err());
        assert_eq!(bytes(&u32s, "4294967295").unwrap(), u32::MAX.to_ne_bytes());
        assert_eq!(bytes(&u64s, "-1").unwrap(), u64::MAX.to_ne_bytes());
        assert!(bytes(&u64s, "18446744073709551616").is_err(), "overflow");
        assert_eq!(bytes(&i16s, "-32768").unwrap(), i16::MIN.to_ne_bytes());
        assert!(bytes(&i16s, "32768").is_err());
        for bad in ["12abc", "0x", "09", "1.5", "--1", " "] {
            assert!(bytes(&u32s, bad).is_err(), "{bad}");
        }
        assert_eq!(bytes(&u32s, " 7").unwrap(), 7u32.to_ne_bytes());
        let ch = slot(KconfigType::Char, 1, false);
        assert_eq!(bytes(&ch, "255").unwrap(), [255]);
        assert!(bytes(&ch, "256").is_err());
        let boolean = slot(KconfigType::Bool, 1, false);
        assert!(
            bytes(&boolean, "1").is_err(),
            "config numbers are not bools"
        );
        let arr = slot(KconfigType::CharArray, 4, false);
        assert!(bytes(&arr, "1").is_err());
    }

    #[test]
    fn arbitrary_text_gives_no_panic() {
        let sample = "CONFIG_A=y\nCONFIG_B=\"x\"\nCONFIG_C=-0x10\n# CONFIG_D is not set\n";
        let slots = [
            slot(KconfigType::Bool, 1, false),
            slot(KconfigType::Tristate, 4, false),
            slot(KconfigType::Char, 1, true),
            slot(KconfigType::Int { signed: true }, 2, true),
            slot(KconfigType::Int { signed: false }, 8, false),
            slot(KconfigType::CharArray, 3, false),
        ];
        for cut in 0..=sample.len() {
            for byte in [b'"', b'=', b'\n', b'-', 0xff] {
                let mut bytes = sample.as_bytes()[..cut].to_vec();
                bytes.push(byte);
                let text = String::from_utf8_lossy(&bytes);
                if let Ok(config) = Kconfig::parse(&text) {
                    for name in ["CONFIG_A", "CONFIG_B", "CONFIG_C"] {
                        if let Some(raw) = config.get(name) {
                            for s in &slots {
                                let _ = kconfig_value_bytes(name, s, raw);
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn kernel_versions() {
        use LibbpfVersion::{Latest, V1_1};
        let v = |a, b, c| kernel_version_code(a, b, c);
        let plain = "#1 SMP PREEMPT_DYNAMIC @0";
        assert_eq!(
            kernel_version(None, "6.18.44-fc-v1272", plain, V1_1),
            v(6, 18, 44)
        );
        for libbpf in [V1_1, Latest] {
            let ubuntu = kernel_version(
                Some("Ubuntu 5.4.0-12.15-generic 5.4.8\n"),
                "5.4.0-12-generic",
                "#15-Ubuntu SMP",
                libbpf,
            );
            assert_eq!(ubuntu, v(5, 4, 8));
        }
        let debian = |libbpf| {
            kernel_version(
                None,
                "6.1.0-18-amd64",
                "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)",
                libbpf,
            )
        };
        assert_eq!(debian(Latest), v(6, 1, 76));
        assert_eq!(debian(V1_1), v(6, 1, 0), "libbpf 1.1 reads uname -r only");
        assert_eq!(kernel_version(None, "5.4.300", "", V1_1), v(5, 4, 255));
        assert_eq!(
            kernel_version(None, "6.1", "", V1_1),
            0,
            "sscanf needs three numbers"
        );
        assert_eq!(
            kernel_version(Some("garbage"), "4.19.1", "", V1_1),
            v(4, 19, 1)
        );
    }
}
