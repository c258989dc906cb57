/* core-ksym-typed: a typed __ksym, a kernel variable the program reads.
 *
 *   tc filter add dev eth0 ingress bpf da obj core-ksym-typed.o sec tc
 *
 * `extern const struct rq runqueues __ksym;` names a variable that the
 * kernel's BTF describes (a BTF VAR). The loader finds its BTF id and turns
 * the ld_imm64 that takes its address into BPF_PSEUDO_BTF_ID (imm: the VAR's
 * id, next imm: the BTF object's fd, 0 for vmlinux); the verifier then knows
 * the pointer's type. runqueues is per-CPU, so the program takes this CPU's
 * copy with bpf_this_cpu_ptr() and reads a field of it (itself a CO-RE
 * relocation on struct rq). The same for bpf_prog_active, a per-CPU int.
 *
 * The kernel looks the variable's address up by name in kallsyms, which lists
 * variables only when built with CONFIG_KALLSYMS_ALL. Without it, the verifier
 * refuses the program ("ldimm64 failed to find the address for kernel symbol
 * 'runqueues'") whoever loads it: tc refuses it too, with the same message.
 * Reading kernel memory needs root (CAP_PERFMON and CAP_BPF). */
#include "core-common.h"

extern const struct rq runqueues __ksym;
extern const int bpf_prog_active __ksym;

/* What the program saw (map "core_ksy.bss"). */
__u64 nr_running, prog_active;

SEC("tc")
int ksym_typed(struct __sk_buff *ctx)
{
	struct rq *rq = bpf_this_cpu_ptr(&runqueues);
	const int *active = bpf_this_cpu_ptr(&bpf_prog_active);

	nr_running = rq->nr_running;
	prog_active = *active;
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
