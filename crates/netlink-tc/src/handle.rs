//! Traffic-control handles: 32-bit `major:minor` numbers naming qdiscs, classes and
//! the attach points of filters, with the special values tc uses for clsact.

/// `TC_H_ROOT`: the root of a device's egress tree.
pub const ROOT: u32 = 0xFFFF_FFFF;
/// `TC_H_UNSPEC`: no handle.
pub const UNSPEC: u32 = 0;
/// `TC_H_INGRESS` / `TC_H_CLSACT`: parent of the ingress and clsact qdiscs.
pub const CLSACT_PARENT: u32 = 0xFFFF_FFF1;
/// Handle `ffff:` that the ingress and clsact qdiscs get.
pub const CLSACT_HANDLE: u32 = 0xFFFF_0000;
/// `TC_H_MIN_INGRESS` minor: the ingress hook of clsact.
pub const MIN_INGRESS: u32 = 0xFFF2;
/// `TC_H_MIN_EGRESS` minor: the egress hook of clsact.
pub const MIN_EGRESS: u32 = 0xFFF3;
/// Parent of filters on clsact's ingress hook (`ingress`, `ffff:fff2`).
pub const INGRESS: u32 = make(CLSACT_PARENT, MIN_INGRESS);
/// Parent of filters on clsact's egress hook (`egress`, `ffff:fff3`).
pub const EGRESS: u32 = make(CLSACT_PARENT, MIN_EGRESS);
/// `TCM_IFINDEX_MAGIC_BLOCK`: the ifindex that means "a shared block" in `tcmsg`.
pub const IFINDEX_MAGIC_BLOCK: u32 = 0xFFFF_FFFF;

/// `TC_H_MAKE`: the major half of `major` joined to the minor half of `minor`.
pub const fn make(major: u32, minor: u32) -> u32 {
    (major & 0xFFFF_0000) | (minor & 0x0000_FFFF)
}

/// `TC_H_MAJ`: the upper 16 bits, still in place.
pub const fn major(handle: u32) -> u32 {
    handle & 0xFFFF_0000
}

/// `TC_H_MIN`: the lower 16 bits.
pub const fn minor(handle: u32) -> u32 {
    handle & 0x0000_FFFF
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clsact_parents() {
        assert_eq!(INGRESS, 0xFFFF_FFF2);
        assert_eq!(EGRESS, 0xFFFF_FFF3);
        assert_eq!(major(EGRESS) >> 16, 0xFFFF);
        assert_eq!(minor(EGRESS), 0xFFF3);
    }
}
