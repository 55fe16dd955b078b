/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * trace.c - the HDF5 trace writer (the only file that includes hdf5.h).
 *
 * On-disk types. Every column is a little-endian standard type
 * (H5T_STD_U8LE, H5T_STD_I32LE, H5T_STD_U32LE, H5T_STD_I64LE, H5T_STD_U64LE,
 * H5T_IEEE_F64LE) or a variable-length, NUL-terminated UTF-8 string, and
 * the compound is packed (no holes), so a file reads the same on every
 * machine. The memory type is the native compound at the caller's offsets;
 * HDF5 converts between the two on write.
 *
 * Error reporting. HDF5 prints its error stack to stderr by default, and
 * library code must not print. Every public function saves the calling
 * thread's automatic error handler, turns it off, and restores it before
 * returning (quiet_enter / quiet_leave), so the process is left as found.
 * A failure becomes a sim_err_t naming the file and the object, with the
 * most specific description on HDF5's error stack as the reason.
 *
 * Object times. Objects are created without modification times
 * (H5Pset_obj_track_times false) so that the same run writes the same
 * bytes, which makes determinism checks simple.
 *
 * A close that fails. When H5Fclose cannot flush (a full disk), HDF5 1.10
 * frees the file's structures but keeps its identifier registered; its
 * exit-time clean-up (H5_term_library, installed with atexit) then closes
 * that identifier again and touches freed memory (SIGSEGV). So this module
 * tells HDF5 not to install that handler (H5dont_atexit, before its first
 * call into the library), creates files with the strong close degree (a
 * close also closes every object still open in the file, so nothing is
 * left holding it), and trace_library_cleanup() releases the library only
 * when no close has failed. h5_close_failed is that one process-wide fact;
 * it mirrors HDF5's own process-wide state and is no simulation state.
 */
#include "sim/trace.h"

#include <hdf5.h>

#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REASON_MAX 512

struct trace_table {
    trace_t *trace;
    char *name;
    hid_t dset;
    hid_t mem_type;
    size_t record_size;
    size_t *str_offsets;       /* offsets of the TRACE_STR members */
    size_t nstr;
    unsigned char *batch;      /* TRACE_BATCH_RECORDS records; strings owned */
    size_t nbatch;             /* records in batch */
    uint64_t written;          /* records in the dataset */
};

/* The type-conversion buffers of a write (H5Pset_buffer): HDF5's default
 * size, 1 MiB, but allocated once per trace. Left to HDF5, every
 * H5Dwrite of a table whose memory layout differs from the file's (all of
 * them: the file's records are packed) allocates and zeroes 1 MiB of
 * background buffer: 13 % of a run's instructions when the level log is
 * on (docs/performance.md, "Hot spots"). */
#define TRACE_XFER_BYTES (1024 * 1024)

struct trace {
    hid_t file;
    hid_t dxpl;           /* transfer list with tconv and bkg; made at the first write */
    void *tconv, *bkg;    /* TRACE_XFER_BYTES each, owned */
    int deflate;          /* level for large tables (trace_set_deflate); 0: none */
    char *path;
    char *partial;
    trace_table_t **tables;
    size_t ntables;
    size_t cap;
};

static bool h5_close_failed;

typedef struct trace_quiet {
    H5E_auto2_t func;
    void *data;
    bool saved;
} trace_quiet_t;

/* ------------------------------------------------------------- helpers */

static void quiet_enter(trace_quiet_t *q)
{
    /* Every public function starts here, so this runs before the library
     * initialises itself; later calls change nothing (and fail quietly). */
    (void)H5dont_atexit();
    /* If the current handler cannot be read (it was installed with the v1
     * API), leave it alone rather than lose it. */
    q->saved = H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data) >= 0;
    if (q->saved)
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void quiet_leave(const trace_quiet_t *q)
{
    if (q->saved)
        H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

/* The file drivers report an operating-system failure as "..., errno = 2,
 * error message = 'No such file or directory', ..."; that text alone is
 * the useful part. */
static void os_reason(char *reason)
{
    static const char key[] = "error message = '";
    char *start = strstr(reason, key);
    char *end = start != NULL ? strchr(start + sizeof key - 1, '\'') : NULL;
    if (end == NULL)
        return;
    start += sizeof key - 1;
    memmove(reason, start, (size_t)(end - start));
    reason[end - start] = '\0';
}

static herr_t reason_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    char *reason = data;
    if (n != 0)
        return 0;
    if (e->desc != NULL && e->desc[0] != '\0')
        snprintf(reason, REASON_MAX, "%s", e->desc);
    else if (H5Eget_msg(e->min_num, NULL, reason, REASON_MAX) < 0)
        snprintf(reason, REASON_MAX, "HDF5 error");
    os_reason(reason);
    return 0;
}

/* Every HDF5 API call clears the error stack, so a helper that cleans up
 * after a failed call saves the stack first and puts it back afterwards,
 * for h5_fail to read. */
static hid_t stack_save(bool failed)
{
    return failed ? H5Eget_current_stack() : H5I_INVALID_HID;
}

static void stack_restore(hid_t stack)
{
    if (stack >= 0)
        H5Eset_current_stack(stack);   /* also closes the saved copy */
}

/* Records "<context>: <reason>" where reason is the most specific entry on
 * HDF5's error stack (walked from the innermost call outwards). */
__attribute__((format(printf, 2, 3)))
static int h5_fail(sim_err_t *err, const char *fmt, ...)
{
    char context[SIM_ERR_MSG_MAX];
    char reason[REASON_MAX] = "HDF5 error";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(context, sizeof context, fmt, ap);
    va_end(ap);
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, reason_cb, reason);
    return sim_err_set(err, SIM_ERR_RUN, "%s: %s", context, reason);
}

static char *dup_string(const char *s)
{
    size_t len = strlen(s);
    char *copy = malloc(len + 1);
    if (copy != NULL)
        memcpy(copy, s, len + 1);
    return copy;
}

static void close_id(hid_t id, herr_t (*closer)(hid_t))
{
    if (id >= 0)
        closer(id);
}

/* A variable-length UTF-8 string type; the caller closes it. */
static hid_t string_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0)
        return t;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return H5I_INVALID_HID;
    }
    return t;
}

/* Link-creation properties that create missing parent groups. */
static hid_t parents_lcpl(void)
{
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    if (lcpl >= 0 && H5Pset_create_intermediate_group(lcpl, 1) < 0) {
        H5Pclose(lcpl);
        return H5I_INVALID_HID;
    }
    return lcpl;
}

/* ------------------------------------------------------------- paths */

/* What a file that is not a regular one is, for messages. */
static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISLNK(mode))
        return "a symbolic link";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a regular file";
}

/* Whether path names the file `in` (stat of the input), through any link. */
static bool same_file(const char *path, const struct stat *in)
{
    struct stat st;
    return in != NULL && stat(path, &st) == 0 && st.st_dev == in->st_dev &&
           st.st_ino == in->st_ino;
}

/* Checks one path the trace would replace: `what` names it in messages. */
static int check_target(const char *path, const char *what, const struct stat *in,
                        const char *input, sim_err_t *err)
{
    struct stat st;

    if (lstat(path, &st) != 0)
        return SIM_OK;   /* nothing there (or unreachable: creating it will say why) */
    if (same_file(path, in))
        return sim_err_set(err, SIM_ERR_INPUT, "%s '%s' is the scenario file '%s'", what, path,
                           input);
    if (!S_ISREG(st.st_mode))
        return sim_err_set(err, SIM_ERR_INPUT,
                           "%s '%s' is %s, not a regular file: refusing to replace it", what,
                           path, file_kind(st.st_mode));
    return SIM_OK;
}

static char *partial_name(const char *path)
{
    size_t len = strlen(path);
    char *partial = malloc(len + sizeof ".partial");
    if (partial != NULL) {
        memcpy(partial, path, len);
        memcpy(partial + len, ".partial", sizeof ".partial");
    }
    return partial;
}

int trace_output_check(const char *path, const char *input, sim_err_t *err)
{
    struct stat in_st;
    const struct stat *in = input != NULL && stat(input, &in_st) == 0 ? &in_st : NULL;
    char *partial = partial_name(path);
    int rc;

    if (partial == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    if ((rc = check_target(path, "output", in, input, err)) == SIM_OK)
        rc = check_target(partial, "the output's partial file", in, input, err);
    free(partial);
    return rc;
}

bool trace_output_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Makes room for a new partial file: a leftover regular one (an earlier run
 * that was killed) is removed; anything else there is refused, so that the
 * exclusive create below neither follows a symlink nor opens a FIFO. */
static int partial_clear(const char *partial, sim_err_t *err)
{
    struct stat st;

    if (lstat(partial, &st) != 0)
        return SIM_OK;
    if (!S_ISREG(st.st_mode))
        return sim_err_set(err, SIM_ERR_RUN, "cannot create '%s': it is %s", partial,
                           file_kind(st.st_mode));
    if (unlink(partial) != 0)
        return sim_err_set(err, SIM_ERR_RUN, "cannot replace '%s': %s", partial,
                           strerror(errno));
    return SIM_OK;
}

/* File-access properties: closing the file closes every object still open
 * in it (see "A close that fails" above). */
static hid_t strong_fapl(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0 && H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0) {
        H5Pclose(fapl);
        return H5I_INVALID_HID;
    }
    return fapl;
}

/* Closes a file; after a failure HDF5 must not be shut down (see above). */
static herr_t file_close(hid_t file)
{
    herr_t rc = H5Fclose(file);
    if (rc < 0)
        h5_close_failed = true;
    return rc;
}

void trace_library_cleanup(void)
{
    if (!h5_close_failed)
        H5close();
}

/* ------------------------------------------------------------- open */

trace_t *trace_open(const char *path, sim_err_t *err)
{
    trace_quiet_t q;
    trace_t *trace = NULL;
    hid_t fcpl = H5I_INVALID_HID, fapl = H5I_INVALID_HID;

    quiet_enter(&q);
    trace = calloc(1, sizeof *trace);
    if (trace == NULL)
        goto oom;
    trace->file = H5I_INVALID_HID;
    trace->dxpl = H5I_INVALID_HID;
    trace->path = dup_string(path);
    trace->partial = partial_name(path);
    if (trace->path == NULL || trace->partial == NULL)
        goto oom;
    if (partial_clear(trace->partial, err) != SIM_OK)
        goto fail;

    /* The file creation list is also the root group's creation list. */
    fcpl = H5Pcreate(H5P_FILE_CREATE);
    fapl = strong_fapl();
    if (fcpl < 0 || fapl < 0 || H5Pset_obj_track_times(fcpl, 0) < 0) {
        h5_fail(err, "cannot create '%s'", trace->partial);
        goto fail;
    }
    /* Exclusive: a file that appeared since partial_clear is refused. */
    trace->file = H5Fcreate(trace->partial, H5F_ACC_EXCL, fcpl, fapl);
    if (trace->file < 0) {
        h5_fail(err, "cannot create '%s'", trace->partial);
        goto fail;
    }
    H5Pclose(fcpl);
    H5Pclose(fapl);
    quiet_leave(&q);
    return trace;

oom:
    sim_err_set(err, SIM_ERR_RUN, "cannot create '%s.partial': out of memory", path);
fail:
    close_id(fcpl, H5Pclose);
    close_id(fapl, H5Pclose);
    if (trace != NULL) {
        free(trace->path);
        free(trace->partial);
        free(trace);
    }
    quiet_leave(&q);
    return NULL;
}

/* ------------------------------------------------------------- tables */

static size_t field_size(trace_type_t type)
{
    switch (type) {
    case TRACE_U8: return 1;
    case TRACE_I32:
    case TRACE_U32: return 4;
    case TRACE_I64:
    case TRACE_U64:
    case TRACE_F64: return 8;
    case TRACE_STR: return sizeof(const char *);
    case TRACE_FSTR: return TRACE_FSTR_LEN;
    }
    return 0;
}

/* A fixed-length UTF-8 string type of TRACE_FSTR_LEN bytes, NUL-padded. */
static hid_t fixed_string_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, TRACE_FSTR_LEN) < 0 || H5Tset_strpad(t, H5T_STR_NULLPAD) < 0 ||
                   H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
        H5Tclose(t);
        t = H5I_INVALID_HID;
    }
    return t;
}

/* The memory and on-disk member types of one column; the caller closes
 * what it receives. TRACE_STR gets the same string type for both. */
static int field_types(trace_type_t type, hid_t *mem, hid_t *disk)
{
    hid_t native, little;
    switch (type) {
    case TRACE_U8: native = H5T_NATIVE_UINT8; little = H5T_STD_U8LE; break;
    case TRACE_I32: native = H5T_NATIVE_INT32; little = H5T_STD_I32LE; break;
    case TRACE_U32: native = H5T_NATIVE_UINT32; little = H5T_STD_U32LE; break;
    case TRACE_I64: native = H5T_NATIVE_INT64; little = H5T_STD_I64LE; break;
    case TRACE_U64: native = H5T_NATIVE_UINT64; little = H5T_STD_U64LE; break;
    case TRACE_F64: native = H5T_NATIVE_DOUBLE; little = H5T_IEEE_F64LE; break;
    case TRACE_STR:
        *mem = string_type();
        *disk = string_type();
        return (*mem < 0 || *disk < 0) ? -1 : 0;
    case TRACE_FSTR:
        *mem = fixed_string_type();
        *disk = fixed_string_type();
        return (*mem < 0 || *disk < 0) ? -1 : 0;
    default:
        return -1;
    }
    *mem = H5Tcopy(native);
    *disk = H5Tcopy(little);
    return (*mem < 0 || *disk < 0) ? -1 : 0;
}

static int check_fields(const char *name, size_t record_size, const trace_field_t *fields,
                        size_t nfields, sim_err_t *err)
{
    if (name == NULL || name[0] != '/')
        return sim_err_set(err, SIM_ERR_RUN, "trace table name '%s' is not an absolute path",
                           name ? name : "(null)");
    if (nfields == 0 || record_size == 0)
        return sim_err_set(err, SIM_ERR_RUN, "trace table '%s' has no fields", name);
    for (size_t i = 0; i < nfields; i++) {
        size_t size = field_size(fields[i].type);
        if (fields[i].name == NULL || fields[i].name[0] == '\0' || size == 0 ||
            fields[i].offset > record_size || record_size - fields[i].offset < size)
            return sim_err_set(err, SIM_ERR_RUN,
                               "trace table '%s': field %zu is unnamed, of an unknown type "
                               "or outside the %zu-byte record", name, i, record_size);
    }
    if (record_size > SIZE_MAX / TRACE_BATCH_RECORDS)
        return sim_err_set(err, SIM_ERR_RUN, "trace table '%s': records too large", name);
    return SIM_OK;
}

static int insert_field(hid_t mem_compound, hid_t disk_compound, const trace_field_t *f)
{
    hid_t mem = H5I_INVALID_HID, disk = H5I_INVALID_HID;
    bool ok = field_types(f->type, &mem, &disk) == 0 &&
              H5Tinsert(mem_compound, f->name, f->offset, mem) >= 0 &&
              H5Tinsert(disk_compound, f->name, f->offset, disk) >= 0;
    hid_t stack = stack_save(!ok);
    close_id(mem, H5Tclose);
    close_id(disk, H5Tclose);
    stack_restore(stack);
    return ok ? 0 : -1;
}

/* Builds the native compound (kept in table->mem_type) and the packed
 * little-endian file compound (returned). */
static hid_t table_types(trace_table_t *table, const trace_field_t *fields, size_t nfields)
{
    hid_t unpacked = H5Tcreate(H5T_COMPOUND, table->record_size);
    hid_t packed = H5I_INVALID_HID;

    table->mem_type = H5Tcreate(H5T_COMPOUND, table->record_size);
    bool ok = unpacked >= 0 && table->mem_type >= 0;
    for (size_t i = 0; ok && i < nfields; i++)
        ok = insert_field(table->mem_type, unpacked, &fields[i]) == 0;
    if (ok)
        packed = H5Tcopy(unpacked);
    ok = packed >= 0 && H5Tpack(packed) >= 0;

    hid_t stack = stack_save(!ok);
    close_id(unpacked, H5Tclose);
    if (!ok) {
        close_id(packed, H5Tclose);
        packed = H5I_INVALID_HID;
    }
    stack_restore(stack);
    return packed;
}

/* A 1-D dataset of 0 records, extendible without limit, in chunks of
 * TRACE_CHUNK_RECORDS; compressed (shuffle, then deflate at `deflate`)
 * when deflate > 0. */
static hid_t table_dataset(hid_t file, const char *name, hid_t file_type, int deflate)
{
    hsize_t dims = 0, maxdims = H5S_UNLIMITED, chunk = TRACE_CHUNK_RECORDS;
    hid_t space = H5Screate_simple(1, &dims, &maxdims);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t lcpl = parents_lcpl();
    hid_t dset = H5I_INVALID_HID;
    if (space >= 0 && dcpl >= 0 && lcpl >= 0 && H5Pset_chunk(dcpl, 1, &chunk) >= 0 &&
        H5Pset_obj_track_times(dcpl, 0) >= 0 &&
        (deflate == 0 || (H5Pset_shuffle(dcpl) >= 0 && H5Pset_deflate(dcpl, (unsigned)deflate) >= 0)))
        dset = H5Dcreate2(file, name, file_type, space, lcpl, dcpl, H5P_DEFAULT);
    hid_t stack = stack_save(dset < 0);
    close_id(space, H5Sclose);
    close_id(dcpl, H5Pclose);
    close_id(lcpl, H5Pclose);
    stack_restore(stack);
    return dset;
}

/* Frees the strings that the batch owns and empties it. */
static void batch_clear(trace_table_t *table)
{
    for (size_t r = 0; r < table->nbatch; r++) {
        unsigned char *rec = table->batch + r * table->record_size;
        for (size_t s = 0; s < table->nstr; s++) {
            char *str;
            memcpy(&str, rec + table->str_offsets[s], sizeof str);
            free(str);
        }
    }
    table->nbatch = 0;
}

static void table_free(trace_table_t *table)
{
    if (table == NULL)
        return;
    if (table->batch != NULL)
        batch_clear(table);
    close_id(table->dset, H5Dclose);
    close_id(table->mem_type, H5Tclose);
    free(table->batch);
    free(table->str_offsets);
    free(table->name);
    free(table);
}

static int register_table(trace_t *trace, trace_table_t *table)
{
    if (trace->ntables == trace->cap) {
        size_t cap = trace->cap ? 2 * trace->cap : 8;
        trace_table_t **tables = realloc(trace->tables, cap * sizeof *tables);
        if (tables == NULL)
            return -1;
        trace->tables = tables;
        trace->cap = cap;
    }
    trace->tables[trace->ntables++] = table;
    return 0;
}

static trace_table_t *table_create(trace_t *trace, const char *name, size_t record_size,
                                   const trace_field_t *fields, size_t nfields, int deflate,
                                   sim_err_t *err);

void trace_set_deflate(trace_t *trace, int level)
{
    trace->deflate = level < 0 ? 0 : level > 9 ? 9 : level;
}

trace_table_t *trace_table_create_large(trace_t *trace, const char *name, size_t record_size,
                                        const trace_field_t *fields, size_t nfields,
                                        sim_err_t *err)
{
    return table_create(trace, name, record_size, fields, nfields, trace->deflate, err);
}

trace_table_t *trace_table_create(trace_t *trace, const char *name, size_t record_size,
                                  const trace_field_t *fields, size_t nfields,
                                  sim_err_t *err)
{
    return table_create(trace, name, record_size, fields, nfields, 0, err);
}

static trace_table_t *table_create(trace_t *trace, const char *name, size_t record_size,
                                   const trace_field_t *fields, size_t nfields, int deflate,
                                   sim_err_t *err)
{
    trace_quiet_t q;
    trace_table_t *table = NULL;
    hid_t file_type = H5I_INVALID_HID;

    quiet_enter(&q);
    if (check_fields(name, record_size, fields, nfields, err) != SIM_OK)
        goto fail;
    table = calloc(1, sizeof *table);
    if (table == NULL)
        goto oom;
    table->trace = trace;
    table->dset = H5I_INVALID_HID;
    table->mem_type = H5I_INVALID_HID;
    table->record_size = record_size;
    table->name = dup_string(name);
    table->str_offsets = malloc(nfields * sizeof *table->str_offsets);
    table->batch = calloc(TRACE_BATCH_RECORDS, record_size);
    if (table->name == NULL || table->str_offsets == NULL || table->batch == NULL)
        goto oom;
    for (size_t i = 0; i < nfields; i++)
        if (fields[i].type == TRACE_STR)
            table->str_offsets[table->nstr++] = fields[i].offset;

    file_type = table_types(table, fields, nfields);
    if (file_type < 0) {
        h5_fail(err, "cannot create table '%s' in '%s': record type", name, trace->partial);
        goto fail;
    }
    table->dset = table_dataset(trace->file, name, file_type, deflate);
    if (table->dset < 0) {
        h5_fail(err, "cannot create table '%s' in '%s'", name, trace->partial);
        goto fail;
    }
    if (register_table(trace, table) != 0)
        goto oom;
    H5Tclose(file_type);
    quiet_leave(&q);
    return table;

oom:
    sim_err_set(err, SIM_ERR_RUN, "cannot create table '%s' in '%s': out of memory", name,
                trace->partial);
fail:
    close_id(file_type, H5Tclose);
    table_free(table);
    quiet_leave(&q);
    return NULL;
}

/* Writes the buffered records at the end of the dataset. The batch is
 * emptied whatever happens: after a failure the trace is incomplete and
 * the caller is expected to close it with complete=false. */
/* The trace's transfer list and its conversion buffers, made once. */
static int trace_xfer(trace_t *trace, sim_err_t *err)
{
    hid_t dxpl;
    if (trace->dxpl >= 0)
        return SIM_OK;
    if ((trace->tconv == NULL && (trace->tconv = malloc(TRACE_XFER_BYTES)) == NULL) ||
        (trace->bkg == NULL && (trace->bkg = malloc(TRACE_XFER_BYTES)) == NULL))
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    if ((dxpl = H5Pcreate(H5P_DATASET_XFER)) < 0 ||
        H5Pset_buffer(dxpl, TRACE_XFER_BYTES, trace->tconv, trace->bkg) < 0) {
        close_id(dxpl, H5Pclose);
        return h5_fail(err, "cannot write '%s'", trace->partial);
    }
    trace->dxpl = dxpl;
    return SIM_OK;
}

static int table_flush(trace_table_t *table, sim_err_t *err)
{
    hsize_t start = table->written, count = table->nbatch, extent = start + count;
    hid_t fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
    int rc = SIM_OK;

    if (table->nbatch == 0)
        return SIM_OK;
    if ((rc = trace_xfer(table->trace, err)) != SIM_OK)
        goto out;
    if (H5Dset_extent(table->dset, &extent) < 0 ||
        (fspace = H5Dget_space(table->dset)) < 0 ||
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, NULL, &count, NULL) < 0 ||
        (mspace = H5Screate_simple(1, &count, NULL)) < 0 ||
        H5Dwrite(table->dset, table->mem_type, mspace, fspace, table->trace->dxpl,
                 table->batch) < 0) {
        rc = h5_fail(err, "cannot write table '%s' in '%s'", table->name,
                     table->trace->partial);
        goto out;
    }
    table->written += table->nbatch;
out:
    close_id(fspace, H5Sclose);
    close_id(mspace, H5Sclose);
    batch_clear(table);
    return rc;
}

/* Copies the TRACE_STR members of the record in slot, which points at the
 * caller's strings, so that the batch owns them. */
static int slot_own_strings(trace_table_t *table, unsigned char *slot)
{
    for (size_t s = 0; s < table->nstr; s++) {
        const char *str;
        memcpy(&str, slot + table->str_offsets[s], sizeof str);
        char *copy = dup_string(str != NULL ? str : "");   /* NULL is stored as "" */
        if (copy == NULL) {
            /* Only the copies made so far are owned; free them alone. */
            for (size_t i = 0; i < s; i++) {
                memcpy(&copy, slot + table->str_offsets[i], sizeof copy);
                free(copy);
            }
            return -1;
        }
        memcpy(slot + table->str_offsets[s], &copy, sizeof copy);
    }
    return 0;
}

int trace_append(trace_table_t *table, const void *record, sim_err_t *err)
{
    unsigned char *slot = table->batch + table->nbatch * table->record_size;
    trace_quiet_t q;
    int rc;

    memcpy(slot, record, table->record_size);
    if (slot_own_strings(table, slot) != 0)
        return sim_err_set(err, SIM_ERR_RUN, "cannot append to table '%s': out of memory",
                           table->name);
    if (++table->nbatch < TRACE_BATCH_RECORDS)
        return SIM_OK;
    quiet_enter(&q);
    rc = table_flush(table, err);
    quiet_leave(&q);
    return rc;
}

size_t trace_row_bytes(const trace_field_t *fields, size_t nfields)
{
    size_t bytes = 0;
    for (size_t i = 0; i < nfields; i++)
        bytes += fields[i].type == TRACE_STR ? 16 : field_size(fields[i].type);
    return bytes;
}

uint64_t trace_table_rows(const trace_table_t *table)
{
    return table->written + table->nbatch;
}

/* ------------------------------------------------------------- attributes */

/* Whether obj and every group on its way exist (H5Lexists fails rather than
 * answering "no" when a parent is missing): 1 yes, 0 no, -1 out of memory. */
static int object_exists(hid_t file, const char *obj)
{
    size_t len = strlen(obj);
    char *buf = dup_string(obj);
    int exists = 1;

    if (buf == NULL)
        return -1;
    for (size_t i = 1; exists == 1 && i <= len; i++) {
        if (obj[i] != '/' && obj[i] != '\0')
            continue;
        buf[i] = '\0';
        exists = H5Lexists(file, buf, H5P_DEFAULT) > 0;
        buf[i] = obj[i];
    }
    free(buf);
    return exists;
}

/* Opens obj, creating it (and its parents) as a group if it is missing.
 * *oom is set when it failed for want of memory. */
static hid_t object_open(hid_t file, const char *obj, bool *oom)
{
    int exists = strcmp(obj, "/") == 0 ? 1 : object_exists(file, obj);

    *oom = exists < 0;
    if (exists != 0)
        return exists > 0 ? H5Oopen(file, obj, H5P_DEFAULT) : H5I_INVALID_HID;
    hid_t lcpl = parents_lcpl();
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    hid_t group = H5I_INVALID_HID;
    if (lcpl >= 0 && gcpl >= 0 && H5Pset_obj_track_times(gcpl, 0) >= 0)
        group = H5Gcreate2(file, obj, lcpl, gcpl, H5P_DEFAULT);
    hid_t stack = stack_save(group < 0);
    close_id(lcpl, H5Pclose);
    close_id(gcpl, H5Pclose);
    stack_restore(stack);
    return group;
}

/* Writes scalar attribute obj@name, replacing an old one of that name. */
static int attr_write(trace_t *trace, const char *obj, const char *name, hid_t disk_type,
                      hid_t mem_type, const void *value, sim_err_t *err)
{
    hid_t oid = H5I_INVALID_HID, space = H5I_INVALID_HID, attr = H5I_INVALID_HID;
    bool oom = false;
    int rc = SIM_OK;

    if (obj == NULL || obj[0] != '/' || name == NULL || name[0] == '\0')
        return sim_err_set(err, SIM_ERR_RUN, "bad trace attribute '%s@%s'",
                           obj ? obj : "(null)", name ? name : "(null)");
    if (disk_type < 0 || mem_type < 0 ||
        (oid = object_open(trace->file, obj, &oom)) < 0 ||
        (H5Aexists(oid, name) > 0 && H5Adelete(oid, name) < 0) ||
        (space = H5Screate(H5S_SCALAR)) < 0 ||
        (attr = H5Acreate2(oid, name, disk_type, space, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        H5Awrite(attr, mem_type, value) < 0) {
        if (oom)
            rc = sim_err_set(err, SIM_ERR_RUN, "cannot write attribute '%s@%s' in '%s': "
                             "out of memory", obj, name, trace->partial);
        else
            rc = h5_fail(err, "cannot write attribute '%s@%s' in '%s'", obj, name,
                         trace->partial);
    }
    close_id(attr, H5Aclose);
    close_id(space, H5Sclose);
    close_id(oid, H5Oclose);
    return rc;
}

int trace_attr_string(trace_t *trace, const char *obj, const char *name, const char *value,
                      sim_err_t *err)
{
    trace_quiet_t q;
    quiet_enter(&q);
    const char *v = value != NULL ? value : "";
    hid_t type = string_type();
    int rc = attr_write(trace, obj, name, type, type, &v, err);
    close_id(type, H5Tclose);
    quiet_leave(&q);
    return rc;
}

int trace_attr_i64(trace_t *trace, const char *obj, const char *name, int64_t value,
                   sim_err_t *err)
{
    trace_quiet_t q;
    quiet_enter(&q);
    int rc = attr_write(trace, obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value, err);
    quiet_leave(&q);
    return rc;
}

int trace_attr_u64(trace_t *trace, const char *obj, const char *name, uint64_t value,
                   sim_err_t *err)
{
    trace_quiet_t q;
    quiet_enter(&q);
    int rc = attr_write(trace, obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value, err);
    quiet_leave(&q);
    return rc;
}

int trace_attr_f64(trace_t *trace, const char *obj, const char *name, double value,
                   sim_err_t *err)
{
    trace_quiet_t q;
    quiet_enter(&q);
    int rc = attr_write(trace, obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value, err);
    quiet_leave(&q);
    return rc;
}

/* ------------------------------------------------------------- close */

/* Flushes every table and then, last, marks the file complete. */
static int trace_finish(trace_t *trace, sim_err_t *err)
{
    for (size_t i = 0; i < trace->ntables; i++)
        if (table_flush(trace->tables[i], err) != SIM_OK)
            return SIM_ERR_RUN;
    int64_t one = 1;
    return attr_write(trace, "/metadata", "completed", H5T_STD_I64LE, H5T_NATIVE_INT64, &one,
                      err);
}

/* Renames the finished partial file to the output in one step. Whatever
 * now stands at the output must still be a regular file (or nothing): a
 * device node or FIFO made there during the run is not replaced. */
static int partial_rename(const trace_t *trace, sim_err_t *err)
{
    struct stat st;

    if (lstat(trace->path, &st) == 0 && !S_ISREG(st.st_mode))
        return sim_err_set(err, SIM_ERR_RUN, "output '%s' is %s, not a regular file: "
                           "refusing to replace it", trace->path, file_kind(st.st_mode));
    if (rename(trace->partial, trace->path) != 0)
        return sim_err_set(err, SIM_ERR_RUN, "cannot rename '%s' to '%s': %s",
                           trace->partial, trace->path, strerror(errno));
    return SIM_OK;
}

typedef enum trace_end { TRACE_END_COMPLETE, TRACE_END_DISCARD, TRACE_END_KEEP } trace_end_t;

static int trace_end(trace_t *trace, trace_end_t how, sim_err_t *err)
{
    trace_quiet_t q;
    const bool complete = how == TRACE_END_COMPLETE;
    int rc = SIM_OK;

    if (trace == NULL)
        return SIM_OK;
    quiet_enter(&q);
    if (complete)
        rc = trace_finish(trace, err);
    for (size_t i = 0; how == TRACE_END_KEEP && i < trace->ntables && rc == SIM_OK; i++)
        rc = table_flush(trace->tables[i], err);
    for (size_t i = 0; i < trace->ntables; i++)
        table_free(trace->tables[i]);
    /* HDF5 writes what it still caches (most of a small trace) here. */
    if (file_close(trace->file) < 0 && rc == SIM_OK)
        rc = h5_fail(err, "cannot write '%s'", trace->partial);

    if (complete && rc == SIM_OK)
        rc = partial_rename(trace, err);
    /* A failed run, or a complete one that could not be finalised, leaves
     * nothing behind: the partial file already says completed=1 when only
     * the rename failed. A kept one stays, saying completed=0, when it
     * could be written whole. */
    if (how == TRACE_END_DISCARD || rc != SIM_OK) {
        if (remove(trace->partial) != 0 && rc == SIM_OK)
            rc = sim_err_set(err, SIM_ERR_RUN, "cannot remove '%s': %s", trace->partial,
                             strerror(errno));
    }
    close_id(trace->dxpl, H5Pclose);
    free(trace->tconv);
    free(trace->bkg);
    free(trace->tables);
    free(trace->path);
    free(trace->partial);
    free(trace);
    quiet_leave(&q);
    return rc;
}

int trace_close(trace_t *trace, bool complete, sim_err_t *err)
{
    return trace_end(trace, complete ? TRACE_END_COMPLETE : TRACE_END_DISCARD, err);
}

int trace_close_incomplete(trace_t *trace, sim_err_t *err)
{
    return trace_end(trace, TRACE_END_KEEP, err);
}

const char *trace_partial_path(const trace_t *trace)
{
    return trace->partial;
}

/* ------------------------------------------------------------- reading */

struct trace_reader {
    hid_t file;
    char *path;
};

trace_reader_t *trace_reader_open(const char *path, sim_err_t *err)
{
    trace_quiet_t q;
    trace_reader_t *r = calloc(1, sizeof *r);

    quiet_enter(&q);
    if (r == NULL || (r->path = dup_string(path)) == NULL) {
        sim_err_set(err, SIM_ERR_RUN, "out of memory");
        goto fail;
    }
    r->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (r->file < 0) {
        h5_fail(err, "cannot open trace '%s'", path);
        if (err != NULL)
            err->code = SIM_ERR_INPUT;
        goto fail;
    }
    quiet_leave(&q);
    return r;
fail:
    if (r != NULL)
        free(r->path);
    free(r);
    quiet_leave(&q);
    return NULL;
}

void trace_reader_close(trace_reader_t *reader)
{
    trace_quiet_t q;
    if (reader == NULL)
        return;
    quiet_enter(&q);
    file_close(reader->file);
    quiet_leave(&q);
    free(reader->path);
    free(reader);
}

/* The dataset `table`, or a negative id when it is missing. */
static hid_t reader_dataset(const trace_reader_t *r, const char *table)
{
    if (table == NULL || table[0] != '/' || object_exists(r->file, table) != 1)
        return H5I_INVALID_HID;
    return H5Dopen2(r->file, table, H5P_DEFAULT);
}

bool trace_reader_has(trace_reader_t *reader, const char *table, const char *column)
{
    trace_quiet_t q;
    hid_t dset, type = H5I_INVALID_HID;
    bool has;

    quiet_enter(&q);
    dset = reader_dataset(reader, table);
    has = dset >= 0;
    if (has && column != NULL) {
        type = H5Dget_type(dset);
        has = type >= 0 && H5Tget_class(type) == H5T_COMPOUND &&
              H5Tget_member_index(type, column) >= 0;
    }
    close_id(type, H5Tclose);
    close_id(dset, H5Dclose);
    quiet_leave(&q);
    return has;
}

int trace_reader_columns(trace_reader_t *reader, const char *table, char ***names, size_t *n,
                         sim_err_t *err)
{
    trace_quiet_t q;
    hid_t dset, type = H5I_INVALID_HID;
    int members, rc = SIM_OK;
    char **v = NULL;

    *names = NULL;
    *n = 0;
    quiet_enter(&q);
    if ((dset = reader_dataset(reader, table)) < 0 || (type = H5Dget_type(dset)) < 0 ||
        H5Tget_class(type) != H5T_COMPOUND || (members = H5Tget_nmembers(type)) < 0) {
        rc = sim_err_set(err, SIM_ERR_INPUT, "%s: no table '%s'", reader->path, table);
        goto out;
    }
    if ((v = calloc((size_t)members + 1, sizeof *v)) == NULL) {
        rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
        goto out;
    }
    for (int i = 0; i < members && rc == SIM_OK; i++) {
        const H5T_class_t c = H5Tget_member_class(type, (unsigned)i);
        char *name;
        if (c != H5T_INTEGER && c != H5T_FLOAT)
            continue;
        if ((name = H5Tget_member_name(type, (unsigned)i)) == NULL ||
            (v[*n] = strdup(name)) == NULL)
            rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
        else
            (*n)++;
        H5free_memory(name);
    }
    if (rc == SIM_OK) {
        *names = v;
        v = NULL;
    }
out:
    for (size_t i = 0; v != NULL && v[i] != NULL; i++)
        free(v[i]);
    free(v);
    if (rc != SIM_OK)
        *n = 0;
    close_id(type, H5Tclose);
    close_id(dset, H5Dclose);
    quiet_leave(&q);
    return rc;
}

/* Whether member `column` of compound `type` is an integer or a float. */
static bool reader_numeric(hid_t type, const char *column)
{
    int i = H5Tget_member_index(type, column);
    H5T_class_t c = i >= 0 ? H5Tget_member_class(type, (unsigned)i) : H5T_NO_CLASS;
    return c == H5T_INTEGER || c == H5T_FLOAT;
}

int trace_read_column(trace_reader_t *reader, const char *table, const char *column,
                      double **values, size_t *n, sim_err_t *err)
{
    trace_quiet_t q;
    hid_t dset, type = H5I_INVALID_HID, space = H5I_INVALID_HID, mem = H5I_INVALID_HID;
    hssize_t rows = 0;
    double *v = NULL;
    int rc = SIM_OK;

    *values = NULL;
    *n = 0;
    quiet_enter(&q);
    if ((dset = reader_dataset(reader, table)) < 0) {
        rc = sim_err_set(err, SIM_ERR_INPUT, "%s: no table '%s'", reader->path, table);
        goto out;
    }
    if ((type = H5Dget_type(dset)) < 0 || H5Tget_class(type) != H5T_COMPOUND ||
        !reader_numeric(type, column)) {
        rc = sim_err_set(err, SIM_ERR_INPUT, "%s: table '%s' has no numeric column '%s'",
                         reader->path, table, column);
        goto out;
    }
    if ((space = H5Dget_space(dset)) < 0 || (rows = H5Sget_simple_extent_npoints(space)) < 0 ||
        (mem = H5Tcreate(H5T_COMPOUND, sizeof(double))) < 0 ||
        H5Tinsert(mem, column, 0, H5T_NATIVE_DOUBLE) < 0) {
        rc = h5_fail(err, "%s: cannot read '%s' of '%s'", reader->path, column, table);
        goto out;
    }
    if ((v = malloc(((size_t)rows + 1) * sizeof *v)) == NULL) {
        rc = sim_err_set(err, SIM_ERR_RUN, "out of memory");
        goto out;
    }
    /* HDF5 picks the member by name and converts it to double. */
    if (rows > 0 && H5Dread(dset, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) {
        rc = h5_fail(err, "%s: cannot read '%s' of '%s'", reader->path, column, table);
        goto out;
    }
    *values = v;
    *n = (size_t)rows;
    v = NULL;
out:
    free(v);
    close_id(mem, H5Tclose);
    close_id(space, H5Sclose);
    close_id(type, H5Tclose);
    close_id(dset, H5Dclose);
    quiet_leave(&q);
    return rc;
}

/* Opens obj@name; a negative id when either is missing. */
static hid_t reader_attr(const trace_reader_t *r, const char *obj, const char *name)
{
    hid_t attr = H5I_INVALID_HID;
    if (obj == NULL || obj[0] != '/' || !(strcmp(obj, "/") == 0 || object_exists(r->file, obj) == 1))
        return H5I_INVALID_HID;
    if (H5Aexists_by_name(r->file, obj, name, H5P_DEFAULT) > 0)
        attr = H5Aopen_by_name(r->file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    return attr;
}

/* Reads a string attribute of type `type` into a malloc'ed copy. */
static char *reader_string(hid_t attr, hid_t type)
{
    hid_t mem = H5Tcopy(H5T_C_S1);
    char *copy = NULL;

    if (mem < 0)
        return NULL;
    /* HDF5 does not convert between character sets: read as stored. */
    if (H5Tset_cset(mem, H5Tget_cset(type)) < 0) {
        H5Tclose(mem);
        return NULL;
    }
    if (H5Tis_variable_str(type) > 0) {
        char *vl = NULL;
        if (H5Tset_size(mem, H5T_VARIABLE) >= 0 && H5Aread(attr, mem, &vl) >= 0 && vl != NULL) {
            copy = dup_string(vl);
            H5free_memory(vl);
        }
    } else {
        size_t size = H5Tget_size(type);
        if (size > 0 && (copy = calloc(1, size + 1)) != NULL &&
            (H5Tset_size(mem, size + 1) < 0 || H5Tset_strpad(mem, H5T_STR_NULLTERM) < 0 ||
             H5Aread(attr, mem, copy) < 0)) {
            free(copy);
            copy = NULL;
        }
    }
    H5Tclose(mem);
    return copy;
}

/* Opens obj@name and checks that its class is `cls`; on failure closes
 * what it opened and reports "no attribute" or "is not a WHAT". */
static int reader_attr_of_class(const trace_reader_t *r, const char *obj, const char *name,
                                H5T_class_t cls, const char *what, hid_t *attr, hid_t *type,
                                sim_err_t *err)
{
    *type = H5I_INVALID_HID;
    if ((*attr = reader_attr(r, obj, name)) < 0)
        return sim_err_set(err, SIM_ERR_INPUT, "%s: no attribute '%s@%s'", r->path, obj,
                           name);
    if ((*type = H5Aget_type(*attr)) < 0 || H5Tget_class(*type) != cls) {
        close_id(*type, H5Tclose);
        close_id(*attr, H5Aclose);
        *type = *attr = H5I_INVALID_HID;
        return sim_err_set(err, SIM_ERR_INPUT, "%s: attribute '%s@%s' is not %s", r->path,
                           obj, name, what);
    }
    return SIM_OK;
}

int trace_read_attr_string(trace_reader_t *reader, const char *obj, const char *name,
                           char **value, sim_err_t *err)
{
    trace_quiet_t q;
    hid_t attr, type;
    int rc;

    *value = NULL;
    quiet_enter(&q);
    rc = reader_attr_of_class(reader, obj, name, H5T_STRING, "a string", &attr, &type, err);
    if (rc == SIM_OK && (*value = reader_string(attr, type)) == NULL)
        rc = h5_fail(err, "%s: cannot read attribute '%s@%s'", reader->path, obj, name);
    close_id(type, H5Tclose);
    close_id(attr, H5Aclose);
    quiet_leave(&q);
    return rc;
}

int trace_read_attr_i64(trace_reader_t *reader, const char *obj, const char *name,
                        int64_t *value, sim_err_t *err)
{
    trace_quiet_t q;
    hid_t attr, type;
    int rc;

    quiet_enter(&q);
    rc = reader_attr_of_class(reader, obj, name, H5T_INTEGER, "an integer", &attr, &type, err);
    if (rc == SIM_OK && H5Aread(attr, H5T_NATIVE_INT64, value) < 0)
        rc = sim_err_set(err, SIM_ERR_INPUT, "%s: attribute '%s@%s' is not an integer",
                         reader->path, obj, name);
    close_id(type, H5Tclose);
    close_id(attr, H5Aclose);
    quiet_leave(&q);
    return rc;
}
