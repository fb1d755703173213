#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "frontend/machine.h"
#include "frontend/options.h"

/* The one piece of process-wide state: where a signal handler finds the
 * machine to stop, and a signal that came before there was one. */
static struct machine *signal_target;
static volatile sig_atomic_t early_signal;

static void on_signal(int signo)
{
    if (signal_target)
        machine_signal_stop(signal_target, signo);
    else
        early_signal = signo;
}

#ifdef __SANITIZE_ADDRESS__
/* Under AddressSanitizer a failed allocation returns NULL as in the plain
 * build (instead of aborting), so that it ends in turtles' own one-line
 * message and status 1 in every build. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}

/* SDL's video start-up reaches D-Bus (input methods, screensaver), whose
 * library keeps per-process allocations until exit by design. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libdbus-1.so\n";
}
#endif

int main(int argc, char **argv)
{
    static struct options opt;
    int r = options_parse(&opt, argc, argv);
    if (r == 1)
        return 0;
    if (r)
        return r;
    /* Handlers first: a signal during machine init (reading a large
     * initrd) still ends in a clean stop with its message and status 4. */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    static struct machine m;
    if (machine_init(&m, &opt) < 0) {
        machine_destroy(&m);
        return 1;
    }
    signal_target = &m;
    if (early_signal)
        machine_signal_stop(&m, early_signal);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int status = machine_run(&m);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (opt.stats) {
        uint64_t insns = 0;
        for (int i = 0; i < m.ncpus; i++)
            insns += m.cpus[i].icount;
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        fprintf(stderr, "turtles-stats: instructions=%llu seconds=%.3f mips=%.1f peak_rss_kib=%ld\n",
                (unsigned long long)insns, secs, secs > 0 ? (double)insns / secs / 1e6 : 0.0,
                ru.ru_maxrss);
        const struct block_cache *bc = m.blocks;
        fprintf(stderr, "turtles-stats: block cache: limit_kib=%llu peak_kib=%llu blocks=%llu "
                        "evictions=%llu evicted_blocks=%llu invalidations=%llu\n",
                (unsigned long long)(bc->limit_bytes >> 10),
                (unsigned long long)(bc->peak_bytes >> 10), (unsigned long long)bc->nblocks,
                (unsigned long long)bc->evictions, (unsigned long long)bc->evicted_blocks,
                (unsigned long long)bc->invalidations);
        for (int i = 0; i < m.ncpus; i++)
            fprintf(stderr, "turtles-stats: cpu%d rip=%04x:%016llx mode=%d cpl=%d halted=%d "
                            "icount=%llu\n",
                    i, m.cpus[i].seg[S_CS].sel, (unsigned long long)m.cpus[i].rip,
                    m.cpus[i].mode, m.cpus[i].cpl, m.cpus[i].halted,
                    (unsigned long long)m.cpus[i].icount);
    }
    signal_target = NULL;
    machine_destroy(&m);
    return status;
}
