/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sweep_exec.c - running a sweep's runs: one in this process, many in
 * forked processes (the local executor), or as a SLURM job array (sweep.h).
 *
 * The executors read the wall clock for progress and time estimates only;
 * a run itself never does.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "sim/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/scenario.h"
#include "sim/textio.h"

/* ------------------------------------------------------------ one run */

static void sweep_remove_run(const sweep_t *s, size_t index)
{
    static const char *const kinds[] = { "done", "failed", "h5", "h5.partial" };
    char p[4096];
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        sweep_path(s, index, kinds[i], p, sizeof p);
        remove(p);
    }
}

/* The .done marker, written to a temporary name and renamed: it exists
 * whole or not at all. */
static int sweep_mark_done(const sweep_t *s, size_t index, uint64_t run, sim_err_t *err)
{
    char p[4096], tmp[4200];
    FILE *f;

    sweep_path(s, index, "done", p, sizeof p);
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    if ((f = fopen(tmp, "w")) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "cannot create '%s': %s", tmp, strerror(errno));
    fprintf(f, "index\t%zu\nseed\t%" PRIu64 "\nrun\t%" PRIu64 "\n", index, s->seed, run);
    if (ferror(f) | (fclose(f) != 0) || rename(tmp, p) != 0) {
        remove(tmp);
        return sim_err_set(err, SIM_ERR_RUN, "cannot write '%s': %s", p, strerror(errno));
    }
    return SIM_OK;
}

int sweep_run_one(const sweep_t *s, const sim_model_t *model, size_t index, sim_err_t *err)
{
    char *ov[SWEEP_MAX_PARAMS] = { NULL };
    char out[4096];
    sweep_run_t r;
    scn_t *scn = NULL;
    void *inst = NULL;
    int rc = SIM_OK;

    sweep_run_at(s, index, &r);
    sweep_remove_run(s, index);
    for (size_t k = 0; k < s->nparams && rc == SIM_OK; k++) {
        size_t len = strlen(s->params[k].path) + strlen(r.values[k]) + 2;
        if ((ov[k] = malloc(len)) == NULL)
            rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
        else
            snprintf(ov[k], len, "%s=%s", s->params[k].path, r.values[k]);
    }
    const sim_options_t opts = { .has_seed = true, .seed = s->seed, .run = r.replication };
    sweep_path(s, index, "h5", out, sizeof out);
    if (rc != SIM_OK ||
        (rc = scn_load(s->scenario, (const char *const *)ov, s->nparams, &scn, err)) !=
            SIM_OK ||
        (rc = model->build(scn, &opts, &inst, err)) != SIM_OK ||
        (rc = model->run(inst, out, err)) != SIM_OK)
        goto out;
    rc = sweep_mark_done(s, index, r.replication, err);
out:
    model->destroy(inst);
    scn_free(scn);
    for (size_t k = 0; k < s->nparams; k++)
        free(ov[k]);
    return rc;
}

/* ------------------------------------------------------------ local executor */

typedef struct sweep_child {
    pid_t pid;
    size_t index;
} sweep_child_t;

/* In the child: stderr to the run's log, run, exit with the run's code. */
static void sweep_child(const sweep_t *s, const sim_model_t *model, size_t index)
{
    char log[4096];
    sim_err_t err = { 0 };
    int fd, rc;

    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sweep_path(s, index, "log", log, sizeof log);
    if ((fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0666)) >= 0) {
        dup2(fd, STDERR_FILENO);
        dup2(fd, STDOUT_FILENO);
        close(fd);
    }
    rc = sweep_run_one(s, model, index, &err);
    if (rc != SIM_OK)
        fprintf(stderr, "qkmsim: run %zu: %s\n", index, err.msg);
    fflush(NULL);
    _exit(rc);
}

/* Records why run `index` failed: its exit status and its log's last line. */
static void sweep_mark_failed(const sweep_t *s, size_t index, int status)
{
    char p[4096], line[1024] = "", last[1024] = "";
    FILE *f;

    sweep_path(s, index, "log", p, sizeof p);
    if ((f = fopen(p, "r")) != NULL) {
        while (fgets(line, sizeof line, f) != NULL)
            if (line[0] != '\n')
                memcpy(last, line, sizeof last);
        fclose(f);
    }
    sweep_path(s, index, "failed", p, sizeof p);
    if ((f = fopen(p, "w")) == NULL)
        return;
    if (WIFSIGNALED(status))
        fprintf(f, "killed by signal %d (%s)\n", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        fprintf(f, "exit status %d\n", WEXITSTATUS(status));
    if (last[0] != '\0')
        fprintf(f, "%s%s", last, last[strlen(last) - 1] == '\n' ? "" : "\n");
    fclose(f);
}

static void sweep_progress(const sweep_local_opts_t *o, const sweep_t *s,
                           const sweep_counts_t *c, size_t todo, double t0, bool last)
{
    const size_t finished = c->done + c->failed;
    double left = 0;
    if (o->progress == NULL || (!o->tty && !last))
        return;
    if (finished > 0 && finished < todo)
        left = (textio_wall_seconds() - t0) / (double)finished * (double)(todo - finished);
    fprintf(o->progress, "%ssweep %s: done %zu, failed %zu, running %zu, pending %zu of %zu",
            o->tty ? "\r\033[K" : "", s->name, c->done, c->failed, c->running, c->pending,
            c->total);
    if (!last && finished > 0)
        fprintf(o->progress, ", about %.0f s left", left);
    fputs(o->tty && !last ? "" : "\n", o->progress);
    fflush(o->progress);
}

/* The runs to do: `only`, or every run (without a .done marker when
 * resuming). A folder with results and no resume is an input error. */
static int sweep_todo(const sweep_t *s, const sweep_local_opts_t *o, size_t **todo, size_t *n,
                      sim_err_t *err)
{
    const size_t total = o->only != NULL ? o->n_only : sweep_count(s);
    *n = 0;
    if ((*todo = malloc((total + 1) * sizeof **todo)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    for (size_t i = 0; i < total; i++) {
        const size_t index = o->only != NULL ? o->only[i] : i;
        const bool done = sweep_is_done(s, index);
        if (!o->resume && (done || sweep_has_failed(s, index)))
            return sim_err_set(err, SIM_ERR_INPUT,
                               "sweep %s: '%s' already holds results (run %zu); continue "
                               "with --resume, or choose another folder with -d",
                               s->name, s->dir, index);
        if (!done)
            (*todo)[(*n)++] = index;
    }
    return SIM_OK;
}

/* Starts the next run in a free slot. */
static int sweep_spawn(const sweep_t *s, const sim_model_t *model, size_t index,
                       sweep_child_t *slot, sim_err_t *err)
{
    pid_t pid;
    fflush(NULL);
    if ((pid = fork()) < 0)
        return sim_err_set(err, SIM_ERR_RUN, "cannot start a run: %s", strerror(errno));
    if (pid == 0)
        sweep_child(s, model, index);
    *slot = (sweep_child_t){ .pid = pid, .index = index };
    return SIM_OK;
}

/* Waits for one child; counts it done or failed. */
static int sweep_reap(const sweep_t *s, sweep_child_t *kids, unsigned jobs, sweep_counts_t *c,
                      sim_err_t *err)
{
    int status = 0;
    pid_t pid;
    do
        pid = waitpid(-1, &status, 0);
    while (pid < 0 && errno == EINTR);
    if (pid < 0)
        return sim_err_set(err, SIM_ERR_RUN, "waiting for a run: %s", strerror(errno));
    for (unsigned k = 0; k < jobs; k++) {
        if (kids[k].pid != pid)
            continue;
        kids[k].pid = 0;
        c->running--;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && sweep_is_done(s, kids[k].index)) {
            c->done++;
        } else {
            sweep_mark_failed(s, kids[k].index, status);
            c->failed++;
        }
    }
    return SIM_OK;
}

int sweep_run_local(const sweep_t *s, const sim_model_t *model, const sweep_local_opts_t *o,
                    sweep_counts_t *c, sim_err_t *err)
{
    const unsigned jobs = o->jobs > 0 ? o->jobs : 1;
    sweep_child_t *kids = calloc(jobs, sizeof *kids);
    size_t *todo = NULL, n = 0, next = 0;
    const double t0 = textio_wall_seconds();
    int rc;

    *c = (sweep_counts_t){ 0 };
    if (kids == NULL) {
        rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
        goto out;
    }
    if ((rc = sweep_todo(s, o, &todo, &n, err)) != SIM_OK)
        goto out;
    *c = (sweep_counts_t){ .total = n, .pending = n };
    while ((next < n || c->running > 0) && rc == SIM_OK) {
        for (unsigned k = 0; k < jobs && next < n && rc == SIM_OK; k++) {
            if (kids[k].pid != 0)
                continue;
            if ((rc = sweep_spawn(s, model, todo[next], &kids[k], err)) == SIM_OK) {
                next++;
                c->running++;
                c->pending--;
            }
        }
        sweep_progress(o, s, c, n, t0, false);
        if (rc == SIM_OK && c->running > 0)
            rc = sweep_reap(s, kids, jobs, c, err);
    }
    while (c->running > 0 && sweep_reap(s, kids, jobs, c, NULL) == SIM_OK)
        ;
    sweep_progress(o, s, c, n, t0, true);
    if (rc == SIM_OK && c->failed > 0)
        rc = sim_err_set(err, SIM_ERR_RUN,
                         "sweep %s: %zu of %zu runs failed (reasons in %s/runs/*.failed)",
                         s->name, c->failed, n, s->dir);
out:
    free(todo);
    free(kids);
    return rc;
}

int sweep_run_task(const sweep_t *s, const sim_model_t *model, size_t task,
                   unsigned runs_per_task, sweep_counts_t *c, sim_err_t *err)
{
    size_t only[4096], n = 0;
    const size_t total = sweep_count(s), first = task * runs_per_task;
    sweep_local_opts_t o = { .jobs = 1, .resume = true, .only = only };

    if (runs_per_task == 0 || runs_per_task > 4096 || first >= total)
        return sim_err_set(err, SIM_ERR_INPUT, "sweep %s: task %zu has no runs", s->name, task);
    for (size_t i = first; i < total && i < first + runs_per_task; i++)
        only[n++] = i;
    o.n_only = n;
    return sweep_run_local(s, model, &o, c, err);
}

/* ------------------------------------------------------------ SLURM */

/* Appends "a-b" or "a" for the task range [a, b] to buf. */
static void sweep_append_range(char *buf, size_t len, size_t a, size_t b)
{
    size_t used = strlen(buf);
    if (a == b)
        snprintf(buf + used, len - used, "%s%zu", used > 0 ? "," : "", a);
    else
        snprintf(buf + used, len - used, "%s%zu-%zu", used > 0 ? "," : "", a, b);
}

/* "0-3,7,9-12": the tasks that hold a run to do. */
static int sweep_array_spec(const sweep_t *s, const sweep_slurm_opts_t *o, char **spec,
                            size_t *ntasks, sim_err_t *err)
{
    const size_t total = sweep_count(s), B = o->runs_per_task;
    const size_t tasks = (total + B - 1) / B, len = 24 * (tasks + 1);
    size_t start = SIZE_MAX;

    *ntasks = 0;
    if ((*spec = calloc(1, len)) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    for (size_t t = 0; t <= tasks; t++) {
        bool need = false;
        for (size_t i = t * B; t < tasks && i < total && i < (t + 1) * B && !need; i++)
            need = !o->resume || !sweep_is_done(s, i);
        if (need && start == SIZE_MAX)
            start = t;
        if (!need && start != SIZE_MAX) {
            sweep_append_range(*spec, len, start, t - 1);
            start = SIZE_MAX;
        }
        *ntasks += need;
    }
    return SIM_OK;
}

static int sweep_write_job(const sweep_t *s, const sweep_slurm_opts_t *o, const char *dir,
                           const char *file, char *job, size_t len, sim_err_t *err)
{
    FILE *f;
    snprintf(job, len, "%s/slurm", dir);
    if (mkdir(job, 0777) != 0 && errno != EEXIST)
        return sim_err_set(err, SIM_ERR_RUN, "cannot create '%s': %s", job, strerror(errno));
    snprintf(job, len, "%s/slurm/job.sh", dir);
    if ((f = fopen(job, "w")) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "cannot create '%s': %s", job, strerror(errno));
    fprintf(f, "#!/bin/sh\n# qkmsim sweep %s: one array task runs %u runs (docs/sweeps.md)\n"
               "#SBATCH --job-name=qkmsim-%s\n#SBATCH --output=%s/slurm/task-%%a.out\n"
               "exec '%s' sweep task '%s' -d '%s' --task \"$SLURM_ARRAY_TASK_ID\" "
               "--runs-per-task %u\n",
            s->name, o->runs_per_task, s->name, dir, o->program, file, dir, o->runs_per_task);
    if (ferror(f) | (fclose(f) != 0) || chmod(job, 0755) != 0)
        return sim_err_set(err, SIM_ERR_RUN, "cannot write '%s'", job);
    return SIM_OK;
}

/* Runs argv, its stdout into out (len bytes, NUL-terminated), its stderr
 * too; SIM_ERR_RUN with the output when it fails. */
static int sweep_capture(char *const argv[], char *out, size_t len, sim_err_t *err)
{
    int fds[2], status = 0;
    size_t used = 0;
    ssize_t k;
    pid_t pid;

    if (pipe(fds) != 0)
        return sim_err_set(err, SIM_ERR_RUN, "pipe: %s", strerror(errno));
    fflush(NULL);
    if ((pid = fork()) == 0) {
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    while (pid > 0 && (k = read(fds[0], out + used, len - 1 - used)) > 0)
        used += (size_t)k;
    out[used] = '\0';
    close(fds[0]);
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        return sim_err_set(err, SIM_ERR_RUN, "%s failed: %s", argv[0],
                           used > 0 ? out : "no output");
    return SIM_OK;
}

int sweep_submit_slurm(const sweep_t *s, const sweep_slurm_opts_t *o, char *jobid, size_t len,
                       sim_err_t *err)
{
    char dir[PATH_MAX], file[PATH_MAX], job[PATH_MAX + 32], array[64], part[300], out[4096];
    char *spec = NULL, *arg_array = NULL;
    size_t ntasks = 0;
    int rc;

    if (realpath(s->dir, dir) == NULL || realpath(s->file, file) == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "cannot resolve '%s': %s", s->dir, strerror(errno));
    if (strchr(dir, '\'') != NULL || strchr(file, '\'') != NULL ||
        strchr(o->program, '\'') != NULL)
        return sim_err_set(err, SIM_ERR_INPUT, "paths with a quote (') cannot go into a job script");
    if ((rc = sweep_array_spec(s, o, &spec, &ntasks, err)) != SIM_OK)
        goto out;
    if (ntasks == 0) {
        snprintf(jobid, len, "none (every run is done)");
        goto out;
    }
    if ((rc = sweep_write_job(s, o, dir, file, job, sizeof job, err)) != SIM_OK)
        goto out;
    if (o->max_parallel > 0)
        snprintf(array, sizeof array, "%%%u", o->max_parallel);
    else
        array[0] = '\0';
    if ((arg_array = malloc(strlen(spec) + strlen(array) + 16)) == NULL) {
        rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
        goto out;
    }
    sprintf(arg_array, "--array=%s%s", spec, array);
    snprintf(part, sizeof part, "--partition=%s", o->partition != NULL ? o->partition : "");
    {
        char *argv[] = { "sbatch", "--parsable", arg_array, o->partition != NULL ? part : job,
                         o->partition != NULL ? job : NULL, NULL };
        if ((rc = sweep_capture(argv, out, sizeof out, err)) != SIM_OK)
            goto out;
    }
    out[strcspn(out, ";\n")] = '\0';
    snprintf(jobid, len, "%s", out);
out:
    free(arg_array);
    free(spec);
    return rc;
}
