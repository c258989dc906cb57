/* core-missing-kconfig: a __kconfig extern that is not __weak and that the
 * kernel's configuration does not have. The loader must refuse the object,
 * naming the option (a __weak one would be 0; see core-kconfig.c).
 *
 *   tc filter add dev eth0 ingress bpf da obj core-missing-kconfig.o sec tc  (refused) */
#include "core-common.h"

extern int CONFIG_RTC_NO_SUCH_OPTION __kconfig;

SEC("tc")
int missing_kconfig(struct __sk_buff *ctx)
{
	return CONFIG_RTC_NO_SUCH_OPTION ? TC_ACT_SHOT : TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
