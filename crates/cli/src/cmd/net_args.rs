//! The grammar of `rtc net`: bpftool's `net { show | list } [dev NAME]`,
//! `net attach ATTACH_TYPE PROG dev NAME [overwrite]` and
//! `net detach ATTACH_TYPE dev NAME`, extended for tcx:
//!
//! ```text
//! rtc net attach ATTACH_TYPE PROG dev NAME [overwrite]
//!         [first | last | before PROG | after PROG] [expected_revision N] [link pin PATH]
//! rtc net detach ATTACH_TYPE dev NAME [PROG] [expected_revision N]
//! ATTACH_TYPE := { xdp | xdpgeneric | xdpdrv | xdpoffload | tcx_ingress | tcx_egress | tcx }
//! PROG := { id N | pinned PATH | name NAME | tag TAG | obj FILE [sec S] [program P] [verbose] }
//! ```
//!
//! `tcx` alone takes the direction from the object's section name (`tcx/ingress`,
//! `tc/egress`, ...). Read into a [`NetCommand`] with no side effects.

use netlink_tc::XdpMode;
use netlink_tc::tcx::TcxDirection;

use super::map_args::{error, is_prefix, parse_c_number};
use super::prog_ref::ProgRef;
use crate::error::{CliError, CliResult};
use crate::words::Words;

/// A hook `net attach` / `net detach` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetHook {
    /// XDP in this mode.
    Xdp(XdpMode),
    /// tcx in this direction; `None`: from the section name.
    Tcx(Option<TcxDirection>),
}

impl NetHook {
    /// The attach-type word as bpftool spells it.
    pub fn name(self) -> &'static str {
        match self {
            NetHook::Xdp(XdpMode::Any) => "xdp",
            NetHook::Xdp(XdpMode::Generic) => "xdpgeneric",
            NetHook::Xdp(XdpMode::Driver) => "xdpdrv",
            NetHook::Xdp(XdpMode::Offload) => "xdpoffload",
            NetHook::Tcx(Some(d)) => d.name(),
            NetHook::Tcx(None) => "tcx",
        }
    }
}

/// bpftool's attach types in its matching order (first prefix match wins).
const HOOKS: &[(&str, NetHook)] = &[
    ("xdp", NetHook::Xdp(XdpMode::Any)),
    ("xdpgeneric", NetHook::Xdp(XdpMode::Generic)),
    ("xdpdrv", NetHook::Xdp(XdpMode::Driver)),
    ("xdpoffload", NetHook::Xdp(XdpMode::Offload)),
    ("tcx_ingress", NetHook::Tcx(Some(TcxDirection::Ingress))),
    ("tcx_egress", NetHook::Tcx(Some(TcxDirection::Egress))),
    ("tcx", NetHook::Tcx(None)),
];

fn parse_hook(word: &str) -> CliResult<NetHook> {
    if word == "tcx" {
        return Ok(NetHook::Tcx(None));
    }
    HOOKS
        .iter()
        .find(|(name, _)| is_prefix(word, name))
        .map(|(_, hook)| *hook)
        .ok_or_else(|| error(format!("invalid net attach/detach type: {word}")))
}

/// Where a tcx program goes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Position {
    /// Nothing said: appended at the end.
    #[default]
    Default,
    /// `first`.
    First,
    /// `last`.
    Last,
    /// `before PROG`.
    Before(ProgRef),
    /// `after PROG`.
    After(ProgRef),
}

/// `net attach ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachArgs {
    /// The hook.
    pub hook: NetHook,
    /// The program.
    pub prog: ProgRef,
    /// `dev NAME`.
    pub dev: String,
    /// `overwrite` (XDP): replace what is attached.
    pub overwrite: bool,
    /// tcx placement.
    pub position: Position,
    /// `expected_revision N` (tcx).
    pub expected_revision: Option<u64>,
    /// `link pin PATH`: attach through a bpf link pinned there.
    pub link_pin: Option<String>,
    /// `replace PROG`: put the program in PROG's place in one step (tcx:
    /// `BPF_F_REPLACE`; XDP: `XDP_FLAGS_REPLACE` with `IFLA_XDP_EXPECTED_FD`).
    pub replace: Option<ProgRef>,
}

/// `net detach ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetachArgs {
    /// The hook.
    pub hook: NetHook,
    /// `dev NAME`.
    pub dev: String,
    /// tcx: which program (without: the last one of the chain).
    pub prog: Option<ProgRef>,
    /// `expected_revision N` (tcx).
    pub expected_revision: Option<u64>,
}

/// A `net` command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetCommand {
    /// `show`/`list` `[dev NAME]`.
    Show {
        /// Only this device.
        dev: Option<String>,
    },
    /// `attach`.
    Attach(AttachArgs),
    /// `detach`.
    Detach(DetachArgs),
    /// `help`.
    Help,
}

/// The usage text of `rtc net`.
pub fn usage_text() -> &'static str {
    "Usage: rtc net { show | list } [dev <devname>]\n\
     \x20      rtc net attach ATTACH_TYPE PROG dev <devname> [ overwrite ]\n\
     \x20              [ first | last | before PROG | after PROG ] [ expected_revision N ]\n\
     \x20              [ replace PROG ] [ link pin PATH ]\n\
     \x20      rtc net detach ATTACH_TYPE dev <devname> [ PROG ] [ expected_revision N ]\n\
     \x20      rtc net help\n\
     \n\
     \x20      PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME |\n\
     \x20                obj FILE [ sec SECTION ] [ program FUNCTION ] [ verbose ] }\n\
     \x20      ATTACH_TYPE := { xdp | xdpgeneric | xdpdrv | xdpoffload |\n\
     \x20                       tcx_ingress | tcx_egress | tcx }\n\
     \n\
     tcx takes the direction from the section name (tcx/ingress, tc/egress, ...).\n\
     Without \"link pin\", tcx attaches with BPF_PROG_ATTACH (stays until detached) and\n\
     XDP with netlink; with it, through a bpf link pinned at PATH (goes when the pin goes)."
}

fn dev_word(words: &mut Words<'_>) -> CliResult<String> {
    match words.next_word() {
        Some(w) if is_prefix(w, "dev") => Ok(words
            .next_word()
            .ok_or_else(|| error("expected a device name after 'dev'"))?
            .to_string()),
        Some(w) => Err(error(format!("expected 'dev', got: '{w}'?"))),
        None => Err(error("expected 'dev'")),
    }
}

fn revision(words: &mut Words<'_>) -> CliResult<u64> {
    let value = words
        .next_word()
        .ok_or_else(|| error("expected a number after 'expected_revision'"))?;
    parse_c_number(value, 0).ok_or_else(|| error(format!("can't parse revision {value}")))
}

impl NetCommand {
    /// Reads the words after `net`. No command means `show`, as in bpftool.
    pub fn parse(words: &[String]) -> CliResult<NetCommand> {
        let mut w = Words::new(words);
        let Some(verb) = w.next_word() else {
            return Ok(NetCommand::Show { dev: None });
        };
        if is_prefix(verb, "show") || is_prefix(verb, "list") {
            let dev = match w.peek() {
                None => None,
                Some(_) => Some(dev_word(&mut w)?),
            };
            if let Some(extra) = w.next_word() {
                return Err(error(format!("unexpected '{extra}'")));
            }
            Ok(NetCommand::Show { dev })
        } else if is_prefix(verb, "attach") {
            Self::attach(&mut w).map(NetCommand::Attach)
        } else if is_prefix(verb, "detach") {
            Self::detach(&mut w).map(NetCommand::Detach)
        } else if is_prefix(verb, "help") {
            Ok(NetCommand::Help)
        } else {
            Err(CliError::usage(format!(
                "Error: unknown net command '{verb}'\n{}",
                usage_text()
            )))
        }
    }

    fn attach(w: &mut Words<'_>) -> CliResult<AttachArgs> {
        let hook = parse_hook(w.next_word().ok_or_else(|| error("expected ATTACH_TYPE"))?)?;
        let prog = ProgRef::parse(w, true)?;
        let dev = dev_word(w)?;
        let mut args = AttachArgs {
            hook,
            prog,
            dev,
            overwrite: false,
            position: Position::Default,
            expected_revision: None,
            link_pin: None,
            replace: None,
        };
        let mut placed = false;
        let mut place = |args: &mut AttachArgs, position: Position| {
            if placed {
                return Err(error("say only one of first, last, before and after"));
            }
            placed = true;
            args.position = position;
            Ok(())
        };
        while let Some(word) = w.next_word() {
            match word {
                "overwrite" => args.overwrite = true,
                "first" => place(&mut args, Position::First)?,
                "last" => place(&mut args, Position::Last)?,
                "before" => place(&mut args, Position::Before(ProgRef::parse(w, false)?))?,
                "after" => place(&mut args, Position::After(ProgRef::parse(w, false)?))?,
                "expected_revision" => args.expected_revision = Some(revision(w)?),
                "replace" => args.replace = Some(ProgRef::parse(w, false)?),
                "link" => match (w.next_word(), w.next_word()) {
                    (Some("pin"), Some(path)) => args.link_pin = Some(path.to_string()),
                    _ => return Err(error("expected 'link pin PATH'")),
                },
                other => {
                    return Err(error(format!(
                        "expected 'overwrite', 'first', 'last', 'before', 'after', \
                         'expected_revision', 'replace' or 'link pin', got: '{other}'?"
                    )));
                }
            }
        }
        if args.replace.is_some() && (args.link_pin.is_some() || args.overwrite) {
            return Err(error(
                "replace swaps a program in place; it goes with neither link pin nor overwrite",
            ));
        }
        if let NetHook::Xdp(_) = hook {
            if args.position != Position::Default || args.expected_revision.is_some() {
                return Err(error(
                    "first, last, before, after and expected_revision are for tcx; \
                     an XDP hook holds one program",
                ));
            }
        } else if args.overwrite {
            return Err(error(
                "overwrite is for XDP; a tcx chain holds many programs: place the new one \
                 with first, last, before or after, and detach the old one",
            ));
        }
        Ok(args)
    }

    fn detach(w: &mut Words<'_>) -> CliResult<DetachArgs> {
        let hook = parse_hook(w.next_word().ok_or_else(|| error("expected ATTACH_TYPE"))?)?;
        let dev = dev_word(w)?;
        let mut args = DetachArgs {
            hook,
            dev,
            prog: None,
            expected_revision: None,
        };
        while let Some(word) = w.peek() {
            if word == "expected_revision" {
                w.next_word();
                args.expected_revision = Some(revision(w)?);
            } else if args.prog.is_none() {
                args.prog = Some(ProgRef::parse(w, false)?);
            } else {
                return Err(error(format!("unexpected '{word}'")));
            }
        }
        match hook {
            NetHook::Tcx(None) => Err(error("detach needs tcx_ingress or tcx_egress")),
            NetHook::Xdp(_) if args.prog.is_some() || args.expected_revision.is_some() => Err(
                error("an XDP hook holds one program: detach takes no PROG for it"),
            ),
            _ => Ok(args),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> CliResult<NetCommand> {
        let words: Vec<String> = line.split_whitespace().map(String::from).collect();
        NetCommand::parse(&words)
    }

    #[test]
    fn attach_lines() {
        let NetCommand::Attach(a) = parse(
            "attach tcx_ingress obj x.o sec tcx/ingress dev veth0 before id 5 \
             expected_revision 3 link pin /sys/fs/bpf/l",
        )
        .unwrap() else {
            panic!("attach")
        };
        assert_eq!(a.hook, NetHook::Tcx(Some(TcxDirection::Ingress)));
        assert_eq!(a.dev, "veth0");
        assert_eq!(a.position, Position::Before(ProgRef::Id(5)));
        assert_eq!(a.expected_revision, Some(3));
        assert_eq!(a.link_pin.as_deref(), Some("/sys/fs/bpf/l"));

        let NetCommand::Attach(x) = parse("attach xdpg id 9 dev eth0 overwrite").unwrap() else {
            panic!("attach")
        };
        assert_eq!(x.hook, NetHook::Xdp(XdpMode::Generic));
        assert!(x.overwrite);
        assert_eq!(
            parse("attach tcx obj a.o dev d first").unwrap(),
            NetCommand::Attach(AttachArgs {
                hook: NetHook::Tcx(None),
                prog: ProgRef::Object(super::super::prog_ref::ObjectProg {
                    file: "a.o".into(),
                    ..Default::default()
                }),
                dev: "d".into(),
                overwrite: false,
                position: Position::First,
                expected_revision: None,
                link_pin: None,
                replace: None,
            })
        );
    }

    #[test]
    fn bad_lines() {
        assert!(parse("attach xdp id 1 dev d first").is_err());
        assert!(parse("attach tcx_egress id 1 dev d overwrite").is_err());
        assert!(parse("attach tcx_egress id 1 dev d first last").is_err());
        assert!(parse("attach bogus id 1 dev d").is_err());
        assert!(parse("attach xdp id 1 eth0").is_err());
        assert!(parse("attach tcx_ingress id 1 dev d replace id 2 link pin /x").is_err());
        let NetCommand::Attach(r) = parse("attach tcx_egress id 1 dev d replace name old").unwrap()
        else {
            panic!("attach")
        };
        assert_eq!(r.replace, Some(ProgRef::Name("old".into())));
        assert!(parse("detach tcx dev d").is_err());
        assert_eq!(
            parse("detach tcx_egress dev d id 4").unwrap(),
            NetCommand::Detach(DetachArgs {
                hook: NetHook::Tcx(Some(TcxDirection::Egress)),
                dev: "d".into(),
                prog: Some(ProgRef::Id(4)),
                expected_revision: None,
            })
        );
        assert_eq!(parse("").unwrap(), NetCommand::Show { dev: None });
        assert_eq!(
            parse("list dev x").unwrap(),
            NetCommand::Show {
                dev: Some("x".into())
            }
        );
    }
}
