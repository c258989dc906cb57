/* Shared by the test objects: headers and the two legacy map layouts. */
#ifndef ELF_LOADER_TEST_LEGACY_H
#define ELF_LOADER_TEST_LEGACY_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

/* libbpf's old layout: five u32, 20 bytes. */
struct bpf_map_def {
	__u32 type;
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	__u32 map_flags;
};

/* iproute2's layout: nine u32, 36 bytes (struct bpf_elf_map, and the PIN_*
 * values), from bpf-src/iproute2.h (the test build puts bpf-src/ on the
 * include path). */
#include "iproute2.h"

#endif
