/* iproute2's map definition, for objects written the way tc's own examples are.
 *
 * Before BTF, iproute2 declared maps as a struct bpf_elf_map in the section
 * "maps": the five fields of libbpf's bpf_map_def, then an id (which tail-call
 * sections "ID/KEY" and maps-in-maps refer to), a pinning mode, and the inner
 * map id and index of a map-in-map. */
#ifndef RTC_EXAMPLES_IPROUTE2_H
#define RTC_EXAMPLES_IPROUTE2_H

#include <linux/types.h>

struct bpf_elf_map {
	__u32 type;
	__u32 size_key;
	__u32 size_value;
	__u32 max_elem;
	__u32 flags;
	__u32 id;
	__u32 pinning;
	__u32 inner_id;
	__u32 inner_idx;
};

/* Where a map is pinned: not at all, in <bpffs>/tc/<object sha1>/, or in
 * <bpffs>/tc/globals/ where every object can find it by name. */
#define PIN_NONE 0
#define PIN_OBJECT_NS 1
#define PIN_GLOBAL_NS 2

#endif
