//! `BPF_BTF_LOAD`: hands an object's type information to the kernel, so programs can
//! carry func_info/line_info (source lines in verifier logs) and maps can carry types.

use crate::attr;
use crate::prog::log_text;
use crate::syscall::{Cmd, addr, bpf_fd};
use crate::{BtfFd, Error, Result};

/// Loads a BTF blob (the `.BTF` section, already fixed up for the kernel). On rejection
/// the error is [`Error::Verifier`] carrying the BTF checker's log.
pub fn btf_load(data: &[u8], log_level: u32) -> Result<BtfFd> {
    let btf_size = u32::try_from(data.len())
        .map_err(|_| Error::InvalidInput("BTF blob larger than 4 GiB".into()))?;
    let mut attr = attr::BtfLoad {
        btf: addr(data),
        btf_size,
        ..Default::default()
    };
    if log_level == 0 {
        if let Ok(fd) = bpf_fd(Cmd::BtfLoad, &mut attr) {
            return Ok(fd.into());
        }
    }
    let mut log = vec![0u8; 1 << 20];
    attr.btf_log_buf = addr(&log);
    attr.btf_log_size = log.len() as u32;
    attr.btf_log_level = log_level.max(1);
    let result = bpf_fd(Cmd::BtfLoad, &mut attr);
    let text = log_text(&mut log);
    result.map(BtfFd::from).map_err(|errno| Error::Verifier {
        what: "BTF",
        errno,
        log: text,
    })
}
