/* Shared includes for the CO-RE programs of bpf-src/core/.
 *
 * These programs are written the way libbpf-bootstrap teaches: against
 * vmlinux.h, the C rendering of the running kernel's BTF, instead of the uapi
 * headers. The Makefile generates vmlinux.h at build time
 * (`bpftool btf dump file /sys/kernel/btf/vmlinux format c`) into the build
 * directory; it is never committed.
 *
 * vmlinux.h marks every struct `preserve_access_index`, so each field access
 * through one of its types (even `skb->protocol` on `struct __sk_buff`) becomes
 * a CO-RE relocation in .BTF.ext that the loader must resolve against the
 * kernel's BTF before the program can be loaded.
 *
 * vmlinux.h has types only, no #defines: the few constants the programs need
 * are defined here.
 */
#ifndef RTC_CORE_COMMON_H
#define RTC_CORE_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>

/* Verdicts of a tc classifier in direct-action mode (linux/pkt_cls.h). */
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2

/* EtherTypes (linux/if_ether.h). */
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806

/* True when the __weak extern `sym` (a __ksym variable or a kfunc) was found
 * in the kernel. The loader sets the address of a missing weak extern to 0,
 * so this is a run-time test the verifier sees as a constant and uses to drop
 * the dead branch. (libbpf 1.2's bpf_helpers.h has bpf_ksym_exists(); the 1.1
 * headers installed here do not, hence this local version.) The assertion
 * catches a non-weak extern, whose address could never be 0. */
#define rtc_ksym_exists(sym) ({                                             \
	_Static_assert(!__builtin_constant_p(!!(sym)),                      \
		       #sym " must be declared __weak");                    \
	!!(sym);                                                            \
})

#endif
