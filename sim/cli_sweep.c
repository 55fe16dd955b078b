/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cli_sweep.c - `qkmsim sweep plan|run|status|merge|task` (docs/sweeps.md).
 */
#include "sim/cli.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/sweep.h"

static const char usage_sweep[] =
    "Usage: qkmsim sweep plan   SWEEP [-d DIR]\n"
    "       qkmsim sweep run    SWEEP [-d DIR] [-j N] [--resume] [--quiet]\n"
    "                               [--executor local|slurm] [--partition P]\n"
    "                               [--max-parallel K] [--runs-per-task B]\n"
    "       qkmsim sweep status SWEEP [-d DIR]\n"
    "       qkmsim sweep merge  SWEEP [-d DIR]\n"
    "       qkmsim sweep task   SWEEP -d DIR --task T [--runs-per-task B]\n"
    "Parameter sweeps with replications (docs/sweeps.md). SWEEP is a sweep file;\n"
    "its runs, markers and results go to DIR (default NAME.sweep, NAME the\n"
    "sweep's name).\n"
    "\n"
    "  plan     print the run table (index, point, replication, seed, run,\n"
    "           parameters) and write DIR/manifest.tsv\n"
    "  run      run every run: here, N at once (-j, default the number of CPUs),\n"
    "           with progress on a terminal; or as one SLURM job array\n"
    "           (--executor slurm; sbatch --array, %K cap from --max-parallel,\n"
    "           B runs per array task)\n"
    "  status   done / failed / pending runs, from the markers\n"
    "  merge    DIR/results.csv, DIR/points.csv and DIR/results.h5: one row per\n"
    "           done run, and per parameter point the mean, sd and 95 % CI\n"
    "  task     run array task T's runs (what the SLURM job script calls)\n"
    "\n"
    "  -d, --dir DIR           the sweep's folder\n"
    "  -j, --jobs N            runs at once (local executor)\n"
    "  -r, --resume            run only the runs without a done marker\n"
    "  -e, --executor NAME     local (default) or slurm\n"
    "  -P, --partition P       SLURM partition (default: the cluster's)\n"
    "  -K, --max-parallel K    at most K array tasks at once (SLURM)\n"
    "  -B, --runs-per-task B   runs per array task (default 1)\n"
    "  -t, --task T            the array task (sweep task)\n"
    "  -q, --quiet             no progress\n"
    "  -h, --help              this help\n"
    "Exit status: 0 success, 1 some runs failed or a failure, 2 bad input or usage.\n";

typedef struct cli_sweep {
    const char *cmd, *file, *dir, *executor, *partition;
    uint64_t jobs, max_parallel, runs_per_task, task;
    bool resume, quiet, has_task;
} cli_sweep_t;

/* -1 to go on, or the usage error's exit status. */
static int cli_sweep_number(const char *text, uint64_t *out)
{
    if (!sim_cli_parse_u64(text, out))
        return sim_cli_usage_error(usage_sweep, "sweep: '%s' is not an unsigned integer", text);
    return -1;
}

/* Returns -1 to go on, or an exit status. */
static int cli_sweep_parse(int argc, char **argv, cli_sweep_t *c)
{
    static const struct option longopts[] = {
        { "dir", required_argument, NULL, 'd' },
        { "jobs", required_argument, NULL, 'j' },
        { "resume", no_argument, NULL, 'r' },
        { "executor", required_argument, NULL, 'e' },
        { "partition", required_argument, NULL, 'P' },
        { "max-parallel", required_argument, NULL, 'K' },
        { "runs-per-task", required_argument, NULL, 'B' },
        { "task", required_argument, NULL, 't' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int ch, rc = -1;
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    *c = (cli_sweep_t){ .executor = "local", .jobs = n > 0 ? (uint64_t)n : 1,
                        .runs_per_task = 1 };
    optind = 1;
    while (rc < 0 && (ch = getopt_long(argc, argv, "d:j:re:P:K:B:t:qh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'd': c->dir = optarg; break;
        case 'j': rc = cli_sweep_number(optarg, &c->jobs); break;
        case 'r': c->resume = true; break;
        case 'e': c->executor = optarg; break;
        case 'P': c->partition = optarg; break;
        case 'K': rc = cli_sweep_number(optarg, &c->max_parallel); break;
        case 'B': rc = cli_sweep_number(optarg, &c->runs_per_task); break;
        case 't': rc = cli_sweep_number(optarg, &c->task), c->has_task = true; break;
        case 'q': c->quiet = true; break;
        case 'h': fputs(usage_sweep, stdout); return 0;
        default: fputs(usage_sweep, stderr); return SIM_EXIT_USAGE;
        }
    }
    if (rc >= 0)
        return rc;
    if (optind + 2 != argc)
        return sim_cli_usage_error(usage_sweep, "sweep: %s",
                                   optind >= argc ? "no command given"
                                   : optind + 1 >= argc ? "no SWEEP file given"
                                                        : "more than one SWEEP file given");
    c->cmd = argv[optind];
    c->file = argv[optind + 1];
    if (c->jobs == 0 || c->runs_per_task == 0 || c->runs_per_task > 4096)
        return sim_cli_usage_error(usage_sweep, "sweep: %s",
                                   c->jobs == 0 ? "--jobs must be positive"
                                                : "--runs-per-task must be in 1..4096");
    if (strcmp(c->executor, "local") != 0 && strcmp(c->executor, "slurm") != 0)
        return sim_cli_usage_error(usage_sweep, "sweep: unknown executor '%s' (local or slurm)",
                                   c->executor);
    return -1;
}

static void cli_sweep_counts(const sweep_t *s, const sweep_counts_t *c)
{
    printf("sweep %s: %zu runs: %zu done, %zu failed, %zu pending (%s)\n", s->name, c->total,
           c->done, c->failed, c->pending, s->dir);
}

static int cli_sweep_run(const cli_sweep_t *c, sweep_t *s, const sim_model_t *model,
                         sim_err_t *err)
{
    sweep_counts_t counts;
    int rc;

    if ((rc = sweep_write_manifest(s, err)) != SIM_OK)
        return rc;
    if (strcmp(c->executor, "slurm") == 0) {
        char program[PATH_MAX], jobid[128];
        const sweep_slurm_opts_t o = { .partition = c->partition,
                                       .max_parallel = (unsigned)c->max_parallel,
                                       .runs_per_task = (unsigned)c->runs_per_task,
                                       .resume = c->resume, .program = program };
        ssize_t n = readlink("/proc/self/exe", program, sizeof program - 1);
        if (n <= 0)
            return sim_err_set(err, SIM_ERR_RUN, "cannot find this program's path");
        program[n] = '\0';
        if (!c->resume) {
            sweep_status(s, &counts);
            if (counts.done + counts.failed > 0)
                return sim_err_set(err, SIM_ERR_INPUT,
                                   "sweep %s: '%s' already holds results; continue with "
                                   "--resume, or choose another folder with -d",
                                   s->name, s->dir);
        }
        if ((rc = sweep_submit_slurm(s, &o, jobid, sizeof jobid, err)) != SIM_OK)
            return rc;
        printf("sweep %s: submitted job %s; `qkmsim sweep status %s` follows it\n", s->name,
               jobid, c->file);
        return SIM_OK;
    }
    const sweep_local_opts_t o = { .jobs = (unsigned)c->jobs, .resume = c->resume,
                                   .progress = c->quiet ? NULL : stderr,
                                   .tty = isatty(STDERR_FILENO) != 0 };
    rc = sweep_run_local(s, model, &o, &counts, err);
    if (rc != SIM_ERR_INPUT && !c->quiet) {
        sweep_status(s, &counts);
        cli_sweep_counts(s, &counts);
    }
    return rc;
}

static int cli_sweep_do(const cli_sweep_t *c, sweep_t *s, const sim_model_t *model,
                        sim_err_t *err)
{
    sweep_counts_t counts;
    size_t merged = 0;
    int rc;

    if (strcmp(c->cmd, "plan") == 0) {
        if ((rc = sweep_write_manifest(s, err)) == SIM_OK)
            sweep_print_plan(s, stdout);
        return rc;
    }
    if (strcmp(c->cmd, "run") == 0)
        return cli_sweep_run(c, s, model, err);
    if (strcmp(c->cmd, "status") == 0) {
        sweep_status(s, &counts);
        cli_sweep_counts(s, &counts);
        return SIM_OK;
    }
    if (strcmp(c->cmd, "merge") == 0) {
        if ((rc = sweep_merge(s, model->scalars, &merged, err)) != SIM_OK)
            return rc;
        sweep_status(s, &counts);
        printf("sweep %s: merged %zu of %zu runs into %s/results.csv, points.csv and "
               "results.h5\n", s->name, merged, counts.total, s->dir);
        return SIM_OK;
    }
    if (strcmp(c->cmd, "task") == 0) {
        if (!c->has_task || c->dir == NULL)
            return sim_err_set(err, SIM_ERR_INPUT, "sweep task: needs -d DIR and --task T");
        return sweep_run_task(s, model, (size_t)c->task, (unsigned)c->runs_per_task, &counts,
                              err);
    }
    return sim_err_set(err, SIM_ERR_INPUT,
                       "sweep: unknown command '%s' (plan, run, status, merge or task)", c->cmd);
}

int sim_cli_sweep(int argc, char **argv, const sim_model_t *model)
{
    cli_sweep_t c;
    sweep_t *s = NULL;
    sim_err_t err = { 0 };
    int rc = cli_sweep_parse(argc, argv, &c);

    if (rc >= 0)
        return rc;
    if ((rc = sweep_load(c.file, c.dir, &s, &err)) == SIM_OK)
        rc = cli_sweep_do(&c, s, model, &err);
    if (rc != SIM_OK && err.msg[0] != '\0')
        fprintf(stderr, "qkmsim: %s\n", err.msg);
    sweep_free(s);
    return rc;
}
