/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * commands.c - the QKD commands `model link-rate`, `summarize` and
 * `report` (commands.h).
 */
#include "models/commands.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "models/linkrate.h"
#include "models/summary.h"
#include "sim/trace.h"
#include "sim/units.h"

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


/* The models and their parameters, from the table in models/linkrate.c. */
static void commands_model_list(FILE *out)
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
static void commands_model_print(const linkrate_model_t *m, const double *given, const double *used,
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

static int commands_model(int argc, char **argv)
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
    int ch, rc = SIM_EXIT_USAGE;

    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage_model, stdout);
        commands_model_list(stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "link-rate") != 0)
        return sim_cli_usage_error(usage_model, "model: unknown command '%s' (expected link-rate)",
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
            commands_model_list(stdout);
            rc = 0;
            goto out;
        default: fputs(usage_model, stderr); goto out;
        }
    }
    if (optind != argc - 1) {
        rc = sim_cli_usage_error(usage_model, "model link-rate: unexpected argument '%s'",
                             argv[optind + 1]);
        goto out;
    }
    if (model == NULL) {
        rc = sim_cli_usage_error(usage_model, "model link-rate: no --model given%s", "");
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
    commands_model_print(m, v, used, length_m, rate);
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

static int commands_summarize(int argc, char **argv)
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
            return sim_cli_usage_error(usage_summarize, "summarize: bad option%s", "");
        csv = true;
    }
    if (optind >= argc)
        return sim_cli_usage_error(usage_summarize, "summarize: no TRACE given%s", "");
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
static const char usage_report[] =
    "Usage: qkmsim report TRACE.h5 [-o OUT.html] [--force]\n"
    "Writes one self-contained HTML page about a completed run: the scenario and\n"
    "its parameters, the topology, the key level of every store with its states,\n"
    "the request latencies and outcomes, the summary tables and the provenance\n"
    "(docs/user-guide.md). Images are inlined: the page needs no network.\n"
    "Runs analysis/report.py with /usr/bin/python3 (python3 from PATH when that\n"
    "is missing); the script is looked up in $QKMSIM_ANALYSIS, then in the\n"
    "folder 'analysis' next to the program, then in the installed data folder.\n"
    "\n"
    "  -o, --output OUT.html  the page (default: TRACE's name with .html, in the\n"
    "                         current folder)\n"
    "      --force            replace an existing OUT.html\n"
    "  -h, --help             this help\n"
    "\n"
    "Exit status: 0 written; 2 bad usage, a missing, unreadable or incomplete\n"
    "trace, or an existing OUT.html without --force; 1 any other failure (no\n"
    "Python, report.py not found or failed).\n";

/* Whether path names an existing regular file. */
static bool commands_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The path of analysis/report.py into buf (size n), or false when none of
 * the places exists: $QKMSIM_ANALYSIS, <folder of the program>/analysis
 * (its parent when the program lies in libtool's .libs), QKM_DATADIR. */
static bool commands_report_script(char *buf, size_t n)
{
    const char *env = getenv("QKMSIM_ANALYSIS");
    char exe[4096];
    ssize_t len;

    if (env != NULL && env[0] != '\0') {
        snprintf(buf, n, "%s/report.py", env);
        return commands_is_file(buf);
    }
    if ((len = readlink("/proc/self/exe", exe, sizeof exe - 1)) > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            if ((size_t)snprintf(buf, n, "%s/analysis/report.py", exe) < n &&
                commands_is_file(buf))
                return true;
            slash = strrchr(exe, '/');
            if (slash != NULL && strcmp(slash, "/.libs") == 0) {
                *slash = '\0';
                if ((size_t)snprintf(buf, n, "%s/analysis/report.py", exe) < n &&
                    commands_is_file(buf))
                    return true;
            }
        }
    }
    snprintf(buf, n, "%s/analysis/report.py", QKM_DATADIR);
    return commands_is_file(buf);
}

/* SIM_OK when path is a trace whose run completed, else SIM_ERR_INPUT
 * with a message. */
static int commands_report_check(const char *path, sim_err_t *err)
{
    trace_reader_t *r = trace_reader_open(path, err);
    int64_t completed = 0;
    int rc;

    if (r == NULL)
        return SIM_ERR_INPUT;
    rc = trace_read_attr_i64(r, "/metadata", "completed", &completed, err);
    trace_reader_close(r);
    if (rc != SIM_OK)
        return SIM_ERR_INPUT;
    if (completed != 1)
        return sim_err_set(err, SIM_ERR_INPUT,
                           "%s: the run did not complete (/metadata@completed is not 1)",
                           path);
    return SIM_OK;
}

static int commands_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'o' }, { "force", no_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
    };
    const char *trace = NULL, *output = NULL;
    char *fallback = NULL, script[4096];
    bool force = false;
    sim_err_t err = { 0 };
    int ch, status, rc = SIM_OK;
    pid_t pid;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "o:fh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'o': output = optarg; break;
        case 'f': force = true; break;
        case 'h': fputs(usage_report, stdout); return 0;
        default: fputs(usage_report, stderr); return SIM_EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return sim_cli_usage_error(usage_report, "report: no TRACE given%s", "");
    if (optind + 1 < argc)
        return sim_cli_usage_error(usage_report, "report: unexpected argument '%s'",
                                   argv[optind + 1]);
    trace = argv[optind];
    if (output == NULL) {
        /* TRACE's base name with .html, in the current folder. */
        const char *base = strrchr(trace, '/') ? strrchr(trace, '/') + 1 : trace;
        const char *dot = strrchr(base, '.');
        size_t stem = dot != NULL && dot != base ? (size_t)(dot - base) : strlen(base);
        if ((fallback = malloc(stem + sizeof ".html")) == NULL) {
            fputs("qkmsim: out of memory\n", stderr);
            return SIM_ERR_RUN;
        }
        memcpy(fallback, base, stem);
        strcpy(fallback + stem, ".html");
        output = fallback;
    }
    if (commands_report_check(trace, &err) != SIM_OK) {
        rc = SIM_ERR_INPUT;
        goto out;
    }
    if (!force && trace_output_exists(output)) {
        rc = sim_err_set(&err, SIM_ERR_INPUT, "output '%s' exists: give --force to replace it",
                         output);
        goto out;
    }
    if (!commands_report_script(script, sizeof script)) {
        rc = sim_err_set(&err, SIM_ERR_RUN,
                         "report: cannot find analysis/report.py (last tried '%s'; set "
                         "QKMSIM_ANALYSIS to the folder that holds it)", script);
        goto out;
    }
    fflush(NULL);
    if ((pid = fork()) < 0) {
        rc = sim_err_set(&err, SIM_ERR_RUN, "report: cannot start python3%s", "");
        goto out;
    }
    if (pid == 0) {
        char *args[] = { "python3", script, (char *)trace, "-o", (char *)output, NULL };
        if (access("/usr/bin/python3", X_OK) == 0)
            execv("/usr/bin/python3", args);
        execvp("python3", args);
        fprintf(stderr, "qkmsim: report: cannot run python3 (install python3, "
                        "python3-h5py, python3-matplotlib)\n");
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            rc = sim_err_set(&err, SIM_ERR_RUN, "report: waiting for python3: %s",
                             strerror(errno));
            goto out;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        rc = SIM_OK;
    else if (WIFEXITED(status) && WEXITSTATUS(status) == SIM_EXIT_USAGE)
        rc = SIM_EXIT_USAGE;
    else
        rc = SIM_ERR_RUN;
out:
    if (err.msg[0] != '\0')
        fprintf(stderr, "qkmsim: %s\n", err.msg);
    free(fallback);
    return rc;
}

const sim_command_t commands_qkd[] = {
    { "model", "link-rate the secret-key rate of a QKD link rate model", commands_model },
    { "summarize", "TRACE...  one row of figures per trace, to compare runs",
      commands_summarize },
    { "report", "TRACE    one self-contained HTML page about a run", commands_report },
    { NULL, NULL, NULL },
};
