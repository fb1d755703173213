#include <stdio.h>

#include "frontend/machine.h"
#include "frontend/options.h"

int main(int argc, char **argv)
{
    static struct options opt;
    int r = options_parse(&opt, argc, argv);
    if (r == 1)
        return 0;
    if (r)
        return r;
    static struct machine m;
    if (machine_init(&m, &opt) < 0)
        return 1;
    int status = machine_run(&m);
    machine_destroy(&m);
    return status;
}
