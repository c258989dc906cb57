/* core-ksym: __ksym externs, addresses of kernel symbols.
 *
 *   tc filter add dev eth0 ingress bpf da obj core-ksym.o sec tc
 *
 * - Untyped: `extern const void netif_receive_skb __ksym;` has no type; the
 *   loader takes its address from /proc/kallsyms and writes it into the
 *   ld_imm64 that takes its address, as a plain number.
 * - __weak and missing: a typed one (a struct rq variable) and an untyped one
 *   that no kernel has. The loader resolves both to address 0, and
 *   rtc_ksym_exists() lets the program skip the code that uses them; the
 *   verifier drops that code.
 *
 * core-ksym-typed.c has a typed __ksym that exists. */
#include "core-common.h"

extern const void netif_receive_skb __ksym;
extern const struct rq rtc_no_such_runqueues __ksym __weak;
extern const void rtc_no_such_symbol __ksym __weak;

/* What the program saw (map "core_ksy.bss"). */
__u64 receive_skb_addr, missing_var, missing_sym;

SEC("tc")
int ksym(struct __sk_buff *ctx)
{
	receive_skb_addr = (__u64)&netif_receive_skb;
	if (rtc_ksym_exists(&rtc_no_such_runqueues)) {
		struct rq *rq = bpf_this_cpu_ptr(&rtc_no_such_runqueues);

		missing_var = rq->nr_running;
	}
	if (rtc_ksym_exists(&rtc_no_such_symbol))
		missing_sym = (__u64)&rtc_no_such_symbol;
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
