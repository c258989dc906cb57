/* The externs libbpf resolves, built against vmlinux.h: __kconfig variables of
 * each type libbpf fills, an untyped __ksym variable, a kfunc, and weak ones the
 * kernel lacks. Loadable as a tc program (typed __ksym variables, which need
 * CONFIG_KALLSYMS_ALL to load, are in ksym-typed.c). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern bool LINUX_HAS_BPF_COOKIE __kconfig;
extern int LINUX_NOT_KNOWN_TO_LIBBPF __kconfig __weak;
extern int CONFIG_HZ __kconfig;
extern bool CONFIG_BPF_SYSCALL __kconfig;
extern enum libbpf_tristate CONFIG_NET_CLS_BPF __kconfig;
extern char CONFIG_BPF_JIT __kconfig;
extern char CONFIG_LOCALVERSION[8] __kconfig __weak;
extern u64 CONFIG_NR_CPUS __kconfig;
extern short CONFIG_LOG_BUF_SHIFT __kconfig;
extern u8 CONFIG_RTC_SURELY_NOT_SET __kconfig __weak;

extern const void _stext __ksym;
extern const void rtc_surely_not_a_symbol __ksym __weak;

extern int bpf_dynptr_from_skb(struct __sk_buff *skb, u64 flags,
			       struct bpf_dynptr *ptr) __ksym;
extern void bpf_rtc_surely_not_a_kfunc(void) __ksym __weak;

__u64 seen[16];

SEC("tc")
int uses_externs(struct __sk_buff *skb)
{
	struct bpf_dynptr ptr;

	seen[0] = LINUX_KERNEL_VERSION;
	seen[1] = LINUX_HAS_BPF_COOKIE + LINUX_NOT_KNOWN_TO_LIBBPF;
	seen[2] = CONFIG_HZ;
	seen[3] = CONFIG_BPF_SYSCALL;
	seen[4] = CONFIG_NET_CLS_BPF;
	seen[5] = CONFIG_BPF_JIT;
	seen[6] = CONFIG_LOCALVERSION[1];
	seen[7] = CONFIG_NR_CPUS;
	seen[8] = CONFIG_LOG_BUF_SHIFT;
	seen[9] = CONFIG_RTC_SURELY_NOT_SET;
	seen[11] = (__u64)&_stext;
	seen[12] = (__u64)&rtc_surely_not_a_symbol;
	if (bpf_rtc_surely_not_a_kfunc)
		bpf_rtc_surely_not_a_kfunc();
	bpf_dynptr_from_skb(skb, 0, &ptr);
	return 0;
}

char _license[] SEC("license") = "GPL";
