/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cli.c - the generic command line (cli.h).
 */
#include "sim/cli.h"

#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "sim/bench.h"
#include "sim/datadir.h"
#include "sim/kernel.h"
#include "sim/scenario.h"
#include "sim/textio.h"
#include "sim/trace.h"
#include "sim/units.h"

typedef struct cli {
    const char *file;
    const char *output;
    const char **overrides;
    size_t noverrides;
    const char **outputs;      /* -O NAME=VALUE, --summary-only */
    size_t noutputs;
    sim_options_t opts;
    bool quiet;
    bool force;          /* run: replace an existing regular output */
} cli_t;

static const char usage_head[] =
    "Usage: qkmsim COMMAND [OPTIONS]\n"
    "A discrete-event simulator of key management in QKD networks.\n"
    "\n"
    "Commands:\n"
    "  run FILE        run a scenario and write its HDF5 trace (FILE may name a\n"
    "                  bundled scenario: `qkmsim run default`)\n"
    "  validate FILE   check a scenario without running it\n"
    "  list            the bundled scenarios, one line each\n"
    "  bench kernel    the event kernel's hold-model benchmark\n"
    "  sweep CMD SWEEP parameter sweeps: plan, run (local or SLURM), status, merge\n";

static const char usage_tail[] =
    "\n"
    "Options:\n"
    "  -h, --help      this help; `qkmsim COMMAND --help` for a command's\n"
    "  -V, --version   the version\n"
    "\n"
    "Exit status: 0 success, 1 failure while running, 2 bad input or usage.\n"
    "See qkmsim(1) and docs/user-guide.md.\n";

static const char usage_run[] =
    "Usage: qkmsim run FILE [-o OUT.h5] [--force] [--seed S] [--run R] [--until T]\n"
    "                       [-p NAME=VALUE ...] [-O NAME=VALUE ...] [--summary-only]\n"
    "                       [--eager-links]\n"
    "                       [--quiet]\n"
    "Runs the scenario FILE and writes its trace (HDF5, docs/trace-format.md).\n"
    "When FILE does not exist and has no '/', it names a bundled scenario\n"
    "(FILE or FILE.xml in the scenario folder; `qkmsim list`).\n"
    "\n"
    "  -o, --output OUT.h5   the trace file (default: FILE's name with .h5, in\n"
    "                        the current folder); written as OUT.h5.partial and\n"
    "                        renamed when the run completed. Refused: an OUT.h5\n"
    "                        that is FILE, or is not a regular file (directory,\n"
    "                        device, FIFO, symbolic link)\n"
    "      --force           replace an existing OUT.h5 (a regular file)\n"
    "  -s, --seed S          the seed (default: the scenario's seed attribute, or 1)\n"
    "  -r, --run R           the replication number (default 0); streams derive\n"
    "                        from (seed, run, stream name)\n"
    "  -u, --until T         end time with a unit (e.g. 30min); replaces the\n"
    "                        scenario's duration\n"
    "  -p, --param NAME=VALUE  set an attribute: NAME is an XPath selecting\n"
    "                        attributes, absolute or relative to <scenario>, e.g.\n"
    "                        -p @duration=2h\n"
    "                        -p \"links/link[@id='AB']/store/@capacity=20Mb\"\n"
    "  -O, --output-option NAME=VALUE  what the trace records, over the scenario's\n"
    "                        <trace>: levels, interval, requests, request-every,\n"
    "                        request-interval, blocks, summary-only, compress\n"
    "                        (docs/scenario-format.md)\n"
    "      --summary-only    no level, request, block or outage rows:\n"
    "                        -O summary-only=true\n"
    "      --eager-links     every block of every link a kernel event, even where\n"
    "                        nothing observes it: the same results with more\n"
    "                        events (links are lazy where they can be; docs/models.md)\n"
    "  -q, --quiet           print nothing but errors and warnings (the trace may\n"
    "                        not fit in the free space; an app is never served)\n"
    "  -h, --help            this help\n";

static const char usage_validate[] =
    "Usage: qkmsim validate FILE [-p NAME=VALUE ...] [-O NAME=VALUE ...] [--summary-only]\n"
    "                            [--quiet]\n"
    "Checks FILE against the schema and the models' rules without running it\n"
    "or writing anything, and prints an estimate of the run's events and trace\n"
    "size. Exit status 0 when valid, 2 otherwise. FILE may name a bundled\n"
    "scenario, as for run.\n"
    "\n"
    "  -p, --param NAME=VALUE  apply an override first (as for run)\n"
    "  -O, --output-option NAME=VALUE  check an output setting (as for run); the\n"
    "                        estimate follows it\n"
    "      --summary-only    -O summary-only=true (as for run)\n"
    "  -q, --quiet           print nothing but errors and warnings\n"
    "  -h, --help            this help\n";

static const char usage_list[] =
    "Usage: qkmsim list\n"
    "Lists the bundled scenarios, which run and validate find by NAME from any\n"
    "folder: the folder they are in, then one line each, NAME, the scenario's\n"
    "name attribute and the first sentence of its leading comment.\n"
    "\n"
    "  -h, --help        this help\n";

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


int sim_cli_usage_error(const char *usage, const char *fmt, const char *arg)
{
    fprintf(stderr, "qkmsim: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage);
    return SIM_EXIT_USAGE;
}

bool sim_cli_parse_u64(const char *text, uint64_t *out)
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
        { "output-option", required_argument, NULL, 'O' },
        { "summary-only", no_argument, NULL, 'S' },
        { "eager-links", no_argument, NULL, 'E' },
        { "force", no_argument, NULL, 'f' },        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const struct option validate_opts[] = {
        { "param", required_argument, NULL, 'p' }, { "quiet", no_argument, NULL, 'q' },
        { "output-option", required_argument, NULL, 'O' },
        { "summary-only", no_argument, NULL, 'S' },
        { "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 },
    };
    const struct option *longopts = is_run ? run_opts : validate_opts;
    int ch;
    sim_err_t err;

    c->overrides = calloc((size_t)argc, sizeof *c->overrides);
    c->outputs = calloc((size_t)argc, sizeof *c->outputs);
    if (c->overrides == NULL || c->outputs == NULL)
        return 1;
    optind = 1;
    while ((ch = getopt_long(argc, argv, is_run ? "o:s:r:u:p:O:qfh" : "p:O:qh", longopts,
                             NULL)) !=
           -1) {
        switch (ch) {
        case 'o': c->output = optarg; break;
        case 's':
            if (!sim_cli_parse_u64(optarg, &c->opts.seed))
                return sim_cli_usage_error(usage, "--seed: '%s' is not an unsigned integer", optarg);
            c->opts.has_seed = true;
            break;
        case 'r':
            if (!sim_cli_parse_u64(optarg, &c->opts.run))
                return sim_cli_usage_error(usage, "--run: '%s' is not an unsigned integer", optarg);
            break;
        case 'u':
            if (units_parse_time(optarg, &c->opts.until, &err) != SIM_OK)
                return sim_cli_usage_error(usage, "--until: %s", err.msg);
            c->opts.has_until = true;
            break;
        case 'p': c->overrides[c->noverrides++] = optarg; break;
        case 'O': c->outputs[c->noutputs++] = optarg; break;
        case 'S': c->outputs[c->noutputs++] = "summary-only=true"; break;
        case 'E': c->opts.eager_links = true; break;
        case 'q': c->quiet = true; break;
        case 'f': c->force = true; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return SIM_EXIT_USAGE;
        }
    }
    if (optind != argc - 1)
        return sim_cli_usage_error(usage, "%s", optind >= argc ? "no scenario FILE given"
                                                           : "more than one FILE given");
    c->file = argv[optind];
    c->opts.output = c->outputs;
    c->opts.noutput = c->noutputs;
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

/* The signal that asked the run to stop (SIGINT, SIGTERM), 0 before any.
 * Process-wide by nature: only this file and the kernel's read of the
 * flag (sim_set_interrupt) see it. */
static volatile sig_atomic_t cli_signal;

static void cli_on_signal(int sig)
{
    cli_signal = sig;
}

/* The first SIGINT or SIGTERM stops the run at the next event boundary;
 * a second one (SA_RESETHAND) ends the program at once, as usual. */
static void cli_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cli_on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

typedef struct cli_progress {
    double t0, last;   /* wall seconds: the start, the last line */
} cli_progress_t;

/* One line on a terminal, rewritten at most 5 times a second: simulated
 * time, share done, events per second, wall time left at this pace. */
static void cli_on_progress(void *ctx, int64_t now, int64_t end, uint64_t events)
{
    cli_progress_t *p = ctx;
    const double wall = textio_wall_seconds(), spent = wall - p->t0;
    const double share = end > 0 ? (double)now / (double)end : 1.0;
    char t[64], e[64];
    if (wall - p->last < 0.2 && now < end)
        return;
    p->last = wall;
    fprintf(stderr, "\r\033[Ksimulated %s of %s (%.0f %%), %.3g events/s",
            units_format_time(now, t, sizeof t), units_format_time(end, e, sizeof e),
            100.0 * share, spent > 0 ? (double)events / spent : 0.0);
    if (share > 0 && share < 1)
        fprintf(stderr, ", about %.0f s left", spent * (1 - share) / share);
    if (now >= end)
        fputs("\r\033[K", stderr);
    fflush(stderr);
}

/* The output a run would write, checked before any work: what it must
 * never replace, and an existing trace only with --force. */
static int cli_check_output(const cli_t *c, const char *output, sim_err_t *err)
{
    int rc = trace_output_check(output, c->file, err);
    if (rc == SIM_OK && !c->force && trace_output_exists(output))
        rc = sim_err_set(err, SIM_ERR_INPUT, "output '%s' exists: give --force to replace it",
                         output);
    return rc;
}

/* A count for people: whole below 10^9 (3 significant digits), else "1.2e+17". */
static const char *cli_about(double v, char *buf, size_t len)
{
    if (v < 1e9) {
        char digits[32];
        snprintf(digits, sizeof digits, "%.3g", v);
        snprintf(buf, len, "%.0f", strtod(digits, NULL));
    } else {
        snprintf(buf, len, "%.2g", v);
    }
    return buf;
}

/* Bytes in MB (10^6 bytes), 3 significant digits: "28.3", "0.512", "3.2e+12". */
static const char *cli_mb(double bytes, char *buf, size_t len)
{
    snprintf(buf, len, "%.3g", bytes / 1e6);
    return buf;
}

/* "estimate: about N events, about M MB of trace" (validate). */
static void cli_print_estimate(const sim_estimate_t *e, FILE *out)
{
    char events[32], mb[32];
    fprintf(out, "estimate: about %s events, about %s MB of trace\n",
            cli_about(e->events, events, sizeof events), cli_mb(e->bytes, mb, sizeof mb));
}

/* Bytes free for an unprivileged writer on the file system of `output`'s
 * folder; negative when that cannot be told. */
static double cli_free_bytes(const char *output)
{
    const char *slash = strrchr(output, '/');
    char *dir = slash == NULL ? strdup(".")
              : slash == output ? strdup("/") : strndup(output, (size_t)(slash - output));
    struct statvfs vfs;
    double free_bytes = -1;

    if (dir != NULL && statvfs(dir, &vfs) == 0)
        free_bytes = (double)vfs.f_bavail * (double)vfs.f_frsize;
    free(dir);
    return free_bytes;
}

/* Warnings of the build: on stderr, even with --quiet; the run goes on. */
static void cli_on_warning(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "qkmsim: warning: %s\n", msg);
}

/* Warns (and goes on) when the trace may not fit where it goes. A warning,
 * not an error: the estimate is rough, and space may be freed meanwhile. */
static void cli_warn_space(const sim_model_t *model, const void *inst, const char *output)
{
    sim_estimate_t e = { 0 };
    double free_bytes;
    char need[32], have[32], events[32];

    if (model->estimate == NULL)
        return;
    model->estimate(inst, &e);
    free_bytes = cli_free_bytes(output);
    if (free_bytes < 0 || e.bytes <= free_bytes)
        return;
    fprintf(stderr, "qkmsim: warning: the trace of this run may take about %s MB (about %s "
            "events), more than the %s MB free for '%s'; running anyway\n",
            cli_mb(e.bytes, need, sizeof need), cli_about(e.events, events, sizeof events),
            cli_mb(free_bytes, have, sizeof have), output);
}

static int cli_simulate(int argc, char **argv, const sim_model_t *model, bool is_run)
{
    cli_t c = { 0 };
    scn_t *scn = NULL;
    void *inst = NULL;
    sim_err_t err = { 0 };
    char *output = NULL, *found = NULL;
    bool bundled = false;
    double t0;
    int rc = cli_parse(argc, argv, is_run ? usage_run : usage_validate, is_run, &c);

    if (rc >= 0)
        goto out;
    if ((rc = sim_find_scenario(c.file, &found, &bundled, &err)) != SIM_OK)
        goto out;
    c.file = found;
    if (bundled && !c.quiet)
        printf("using the bundled scenario %s\n", c.file);
    if (is_run) {
        output = c.output != NULL ? strdup(c.output) : cli_default_output(c.file);
        if (output == NULL) {
            rc = sim_err_set(&err, SIM_ERR_RUN, "out of memory");
            goto out;
        }
        if ((rc = cli_check_output(&c, output, &err)) != SIM_OK)
            goto out;
    }
    cli_progress_t progress = { .t0 = textio_wall_seconds() };
    c.opts.interrupt = &cli_signal;
    c.opts.warn = cli_on_warning;
    if (is_run && !c.quiet && isatty(STDERR_FILENO)) {
        c.opts.progress = cli_on_progress;
        c.opts.progress_ctx = &progress;
    }
    if (is_run)
        cli_catch_signals();
    if ((rc = scn_load(c.file, c.overrides, c.noverrides, &scn, &err)) != SIM_OK ||
        (rc = model->build(scn, &c.opts, &inst, &err)) != SIM_OK)
        goto out;
    if (!is_run) {
        if (!c.quiet) {
            printf("%s: valid\n", c.file);
            if (model->estimate != NULL) {
                sim_estimate_t e = { 0 };
                model->estimate(inst, &e);
                cli_print_estimate(&e, stdout);
            }
        }
        goto out;
    }
    cli_warn_space(model, inst, output);
    t0 = textio_wall_seconds();
    if ((rc = model->run(inst, output, &err)) != SIM_OK)
        goto out;
    if (!c.quiet && isatty(STDERR_FILENO))
        fputs("\r\033[K", stderr);
    if (!c.quiet) {
        model->summarise(inst, stdout);
        printf("wrote %s (%.2f s wall)\n", output, textio_wall_seconds() - t0);
    }
out:
    if (rc != SIM_OK && err.msg[0] != '\0')
        fprintf(stderr, "qkmsim: %s\n", err.msg);
    model->destroy(inst);
    scn_free(scn);
    free(output);
    free(found);
    free(c.overrides);
    free(c.outputs);
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
        return sim_cli_usage_error(usage_bench, "bench: unknown benchmark '%s'",
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
            return SIM_EXIT_USAGE;
        }
        if (ch == 'o') {
            if (strcmp(optarg, "kernel") != 0 && strcmp(optarg, "bare") != 0)
                return sim_cli_usage_error(usage_bench, "bench: --only takes kernel or bare, not '%s'",
                                       optarg);
            only = optarg;
        } else if (!sim_cli_parse_u64(optarg, target))
            return sim_cli_usage_error(usage_bench, "bench: '%s' is not an unsigned integer",
                                   optarg);
    }
    if (optind != argc - 1)
        return sim_cli_usage_error(usage_bench, "bench: unexpected argument '%s'", argv[optind + 1]);
    if (pending == 0)
        return sim_cli_usage_error(usage_bench, "bench: --pending must be positive%s", "");
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

static int cli_list(int argc, char **argv)
{
    sim_bundled_t *list = NULL;
    size_t n = 0;
    char *dir = NULL;
    sim_err_t err = { 0 };
    int rc;

    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage_list, stdout);
        return 0;
    }
    if (argc != 1)
        return sim_cli_usage_error(usage_list, "list: unexpected argument '%s'", argv[1]);
    if ((rc = sim_scenario_dir(&dir, &err)) != SIM_OK ||
        (rc = sim_list_bundled(dir, &list, &n, &err)) != SIM_OK)
        goto out;
    printf("Bundled scenarios in %s (qkmsim run NAME):\n", dir);
    for (size_t i = 0; i < n; i++)
        printf("  %-18s %s: %s\n", list[i].name, list[i].title, list[i].summary);
out:
    if (rc != SIM_OK)
        fprintf(stderr, "qkmsim: %s\n", err.msg);
    sim_bundled_free(list, n);
    free(dir);
    return rc;
}

static void cli_usage_main(const sim_command_t *commands, FILE *out)
{
    fputs(usage_head, out);
    for (size_t i = 0; commands != NULL && commands[i].name != NULL; i++)
        fprintf(out, "  %s %s\n", commands[i].name, commands[i].synopsis);
    fputs(usage_tail, out);
}

static int cli_dispatch(int argc, char **argv, const sim_model_t *model,
                        const sim_command_t *commands)
{
    if (strcmp(argv[1], "run") == 0)
        return cli_simulate(argc - 1, argv + 1, model, true);
    if (strcmp(argv[1], "validate") == 0)
        return cli_simulate(argc - 1, argv + 1, model, false);
    if (strcmp(argv[1], "bench") == 0)
        return cli_bench(argc - 1, argv + 1);
    if (strcmp(argv[1], "list") == 0)
        return cli_list(argc - 1, argv + 1);
    if (strcmp(argv[1], "sweep") == 0)
        return sim_cli_sweep(argc - 1, argv + 1, model);
    for (size_t i = 0; commands != NULL && commands[i].name != NULL; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].main(argc - 1, argv + 1);
    fprintf(stderr, "qkmsim: unknown command '%s'\n", argv[1]);
    cli_usage_main(commands, stderr);
    return SIM_EXIT_USAGE;
}

int sim_cli_main(int argc, char **argv, const sim_model_t *model,
                 const sim_command_t *commands)
{
    int rc;

    if (argc < 2) {
        fprintf(stderr, "qkmsim: no command given\n");
        cli_usage_main(commands, stderr);
        return SIM_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        cli_usage_main(commands, stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        /* GNU coding standards, "--version": name and version, then
         * copyright and licence. */
        printf("%s %s\n"
               "Copyright (C) 2026 the qkmsim authors.\n"
               "License GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>.\n"
               "This is free software: you are free to change and redistribute it.\n"
               "There is NO WARRANTY, to the extent permitted by law.\n",
               PACKAGE_NAME, PACKAGE_VERSION);
        return 0;
    }
    rc = cli_dispatch(argc, argv, model, commands);
    scn_library_cleanup();
    trace_library_cleanup();
    return rc;
}
