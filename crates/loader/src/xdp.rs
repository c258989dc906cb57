//! Attaching an XDP program to a device, as `ip link set dev D xdp obj F` does, and
//! detaching it only while it is still the one attached.

use std::os::fd::{AsFd, OwnedFd};

use netlink_tc::{XdpExpect, XdpMode, XdpSpec};

use crate::device::Device;
use crate::error::{Error, Result};
use crate::program::Program;
use elf_loader::ProgType;

/// An XDP program this crate attached. Dropping it leaves the program attached (as
/// `ip link set ... xdp` does when it exits); [`XdpAttachment::detach`] removes it.
#[derive(Debug)]
#[must_use = "dropping the handle leaves the program attached; keep it to detach later"]
pub struct XdpAttachment {
    device: Device,
    mode: XdpMode,
    /// A duplicate of the program's fd: the kernel compares it with what is attached.
    program: OwnedFd,
    prog_id: u32,
}

impl Program {
    /// Attaches this XDP program to `device` in `mode`. Fails, changing nothing, if
    /// an XDP program is already attached there (`XDP_FLAGS_UPDATE_IF_NOEXIST`).
    ///
    /// ```no_run
    /// use rtc_loader::{Device, Program, ProgType, XdpMode};
    /// # fn main() -> Result<(), rtc_loader::Error> {
    /// let program = Program::from_file("xdp-pass.o", "prog")?.load(ProgType::XDP)?;
    /// let xdp = program.attach_xdp(&Device::named("eth0")?, XdpMode::Generic)?;
    /// xdp.detach()?;
    /// # Ok(()) }
    /// ```
    pub fn attach_xdp(&self, device: &Device, mode: XdpMode) -> Result<XdpAttachment> {
        self.require(ProgType::XDP)?;
        let program = self.fd().try_clone_to_owned().map_err(|source| {
            device.netlink_error("attach XDP", netlink_tc::Error::Io { op: "dup", source })
        })?;
        device
            .netlink()?
            .set_xdp(&XdpSpec::new(device.ifindex(), Some(program.as_fd()), mode))
            .map_err(|source| device.netlink_error("attach XDP", source))?;
        Ok(XdpAttachment {
            device: device.clone(),
            mode,
            program,
            prog_id: self.id(),
        })
    }
}

impl XdpAttachment {
    /// The device the program is attached to.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The mode it was attached in.
    pub fn mode(&self) -> XdpMode {
        self.mode
    }

    /// The id of the attached program.
    pub fn prog_id(&self) -> u32 {
        self.prog_id
    }

    /// Detaches the program if it is still the one attached: the request carries
    /// its fd as the expected one (`XDP_FLAGS_REPLACE`), so if another program was
    /// attached since, the kernel refuses, that one stays, and [`Error::NotOurs`]
    /// says so.
    pub fn detach(self) -> Result<()> {
        let device = &self.device;
        let spec = XdpSpec::new(device.ifindex(), None, self.mode)
            .with_expected(XdpExpect::Program(self.program.as_fd()));
        let result = device.netlink()?.set_xdp(&spec);
        match result {
            Ok(_) => Ok(()),
            Err(e) if netlink_tc::xdp::is_not_expected(&e) => Err(Error::NotOurs {
                what: "XDP program".into(),
                device: device.name().to_string(),
            }),
            Err(source) => Err(device.netlink_error("detach XDP", source)),
        }
    }
}
