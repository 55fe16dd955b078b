/*
 * main.c - the qkmsim command line. It parses arguments, calls the library
 * and maps its error codes to exit statuses: 0 success, 1 failure while
 * running, 2 bad input or usage. It is the only place that prints.
 */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/linkrate.h"
#include "models/summary.h"
#include "models/world.h"
#include "sim/bench.h"
#include "sim/kernel.h"
#include "sim/scenario.h"
#include "sim/units.h"

#define EXIT_USAGE 2

typedef struct cli {
    const char *file;
    const char *output;
    const char **overrides;
    size_t noverrides;
    world_options_t opts;
    bool quiet;
} cli_t;

static const char usage_main[] =
    "Usage: qkmsim COMMAND [OPTIONS]\n"
    "A discrete-event simulator of key management in QKD networks.\n"
    "\n"
    "Commands:\n"
    "  run FILE        run a scenario and write its HDF5 trace\n"
    "  validate FILE   check a scenario without running it\n"
    "  bench kernel    the event kernel's hold-model benchmark\n"
    "  model link-rate the secret-key rate of a QKD link rate model\n"
    "  summarize TRACE...  one row of figures per trace, to compare runs\n"
    "\n"
    "Options:\n"
    "  -h, --help      this help; `qkmsim COMMAND --help` for a command's\n"
    "  -V, --version   the version\n"
    "\n"
    "Exit status: 0 success, 1 failure while running, 2 bad input or usage.\n"
    "See qkmsim(1) and docs/user-guide.md.\n";

static const char usage_run[] =
    "Usage: qkmsim run FILE [-o OUT.h5] [--seed S] [--run R] [--until T]\n"
    "                       [-p NAME=VALUE ...] [--quiet]\n"
    "Runs the scenario FILE and writes its trace (HDF5, docs/trace-format.md).\n"
    "\n"
    "  -o, --output OUT.h5   the trace file (default: FILE's name with .h5, in\n"
    "                        the current folder); written as OUT.h5.partial and\n"
    "                        renamed when the run completed\n"
    "  -s, --seed S          the seed (default: the scenario's seed attribute, or 1)\n"
    "  -r, --run R           the replication number (default 0); streams derive\n"
    "                        from (seed, run, stream name)\n"
    "  -u, --until T         end time with a unit (e.g. 30min); replaces the\n"
    "                        scenario's duration\n"
    "  -p, --param NAME=VALUE  set an attribute: NAME is an XPath selecting\n"
    "                        attributes, absolute or relative to <scenario>, e.g.\n"
    "                        -p @duration=2h\n"
    "                        -p \"links/link[@id='AB']/store/@capacity=20Mb\"\n"
    "  -q, --quiet           print nothing but errors\n"
    "  -h, --help            this help\n";

static const char usage_validate[] =
    "Usage: qkmsim validate FILE [-p NAME=VALUE ...] [--quiet]\n"
    "Checks FILE against the schema and the models' rules without running it\n"
    "or writing anything. Exit status 0 when valid, 2 otherwise.\n"
    "\n"
    "  -p, --param NAME=VALUE  apply an override first (as for run)\n"
    "  -q, --quiet           print nothing but errors\n"
    "  -h, --help            this help\n";

static const char usage_bench[] =
    "Usage: qkmsim bench kernel [--pending N] [--events M] [--seed S] [--only SIDE]\n"
    "The hold model: N pending events; each handler schedules one successor at\n"
    "now + Exp(mean 1 s); stops after M handlers. Runs it on the kernel and on a\n"
    "bare 4-ary heap, alternately, twice each, keeps the best time of each and\n"
    "prints one line (ratio = kernel rate / bare rate):\n"
    "  kernel hold: pending=N events=M kernel_s=K rate=R ev/s bare_s=B bare_rate=R ev/s ratio=X\n"
    "\n"
    "  -n, --pending N   events in the future-event set (default 100000)\n"
    "  -m, --events M    handlers to execute (default 10000000)\n"
    "  -s, --seed S      seed of the exponential draws (default 1)\n"
    "  -o, --only SIDE   run one side once: kernel (prints kernel_s= and rate=) or\n"
    "                    bare (prints 'bare hold:', bare_s= and bare_rate=)\n"
    "  -h, --help        this help\n";

static const char usage_model[] =
    "Usage: qkmsim model link-rate --model NAME [--length L] [--param NAME=VALUE ...]\n"
    "Prints the secret-key rate of a QKD link rate model (docs/link-models.md): the\n"
    "model, the length and every parameter used, then the rate in bit/s alone on\n"
    "the last line.\n"
    "\n"
    "  -m, --model NAME        the rate model (below)\n"
    "  -l, --length L          fibre length with a unit (e.g. 25km); required by the\n"
    "                          models that compute the rate from it\n"
    "  -p, --param NAME=VALUE  a model parameter, written as the <generation>\n"
    "                          attribute of the same name (e.g. -p mu=0.5\n"
    "                          -p pulse-rate=2GHz); repeatable\n"
    "  -h, --help              this help\n";

static int cli_usage_error(const char *usage, const char *fmt, const char *arg)
{
    fprintf(stderr, "qkmsim: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage);
    return EXIT_USAGE;
}

static bool cli_parse_u64(const char *text, uint64_t *out)
{
    sim_err_t err;
    return units_parse_uint(text, out, &err) == SIM_OK;
}

/* Parses the options shared by run and validate. Returns -1 to go on, or
 * an exit status. */
static int cli_parse(int argc, char **argv, const char *usage, bool is_run, cli_t *c)
{
    static const struct option run_opts[] = {
        { "output", required_argument, NULL, 'o' }, { "seed", required_argument, NULL, 's' },
        { "run", required_argument, NULL, 'r' },    { "until", required_argument, NULL, 'u' },
        { "param", required_argument, NULL, 'p' },  { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
    };
    static const struct option validate_opts[] = {
        { "param", required_argument, NULL, 'p' }, { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 },
    };
    const struct option *longopts = is_run ? run_opts : validate_opts;
    int ch;
    sim_err_t err;

    c->overrides = calloc((size_t)argc, sizeof *c->overrides);
    if (c->overrides == NULL)
        return 1;
    optind = 1;
    while ((ch = getopt_long(argc, argv, is_run ? "o:s:r:u:p:qh" : "p:qh", longopts, NULL)) !=
           -1) {
        switch (ch) {
        case 'o': c->output = optarg; break;
        case 's':
            if (!cli_parse_u64(optarg, &c->opts.seed))
                return cli_usage_error(usage, "--seed: '%s' is not an unsigned integer", optarg);
            c->opts.has_seed = true;
            break;
        case 'r':
            if (!cli_parse_u64(optarg, &c->opts.run))
                return cli_usage_error(usage, "--run: '%s' is not an unsigned integer", optarg);
            break;
        case 'u':
            if (units_parse_time(optarg, &c->opts.until, &err) != SIM_OK)
                return cli_usage_error(usage, "--until: %s", err.msg);
            c->opts.has_until = true;
            break;
        case 'p': c->overrides[c->noverrides++] = optarg; break;
        case 'q': c->quiet = true; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1)
        return cli_usage_error(usage, "%s", optind >= argc ? "no scenario FILE given"
                                                           : "more than one FILE given");
    c->file = argv[optind];
    return -1;
}

/* "path/to/name.xml" -> "name.h5" */
static char *cli_default_output(const char *file)
{
    const char *base = strrchr(file, '/');
    size_t len;
    char *out;

    base = base != NULL ? base + 1 : file;
    len = strlen(base);
    if (len > 4 && strcmp(base + len - 4, ".xml") == 0)
        len -= 4;
    out = malloc(len + 4);
    if (out != NULL)
        snprintf(out, len + 4, "%.*s.h5", (int)len, base);
    return out;
}

static double cli_wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cli_simulate(int argc, char **argv, bool is_run)
{
    cli_t c = { 0 };
    scn_t *scn = NULL;
    world_t *world = NULL;
    world_report_t report;
    sim_err_t err = { 0 };
    char *output = NULL;
    double t0;
    int rc = cli_parse(argc, argv, is_run ? usage_run : usage_validate, is_run, &c);

    if (rc >= 0)
        goto out;
    if ((rc = scn_load(c.file, c.overrides, c.noverrides, &scn, &err)) != SIM_OK ||
        (rc = world_build(scn, &c.opts, &world, &err)) != SIM_OK)
        goto out;
    if (!is_run) {
        if (!c.quiet)
            printf("%s: valid\n", c.file);
        goto out;
    }
    output = c.output != NULL ? strdup(c.output) : cli_default_output(c.file);
    if (output == NULL) {
        rc = sim_err_set(&err, SIM_ERR_RUN, "out of memory");
        goto out;
    }
    t0 = cli_wall_seconds();
    if ((rc = world_run(world, output, &report, &err)) != SIM_OK)
        goto out;
    if (!c.quiet) {
        world_report_print(&report, stdout);
        printf("wrote %s (%.2f s wall)\n", output, cli_wall_seconds() - t0);
    }
out:
    if (rc != SIM_OK && err.msg[0] != '\0')
        fprintf(stderr, "qkmsim: %s\n", err.msg);
    world_destroy(world);
    scn_free(scn);
    free(output);
    free(c.overrides);
    return rc;
}

static int cli_bench(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "pending", required_argument, NULL, 'n' }, { "events", required_argument, NULL, 'm' },
        { "seed", required_argument, NULL, 's' },    { "only", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
    };
    uint64_t pending = 100000, events = 10000000, seed = 1;
    const char *only = NULL;
    sim_bench_result_t res;
    sim_bench_run_t one;
    int ch, brc;

    if (argc < 2 || strcmp(argv[1], "kernel") != 0) {
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            fputs(usage_bench, stdout);
            return 0;
        }
        return cli_usage_error(usage_bench, "bench: unknown benchmark '%s'",
                               argc >= 2 ? argv[1] : "");
    }
    optind = 1;
    while ((ch = getopt_long(argc - 1, argv + 1, "n:m:s:o:h", longopts, NULL)) != -1) {
        uint64_t *target = ch == 'n' ? &pending : ch == 'm' ? &events : &seed;
        if (ch == 'h') {
            fputs(usage_bench, stdout);
            return 0;
        }
        if (ch == '?') {
            fputs(usage_bench, stderr);
            return EXIT_USAGE;
        }
        if (ch == 'o') {
            if (strcmp(optarg, "kernel") != 0 && strcmp(optarg, "bare") != 0)
                return cli_usage_error(usage_bench, "bench: --only takes kernel or bare, not '%s'",
                                       optarg);
            only = optarg;
        } else if (!cli_parse_u64(optarg, target))
            return cli_usage_error(usage_bench, "bench: '%s' is not an unsigned integer",
                                   optarg);
    }
    if (optind != argc - 1)
        return cli_usage_error(usage_bench, "bench: unexpected argument '%s'", argv[optind + 1]);
    if (pending == 0)
        return cli_usage_error(usage_bench, "bench: --pending must be positive%s", "");
    if (only == NULL)
        brc = sim_bench_kernel((size_t)pending, events, seed, &res);
    else if (strcmp(only, "kernel") == 0)
        brc = sim_bench_hold_kernel((size_t)pending, events, seed, &one);
    else
        brc = sim_bench_hold_bare((size_t)pending, events, seed, &one);
    if (brc != 0) {
        fprintf(stderr, "qkmsim: bench: out of memory, or the kernel and the bare heap disagreed\n");
        return 1;
    }
    if (only == NULL)
        printf("kernel hold: pending=%" PRIu64 " events=%" PRIu64 " kernel_s=%.3f rate=%.0f ev/s"
               " bare_s=%.3f bare_rate=%.0f ev/s ratio=%.3f\n",
               pending, res.executed, res.kernel_s,
               res.kernel_s > 0 ? (double)res.executed / res.kernel_s : 0.0, res.bare_s,
               res.bare_s > 0 ? (double)res.executed / res.bare_s : 0.0,
               res.kernel_s > 0 ? res.bare_s / res.kernel_s : 0.0);
    else
        printf("%s hold: pending=%" PRIu64 " events=%" PRIu64 " %s_s=%.3f %s=%.0f ev/s\n", only,
               pending, one.executed, only, one.seconds,
               strcmp(only, "kernel") == 0 ? "rate" : "bare_rate",
               one.seconds > 0 ? (double)one.executed / one.seconds : 0.0);
    return 0;
}

/* The models and their parameters, from the table in models/linkrate.c. */
static void cli_model_list(FILE *out)
{
    fputs("\nModels and parameters (default):\n", out);
    for (size_t i = 0; linkrate_model_at(i) != NULL; i++) {
        const linkrate_model_t *m = linkrate_model_at(i);
        fprintf(out, "  %s: %s%s\n", m->name, m->title,
                m->needs_length ? "; needs --length" : "");
        for (size_t j = 0; j < m->nparams; j++) {
            const linkrate_param_t *p = &m->params[j];
            char def[64];
            if (p->optimised)
                snprintf(def, sizeof def, "optimised");
            else if (isnan(p->def))
                snprintf(def, sizeof def, "required");
            else
                snprintf(def, sizeof def, "%g%s%s", p->def, p->unit[0] ? " " : "", p->unit);
            fprintf(out, "    %-11s %s (%s)\n", p->name, p->what, def);
        }
    }
}

/* Prints what was used and the rate; the rate alone on the last line. */
static void cli_model_print(const linkrate_model_t *m, const double *given, const double *used,
                            double length_m, double rate)
{
    printf("model: %s (%s)\n", m->name, m->title);
    if (!isnan(length_m))
        printf("length: %g km\n", length_m / 1000.0);
    else
        printf("length: not given\n");
    for (size_t j = 0; j < m->nparams; j++) {
        const linkrate_param_t *p = &m->params[j];
        const bool defaulted = isnan(given[j]) || given[j] == p->def;
        printf("  %s = %.6g%s%s (%s)\n", p->name, used[j], p->unit[0] ? " " : "", p->unit,
               p->optimised && isnan(given[j]) ? "optimised"
               : defaulted                          ? "default"
                                                    : "given");
    }
    printf("secret-key rate (bit/s):\n%.10g\n", rate);
}

static int cli_model(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "model", required_argument, NULL, 'm' }, { "length", required_argument, NULL, 'l' },
        { "param", required_argument, NULL, 'p' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const linkrate_model_t *m = NULL;
    const char *model = NULL, *length = NULL;
    const char **params = NULL;
    size_t nparams = 0;
    double v[LINKRATE_MAX_PARAMS], used[LINKRATE_MAX_PARAMS], length_m = NAN, rate;
    char list[256];
    sim_err_t err = { 0 };
    int ch, rc = EXIT_USAGE;

    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage_model, stdout);
        cli_model_list(stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "link-rate") != 0)
        return cli_usage_error(usage_model, "model: unknown command '%s' (expected link-rate)",
                               argc >= 2 ? argv[1] : "");
    if ((params = calloc((size_t)argc, sizeof *params)) == NULL)
        return 1;
    optind = 1;
    while ((ch = getopt_long(argc - 1, argv + 1, "m:l:p:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'm': model = optarg; break;
        case 'l': length = optarg; break;
        case 'p': params[nparams++] = optarg; break;
        case 'h':
            fputs(usage_model, stdout);
            cli_model_list(stdout);
            rc = 0;
            goto out;
        default: fputs(usage_model, stderr); goto out;
        }
    }
    if (optind != argc - 1) {
        rc = cli_usage_error(usage_model, "model link-rate: unexpected argument '%s'",
                             argv[optind + 1]);
        goto out;
    }
    if (model == NULL) {
        rc = cli_usage_error(usage_model, "model link-rate: no --model given%s", "");
        goto out;
    }
    if ((m = linkrate_find(model)) == NULL) {
        sim_err_set(&err, SIM_ERR_INPUT, "model link-rate: unknown model '%s' (expected one of: %s)",
                    model, linkrate_names(list, sizeof list));
        goto out;
    }
    if (length != NULL && units_parse_length(length, &length_m, &err) != SIM_OK) {
        sim_err_prefix(&err, "model link-rate: --length");
        goto out;
    }
    linkrate_defaults(m, v);
    for (size_t i = 0; i < nparams; i++) {
        const char *eq = strchr(params[i], '=');
        char name[64];
        int j;
        if (eq == NULL || (size_t)(eq - params[i]) >= sizeof name) {
            sim_err_set(&err, SIM_ERR_INPUT, "model link-rate: --param '%s': expected NAME=VALUE",
                        params[i]);
            goto out;
        }
        snprintf(name, sizeof name, "%.*s", (int)(eq - params[i]), params[i]);
        if ((j = linkrate_param_index(m, name)) < 0) {
            sim_err_set(&err, SIM_ERR_INPUT,
                        "model link-rate: model '%s' has no parameter '%s' (its parameters: %s)",
                        m->name, name, linkrate_param_names(m, list, sizeof list));
            goto out;
        }
        if (linkrate_parse(m, (size_t)j, eq + 1, v, &err) != SIM_OK) {
            sim_err_prefix(&err, "model link-rate");
            goto out;
        }
    }
    if ((rc = linkrate_compute(m, v, length_m, used, &rate, &err)) != SIM_OK) {
        sim_err_prefix(&err, "model link-rate");
        goto out;
    }
    cli_model_print(m, v, used, length_m, rate);
out:
    if (rc != SIM_OK && err.msg[0] != '\0') {
        fprintf(stderr, "qkmsim: %s\n", err.msg);
        rc = err.code;
    }
    free(params);
    return rc;
}

static const char usage_summarize[] =
    "Usage: qkmsim summarize [--csv] TRACE.h5 [TRACE.h5 ...]\n"
    "Prints one row per trace: name (scenario name, or the file's), served\n"
    "requests (200), refused requests (400 + 503), mean latency (s), and the key\n"
    "wasted by key formats, expired and consumed internally (bits, summed over\n"
    "stores). See docs/storage-models.md.\n"
    "\n"
    "  -c, --csv    comma-separated values with a header line\n"
    "  -h, --help   this help\n";

static int cli_summarize(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "csv", no_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    summary_row_t *rows = NULL;
    size_t n = 0;
    bool csv = false;
    sim_err_t err = { 0 };
    int ch, rc = SIM_OK;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "ch", longopts, NULL)) != -1) {
        if (ch == 'h') {
            fputs(usage_summarize, stdout);
            return 0;
        }
        if (ch != 'c')
            return cli_usage_error(usage_summarize, "summarize: bad option%s", "");
        csv = true;
    }
    if (optind >= argc)
        return cli_usage_error(usage_summarize, "summarize: no TRACE given%s", "");
    if ((rows = calloc((size_t)(argc - optind), sizeof *rows)) == NULL)
        rc = sim_err_set(&err, SIM_ERR_RUN, "out of memory");
    for (int i = optind; i < argc && rc == SIM_OK; i++)
        if ((rc = summary_read(argv[i], &rows[n], &err)) == SIM_OK)
            n++;
    if (rc == SIM_OK)
        summary_print(rows, n, csv, stdout);
    else
        fprintf(stderr, "qkmsim: %s\n", err.msg);
    for (size_t i = 0; i < n; i++)
        summary_row_free(&rows[i]);
    free(rows);
    return rc;
}

int main(int argc, char **argv)
{
    int rc;

    if (argc < 2)
        return cli_usage_error(usage_main, "%s", "no command given");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "run") == 0)
        rc = cli_simulate(argc - 1, argv + 1, true);
    else if (strcmp(argv[1], "validate") == 0)
        rc = cli_simulate(argc - 1, argv + 1, false);
    else if (strcmp(argv[1], "bench") == 0)
        rc = cli_bench(argc - 1, argv + 1);
    else if (strcmp(argv[1], "model") == 0)
        rc = cli_model(argc - 1, argv + 1);
    else if (strcmp(argv[1], "summarize") == 0)
        rc = cli_summarize(argc - 1, argv + 1);
    else
        rc = cli_usage_error(usage_main, "unknown command '%s'", argv[1]);
    scn_library_cleanup();
    return rc;
}
