/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_scenario.c - the scenario loader: the tree and the typed readers of
 * a valid scenario, schema and XML errors with their file and line,
 * overrides, and the compiled-in schema.
 *
 * Every scenario is written to a temporary file (mkstemp) and removed once
 * loaded. Expected line numbers are found in the scenario text itself
 * (line_of), not copied from the loader's output.
 */
#define _POSIX_C_SOURCE 200809L

#include <CUnit/Basic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/scenario.h"

static const char base[] =
    "<?xml version=\"1.0\"?>\n"
    "<!-- a small valid scenario -->\n"
    "<scenario name=\"two-sites\" duration=\"1h\" seed=\"7\">\n"
    "  <description>Two sites, two links.</description>\n"
    "  <nodes>\n"
    "    <node id=\"A\" x=\"0\" y=\"1.5\"/>\n"
    "    <node id=\"  B \"/>\n"
    "  </nodes>\n"
    "  <links>\n"
    "    <link id=\"AB\" a=\"A\" b=\"B\" length=\"25km\">\n"
    "      <generation model=\"constant\" rate=\"10kbps\" block=\"250ms\"/>\n"
    "      <store capacity=\"50Mb\" min=\"1Mb\" threshold=\"10Mb\" initial=\"5Mb\"/>\n"
    "    </link>\n"
    "    <link id=\"BA\" a=\"B\" b=\"A\">\n"
    "      <generation rate=\"1kbps\"/>\n"
    "      <store capacity=\"1Gib\"/>\n"
    "    </link>\n"
    "  </links>\n"
    "  <apps>\n"
    "    <etsi014 id=\"vpn\" master=\"A\" slave=\"B\" size=\"256\" number=\"4\">\n"
    "      <arrivals process=\"poisson\" rate=\"10/s\"/>\n"
    "    </etsi014>\n"
    "  </apps>\n"
    "  <trace levels=\"sampled\" interval=\"1s\"/>\n"
    "</scenario>\n";

/* ------------------------------------------------------------ helpers */

/* 1-based line of the first occurrence of needle in text (0 if absent). */
static long line_of(const char *text, const char *needle)
{
    const char *at = strstr(text, needle);
    long line = 1;

    if (at == NULL)
        return 0;
    for (const char *p = text; p < at; p++)
        line += *p == '\n';
    return line;
}

/* text with the first `old` replaced by `new` (malloc'd). */
static char *replace(const char *text, const char *old, const char *new)
{
    const char *at = strstr(text, old);
    size_t head, len;
    char *out;

    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    head = (size_t)(at - text);
    len = strlen(text) - strlen(old) + strlen(new);
    out = malloc(len + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    memcpy(out, text, head);
    strcpy(out + head, new);
    strcat(out, at + strlen(old));
    return out;
}

/* Writes text to a new file made from template (which ends in XXXXXX). */
static void write_temp(const char *text, char *path)
{
    int fd = mkstemp(path);
    size_t len = strlen(text);

    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(write(fd, text, len) == (ssize_t)len);
    close(fd);
}

/* Loads text from a temporary file, which it removes; path gets its name. */
static int load_text(const char *text, const char *const *ov, size_t nov, scn_t **scn,
                     sim_err_t *err, char path[64])
{
    int rc;

    strcpy(path, "/tmp/qkmsim-test-XXXXXX");
    write_temp(text, path);
    rc = scn_load(path, ov, nov, scn, err);
    unlink(path);
    return rc;
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Loading text fails as bad input, the message starts with "FILE:LINE: "
 * for the line where `at` is, and contains `what`. */
static void fails_at(const char *text, const char *const *ov, size_t nov, const char *at,
                     const char *what)
{
    static scn_t sentinel;
    sim_err_t err = { 0 };
    scn_t *scn = &sentinel;   /* scn_load must set it to NULL on failure */
    char path[64], prefix[128];
    int rc = load_text(text, ov, nov, &scn, &err, path);

    snprintf(prefix, sizeof prefix, "%s:%ld: ", path, line_of(text, at));
    CU_ASSERT_NOT_EQUAL(line_of(text, at), 0);
    CU_ASSERT_EQUAL(rc, SIM_ERR_INPUT);
    CU_ASSERT_EQUAL(err.code, SIM_ERR_INPUT);
    CU_ASSERT_PTR_NULL(scn);
    CU_ASSERT(starts_with(err.msg, prefix));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, what));
    if (!starts_with(err.msg, prefix) || strstr(err.msg, what) == NULL)
        fprintf(stderr, "\n  got '%s'\n  want prefix '%s' and '%s'\n", err.msg, prefix, what);
}

/* Loads base with overrides; the caller frees *scn. */
static scn_t *load_base(const char *const *ov, size_t nov, char path[64])
{
    sim_err_t err = { 0 };
    scn_t *scn = NULL;
    int rc = load_text(base, ov, nov, &scn, &err, path);

    CU_ASSERT_EQUAL(rc, SIM_OK);
    if (rc != SIM_OK)
        fprintf(stderr, "\n  load failed: %s\n", err.msg);
    return scn;
}

static const scn_elem_t *link_by_id(const scn_t *scn, const char *id)
{
    const scn_elem_t *links = scn_child(scn->root, "links");

    for (const scn_elem_t *l = scn_child(links, "link"); l != NULL;
         l = scn_next_sibling(l, "link")) {
        if (strcmp(scn_attr(l, "id"), id) == 0)
            return l;
    }
    return NULL;
}

/* ------------------------------------------------------------ the tree */

static void test_load_tree(void)
{
    char path[64];
    scn_t *scn = load_base(NULL, 0, path);
    const scn_elem_t *nodes, *a, *b, *ab, *ba, *gen;

    CU_ASSERT_PTR_NOT_NULL_FATAL(scn);
    CU_ASSERT_STRING_EQUAL(scn->path, path);
    CU_ASSERT_STRING_EQUAL(scn->dir, "/tmp");
    CU_ASSERT_EQUAL(scn->text_len, strlen(base));
    CU_ASSERT_STRING_EQUAL(scn->text, base);
    CU_ASSERT_EQUAL(scn->noverrides, 0);

    CU_ASSERT_STRING_EQUAL(scn->root->name, "scenario");
    CU_ASSERT_PTR_NULL(scn->root->parent);
    CU_ASSERT_PTR_NULL(scn->root->next);
    CU_ASSERT_EQUAL(scn->root->line, line_of(base, "<scenario"));
    CU_ASSERT_STRING_EQUAL(scn->root->file, path);

    /* element children only, in document order; comments and text skipped */
    CU_ASSERT_STRING_EQUAL(scn->root->first_child->name, "description");
    CU_ASSERT_EQUAL(scn->root->first_child->nattrs, 0);
    CU_ASSERT_PTR_NULL(scn->root->first_child->first_child);
    nodes = scn_child(scn->root, "nodes");
    CU_ASSERT_PTR_NOT_NULL_FATAL(nodes);
    CU_ASSERT_PTR_EQUAL(nodes->parent, scn->root);
    CU_ASSERT_EQUAL(scn_count_children(nodes, "node"), 2);
    CU_ASSERT_EQUAL(scn_count_children(scn->root, "links"), 1);
    CU_ASSERT_EQUAL(scn_count_children(scn->root, "nothing"), 0);
    CU_ASSERT_PTR_NULL(scn_child(scn->root, "nothing"));
    a = scn_child(nodes, "node");
    b = scn_next_sibling(a, "node");
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_PTR_NULL(scn_next_sibling(b, "node"));
    CU_ASSERT_EQUAL(a->line, line_of(base, "<node id=\"A\""));
    CU_ASSERT_EQUAL(b->line, line_of(base, "<node id=\"  B"));
    CU_ASSERT_STRING_EQUAL(scn_attr(a, "id"), "A");
    CU_ASSERT_STRING_EQUAL(scn_attr(b, "id"), "B");   /* collapsed, as xs:token */
    CU_ASSERT_PTR_NULL(scn_attr(b, "x"));

    ab = link_by_id(scn, "AB");
    ba = link_by_id(scn, "BA");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ab);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ba);
    CU_ASSERT_PTR_EQUAL(scn_next_sibling(ab, "link"), ba);
    CU_ASSERT_EQUAL(ab->nattrs, 4);
    CU_ASSERT_STRING_EQUAL(ab->keys[0], "id");
    CU_ASSERT_STRING_EQUAL(ab->keys[1], "a");
    CU_ASSERT_STRING_EQUAL(ab->keys[2], "b");
    CU_ASSERT_STRING_EQUAL(ab->keys[3], "length");
    CU_ASSERT_STRING_EQUAL(ab->values[3], "25km");
    gen = scn_child(ab, "generation");
    CU_ASSERT_PTR_EQUAL(gen->parent, ab);
    CU_ASSERT_STRING_EQUAL(gen->next->name, "store");
    CU_ASSERT_EQUAL(gen->line, line_of(base, "<generation model"));
    scn_free(scn);
}

static void test_typed_readers(void)
{
    static const char *const models[] = { "constant", "decoy-bb84", "exp-loss", NULL };
    static const char *const levels[] = { "on-change", "sampled", "off", NULL };
    char path[64];
    scn_t *scn = load_base(NULL, 0, path);
    sim_err_t err = { 0 };
    const scn_elem_t *ab, *ba, *arr, *node;
    int64_t ns = 0;
    uint64_t u = 0;
    double x = 0;
    int idx = -1;
    const char *s = NULL;

    CU_ASSERT_PTR_NOT_NULL_FATAL(scn);
    ab = link_by_id(scn, "AB");
    ba = link_by_id(scn, "BA");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ab);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ba);

    CU_ASSERT_EQUAL(scn_attr_time(scn->root, "duration", true, &ns, &err), SIM_OK);
    CU_ASSERT_EQUAL(ns, INT64_C(3600000000000));
    CU_ASSERT_EQUAL(scn_attr_uint(scn->root, "seed", true, &u, &err), SIM_OK);
    CU_ASSERT_EQUAL(u, 7);
    CU_ASSERT_EQUAL(scn_attr_string(scn->root, "name", true, &s, &err), SIM_OK);
    CU_ASSERT_STRING_EQUAL(s, "two-sites");
    node = scn_child(scn_child(scn->root, "nodes"), "node");
    CU_ASSERT_EQUAL(scn_attr_double(node, "y", false, &x, &err), SIM_OK);
    CU_ASSERT_DOUBLE_EQUAL(x, 1.5, 0.0);
    CU_ASSERT_EQUAL(scn_attr_length(ab, "length", false, &x, &err), SIM_OK);
    CU_ASSERT_DOUBLE_EQUAL(x, 25000.0, 0.0);
    CU_ASSERT_EQUAL(scn_attr_rate(scn_child(ab, "generation"), "rate", true, &x, &err), SIM_OK);
    CU_ASSERT_DOUBLE_EQUAL(x, 10000.0, 0.0);
    CU_ASSERT_EQUAL(scn_attr_time(scn_child(ab, "generation"), "block", false, &ns, &err),
                    SIM_OK);
    CU_ASSERT_EQUAL(ns, 250000000);
    CU_ASSERT_EQUAL(scn_attr_enum(scn_child(ab, "generation"), "model", false, models, &idx,
                                  &err), SIM_OK);
    CU_ASSERT_EQUAL(idx, 0);
    CU_ASSERT_EQUAL(scn_attr_bits(scn_child(ab, "store"), "capacity", false, &u, &err), SIM_OK);
    CU_ASSERT_EQUAL(u, 50000000);
    CU_ASSERT_EQUAL(scn_attr_bits(scn_child(ba, "store"), "capacity", false, &u, &err), SIM_OK);
    CU_ASSERT_EQUAL(u, UINT64_C(1073741824));
    arr = scn_child(scn_child(scn_child(scn->root, "apps"), "etsi014"), "arrivals");
    CU_ASSERT_EQUAL(scn_attr_frequency(arr, "rate", true, &x, &err), SIM_OK);
    CU_ASSERT_DOUBLE_EQUAL(x, 10.0, 0.0);
    CU_ASSERT_EQUAL(scn_attr_enum(scn_child(scn->root, "trace"), "levels", false, levels, &idx,
                                  &err), SIM_OK);
    CU_ASSERT_EQUAL(idx, 1);

    /* absent and optional: the caller's default stays */
    ns = 123;
    CU_ASSERT_EQUAL(scn_attr_time(scn_child(ba, "generation"), "delay", false, &ns, &err),
                    SIM_OK);
    CU_ASSERT_EQUAL(ns, 123);
    s = "default";
    CU_ASSERT_EQUAL(scn_attr_string(ba, "length", false, &s, &err), SIM_OK);
    CU_ASSERT_STRING_EQUAL(s, "default");
    idx = 2;
    CU_ASSERT_EQUAL(scn_attr_enum(scn_child(ba, "generation"), "model", false, models, &idx,
                                  &err), SIM_OK);
    CU_ASSERT_EQUAL(idx, 2);
    scn_free(scn);
}

static void test_reader_errors(void)
{
    static const char *const ov[] = { "//link[@id='AB']/store/@capacity=10Kb" };
    static const char *const two[] = { "on-change", "off", NULL };
    char path[64], want[512];
    scn_t *scn = load_base(ov, 1, path);   /* the schema takes any token */
    sim_err_t err = { 0 };
    const scn_elem_t *ab, *trace;
    uint64_t u = 99;
    double x = 5.0;
    int idx = 7;

    CU_ASSERT_PTR_NOT_NULL_FATAL(scn);
    ab = link_by_id(scn, "AB");
    trace = scn_child(scn->root, "trace");

    CU_ASSERT_EQUAL(scn_attr_bits(scn_child(ab, "store"), "capacity", false, &u, &err),
                    SIM_ERR_INPUT);
    CU_ASSERT_EQUAL(u, 99);
    snprintf(want, sizeof want,
             "%s:%ld: <store>: attribute 'capacity': unknown unit 'Kb' in '10Kb' (expected one "
             "of: b, kb, Mb, Gb, Tb, B, kB, MB, GB, Kib, Mib, Gib)",
             path, line_of(base, "<store capacity=\"50Mb\""));
    CU_ASSERT_STRING_EQUAL(err.msg, want);

    CU_ASSERT_EQUAL(scn_attr_rate(trace, "rate", true, &x, &err), SIM_ERR_INPUT);
    CU_ASSERT_DOUBLE_EQUAL(x, 5.0, 0.0);
    snprintf(want, sizeof want, "%s:%ld: <trace>: missing required attribute 'rate'", path,
             line_of(base, "<trace"));
    CU_ASSERT_STRING_EQUAL(err.msg, want);

    /* an element with an id is named with it */
    CU_ASSERT_EQUAL(scn_attr_length(ab, "nothing", true, &x, &err), SIM_ERR_INPUT);
    snprintf(want, sizeof want, "%s:%ld: <link id=\"AB\">: missing required attribute 'nothing'",
             path, line_of(base, "<link id=\"AB\""));
    CU_ASSERT_STRING_EQUAL(err.msg, want);

    CU_ASSERT_EQUAL(scn_attr_enum(trace, "levels", true, two, &idx, &err), SIM_ERR_INPUT);
    CU_ASSERT_EQUAL(idx, 7);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "attribute 'levels': 'sampled' is not one of: "
                                           "on-change, off"));
    CU_ASSERT_EQUAL(scn_attr_uint(scn->root, "name", true, &u, &err), SIM_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "<scenario>: attribute 'name': 'two-sites' does not "
                                           "start with a number"));

    /* scn_error may be given the message it replaces (models add context) */
    CU_ASSERT_EQUAL(scn_error(trace, &err, "%s", err.msg), SIM_ERR_INPUT);
    snprintf(want, sizeof want, "%s:%ld: <trace>: %s:%ld: <scenario>: attribute 'name'", path,
             line_of(base, "<trace"), path, line_of(base, "<scenario"));
    CU_ASSERT(starts_with(err.msg, want));
    CU_ASSERT_EQUAL(scn_error(ab, &err, "bad %d", 42), SIM_ERR_INPUT);
    snprintf(want, sizeof want, "%s:%ld: <link id=\"AB\">: bad 42", path,
             line_of(base, "<link id=\"AB\""));
    CU_ASSERT_STRING_EQUAL(err.msg, want);
    CU_ASSERT_EQUAL(scn_error(ab, NULL, "no message wanted"), SIM_ERR_INPUT);
    scn_free(scn);
}

/* ------------------------------------------------------------ errors */

static void test_schema_errors(void)
{
    char *t;

    t = replace(base, "  <trace ", "  <bogus/>\n  <trace ");
    fails_at(t, NULL, 0, "<bogus", "<bogus>: This element is not expected");
    free(t);

    t = replace(base, "block=\"250ms\"", "block=\"250ms\" colour=\"red\"");
    fails_at(t, NULL, 0, "colour=", "<generation>: attribute 'colour'");
    free(t);

    t = replace(base, "<link id=\"AB\" a=\"A\" b=\"B\"", "<link id=\"AB\" b=\"B\"");
    fails_at(t, NULL, 0, "<link id=\"AB\"", "<link id=\"AB\">: The attribute 'a' is required");
    free(t);

    /* a start tag on several lines is reported where it begins */
    t = replace(base, "<link id=\"AB\" a=\"A\" b=\"B\" length=\"25km\">",
                "<link id=\"AB\"\n          b=\"B\"\n          length=\"25km\">");
    fails_at(t, NULL, 0, "<link id=\"AB\"", "<link id=\"AB\">: The attribute 'a' is required");
    free(t);

    t = replace(base, " duration=\"1h\"", "");
    fails_at(t, NULL, 0, "<scenario", "The attribute 'duration' is required");
    free(t);

    /* the duplicate is reported where the second one is */
    t = replace(base, "<node id=\"  B \"/>", "<node id=\"A\"/>");
    fails_at(t, NULL, 0, "<node id=\"A\"/>", "Duplicate key-sequence ['A']");
    free(t);

    t = replace(base, "<link id=\"BA\"", "<link id=\"AB\"");
    fails_at(t, NULL, 0, "<link id=\"AB\" a=\"B\"", "unique-link-id");
    free(t);

    t = replace(base, "process=\"poisson\"", "process=\"bursty\"");
    fails_at(t, NULL, 0, "process=", "'bursty'");
    free(t);

    /* elements out of order */
    t = replace(base, "  <description>Two sites, two links.</description>\n", "");
    char *t2 = replace(t, "  </apps>\n", "  </apps>\n  <description>late</description>\n");
    fails_at(t2, NULL, 0, "<description>", "<description>: This element is not expected");
    free(t2);
    free(t);

    /* the scenario has no namespace */
    t = replace(base, "<scenario ", "<scenario xmlns=\"urn:qkmsim:scenario:1\" ");
    fails_at(t, NULL, 0, "<scenario", "No matching global declaration");
    free(t);

    /* only <scenario> is a document */
    fails_at("<node id=\"A\"/>\n", NULL, 0, "<node", "No matching global declaration");
}

static void test_xml_errors(void)
{
    char *t;

    t = replace(base, "    </etsi014>", "    </etsi0x4>");
    fails_at(t, NULL, 0, "</etsi0x4>", "mismatch");
    free(t);

    t = replace(base, "rate=\"10/s\"", "rate=\"10/s & more\"");
    fails_at(t, NULL, 0, "& more", "");
    free(t);

    /* cut short: reported where the text ends */
    fails_at("<scenario name=\"x\" duration=\"1h\">\n  <nodes>", NULL, 0, "<nodes",
             "Premature end of data");

    /* entities need a DOCTYPE, which is refused */
    fails_at("<?xml version=\"1.0\"?>\n<!DOCTYPE scenario [ <!ENTITY e \"x\"> ]>\n"
             "<scenario name=\"&e;\" duration=\"1h\"/>\n",
             NULL, 0, "<!DOCTYPE", "DOCTYPE declarations are not allowed");

    /* past line 65535 (XML_PARSE_BIG_LINES) */
    size_t pad = 70000;
    char *big = malloc(sizeof base + pad + 16);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    const char *cut = strstr(base, "  <trace ");
    memcpy(big, base, (size_t)(cut - base));
    memset(big + (cut - base), '\n', pad);
    strcpy(big + (cut - base) + pad, "  <bogus/>\n");
    strcat(big, cut);
    CU_ASSERT(line_of(big, "<bogus") > 65535);
    fails_at(big, NULL, 0, "<bogus", "<bogus>");
    free(big);
}

/* Calls scn_load_text on text with stderr sent to a file; returns its
 * code and sets *printed to whether anything was written there. */
static int load_quietly(const char *text, bool *printed, sim_err_t *err)
{
    char path[] = "/tmp/qkmsim-stderr-XXXXXX";
    int fd = mkstemp(path), saved = dup(2), rc;
    scn_t *scn = NULL;
    struct stat st;

    CU_ASSERT_FATAL(fd >= 0 && saved >= 0);
    fflush(stderr);
    dup2(fd, 2);
    rc = scn_load_text("enc.xml", text, strlen(text), NULL, 0, &scn, err);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    CU_ASSERT_FATAL(fstat(fd, &st) == 0);
    *printed = st.st_size > 0;
    close(fd);
    unlink(path);
    scn_free(scn);
    return rc;
}

/* Errors of the encoding conversion have no parser context: libxml2 sends
 * them to its global handler, which printed them (found by fuzzing).
 * They are now reported like the others, and nothing is printed. */
static void test_encoding_errors(void)
{
    sim_err_t err = { 0 };
    bool printed = true;

    CU_ASSERT_EQUAL(load_quietly("<?xml version=\"1.0\" encoding=\"EUC-JP\"?>\n"
                                 "<scenario name=\"\x8c\x8e=\" duration=\"1h\"/>\n",
                                 &printed, &err),
                    SIM_ERR_INPUT);
    CU_ASSERT_FALSE(printed);
    CU_ASSERT(starts_with(err.msg, "enc.xml:1: "));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "input conversion failed"));

    CU_ASSERT_EQUAL(load_quietly("<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<scenario/>\n",
                                 &printed, &err),
                    SIM_ERR_INPUT);
    CU_ASSERT_FALSE(printed);
    CU_ASSERT(starts_with(err.msg, "enc.xml:1: "));
}

static void test_unreadable(void)
{
    sim_err_t err = { 0 };
    scn_t *scn = NULL;

    CU_ASSERT_EQUAL(scn_load("/nonexistent/qkmsim/x.xml", NULL, 0, &scn, &err), SIM_ERR_INPUT);
    CU_ASSERT_PTR_NULL(scn);
    CU_ASSERT(starts_with(err.msg, "/nonexistent/qkmsim/x.xml: "));
}

static void test_dir(void)
{
    char path[] = "qkmsim-test-XXXXXX";   /* in the working folder */
    sim_err_t err = { 0 };
    scn_t *scn = NULL;
    int rc;

    write_temp(base, path);
    rc = scn_load(path, NULL, 0, &scn, &err);
    unlink(path);
    CU_ASSERT_EQUAL_FATAL(rc, SIM_OK);
    CU_ASSERT_STRING_EQUAL(scn->dir, ".");
    scn_free(scn);
}

/* ------------------------------------------------------------ overrides */

static void test_overrides(void)
{
    static const char *const ov[] = {
        "/scenario/@duration=2h",                              /* absolute */
        "links/link[@id='AB']/generation/@rate=2kbps",         /* relative to the root */
        "//link[@id=\"BA\"]/generation/@delay=5ms",            /* created */
        "//etsi014[@id='vpn' and @number='4']/arrivals/@rate=1/min",   /* '=' in [...] */
        "@seed=3",
        "@seed=4",                                             /* in order: the last wins */
        "//store/@initial=0",             /* created on BA's store, replaced on AB's */
        "@name=a \"b\" & <c>",                                 /* stored as text */
    };
    const size_t n = sizeof ov / sizeof ov[0];
    char path[64];
    scn_t *scn = load_base(ov, n, path);
    sim_err_t err = { 0 };
    const scn_elem_t *ab, *ba;
    int64_t ns = 0;
    uint64_t u = 1;
    double x = 0;
    const char *s = NULL;

    CU_ASSERT_PTR_NOT_NULL_FATAL(scn);
    ab = link_by_id(scn, "AB");
    ba = link_by_id(scn, "BA");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ab);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ba);

    CU_ASSERT_EQUAL(scn_attr_time(scn->root, "duration", true, &ns, &err), SIM_OK);
    CU_ASSERT_EQUAL(ns, INT64_C(7200000000000));
    CU_ASSERT_EQUAL(scn_attr_rate(scn_child(ab, "generation"), "rate", true, &x, &err), SIM_OK);
    CU_ASSERT_DOUBLE_EQUAL(x, 2000.0, 0.0);
    CU_ASSERT_EQUAL(scn_attr_rate(scn_child(ba, "generation"), "rate", true, &x, &err), SIM_OK);
    CU_ASSERT_DOUBLE_EQUAL(x, 1000.0, 0.0);                /* not selected: unchanged */
    CU_ASSERT_EQUAL(scn_attr_time(scn_child(ba, "generation"), "delay", true, &ns, &err),
                    SIM_OK);
    CU_ASSERT_EQUAL(ns, 5000000);
    CU_ASSERT_PTR_NULL(scn_attr(scn_child(ab, "generation"), "delay"));
    CU_ASSERT_STRING_EQUAL(scn_attr(scn_child(scn_child(scn_child(scn->root, "apps"),
                                                        "etsi014"), "arrivals"), "rate"),
                           "1/min");
    CU_ASSERT_EQUAL(scn_attr_uint(scn->root, "seed", true, &u, &err), SIM_OK);
    CU_ASSERT_EQUAL(u, 4);
    CU_ASSERT_STRING_EQUAL(scn_attr(scn_child(ab, "store"), "initial"), "0");
    CU_ASSERT_STRING_EQUAL(scn_attr(scn_child(ba, "store"), "initial"), "0");
    CU_ASSERT_EQUAL(scn_attr_string(scn->root, "name", true, &s, &err), SIM_OK);
    CU_ASSERT_STRING_EQUAL(s, "a \"b\" & <c>");
    /* a created attribute comes after the element's own ones */
    CU_ASSERT_STRING_EQUAL(scn_child(ba, "generation")->keys[1], "delay");

    /* the overrides as given, copied */
    CU_ASSERT_EQUAL_FATAL(scn->noverrides, n);
    for (size_t i = 0; i < n; i++) {
        CU_ASSERT_STRING_EQUAL(scn->overrides[i], ov[i]);
        CU_ASSERT_PTR_NOT_EQUAL(scn->overrides[i], ov[i]);
    }

    /* the effective document has the overrides, the text is as read */
    CU_ASSERT_PTR_NOT_NULL(strstr(scn->effective, "duration=\"2h\""));
    CU_ASSERT_PTR_NULL(strstr(scn->effective, "duration=\"1h\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(scn->effective, "rate=\"1kbps\" delay=\"5ms\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(scn->effective, "seed=\"4\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(scn->effective, "name=\"a &quot;b&quot; &amp; &lt;c&gt;\""));
    CU_ASSERT_EQUAL(scn->text_len, strlen(base));
    CU_ASSERT_STRING_EQUAL(scn->text, base);
    scn_free(scn);
}

/* The effective text is a scenario: loaded again, it gives the same tree. */
static void test_effective_reloads(void)
{
    static const char *const ov[] = { "//store/@capacity=20Mb" };
    char path[64];
    scn_t *scn = load_base(ov, 1, path);
    scn_t *again = NULL;
    sim_err_t err = { 0 };

    CU_ASSERT_PTR_NOT_NULL_FATAL(scn);
    CU_ASSERT_EQUAL(scn_validate_text("effective", scn->effective, strlen(scn->effective), &err),
                    SIM_OK);
    CU_ASSERT_EQUAL_FATAL(load_text(scn->effective, NULL, 0, &again, &err, path), SIM_OK);
    CU_ASSERT_STRING_EQUAL(again->effective, scn->effective);
    CU_ASSERT_STRING_EQUAL(scn_attr(scn_child(link_by_id(again, "BA"), "store"), "capacity"),
                           "20Mb");
    scn_free(again);
    scn_free(scn);
}

static void override_fails(const char *ov, const char *want)
{
    sim_err_t err = { 0 };
    scn_t *scn = NULL;
    char path[64];

    CU_ASSERT_EQUAL(load_text(base, &ov, 1, &scn, &err, path), SIM_ERR_INPUT);
    CU_ASSERT_PTR_NULL(scn);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, want));
    if (strstr(err.msg, want) == NULL)
        fprintf(stderr, "\n  override '%s': got '%s', want '%s'\n", ov, err.msg, want);
}

static void test_override_errors(void)
{
    override_fails("@seed", "override '@seed': no '='");
    override_fails("//link[@id='XY']/store/@capacity=1Mb",
                   "override '//link[@id='XY']/store/@capacity=1Mb' selects nothing");
    override_fails("/scenario/nothing/@x=1", "selects nothing");
    override_fails("//link[@id='AB']=1",
                   "override '//link[@id='AB']=1' selects an element, not an attribute");
    override_fails("//description/text()=x", "selects something other than an attribute");
    override_fails("//link[=]/@a=1", "override '//link[=]/@a=1': XPath error");
    override_fails("=1", "XPath error");
    override_fails("count(//link)=1", "XPath error");
}

/* An override is validated like the file: the error names the element. */
static void test_override_invalid(void)
{
    static const char *const model[] = { "//link[@id='AB']/generation/@model=warp" };
    static const char *const attr[] = { "//link[@id='BA']/store/@colour=red" };
    static const char *const empty[] = { "@duration=" };

    fails_at(base, model, 1, "<generation model", "'warp'");
    fails_at(base, attr, 1, "<store capacity=\"1Gib\"", "<store>: attribute 'colour'");
    fails_at(base, empty, 1, "<scenario", "attribute 'duration'");
}

/* ------------------------------------------------------------ the schema */

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long len;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)len + 1)) != NULL) {
        buf[fread(buf, 1, (size_t)len, f)] = '\0';
    }
    fclose(f);
    return buf;
}

static void test_schema_text(void)
{
    const char *xsd = scn_schema_text();
    const char *srcdir = getenv("SRCDIR");
    char path[1024];
    sim_err_t err = { 0 };
    char *file;

    CU_ASSERT_PTR_NOT_NULL_FATAL(xsd);
    CU_ASSERT(strlen(xsd) > 1000);
    CU_ASSERT(starts_with(xsd, "<?xml"));
    CU_ASSERT_PTR_NOT_NULL(strstr(xsd, "<xs:element name=\"scenario\">"));

    /* it parses as a schema: a valid text passes and a bad one fails */
    CU_ASSERT_EQUAL(scn_validate_text("base", base, strlen(base), &err), SIM_OK);
    CU_ASSERT_EQUAL(scn_validate_text("bad", "<scenario/>", 11, &err), SIM_ERR_INPUT);
    CU_ASSERT(starts_with(err.msg, "bad:1: <scenario>: "));

    /* the schema is not a scenario */
    CU_ASSERT_EQUAL(scn_validate_text("xsd", xsd, strlen(xsd), &err), SIM_ERR_INPUT);

    /* compiled in from scenarios/qkmsim.xsd, byte for byte */
    snprintf(path, sizeof path, "%s/scenarios/qkmsim.xsd", srcdir != NULL ? srcdir : ".");
    file = read_file(path);
    if (file != NULL) {
        CU_ASSERT_STRING_EQUAL(xsd, file);
    } else {
        fprintf(stderr, "\n  (%s not found: not compared)\n", path);
    }
    free(file);
}

int main(void)
{
    static const struct { const char *name; CU_TestFunc fn; } tests[] = {
        { "valid scenario: the tree", test_load_tree },
        { "typed readers", test_typed_readers },
        { "typed reader errors", test_reader_errors },
        { "schema errors name file and line", test_schema_errors },
        { "XML errors name file and line", test_xml_errors },
        { "encoding errors are reported, not printed", test_encoding_errors },
        { "unreadable file", test_unreadable },
        { "dir of a bare file name", test_dir },
        { "overrides", test_overrides },
        { "effective text reloads", test_effective_reloads },
        { "override errors", test_override_errors },
        { "overrides are validated", test_override_invalid },
        { "compiled-in schema", test_schema_text },
    };
    CU_pSuite suite;

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    suite = CU_add_suite("scenario", NULL, NULL);
    for (size_t i = 0; suite != NULL && i < sizeof tests / sizeof tests[0]; i++)
        CU_add_test(suite, tests[i].name, tests[i].fn);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
