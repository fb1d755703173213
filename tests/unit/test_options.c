/* The command line (frontend/options.c) and the time policy built from it
 * (frontend/machine_time.c). The frontend is not part of turtles_core, so
 * its two sources are compiled into this test directly. */
#include "frontend/options.c"
#include "frontend/machine_time.c"

#include <check.h>
#include <stdlib.h>
#include <string.h>

struct options parsed_options[64];
static unsigned nparsed;

static int parse(struct options *o, const char *line)
{
    char buf[512];
    char *argv[32];
    int argc = 0;
    snprintf(buf, sizeof(buf), "turtles -bios x.rom %s", line);
    for (char *save = NULL, *t = strtok_r(buf, " ", &save); t && argc < 31;
         t = strtok_r(NULL, " ", &save))
        argv[argc++] = t;
    argv[argc] = NULL;
    FILE *saved = stderr;
    stderr = fopen("/dev/null", "w");
    int r = options_parse(o, argc, argv);
    fclose(stderr);
    stderr = saved;
    /* Parsed options keep copies of their arguments for the program's
     * life (turtles parses once); keep every parsed set reachable so the
     * next parse does not turn them into leaks. */
    parsed_options[nparsed++ % 64] = *o;
    return r;
}

START_TEST(test_defaults_are_deterministic)
{
    struct options o;
    ck_assert_int_eq(parse(&o, ""), 0);
    ck_assert(!o.icount);
    ck_assert(!o.rtc_clock_host);
    ck_assert_uint_eq(o.rtc_start_epoch, 0);
    struct machine_time t;
    struct clock c;
    machine_time_init(&t, &c, &o);
    ck_assert(!t.sleep);
    ck_assert(!c.realtime);
    ck_assert_uint_eq(c.icount_shift, 0);
}
END_TEST

START_TEST(test_pc_testdev)
{
    struct options o;
    ck_assert_int_eq(parse(&o, "-device pc-testdev"), 0);
    ck_assert(o.testdev);
    ck_assert_int_eq(parse(&o, ""), 0);
    ck_assert(!o.testdev);
}
END_TEST

START_TEST(test_icount)
{
    struct options o;
    ck_assert_int_eq(parse(&o, "-icount shift=7"), 0);
    ck_assert(o.icount && o.icount_sleep && !o.icount_auto);
    ck_assert_uint_eq(o.icount_shift, 7);
    ck_assert_int_eq(parse(&o, "-icount shift=3,sleep=off"), 0);
    ck_assert(!o.icount_sleep);
    ck_assert_int_eq(parse(&o, "-icount 4"), 0);
    ck_assert_uint_eq(o.icount_shift, 4);
    ck_assert_int_eq(parse(&o, "-icount shift=auto"), 0);
    ck_assert(o.icount_auto);
    struct machine_time t;
    struct clock c;
    machine_time_init(&t, &c, &o);
    ck_assert_uint_eq(c.icount_shift, ICOUNT_AUTO_INITIAL_SHIFT);
    ck_assert(t.sleep && t.autoshift);
    ck_assert_int_eq(parse(&o, "-icount shift=11"), 2);
    ck_assert_int_eq(parse(&o, "-icount shift=-1"), 2);
    ck_assert_int_eq(parse(&o, "-icount sleep=yes"), 2);
    ck_assert_int_eq(parse(&o, "-icount ,,"), 2);
    ck_assert_int_eq(parse(&o, "-icount shift=2 -rtc clock=host"), 2);
}
END_TEST

START_TEST(test_rtc_base)
{
    struct options o;
    ck_assert_int_eq(parse(&o, "-rtc base=2010-05-06T07:08:09"), 0);
    ck_assert_uint_eq(o.rtc_start_epoch, 1273129689ull);
    ck_assert_int_eq(parse(&o, "-rtc base=2000-02-29"), 0);
    ck_assert_uint_eq(o.rtc_start_epoch, 951782400ull);
    ck_assert_int_eq(parse(&o, "-rtc base=utc,clock=host"), 0);
    ck_assert(o.rtc_clock_host);
    ck_assert_uint_ge(o.rtc_start_epoch, 1700000000ull);
    ck_assert_int_eq(parse(&o, "-rtc base=localtime,clock=vm"), 0);
    ck_assert(!o.rtc_clock_host);
    ck_assert_int_eq(parse(&o, "-rtc base=2001-02-29"), 2); /* not a leap year */
    ck_assert_int_eq(parse(&o, "-rtc base=2026-01-01T24:00:00"), 2);
    ck_assert_int_eq(parse(&o, "-rtc base=2026-1-1x"), 2);
    ck_assert_int_eq(parse(&o, "-rtc base=1969-12-31"), 2);
    ck_assert_int_eq(parse(&o, "-rtc clock=sundial"), 2);
}
END_TEST

START_TEST(test_bad_values_exit_2)
{
    struct options o;
    static const char *const bad[] = {
        "-m 0", "-m 1X", "-smp 9", "-smp 0", "-cpu nope", "-serial tcp:1",
        "-device e1000", "-d nothing", "-turtles-max-insns -5", "-frobnicate", "-m",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(parse(&o, bad[i]) == 2, "'%s' was accepted", bad[i]);
    ck_assert_int_eq(parse(&o, "-m 6G -smp 8 -d int,vmexit"), 0);
    ck_assert_uint_eq(o.ram_size, 6ull << 30);
    ck_assert_int_eq(o.smp, 8);
    ck_assert_uint_ne(o.log_mask, 0);
}
END_TEST

/* sleep=off (and the default) jump straight to the deadline; sleep=on gets
 * there in slices of at most IDLE_SLEEP_MAX_NS of host time. */
START_TEST(test_idle_policy)
{
    struct options o;
    struct machine_time t;
    struct clock c;
    struct timer tm;
    ck_assert_int_eq(parse(&o, ""), 0);
    machine_time_init(&t, &c, &o);
    timer_init(&tm, NULL, NULL, "test");
    timer_arm(&c, &tm, 5000000000ull);
    machine_time_idle(&t, &c);
    ck_assert_uint_eq(c.now_ns, 5000000000ull);

    ck_assert_int_eq(parse(&o, "-icount shift=0,sleep=on"), 0);
    machine_time_init(&t, &c, &o);
    timer_init(&tm, NULL, NULL, "test");
    timer_arm(&c, &tm, 3 * IDLE_SLEEP_MAX_NS);
    machine_time_idle(&t, &c);
    ck_assert_uint_eq(c.now_ns, IDLE_SLEEP_MAX_NS);
    while (tm.armed)
        machine_time_idle(&t, &c);
    ck_assert_uint_eq(c.now_ns, 3 * IDLE_SLEEP_MAX_NS);
}
END_TEST

/* -accel tcg,tb-size=MiB bounds the decoded-block cache (QEMU's spelling);
 * any other accelerator or property is one line and status 2. */
START_TEST(test_accel_tcg_tb_size)
{
    struct options o;
    ck_assert_int_eq(parse(&o, ""), 0);
    ck_assert_uint_eq(o.tb_size, 0); /* the default bound */
    ck_assert_int_eq(parse(&o, "-accel tcg"), 0);
    ck_assert_uint_eq(o.tb_size, 0);
    ck_assert_int_eq(parse(&o, "-accel tcg,tb-size=8"), 0);
    ck_assert_uint_eq(o.tb_size, 8ull << 20);
    ck_assert_int_eq(parse(&o, "-accel tcg,thread=single,tb-size=65536"), 0);
    ck_assert_uint_eq(o.tb_size, 65536ull << 20);
    ck_assert_int_eq(parse(&o, "-accel tcg,tb-size=0"), 0);
    ck_assert_uint_eq(o.tb_size, 0);
    ck_assert_int_eq(parse(&o, "-accel kvm"), 2);
    ck_assert_int_eq(parse(&o, "-accel tcgx"), 2);
    ck_assert_int_eq(parse(&o, "-accel tcg,thread=multi"), 2);
    ck_assert_int_eq(parse(&o, "-accel tcg,tb-size=65537"), 2);
    ck_assert_int_eq(parse(&o, "-accel tcg,tb-size=-1"), 2);
    ck_assert_int_eq(parse(&o, "-accel tcg,tb-size=8M"), 2);
    ck_assert_int_eq(parse(&o, "-accel tcg,tb-size="), 2);
    ck_assert_int_eq(parse(&o, "-accel tcg,bogus=1"), 2);
    ck_assert_int_eq(parse(&o, "-accel"), 2);
}
END_TEST

/* bootindex= on -drive, -device virtio-blk-pci and -device ide-hd/ide-cd;
 * ide-* bus/unit become the IDE position; misuse exits with status 2. */
START_TEST(test_drive_devices_and_bootindex)
{
    struct options o;
    ck_assert_int_eq(parse(&o, "-drive file=a.img,bootindex=4"), 0);
    ck_assert_int_eq(o.drives[0].bootindex, 4);
    ck_assert_int_eq(parse(&o, "-drive file=a.img"), 0);
    ck_assert_int_eq(o.drives[0].bootindex, -1);
    ck_assert_int_eq(parse(&o, "-cdrom c.iso"), 0);
    ck_assert_int_eq(o.drives[0].bootindex, -1);
    ck_assert_int_eq(parse(&o, "-drive if=none,id=d,file=a.img "
                               "-device virtio-blk-pci,drive=d,bootindex=0"), 0);
    ck_assert(o.drives[0].virtio);
    ck_assert_int_eq(o.drives[0].bootindex, 0);
    ck_assert_int_eq(parse(&o, "-drive if=none,id=c,file=c.iso,media=cdrom "
                               "-device ide-cd,drive=c,bus=ide.1,unit=1,bootindex=2"), 0);
    ck_assert(o.drives[0].ide_device && o.drives[0].cdrom && o.drives[0].readonly);
    ck_assert_int_eq(o.drives[0].index, 3);
    ck_assert_int_eq(o.drives[0].bootindex, 2);
    ck_assert_int_eq(parse(&o, "-drive if=none,id=c,file=c.iso -device ide-cd,drive=c"), 0);
    ck_assert(o.drives[0].cdrom && o.drives[0].readonly);
    ck_assert_int_eq(o.drives[0].index, -1);
    ck_assert_int_eq(parse(&o, "-drive if=none,id=d,file=a.img -device ide-hd,drive=d,bus=ide.0"),
                     0);
    ck_assert(!o.drives[0].cdrom && !o.drives[0].virtio);
    ck_assert_int_eq(o.drives[0].index, 0);
    static const char *const bad[] = {
        "-drive file=a.img,bootindex=-1",
        "-drive file=a.img,bootindex=10000",
        "-drive file=a.img,bootindex=",
        "-drive if=none,id=d,file=a.img -device virtio-blk-pci,drive=d,bootindex=x",
        "-drive if=none,id=d,file=a.img -device ide-hd,drive=d,bus=ide.2",
        "-drive if=none,id=d,file=a.img -device ide-hd,drive=d,unit=1",
        "-drive if=none,id=d,file=a.img -device ide-hd,drive=d,bus=ide.0,unit=2",
        "-drive if=none,id=d,file=a.img -device ide-hd,drive=e",
        "-drive if=none,id=d,file=a.img -device ide-hd",
        "-drive if=none,id=d,file=a.img -device ide-hd,drive=d,speed=9",
        "-drive if=none,id=d,file=a.img -device ide-hd,drive=d -device ide-cd,drive=d",
        "-drive if=none,id=d,file=a.img -device ide-hd,drive=d -device virtio-blk-pci,drive=d",
        "-drive if=none,id=c,file=c.iso,media=cdrom -device ide-hd,drive=c",
        "-drive if=none,id=c,file=c.iso,media=cdrom -device virtio-blk-pci,drive=c",
        "-device ide-cd,drive=c -drive if=none,id=c,file=c.iso",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(parse(&o, bad[i]) == 2, "'%s' was accepted", bad[i]);
}
END_TEST

START_TEST(test_network_options)
{
    struct options o;
    /* No NIC unless asked for. */
    ck_assert_int_eq(parse(&o, ""), 0);
    ck_assert_int_eq(o.net.nnics, 0);
    ck_assert_int_eq(o.net.nnetdevs, 0);
    ck_assert_int_eq(parse(&o, "-nic none -nodefaults"), 0);
    ck_assert_int_eq(o.net.nnics, 0);
    /* QEMU's defaults. */
    ck_assert_int_eq(parse(&o, "-nic user,hostfwd=tcp:127.0.0.1:2222-:22"), 0);
    ck_assert_int_eq(o.net.nnics, 1);
    ck_assert_int_eq(o.net.nics[0].model, NIC_E1000);
    const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    ck_assert(memcmp(o.net.nics[0].mac, mac, 6) == 0);
    const struct netdev_opt *d = &o.net.netdevs[0];
    ck_assert_uint_eq(d->net, 0x0a000200u);
    ck_assert_uint_eq(d->mask, 0xffffff00u);
    ck_assert_uint_eq(d->host, 0x0a000202u);
    ck_assert_uint_eq(d->dns, 0x0a000203u);
    ck_assert_uint_eq(d->dhcp_start, 0x0a00020fu);
    ck_assert_int_eq(d->nfwd, 1);
    ck_assert_uint_eq(d->fwd[0].host_addr, 0x7f000001u);
    ck_assert_uint_eq(d->fwd[0].host_port, 2222);
    ck_assert_uint_eq(d->fwd[0].guest_addr, 0);
    ck_assert_uint_eq(d->fwd[0].guest_port, 22);
    /* -device before -netdev resolves at the end; net= moves the defaults. */
    ck_assert_int_eq(parse(&o, "-device virtio-net-pci,netdev=n1,mac=02:00:00:00:00:09 "
                               "-netdev user,id=n1,net=192.168.7.0/24"), 0);
    ck_assert_int_eq(o.net.nics[0].model, NIC_VIRTIO_NET);
    ck_assert_int_eq(o.net.nics[0].netdev, 0);
    ck_assert_uint_eq(o.net.nics[0].mac[5], 9);
    ck_assert_uint_eq(o.net.netdevs[0].host, 0xc0a80702u);
    ck_assert_uint_eq(o.net.netdevs[0].dhcp_start, 0xc0a8070fu);
    /* Refused: status 2. */
    ck_assert_int_eq(parse(&o, "-nic user,model=ne2k_pci"), 2);
    ck_assert_int_eq(parse(&o, "-netdev user,id=a,hostfwd=tcp::22"), 2);
    ck_assert_int_eq(parse(&o, "-device e1000,netdev=missing"), 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("options");
    tcase_add_test(tc, test_defaults_are_deterministic);
    tcase_add_test(tc, test_network_options);
    tcase_add_test(tc, test_icount);
    tcase_add_test(tc, test_pc_testdev);
    tcase_add_test(tc, test_rtc_base);
    tcase_add_test(tc, test_bad_values_exit_2);
    tcase_add_test(tc, test_idle_policy);
    tcase_add_test(tc, test_accel_tcg_tb_size);
    tcase_add_test(tc, test_drive_devices_and_bootindex);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
