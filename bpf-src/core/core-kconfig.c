/* core-kconfig: __kconfig externs, values the loader reads from the running
 * kernel's configuration.
 *
 *   tc filter add dev eth0 ingress bpf da obj core-kconfig.o sec tc
 *
 * An `extern ... __kconfig` variable has no value in the object: the loader
 * looks its name up in /proc/config.gz (or /boot/config-$(uname -r)), puts the
 * value in a read-only ".kconfig" map that it freezes, and points the
 * program's loads at it. The variable's C type says how to read the setting:
 *
 *   bool                  y -> true, n or unset -> false
 *   enum libbpf_tristate  y -> TRI_YES, m -> TRI_MODULE, n -> TRI_NO
 *   char                  y/n/m as the character
 *   int, __u64, ...       a decimal or 0x number
 *   char [N]              a quoted string
 *
 * LINUX_KERNEL_VERSION is not in the config: the loader computes it from
 * uname's release (6.18.44 -> 0x061244, the patch level capped at 255).
 * A __weak extern that the config lacks is 0; a strong one would be an error.
 *
 * Because the map is frozen, the verifier knows these values as constants and
 * prunes branches on them, as it would on `const volatile` .rodata. */
#include "core-common.h"

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern bool CONFIG_BPF_SYSCALL __kconfig;
extern enum libbpf_tristate CONFIG_NET_CLS_BPF __kconfig;
extern char CONFIG_VETH __kconfig;
extern int CONFIG_HZ __kconfig;
extern __u64 CONFIG_NR_CPUS __kconfig;
extern const char CONFIG_DEFAULT_HOSTNAME[16] __kconfig;
extern int CONFIG_RTC_NO_SUCH_OPTION __kconfig __weak;
extern bool CONFIG_RTC_NO_SUCH_BOOL __kconfig __weak;

/* What the program saw (map "core_kco.bss"). */
__u64 kernel_version, hz, nr_cpus;
__u32 bpf_syscall, cls_bpf, veth, hostname_start, missing;

SEC("tc")
int kconfig(struct __sk_buff *ctx)
{
	/* Needed for a tc BPF classifier at all: a constant true the verifier
	 * uses to drop the other branch. */
	if (!CONFIG_BPF_SYSCALL)
		return TC_ACT_SHOT;
	kernel_version = LINUX_KERNEL_VERSION;
	hz = CONFIG_HZ;
	nr_cpus = CONFIG_NR_CPUS;
	bpf_syscall = CONFIG_BPF_SYSCALL;
	cls_bpf = CONFIG_NET_CLS_BPF;
	veth = CONFIG_VETH;
	hostname_start = CONFIG_DEFAULT_HOSTNAME[0];
	missing = CONFIG_RTC_NO_SUCH_OPTION + CONFIG_RTC_NO_SUCH_BOOL;
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
