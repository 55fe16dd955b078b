/*
 * commands.c - the QKD commands `model link-rate` and `summarize`
 * (commands.h).
 */
#include "models/commands.h"

#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/linkrate.h"
#include "models/summary.h"
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
const sim_command_t commands_qkd[] = {
    { "model", "link-rate the secret-key rate of a QKD link rate model", commands_model },
    { "summarize", "TRACE...  one row of figures per trace, to compare runs",
      commands_summarize },
    { NULL, NULL, NULL },
};
