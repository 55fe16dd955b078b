/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_oom.c - allocation failure injection, as SQLite does it.
 *
 * This program is linked with -Wl,--wrap=malloc,--wrap=calloc,
 * --wrap=realloc,--wrap=strdup,--wrap=strndup,--wrap=free (Makefile.am), so
 * every call to those functions from libqkmsim's object files (and from
 * this file) goes to the __wrap_ functions below. Calls made inside the
 * shared libraries (libxml2, igraph, HDF5, GSL, libc itself) are resolved
 * at run time and are NOT redirected: their own out-of-memory paths are
 * not exercised here (docs/reliability.md).
 *
 * For N = 1, 2, ...: the Nth allocation fails, and a whole pass (load a
 * scenario with an override, build the world, run it to the end writing
 * its trace, destroy it, free the scenario) must
 *   - fail with SIM_ERR_RUN and a message containing "out of memory",
 *   - leave no file at the output path and no "<out>.partial",
 *   - free every block our code allocated (the wrappers keep a table of
 *     the live ones; a block still live after the pass is a leak, reported
 *     with the address of the code that allocated it).
 * The loop ends with the first N the pass does not reach: that pass must
 * succeed and leave a complete trace. Every allocation of the pass was
 * then failed once. Every injected failure must be SIM_ERR_RUN: the XML
 * parser's own allocations are not injected, so no injected failure can
 * happen "inside the parser" and be reported as bad input.
 *
 * Usage: test_oom [SCENARIO...]; without arguments, the two small
 * scenarios below (one with relayed ETSI 014 additional slaves) and a few
 * bundled scenarios cut to a few seconds.
 */
#define _GNU_SOURCE   /* dladdr */

#include <stdbool.h>
#include <dlfcn.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/world.h"
#include "sim/scenario.h"

/* ------------------------------------------------------------ the wrappers */

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void __real_free(void *p);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
void __wrap_free(void *p);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

/* The live blocks our code allocated: open addressing, deletions leave
 * tombstones; cleared between passes. A test program may keep globals. */
enum { LIVE_CAP = 1 << 17 };
#define TOMB ((void *)1)

typedef struct live {
    void *p;
    void *caller;
} live_t;

static struct {
    uint64_t count;       /* allocations attempted in this pass */
    uint64_t fail_at;     /* 0: never fail */
    bool hit;             /* the failure was injected */
    bool tracking;
    bool overflow;        /* the table filled up: leak check impossible */
    size_t nlive, used;
    live_t *table;
} oom;

static size_t live_hash(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x & (LIVE_CAP - 1);
}

static void live_add(void *p, void *caller)
{
    if (!oom.tracking || p == NULL)
        return;
    if (oom.used >= LIVE_CAP / 2) {
        oom.overflow = true;
        return;
    }
    size_t i = live_hash(p);
    while (oom.table[i].p != NULL && oom.table[i].p != TOMB)
        i = (i + 1) & (LIVE_CAP - 1);
    if (oom.table[i].p == NULL)
        oom.used++;
    oom.table[i] = (live_t){ p, caller };
    oom.nlive++;
}

/* Whether p was ours (and forgets it). */
static bool live_remove(void *p)
{
    if (!oom.tracking || p == NULL)
        return false;
    for (size_t i = live_hash(p); oom.table[i].p != NULL; i = (i + 1) & (LIVE_CAP - 1)) {
        if (oom.table[i].p == p) {
            oom.table[i].p = TOMB;
            oom.nlive--;
            return true;
        }
    }
    return false;
}

/* Counts an allocation; true when this one must fail. */
static bool oom_fails(void)
{
    oom.count++;
    if (oom.fail_at != 0 && oom.count == oom.fail_at) {
        oom.hit = true;
        return true;
    }
    return false;
}

void *__wrap_malloc(size_t size)
{
    if (oom_fails())
        return NULL;
    void *p = __real_malloc(size);
    live_add(p, __builtin_return_address(0));
    return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
    if (oom_fails())
        return NULL;
    void *p = __real_calloc(n, size);
    live_add(p, __builtin_return_address(0));
    return p;
}

void *__wrap_realloc(void *p, size_t size)
{
    if (oom_fails())
        return NULL;   /* p is left as it was, as realloc does */
    bool ours = p == NULL || live_remove(p);
    void *q = __real_realloc(p, size);
    if (q == NULL && p != NULL && ours)
        live_add(p, __builtin_return_address(0));
    else if (ours)
        live_add(q, __builtin_return_address(0));
    return q;
}

void __wrap_free(void *p)
{
    live_remove(p);
    __real_free(p);
}

char *__wrap_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p;

    if (oom_fails())
        return NULL;
    if ((p = __real_malloc(len + 1)) == NULL)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    live_add(p, __builtin_return_address(0));
    return p;
}

char *__wrap_strdup(const char *s)
{
    size_t len = strlen(s);
    char *p;

    if (oom_fails())
        return NULL;
    if ((p = __real_malloc(len + 1)) == NULL)
        return NULL;
    memcpy(p, s, len + 1);
    live_add(p, __builtin_return_address(0));
    return p;
}

static void oom_arm(uint64_t fail_at)
{
    memset(oom.table, 0, LIVE_CAP * sizeof *oom.table);
    oom.count = 0;
    oom.fail_at = fail_at;
    oom.hit = false;
    oom.overflow = false;
    oom.nlive = oom.used = 0;
    oom.tracking = true;
}

static void oom_disarm(void)
{
    oom.fail_at = 0;
    oom.tracking = false;
}

/* ------------------------------------------------------------ one pass */

static int one_pass(const char *path, const char *const *ovs, size_t novs, const char *out,
                    sim_err_t *err)
{
    scn_t *scn = NULL;
    world_t *w = NULL;
    world_options_t opts = { 0 };
    int rc;

    if ((rc = scn_load(path, ovs, novs, &scn, err)) != SIM_OK ||
        (rc = world_build(scn, &opts, &w, err)) != SIM_OK)
        goto out;
    rc = world_run(w, out, NULL, err);
out:
    world_destroy(w);
    scn_free(scn);
    return rc;
}

/* The allocating code as "FILE+0xOFFSET", for addr2line -e FILE. */
static void print_caller(void *caller)
{
    Dl_info info;

    if (dladdr(caller, &info) != 0 && info.dli_fname != NULL)
        printf("    leaked block allocated at %s+%#lx\n", info.dli_fname,
               (unsigned long)((uintptr_t)caller - (uintptr_t)info.dli_fbase - 1));
    else
        printf("    leaked block allocated at %p\n", caller);
}

static bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* Fails every allocation of a pass over path in turn; returns the number
 * of problems found. */
static int oom_loop(const char *path, const char *const *ovs, size_t novs, const char *dir)
{
    char out[4096], partial[4200];
    int problems = 0;
    uint64_t n;

    snprintf(out, sizeof out, "%s/out.h5", dir);
    snprintf(partial, sizeof partial, "%s.partial", out);
    for (n = 1;; n++) {
        sim_err_t err = { 0 };
        oom_arm(n);
        int rc = one_pass(path, ovs, novs, out, &err);
        bool hit = oom.hit;
        uint64_t count = oom.count;
        oom_disarm();
        const char *why = NULL;

        if (oom.overflow)
            why = "too many live blocks to check for leaks";
        else if (oom.nlive > 0)
            why = "leaked memory";
        else if (hit && rc == SIM_OK)
            why = "succeeded although an allocation failed";
        else if (hit && rc != SIM_ERR_RUN)
            why = "exit code is not SIM_ERR_RUN";
        else if (hit && strstr(err.msg, "out of memory") == NULL)
            why = "message does not say 'out of memory'";
        else if (hit && exists(out))
            why = "left a file at the output path";
        else if (exists(partial))
            why = "left the .partial file";
        else if (!hit && rc != SIM_OK)
            why = "failed without an injected failure";
        else if (!hit && !exists(out))
            why = "succeeded without writing its output";
        if (why != NULL) {
            problems++;
            printf("FAIL %s: allocation %" PRIu64 " of %" PRIu64 " failed: %s (rc %d: %s)\n",
                   path, n, count, why, rc, err.msg);
            for (size_t i = 0, shown = 0; oom.nlive > 0 && i < LIVE_CAP && shown < 8; i++) {
                if (oom.table[i].p != NULL && oom.table[i].p != TOMB) {
                    print_caller(oom.table[i].caller);
                    shown++;
                }
            }
            if (problems >= 20) {
                printf("FAIL %s: giving up after %d problems\n", path, problems);
                break;
            }
        }
        remove(out);
        remove(partial);
        if (!hit)
            break;
    }
    printf("%s %s: %" PRIu64 " allocations, each failed once\n", problems ? "FAIL" : "ok", path,
           n - 1);
    return problems;
}

/* ------------------------------------------------------------ scenarios */

/* Two nodes, one link, one ETSI 014 pair, a few seconds. */
static const char small_xml[] =
    "<?xml version=\"1.0\"?>\n"
    "<scenario name=\"oom\" duration=\"4s\" seed=\"3\">\n"
    "  <nodes><node id=\"A\"/><node id=\"B\"/></nodes>\n"
    "  <links>\n"
    "    <link id=\"AB\" a=\"A\" b=\"B\" length=\"25km\">\n"
    "      <generation model=\"constant\" rate=\"10kbps\" block=\"1s\"/>\n"
    "      <store capacity=\"50Mb\" min=\"1Mb\" threshold=\"10Mb\" initial=\"5Mb\"/>\n"
    "    </link>\n"
    "  </links>\n"
    "  <apps>\n"
    "    <etsi014 id=\"vpn\" master=\"A\" slave=\"B\" size=\"256\" number=\"4\">\n"
    "      <arrivals process=\"poisson\" rate=\"8/s\"/>\n"
    "    </etsi014>\n"
    "  </apps>\n"
    "</scenario>\n";

/* An ETSI 014 pair with an additional slave two hops away (its keys go by
 * key relay, the slave waits for them), and a second one whose relay path
 * is starved (the slave's record stays held by a relay job). */
static const char relayed_xml[] =
    "<?xml version=\"1.0\"?>\n"
    "<scenario name=\"oom-relayed\" duration=\"3s\" seed=\"3\">\n"
    "  <nodes><node id=\"A\"/><node id=\"B\"/><node id=\"C\"/><node id=\"D\"/></nodes>\n"
    "  <links>\n"
    "    <link id=\"AB\" a=\"A\" b=\"B\" length=\"20km\">\n"
    "      <generation model=\"constant\" rate=\"10kbps\" block=\"1s\"/>\n"
    "      <store capacity=\"50Mb\" min=\"0b\" threshold=\"1Mb\" initial=\"5Mb\"/>\n"
    "    </link>\n"
    "    <link id=\"BC\" a=\"B\" b=\"C\" length=\"20km\">\n"
    "      <generation model=\"constant\" rate=\"10kbps\" block=\"1s\"/>\n"
    "      <store capacity=\"50Mb\" min=\"0b\" threshold=\"1Mb\" initial=\"5Mb\"/>\n"
    "    </link>\n"
    "    <link id=\"BD\" a=\"B\" b=\"D\">\n"
    "      <generation model=\"constant\" rate=\"1bps\" block=\"1s\"/>\n"
    "      <store capacity=\"1Mb\" min=\"0b\" threshold=\"1kb\" initial=\"0b\"/>\n"
    "    </link>\n"
    "  </links>\n"
    "  <apps>\n"
    "    <etsi014 id=\"vpn\" master=\"A\" slave=\"B\" max-sae-ids=\"2\" kme-delay=\"1ms\"\n"
    "             slave-delay=\"1ms\">\n"
    "      <arrivals process=\"periodic\" rate=\"4/s\"/>\n"
    "      <additional-slave node=\"C\"/>\n"
    "      <additional-slave node=\"D\"/>\n"
    "    </etsi014>\n"
    "  </apps>\n"
    "  <relay method=\"hop\" hop-delay=\"5ms\"/>\n"
    "</scenario>\n";

/* Writes text to path; false on failure (said on stdout). */
static bool write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
        printf("FAIL: cannot write %s\n", path);
        return false;
    }
    return true;
}

/* Bundled scenarios that reach other code (GraphML, the storage designs),
 * cut to a few seconds so that each pass stays short. */
static const char *const bundled[] = {
    "scenarios/graphml-ring.xml", "scenarios/q3p.xml", "scenarios/session-buffers.xml",
    "scenarios/collisions.xml",   "scenarios/links.xml", NULL,
};

int main(int argc, char **argv)
{
    const char *srcdir = getenv("SRCDIR");
    const char *const ovs[] = { "@duration=3s" };
    char dir[] = "/tmp/qkm-oom-XXXXXX";
    char path[4096];
    int problems = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if ((oom.table = __real_calloc(LIVE_CAP, sizeof *oom.table)) == NULL ||
        mkdtemp(dir) == NULL) {
        printf("FAIL: cannot set up\n");
        return 1;
    }
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            problems += oom_loop(argv[i], ovs, 1, dir);
    } else {
        snprintf(path, sizeof path, "%s/small.xml", dir);
        if (!write_file(path, small_xml))
            return 1;
        problems += oom_loop(path, ovs, 1, dir);
        remove(path);
        snprintf(path, sizeof path, "%s/relayed.xml", dir);
        if (!write_file(path, relayed_xml))
            return 1;
        problems += oom_loop(path, ovs, 1, dir);
        remove(path);
        for (size_t i = 0; srcdir != NULL && bundled[i] != NULL; i++) {
            snprintf(path, sizeof path, "%s/%s", srcdir, bundled[i]);
            problems += oom_loop(path, ovs, 1, dir);
        }
    }
    rmdir(dir);
    scn_library_cleanup();
    __real_free(oom.table);
    return problems > 0 ? 1 : 0;
}
