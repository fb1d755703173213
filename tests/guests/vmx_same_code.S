/* vmx_basic.S with one function, same_code, that VMX root (L1, before
 * VMLAUNCH) and then non-root (L2, first thing) both call at the same
 * linear address: the monitor's `break ADDR if nonroot|root` must tell
 * the two apart (tests/boot/monitor.sh). Passes as vmx_basic does. */
#define SAME_CODE_BOTH_LEVELS 1
#include "vmx_basic.S"
