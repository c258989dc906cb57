//! Which libbpf to behave like where libbpf 1.x versions resolve externs differently.

/// Which libbpf's behaviour to follow where libbpf 1.x versions differ.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LibbpfVersion {
    /// libbpf 1.1, which tc 6.1 (iproute2) and bpftool 7.1 link: kfuncs are looked
    /// up by their full name; a `__weak` kfunc whose prototype is incompatible is
    /// an error; an absent `__weak` kfunc's call stays a kfunc call with BTF id 0
    /// and offset 0 (the kernel accepts it in dead code).
    #[default]
    V1_1,
    /// libbpf ≥ 1.3: kfuncs are looked up without their `___flavor` suffix; a
    /// `__weak` kfunc that is incompatible counts as absent; an absent `__weak`
    /// kfunc's call is poisoned (≥ 1.2): a helper call with
    /// `imm = 2002000000 + extern index`, refused by the verifier if reachable.
    Latest,
}
