/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * scenario.h - loading a scenario: libxml2 stops here.
 *
 * scn_load() reads an XML scenario, applies the command-line overrides,
 * validates the result against the compiled-in XSD (the same text as
 * scenarios/qkmsim.xsd, which is installed), records the scenario's folder
 * (scn->dir: models resolve relative file names, such as the GraphML file,
 * against it; the loader does not rewrite them), and returns a plain C
 * tree of elements and attributes, whose values are whitespace-collapsed
 * as xs:token does. Models read that tree through the accessors
 * below, which parse units with units.h and name the file, line and element
 * in every error. No libxml2 type appears in this header.
 *
 * Overrides ("-p NAME=VALUE") are XPath 1.0 expressions over the scenario
 * document (which has no namespace): "/scenario/@duration=2h",
 * "//link[@id='AB']/store/@capacity=20Mb". A NAME that does not begin with
 * '/' is taken relative to the root element ("@seed=3",
 * "links/link[@id='AB']/generation/@rate=2kbps"). NAME is split from
 * VALUE at the first '=' outside [...] and quotes. NAME must select
 * attributes; when it is "PATH/@attr" (or "@attr"), the attribute is set on
 * every element that PATH selects, and created where it is missing. A NAME
 * that selects nothing at all is an error. Overrides are applied in order,
 * before validation, so an override cannot make a scenario invalid unseen.
 *
 * Ownership: scn_load returns a scenario that the caller frees with
 * scn_free(); every pointer into it (elements, names, values) lives until
 * then.
 */
#ifndef QKM_SIM_SCENARIO_H
#define QKM_SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/error.h"

typedef struct scn_elem scn_elem_t;

struct scn_elem {
    const char *name;        /* element name, e.g. "link" */
    const char *file;        /* the scenario file it came from */
    long line;               /* its line in that file (1-based) */
    size_t nattrs;
    const char **keys;       /* attribute names, in document order */
    const char **values;     /* attribute values (after overrides) */
    scn_elem_t *parent;      /* NULL for the root */
    scn_elem_t *first_child; /* element children only, document order */
    scn_elem_t *next;        /* next sibling element */
};

typedef struct scn {
    const char *path;        /* the file as given */
    const char *dir;         /* its folder, for relative file names */
    const char *text;        /* the file's text as read (for metadata) */
    size_t text_len;
    const char *effective;   /* the document after overrides, serialised */
    size_t noverrides;
    const char **overrides;  /* "NAME=VALUE" as given, in order */
    scn_elem_t *root;        /* <scenario> */
} scn_t;

/* The largest input file the engine reads, in bytes: a scenario, or a
 * GraphML file a scenario names (64 MiB; the bundled ones are a few kB).
 * Larger files, and anything that is not a regular file (a device such as
 * /dev/zero, a FIFO, a directory), are refused before they are read. */
#define SCN_MAX_FILE_BYTES ((long long)64 * 1024 * 1024)

/* Opens `path` for reading when it is an input the engine reads (above).
 * Never blocks on a FIFO. Returns the stream (the caller fcloses it), or
 * NULL with SIM_ERR_INPUT: "cannot open: REASON" when it cannot be opened,
 * "not a regular file (a FIFO)" or "N bytes, more than the 64 MiB an input
 * file may have" when refused. The message does not name the file: the
 * caller adds what it is and its name. */
FILE *scn_open_input(const char *path, sim_err_t *err);

/* Loads, overrides, validates and converts path. Returns SIM_OK and sets
 * *out, or SIM_ERR_INPUT (unreadable file, XML or schema error, bad
 * override) with a message "FILE:LINE: <element>: what is wrong", or
 * SIM_ERR_RUN when out of memory. */
int scn_load(const char *path, const char *const *overrides, size_t noverrides,
             scn_t **out, sim_err_t *err);
void scn_free(scn_t *scn);

/* As scn_load, validated against the XSD text schema_text instead of the
 * scenario schema: how other XML inputs of the engine (sweep files,
 * sim/sweep.h) are read into the same plain tree with the same errors. */
int scn_load_schema(const char *path, const char *const *overrides, size_t noverrides,
                    const char *schema_text, scn_t **out, sim_err_t *err);

/* As scn_load, with the scenario's text given instead of read from a file
 * (len bytes, not necessarily NUL-terminated; copied). `name` stands for
 * the path: messages name it, and relative file names in the scenario
 * resolve against its folder. For tests and fuzzers. */
int scn_load_text(const char *name, const char *text, size_t len,
                  const char *const *overrides, size_t noverrides, scn_t **out,
                  sim_err_t *err);

/* The schemas are parsed once per process, on the first load or validation,
 * and shared read-only by every later one (any thread); it is the loader's
 * only process-wide state and holds nothing of any scenario.
 *
 * Releases the XML library's process-wide state and the parsed schema.
 * Call once, at exit, after every scenario was freed (the command line
 * does); a later load parses the schema again. */
void scn_library_cleanup(void);

/* Checks an XML text against the schema only (used by tests). */
int scn_validate_text(const char *name, const char *text, size_t len, sim_err_t *err);

/* The compiled-in schema text (scenarios/qkmsim.xsd). */
const char *scn_schema_text(void);

/* Navigation. */
const char *scn_attr(const scn_elem_t *e, const char *name);     /* NULL if absent */
scn_elem_t *scn_child(const scn_elem_t *e, const char *name);    /* first, or NULL */
scn_elem_t *scn_next_sibling(const scn_elem_t *e, const char *name); /* next same-name */
size_t scn_count_children(const scn_elem_t *e, const char *name);

/* Formats an error located at e: "FILE:LINE: <name id="X">: message" and
 * returns SIM_ERR_INPUT. */
int scn_error(const scn_elem_t *e, sim_err_t *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Typed attribute readers. When the attribute is absent: if `required`,
 * an error naming it; otherwise *out is left as the caller set it (the
 * default) and SIM_OK is returned. Parse errors name file, line, element
 * and attribute. Units as in units.h. */
int scn_attr_string(const scn_elem_t *e, const char *name, bool required,
                    const char **out, sim_err_t *err);
int scn_attr_time(const scn_elem_t *e, const char *name, bool required,
                  int64_t *out, sim_err_t *err);
int scn_attr_bits(const scn_elem_t *e, const char *name, bool required,
                  uint64_t *out, sim_err_t *err);
int scn_attr_rate(const scn_elem_t *e, const char *name, bool required,
                  double *out, sim_err_t *err);
int scn_attr_length(const scn_elem_t *e, const char *name, bool required,
                    double *out, sim_err_t *err);
int scn_attr_frequency(const scn_elem_t *e, const char *name, bool required,
                       double *out, sim_err_t *err);
int scn_attr_double(const scn_elem_t *e, const char *name, bool required,
                    double *out, sim_err_t *err);
int scn_attr_uint(const scn_elem_t *e, const char *name, bool required,
                  uint64_t *out, sim_err_t *err);
/* Reads one of `choices` (NULL-terminated) and stores its index. */
int scn_attr_enum(const scn_elem_t *e, const char *name, bool required,
                  const char *const *choices, int *out, sim_err_t *err);

#endif
