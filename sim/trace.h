/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * trace.h - the run's output file: HDF5 stops here.
 *
 * A trace is one HDF5 file made of tables (1-D chunked, extendible datasets
 * of a compound type described by trace_field_t) and attributes. Callers
 * describe their records as plain C structs; this module maps them to HDF5
 * types. Appends are buffered and written in batches of
 * TRACE_BATCH_RECORDS records (one HDF5 write per batch, never per record).
 * A dataset chunk holds TRACE_CHUNK_RECORDS records: small enough that a
 * table of a few rows (the summaries) does not take a whole batch's worth
 * of disk, large enough (tens of kB) for fast reads; a batch spans several
 * whole chunks.
 *
 * Crash safety: the file is written as "<path>.partial". trace_close(...,
 * complete=true) flushes every table, writes the attribute
 * /metadata@completed = 1 last, closes the file and renames it to <path>
 * (rename(2): one step; refused when <path> is then not a regular file).
 * trace_close(..., complete=false) (a run that failed) closes it and deletes
 * the partial file, so no file that looks valid is ever left behind.
 * trace_close_incomplete (a run stopped by a signal) flushes and closes it
 * and keeps it at "<path>.partial", readable, with completed = 0.
 *
 * Ownership: trace_t owns its tables; table pointers stay valid until
 * trace_close. Strings passed in are copied.
 */
#ifndef QKM_SIM_TRACE_H
#define QKM_SIM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/error.h"

#define TRACE_BATCH_RECORDS 8192
#define TRACE_CHUNK_RECORDS 1024

typedef enum trace_type {
    TRACE_U8,
    TRACE_I32,
    TRACE_U32,
    TRACE_I64,
    TRACE_U64,
    TRACE_F64,
    TRACE_STR,    /* const char * member, stored as a variable-length UTF-8 string */
    TRACE_FSTR    /* char[TRACE_FSTR_LEN] member, a fixed-length NUL-padded UTF-8
                   * string (readable by tools that cannot read variable-length ones) */
} trace_type_t;

#define TRACE_FSTR_LEN 64

typedef struct trace_field {
    const char *name;     /* column name in the compound type */
    trace_type_t type;
    size_t offset;        /* offsetof(record, member) */
} trace_field_t;

typedef struct trace trace_t;
typedef struct trace_table trace_table_t;

/* What may be written, checked before a run does any work (the command
 * line calls it first). Refused with SIM_ERR_INPUT and a message naming
 * the path: a `path` or "<path>.partial" that exists and is not a regular
 * file (a directory, symbolic link, device, FIFO or socket), or that is
 * the file `input` (same device and inode, however either is named; input
 * may be NULL). An existing regular `path` passes: whether it may be
 * replaced is the caller's choice (trace_output_exists). */
int trace_output_check(const char *path, const char *input, sim_err_t *err);

/* Whether something exists at path (a symbolic link counts, dangling or not). */
bool trace_output_exists(const char *path);

/* Creates "<path>.partial": a regular file left there by an earlier run is
 * replaced, anything else there is refused; the file is created
 * exclusively (O_EXCL), so a symbolic link is never followed. NULL on
 * failure (SIM_ERR_RUN). */
trace_t *trace_open(const char *path, sim_err_t *err);

/* Creates table `name` (an absolute path such as "/levels" or
 * "/summary/stores"; missing groups are created) whose records are
 * record_size bytes with the given fields. NULL on failure. */
trace_table_t *trace_table_create(trace_t *trace, const char *name, size_t record_size,
                                  const trace_field_t *fields, size_t nfields,
                                  sim_err_t *err);

/* As trace_table_create, for a table that may grow large (logs): its
 * chunks are compressed (shuffle, then deflate) when the trace's deflate
 * level is above 0. */
trace_table_t *trace_table_create_large(trace_t *trace, const char *name, size_t record_size,
                                        const trace_field_t *fields, size_t nfields,
                                        sim_err_t *err);

/* The deflate level (0: none, 1-9) of the large tables created after
 * the call; 0 after trace_open. */
void trace_set_deflate(trace_t *trace, int level);

/* Copies one record into the table's batch; writes the batch when full.
 * TRACE_STR members are copied too. */
int trace_append(trace_table_t *table, const void *record, sim_err_t *err);

/* Bytes one record of these fields takes in the file: the packed sum of
 * the on-disk column sizes, a TRACE_STR column counting its 16-byte
 * reference (the string itself lives in the file's heap). For estimates. */
size_t trace_row_bytes(const trace_field_t *fields, size_t nfields);

/* Records appended so far (written or buffered). */
uint64_t trace_table_rows(const trace_table_t *table);

/* Attributes on a group or dataset (created with its parents if needed):
 * obj is an absolute path such as "/metadata". */
int trace_attr_string(trace_t *trace, const char *obj, const char *name,
                      const char *value, sim_err_t *err);
int trace_attr_i64(trace_t *trace, const char *obj, const char *name, int64_t value,
                   sim_err_t *err);
int trace_attr_u64(trace_t *trace, const char *obj, const char *name, uint64_t value,
                   sim_err_t *err);
int trace_attr_f64(trace_t *trace, const char *obj, const char *name, double value,
                   sim_err_t *err);

/* Flushes, finalises and closes (see above); frees trace in every case.
 * Returns SIM_OK or SIM_ERR_RUN. */
int trace_close(trace_t *trace, bool complete, sim_err_t *err);

/* For a run stopped before its end (a signal): flushes every table and
 * closes the file, which stays at "<path>.partial", readable, with
 * /metadata@completed = 0; nothing is written at <path>. Frees trace. */
int trace_close_incomplete(trace_t *trace, sim_err_t *err);

/* "<path>.partial", the file being written (owned by the trace). */
const char *trace_partial_path(const trace_t *trace);

/* Releases HDF5's process-wide state. Call once, at exit, after every trace
 * and reader was closed (the command line does). When a file could not be
 * closed (a full disk), HDF5 1.10 cannot be shut down without crashing, so
 * this then does nothing and the operating system reclaims the rest. HDF5's
 * own exit-time handler is never installed (trace.c says why). */
void trace_library_cleanup(void);

/* ---------------------------------------------------------------- reading
 * A small generic reader, so that tools (`qkmsim summarize`) read traces
 * without HDF5 types leaving this module. It reads whole columns of
 * tables and scalar attributes; it knows nothing of any table's meaning.
 * Ownership: arrays and strings it returns are malloc'ed; the caller frees
 * them with free(). Errors are SIM_ERR_INPUT (no such file, not HDF5, no
 * such table, column or attribute, or a type that does not convert) with
 * a message naming the file and the object. */
typedef struct trace_reader trace_reader_t;

/* Opens an existing trace read-only. NULL on failure. */
trace_reader_t *trace_reader_open(const char *path, sim_err_t *err);
void trace_reader_close(trace_reader_t *reader);

/* Whether table `table` (an absolute path such as "/summary/network")
 * exists and, when column is not NULL, has a column of that name. */
bool trace_reader_has(trace_reader_t *reader, const char *table, const char *column);

/* The names of the numeric (integer or float) columns of `table`, in
 * order: *names holds *n malloc'ed strings in a malloc'ed array. */
int trace_reader_columns(trace_reader_t *reader, const char *table, char ***names, size_t *n,
                         sim_err_t *err);

/* Reads every row of a numeric column as doubles (integers are converted,
 * exactly up to 2^53). *values holds *n doubles (a valid pointer also
 * when *n is 0). */
int trace_read_column(trace_reader_t *reader, const char *table, const char *column,
                      double **values, size_t *n, sim_err_t *err);

/* Reads the scalar attribute obj@name: a string (fixed or variable
 * length), or an integer. */
int trace_read_attr_string(trace_reader_t *reader, const char *obj, const char *name,
                           char **value, sim_err_t *err);
int trace_read_attr_i64(trace_reader_t *reader, const char *obj, const char *name,
                        int64_t *value, sim_err_t *err);

#endif
