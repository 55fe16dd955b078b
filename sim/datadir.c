/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * datadir.c - the bundled scenario folder, finding and listing scenarios
 * (datadir.h).
 */
/* realpath() is an XSI function. */
#define _XOPEN_SOURCE 700

#include "sim/datadir.h"

#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/scenario.h"

/* Set by Makefile.am (AM_CPPFLAGS). */
#ifndef QKM_DATADIR
#error "QKM_DATADIR (the installed pkgdatadir) must be defined"
#endif
#if !defined QKM_SRCDIR || !defined QKM_BUILDDIR || !defined QKM_PREFIX || !defined QKM_BINDIR
#error "QKM_SRCDIR, QKM_BUILDDIR, QKM_PREFIX and QKM_BINDIR must be defined"
#endif

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* malloc'd "a" "b" "c"; NULL when out of memory. */
static char *cat3(const char *a, const char *b, const char *c)
{
    size_t len = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(len);
    if (s != NULL)
        snprintf(s, len, "%s%s%s", a, b, c);
    return s;
}

/* The running program's folder (resolved), malloc'd; NULL when it cannot
 * be told (no /proc) or out of memory. */
static char *exe_dir(void)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    char *slash;

    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    if ((slash = strrchr(buf, '/')) == NULL)
        return NULL;
    *slash = '\0';
    return strdup(buf[0] != '\0' ? buf : "/");
}

int sim_scenario_dir(char **dir, sim_err_t *err)
{
    char *exe = exe_dir(), *build = realpath(QKM_BUILDDIR, NULL);
    char *found = NULL;
    const size_t plen = strlen(QKM_PREFIX);

    if (exe != NULL && build != NULL && strcmp(exe, build) == 0) {
        found = strdup(QKM_SRCDIR "/scenarios");          /* uninstalled */
    } else {
        /* Installed. A tree moved away from its prefix (or staged under
         * DESTDIR) keeps bindir and pkgdatadir side by side: when bindir
         * is PREFIX/bin, pkgdatadir is found from the program's folder. */
        if (exe != NULL && strcmp(QKM_BINDIR, QKM_PREFIX "/bin") == 0 &&
            strncmp(QKM_DATADIR, QKM_PREFIX, plen) == 0) {
            char *rel = cat3(exe, "/..", QKM_DATADIR + plen);
            char *here = rel != NULL ? cat3(rel, "/scenarios", "") : NULL;
            free(rel);
            if (here != NULL && is_dir(here))
                found = realpath(here, NULL);     /* without the "bin/.." */
            free(here);
        }
        if (found == NULL)
            found = strdup(QKM_DATADIR "/scenarios");
    }
    free(exe);
    free(build);
    if (found == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    *dir = found;
    return SIM_OK;
}

int sim_find_scenario(const char *file, char **path, bool *bundled, sim_err_t *err)
{
    static const char *const suffix[] = { "", ".xml" };
    char *dir = NULL, *cand = NULL;
    int rc;

    *path = NULL;
    *bundled = false;
    if (strchr(file, '/') != NULL || file[0] == '\0' || access(file, F_OK) == 0) {
        if ((*path = strdup(file)) == NULL)
            return sim_err_set(err, SIM_ERR_RUN, "out of memory");
        return SIM_OK;
    }
    if ((rc = sim_scenario_dir(&dir, err)) != SIM_OK)
        goto out;
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        char *base = cat3(dir, "/", file);
        cand = base != NULL ? cat3(base, suffix[i], "") : NULL;
        free(base);
        if (cand == NULL) {
            rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
            goto out;
        }
        if (is_file(cand)) {
            *path = cand;
            *bundled = true;
            cand = NULL;
            goto out;
        }
        free(cand);
        cand = NULL;
    }
    rc = sim_err_set(err, SIM_ERR_INPUT,
                     "no file '%s' here, and no bundled scenario '%s' in %s (see qkmsim list)",
                     file, file, dir);
out:
    free(cand);
    free(dir);
    return rc;
}

char *sim_leading_comment_summary(const char *text, size_t len, size_t max)
{
    const char *p = text, *end = text + len, *c0, *c1;
    char *out;
    size_t n = 0;

    /* Skip the XML declaration and white space, then expect "<!--". */
    while (p < end && isspace((unsigned char)*p))
        p++;
    if (end - p >= 5 && strncmp(p, "<?xml", 5) == 0) {
        while (p + 1 < end && !(p[0] == '?' && p[1] == '>'))
            p++;
        p = p + 2 < end ? p + 2 : end;
    }
    while (p < end && isspace((unsigned char)*p))
        p++;
    if (end - p < 4 || strncmp(p, "<!--", 4) != 0)
        return strdup("");
    c0 = p + 4;
    for (c1 = c0; c1 + 2 < end && strncmp(c1, "-->", 3) != 0; c1++)
        ;
    if (max < 4)
        max = 4;
    if ((out = malloc(max + 1)) == NULL)
        return NULL;
    for (p = c0; p < c1; p++) {
        const char ch = *p;
        if (ch == '\n') {                       /* an empty line ends it */
            const char *q = p + 1;
            while (q < c1 && (*q == ' ' || *q == '\t' || *q == '\r'))
                q++;
            if (q < c1 && *q == '\n' && n > 0)
                break;
        }
        if (isspace((unsigned char)ch)) {
            if (n > 0 && out[n - 1] != ' ' && n < max)
                out[n++] = ' ';
            continue;
        }
        if (n == max) {                         /* too long: cut at a space */
            do {                                /* whole words, room for "..." */
                while (n > 0 && out[n - 1] != ' ')
                    n--;
                while (n > 0 && out[n - 1] == ' ')
                    n--;
            } while (n > 0 && n + 3 > max);
            if (n == 0)                         /* one long word: cut it */
                n = max - 3;
            memcpy(out + n, "...", 3);
            n += 3;
            goto done;
        }
        out[n++] = ch;
        if (ch == '.' && (p + 1 == c1 || isspace((unsigned char)p[1])))
            break;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
done:
    out[n] = '\0';
    return out;
}

static int bundled_cmp(const void *a, const void *b)
{
    return strcmp(((const sim_bundled_t *)a)->name, ((const sim_bundled_t *)b)->name);
}

static void bundled_fields_free(sim_bundled_t *b)
{
    free(b->name);
    free(b->path);
    free(b->title);
    free(b->summary);
    memset(b, 0, sizeof *b);
}

void sim_bundled_free(sim_bundled_t *list, size_t n)
{
    for (size_t i = 0; list != NULL && i < n; i++)
        bundled_fields_free(&list[i]);
    free(list);
}

/* Fills *b from the scenario file dir/fname; SIM_ERR_INPUT when it is not
 * a valid scenario (left out of the list), SIM_ERR_RUN when out of memory. */
static int bundled_read(const char *dir, const char *fname, sim_bundled_t *b, sim_err_t *err)
{
    scn_t *scn = NULL;
    const char *title;
    int rc;

    memset(b, 0, sizeof *b);
    if ((b->path = cat3(dir, "/", fname)) == NULL ||
        (b->name = strndup(fname, strlen(fname) - 4)) == NULL) {
        rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
        goto out;
    }
    if ((rc = scn_load(b->path, NULL, 0, &scn, err)) != SIM_OK)
        goto out;
    title = scn_attr(scn->root, "name");
    if ((b->title = strdup(title != NULL ? title : "")) == NULL ||
        (b->summary = sim_leading_comment_summary(scn->text, scn->text_len, 72)) == NULL)
        rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
out:
    scn_free(scn);
    if (rc != SIM_OK)
        bundled_fields_free(b);
    return rc;
}

int sim_list_bundled(const char *dir, sim_bundled_t **out, size_t *n, sim_err_t *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    sim_bundled_t *list = NULL;
    size_t count = 0, cap = 0;
    int rc = SIM_OK;

    *out = NULL;
    *n = 0;
    if (d == NULL)
        return sim_err_set(err, SIM_ERR_INPUT, "cannot read the scenario folder %s", dir);
    while ((e = readdir(d)) != NULL) {
        const size_t len = strlen(e->d_name);
        sim_err_t why = { 0 };
        if (len <= 4 || strcmp(e->d_name + len - 4, ".xml") != 0 || e->d_name[0] == '.')
            continue;
        if (count == cap) {
            size_t ncap = cap != 0 ? 2 * cap : 16;
            sim_bundled_t *grown = realloc(list, ncap * sizeof *grown);
            if (grown == NULL) {
                rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
                goto out;
            }
            list = grown;
            cap = ncap;
        }
        rc = bundled_read(dir, e->d_name, &list[count], &why);
        if (rc == SIM_ERR_RUN) {
            if (err != NULL)
                *err = why;
            goto out;
        }
        if (rc == SIM_OK)
            count++;
        rc = SIM_OK;                 /* not a valid scenario: left out */
    }
    if (count > 1)
        qsort(list, count, sizeof *list, bundled_cmp);
    *out = list;
    *n = count;
    list = NULL;
out:
    closedir(d);
    sim_bundled_free(list, count);
    return rc;
}
