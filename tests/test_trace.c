/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_trace.c - the HDF5 trace writer (read back with HDF5 directly) and
 * the SHA-256 digest (FIPS 180-4 example vectors).
 */
#define _POSIX_C_SOURCE 200809L

#include "sim/digest.h"
#include "sim/trace.h"

#include <CUnit/Basic.h>
#include <hdf5.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Crosses two batch boundaries and ends in a partial batch. */
#define NREC (2 * TRACE_BATCH_RECORDS + 123)
#define NSMALL 3

typedef struct rec_all {
    uint8_t u8;
    int32_t i32;
    const char *name;
    uint32_t u32;
    int64_t i64;
    uint64_t u64;
    double f64;
    const char *note;
} rec_all_t;

typedef struct rec_small {
    int64_t id;
    double x;
} rec_small_t;

/* The same layout with strings that HDF5 allocates on read. */
typedef struct rec_read {
    uint8_t u8;
    int32_t i32;
    char *name;
    uint32_t u32;
    int64_t i64;
    uint64_t u64;
    double f64;
    char *note;
} rec_read_t;

static const trace_field_t ALL_FIELDS[] = {
    { "u8", TRACE_U8, offsetof(rec_all_t, u8) },
    { "i32", TRACE_I32, offsetof(rec_all_t, i32) },
    { "name", TRACE_STR, offsetof(rec_all_t, name) },
    { "u32", TRACE_U32, offsetof(rec_all_t, u32) },
    { "i64", TRACE_I64, offsetof(rec_all_t, i64) },
    { "u64", TRACE_U64, offsetof(rec_all_t, u64) },
    { "f64", TRACE_F64, offsetof(rec_all_t, f64) },
    { "note", TRACE_STR, offsetof(rec_all_t, note) },
};
#define NALL (sizeof ALL_FIELDS / sizeof ALL_FIELDS[0])

static const trace_field_t SMALL_FIELDS[] = {
    { "id", TRACE_I64, offsetof(rec_small_t, id) },
    { "x", TRACE_F64, offsetof(rec_small_t, x) },
};

static char tmpdir[64];

static int suite_init(void)
{
    H5open();
    strcpy(tmpdir, "/tmp/qkm_test_trace_XXXXXX");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int suite_clean(void)
{
    return rmdir(tmpdir);
}

/* Open HDF5 files and objects in them (datasets, groups, named types,
 * attributes), to show that the writer closes all it opens, on success and
 * on failure. */
static ssize_t open_ids(void)
{
    return H5Fget_obj_count((hid_t)H5F_OBJ_ALL, H5F_OBJ_ALL);
}

static int exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* Record i, with values at the ends of each type's range; the name is
 * formatted into buf, which the caller reuses, so the writer must copy. */
static rec_all_t make_record(size_t i, char *buf, size_t bufsize)
{
    static const char *const notes[] = { "", NULL, "caf\xc3\xa9 \xce\xbb=1550nm",
                                         "a longer note that is well over sixteen bytes" };
    rec_all_t r;
    snprintf(buf, bufsize, "rec-%zu", i);
    r.u8 = (uint8_t)(255 - i % 256);
    r.i32 = i % 2 ? INT32_MIN + (int32_t)(i / 2) : INT32_MAX - (int32_t)(i / 2);
    r.name = buf;
    r.u32 = UINT32_MAX - (uint32_t)i;
    r.i64 = INT64_MIN + (int64_t)i * 3;
    r.u64 = UINT64_MAX - (uint64_t)i;
    r.f64 = (double)i * 0.1 - 1e300 * (double)(i % 3);
    r.note = notes[i % 4];
    return r;
}

/* ------------------------------------------------------------- readers */

static hid_t read_type(void)
{
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, H5T_VARIABLE);
    H5Tset_cset(str, H5T_CSET_UTF8);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(rec_read_t));
    H5Tinsert(t, "u8", offsetof(rec_read_t, u8), H5T_NATIVE_UINT8);
    H5Tinsert(t, "i32", offsetof(rec_read_t, i32), H5T_NATIVE_INT32);
    H5Tinsert(t, "name", offsetof(rec_read_t, name), str);
    H5Tinsert(t, "u32", offsetof(rec_read_t, u32), H5T_NATIVE_UINT32);
    H5Tinsert(t, "i64", offsetof(rec_read_t, i64), H5T_NATIVE_INT64);
    H5Tinsert(t, "u64", offsetof(rec_read_t, u64), H5T_NATIVE_UINT64);
    H5Tinsert(t, "f64", offsetof(rec_read_t, f64), H5T_NATIVE_DOUBLE);
    H5Tinsert(t, "note", offsetof(rec_read_t, note), str);
    H5Tclose(str);
    return t;
}

static hsize_t dataset_rows(hid_t file, const char *name)
{
    hsize_t dims = 0;
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t s = H5Dget_space(d);
    CU_ASSERT_EQUAL(H5Sget_simple_extent_ndims(s), 1);
    H5Sget_simple_extent_dims(s, &dims, NULL);
    H5Sclose(s);
    H5Dclose(d);
    return dims;
}

/* The on-disk type: the little-endian standard types, UTF-8 strings, and
 * packed (each member starts where the previous one ends). */
static void check_disk_type(hid_t file)
{
    /* -1: a string column */
    const hid_t le[] = { H5T_STD_U8LE, H5T_STD_I32LE, -1, H5T_STD_U32LE,
                         H5T_STD_I64LE, H5T_STD_U64LE, H5T_IEEE_F64LE, -1 };
    hid_t d = H5Dopen2(file, "/nodes/A/levels", H5P_DEFAULT);
    hid_t t = H5Dget_type(d);
    CU_ASSERT_EQUAL(H5Tget_class(t), H5T_COMPOUND);
    CU_ASSERT_EQUAL(H5Tget_nmembers(t), (int)NALL);
    size_t next = 0;
    for (unsigned i = 0; i < NALL && (int)i < H5Tget_nmembers(t); i++) {
        char *name = H5Tget_member_name(t, i);
        CU_ASSERT_STRING_EQUAL(name, ALL_FIELDS[i].name);
        H5free_memory(name);
        hid_t m = H5Tget_member_type(t, i);
        CU_ASSERT_EQUAL(H5Tget_member_offset(t, i), next);
        next += H5Tget_size(m);
        if (le[i] == -1) {
            CU_ASSERT_EQUAL(H5Tget_class(m), H5T_STRING);
            CU_ASSERT(H5Tis_variable_str(m) > 0);
            CU_ASSERT_EQUAL(H5Tget_cset(m), H5T_CSET_UTF8);
        } else {
            CU_ASSERT(H5Tequal(m, le[i]) > 0);
        }
        H5Tclose(m);
    }
    CU_ASSERT_EQUAL(H5Tget_size(t), next);
    H5Tclose(t);
    H5Dclose(d);
}

static void check_all_records(hid_t file)
{
    CU_ASSERT_EQUAL_FATAL(dataset_rows(file, "/nodes/A/levels"), NREC);
    rec_read_t *got = calloc(NREC, sizeof *got);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    hid_t d = H5Dopen2(file, "/nodes/A/levels", H5P_DEFAULT);
    hid_t t = read_type();
    CU_ASSERT_FATAL(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, got) >= 0);

    size_t bad = 0;
    char buf[32];
    for (size_t i = 0; i < NREC; i++) {
        rec_all_t w = make_record(i, buf, sizeof buf);
        const rec_read_t *r = &got[i];
        int ok = r->u8 == w.u8 && r->i32 == w.i32 && r->u32 == w.u32 && r->i64 == w.i64 &&
                 r->u64 == w.u64 && memcmp(&r->f64, &w.f64, sizeof w.f64) == 0 &&
                 r->name != NULL && strcmp(r->name, buf) == 0 && r->note != NULL &&
                 strcmp(r->note, w.note ? w.note : "") == 0;
        if (!ok && bad++ < 5)
            fprintf(stderr, "record %zu differs\n", i);
    }
    CU_ASSERT_EQUAL(bad, 0);

    hid_t s = H5Dget_space(d);
    H5Dvlen_reclaim(t, s, H5P_DEFAULT, got);
    H5Sclose(s);
    H5Tclose(t);
    H5Dclose(d);
    free(got);
}

static void check_small_records(hid_t file)
{
    rec_small_t got[NSMALL];
    CU_ASSERT_EQUAL_FATAL(dataset_rows(file, "/summary/small"), NSMALL);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(rec_small_t));
    H5Tinsert(t, "id", offsetof(rec_small_t, id), H5T_NATIVE_INT64);
    H5Tinsert(t, "x", offsetof(rec_small_t, x), H5T_NATIVE_DOUBLE);
    hid_t d = H5Dopen2(file, "/summary/small", H5P_DEFAULT);
    CU_ASSERT_FATAL(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, got) >= 0);
    for (int i = 0; i < NSMALL; i++) {
        CU_ASSERT_EQUAL(got[i].id, 100 + i);
        CU_ASSERT_DOUBLE_EQUAL(got[i].x, 0.25 * i, 0.0);
    }
    H5Dclose(d);
    H5Tclose(t);
}

static char *attr_string(hid_t file, const char *obj, const char *name)
{
    char *value = NULL, *copy = NULL;
    hid_t a = H5Aopen_by_name(file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    hid_t ft = H5Aget_type(a);
    CU_ASSERT_EQUAL(H5Tget_class(ft), H5T_STRING);
    CU_ASSERT(H5Tis_variable_str(ft) > 0);
    CU_ASSERT_EQUAL(H5Tget_cset(ft), H5T_CSET_UTF8);
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, H5T_VARIABLE);
    H5Tset_cset(mt, H5T_CSET_UTF8);
    if (H5Aread(a, mt, &value) >= 0 && value != NULL) {
        copy = malloc(strlen(value) + 1);
        strcpy(copy, value);
        H5free_memory(value);
    }
    H5Tclose(mt);
    H5Tclose(ft);
    H5Aclose(a);
    return copy;
}

/* Reads a numeric scalar attribute and checks its on-disk type. */
static void attr_number(hid_t file, const char *obj, const char *name, hid_t disk,
                        hid_t mem, void *value)
{
    hid_t a = H5Aopen_by_name(file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    CU_ASSERT_FATAL(a >= 0);
    hid_t ft = H5Aget_type(a);
    CU_ASSERT(H5Tequal(ft, disk) > 0);
    hid_t s = H5Aget_space(a);
    CU_ASSERT_EQUAL(H5Sget_simple_extent_type(s), H5S_SCALAR);
    CU_ASSERT(H5Aread(a, mem, value) >= 0);
    H5Sclose(s);
    H5Tclose(ft);
    H5Aclose(a);
}

static void check_attributes(hid_t file)
{
    char *s = attr_string(file, "/metadata", "program");
    CU_ASSERT_PTR_NOT_NULL(s);
    if (s)
        CU_ASSERT_STRING_EQUAL(s, "qkmsim 0.1 \xe2\x9c\x93");   /* the second value */
    free(s);
    s = attr_string(file, "/metadata", "empty");
    CU_ASSERT_PTR_NOT_NULL(s);
    if (s)
        CU_ASSERT_STRING_EQUAL(s, "");
    free(s);

    uint64_t seed = 0;
    attr_number(file, "/metadata", "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, &seed);
    CU_ASSERT_EQUAL(seed, UINT64_MAX - 6);
    int64_t i = 0;
    attr_number(file, "/nodes/A/levels", "node", H5T_STD_I64LE, H5T_NATIVE_INT64, &i);
    CU_ASSERT_EQUAL(i, -42);
    double x = 0;
    attr_number(file, "/deep/er/group", "x", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &x);
    CU_ASSERT_DOUBLE_EQUAL(x, 2.5e-9, 0.0);
    attr_number(file, "/", "root", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &x);
    CU_ASSERT_DOUBLE_EQUAL(x, -1.0, 0.0);

    int64_t completed = 0;
    attr_number(file, "/metadata", "completed", H5T_STD_I64LE, H5T_NATIVE_INT64, &completed);
    CU_ASSERT_EQUAL(completed, 1);
}

/* ------------------------------------------------------------- tests */

static void test_write_complete(void)
{
    char path[128], partial[160];
    sim_err_t err = { 0 };
    snprintf(path, sizeof path, "%s/run.h5", tmpdir);
    snprintf(partial, sizeof partial, "%s.partial", path);
    ssize_t ids = open_ids();

    trace_t *tr = trace_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tr);
    CU_ASSERT(exists(partial));
    CU_ASSERT(!exists(path));

    trace_table_t *all = trace_table_create(tr, "/nodes/A/levels", sizeof(rec_all_t),
                                            ALL_FIELDS, NALL, &err);
    trace_table_t *small = trace_table_create(tr, "/summary/small", sizeof(rec_small_t),
                                              SMALL_FIELDS, 2, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(all);
    CU_ASSERT_PTR_NOT_NULL_FATAL(small);

    /* A second table of the same name is refused and named. */
    CU_ASSERT_PTR_NULL(trace_table_create(tr, "/summary/small", sizeof(rec_small_t),
                                          SMALL_FIELDS, 2, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "/summary/small"));
    CU_ASSERT_PTR_NULL(trace_table_create(tr, "relative", sizeof(rec_small_t),
                                          SMALL_FIELDS, 2, &err));

    char buf[32];
    int rc = SIM_OK;
    for (size_t i = 0; i < NREC && rc == SIM_OK; i++) {
        rec_all_t r = make_record(i, buf, sizeof buf);
        rc = trace_append(all, &r, &err);
        if (i < NSMALL) {
            rec_small_t sm = { 100 + (int64_t)i, 0.25 * (double)i };
            rc |= trace_append(small, &sm, &err);
        }
        memset(buf, 'X', sizeof buf - 1);   /* the writer must have copied */
    }
    CU_ASSERT_EQUAL(rc, SIM_OK);
    CU_ASSERT_EQUAL(trace_table_rows(all), NREC);
    CU_ASSERT_EQUAL(trace_table_rows(small), NSMALL);

    CU_ASSERT_EQUAL(trace_attr_string(tr, "/metadata", "program", "old", &err), SIM_OK);
    CU_ASSERT_EQUAL(trace_attr_string(tr, "/metadata", "program", "qkmsim 0.1 \xe2\x9c\x93",
                                      &err), SIM_OK);
    CU_ASSERT_EQUAL(trace_attr_string(tr, "/metadata", "empty", NULL, &err), SIM_OK);
    CU_ASSERT_EQUAL(trace_attr_u64(tr, "/metadata", "seed", 1, &err), SIM_OK);
    CU_ASSERT_EQUAL(trace_attr_u64(tr, "/metadata", "seed", UINT64_MAX - 6, &err), SIM_OK);
    CU_ASSERT_EQUAL(trace_attr_i64(tr, "/nodes/A/levels", "node", -42, &err), SIM_OK);
    CU_ASSERT_EQUAL(trace_attr_f64(tr, "/deep/er/group", "x", 2.5e-9, &err), SIM_OK);
    CU_ASSERT_EQUAL(trace_attr_f64(tr, "/", "root", -1.0, &err), SIM_OK);

    CU_ASSERT_EQUAL(trace_close(tr, true, &err), SIM_OK);
    CU_ASSERT_EQUAL(open_ids(), ids);
    CU_ASSERT(!exists(partial));
    CU_ASSERT_FATAL(exists(path));

    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CU_ASSERT_FATAL(file >= 0);
    check_disk_type(file);
    check_all_records(file);
    check_small_records(file);
    check_attributes(file);
    H5Fclose(file);
    CU_ASSERT_EQUAL(remove(path), 0);
}

static void test_close_incomplete(void)
{
    char path[128], partial[160];
    sim_err_t err = { 0 };
    snprintf(path, sizeof path, "%s/failed.h5", tmpdir);
    snprintf(partial, sizeof partial, "%s.partial", path);
    ssize_t ids = open_ids();

    trace_t *tr = trace_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tr);
    trace_table_t *all = trace_table_create(tr, "/levels", sizeof(rec_all_t), ALL_FIELDS, NALL,
                                            &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(all);
    char buf[32];
    /* Some records written, some still buffered (with owned strings). */
    for (size_t i = 0; i < TRACE_BATCH_RECORDS + 10; i++) {
        rec_all_t r = make_record(i, buf, sizeof buf);
        CU_ASSERT_EQUAL_FATAL(trace_append(all, &r, &err), SIM_OK);
    }
    CU_ASSERT_EQUAL(trace_attr_i64(tr, "/metadata", "seed", 7, &err), SIM_OK);
    CU_ASSERT(exists(partial));

    sim_err_clear(&err);
    CU_ASSERT_EQUAL(trace_close(tr, false, &err), SIM_OK);
    CU_ASSERT_EQUAL(err.msg[0], '\0');
    CU_ASSERT_EQUAL(open_ids(), ids);
    CU_ASSERT(!exists(partial));
    CU_ASSERT(!exists(path));
}

static int handler_calls;

static herr_t counting_handler(hid_t stack, void *data)
{
    (void)stack;
    (void)data;
    handler_calls++;
    return 0;
}

static void test_open_bad_directory(void)
{
    char path[160];
    sim_err_t err = { 0 };
    int marker = 0;
    snprintf(path, sizeof path, "%s/no-such-dir/run.h5", tmpdir);

    /* The caller's HDF5 error handler is neither called nor replaced. */
    H5E_auto2_t old_func;
    void *old_data;
    H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data);
    H5Eset_auto2(H5E_DEFAULT, counting_handler, &marker);
    handler_calls = 0;
    ssize_t ids = open_ids();

    CU_ASSERT_PTR_NULL(trace_open(path, &err));
    CU_ASSERT_EQUAL(open_ids(), ids);
    CU_ASSERT_EQUAL(err.code, SIM_ERR_RUN);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "cannot create"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, path));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, ".partial"));
    CU_ASSERT_EQUAL(handler_calls, 0);

    H5E_auto2_t func = NULL;
    void *data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &func, &data);
    CU_ASSERT(func == counting_handler);
    CU_ASSERT(data == &marker);
    H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
}

/* The partial file is never a symlink followed nor a FIFO opened; a stale
 * regular one is replaced. */
static void test_open_partial_not_regular(void)
{
    char path[128], partial[160], victim[160], text[16] = { 0 };
    sim_err_t err = { 0 };
    snprintf(path, sizeof path, "%s/p.h5", tmpdir);
    snprintf(partial, sizeof partial, "%s.partial", path);
    snprintf(victim, sizeof victim, "%s/victim", tmpdir);

    FILE *f = fopen(victim, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("keep", f);
    fclose(f);
    CU_ASSERT_EQUAL_FATAL(symlink(victim, partial), 0);
    CU_ASSERT_PTR_NULL(trace_open(path, &err));
    CU_ASSERT_EQUAL(err.code, SIM_ERR_RUN);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, partial));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "symbolic link"));
    f = fopen(victim, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_PTR_NOT_NULL(fgets(text, sizeof text, f));
    fclose(f);
    CU_ASSERT_STRING_EQUAL(text, "keep");
    CU_ASSERT_EQUAL(unlink(partial), 0);

    CU_ASSERT_EQUAL_FATAL(mkfifo(partial, 0600), 0);
    sim_err_clear(&err);
    CU_ASSERT_PTR_NULL(trace_open(path, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "FIFO"));
    CU_ASSERT_EQUAL(unlink(partial), 0);

    /* A leftover regular partial file (a killed run) is replaced. */
    CU_ASSERT_EQUAL_FATAL(rename(victim, partial), 0);
    trace_t *tr = trace_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tr);
    CU_ASSERT_EQUAL(trace_close(tr, true, &err), SIM_OK);
    CU_ASSERT(exists(path));
    CU_ASSERT(!exists(partial));
    CU_ASSERT_EQUAL(remove(path), 0);
}

/* A FIFO made at the output while the run went on is not renamed over. */
static void test_close_output_not_regular(void)
{
    char path[128], partial[160];
    sim_err_t err = { 0 };
    struct stat st;
    snprintf(path, sizeof path, "%s/fifo.h5", tmpdir);
    snprintf(partial, sizeof partial, "%s.partial", path);

    trace_t *tr = trace_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tr);
    CU_ASSERT_EQUAL_FATAL(mkfifo(path, 0600), 0);
    CU_ASSERT_EQUAL(trace_close(tr, true, &err), SIM_ERR_RUN);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "FIFO"));
    CU_ASSERT(lstat(path, &st) == 0 && S_ISFIFO(st.st_mode));
    CU_ASSERT(!exists(partial));
    CU_ASSERT_EQUAL(unlink(path), 0);
}

/* trace_output_check: the input itself and non-regular files are refused;
 * a new path and an existing regular file pass (trace_output_exists
 * tells the caller about the latter). */
static void test_output_check(void)
{
    char in[128], other[128], link[128];
    sim_err_t err = { 0 };
    snprintf(in, sizeof in, "%s/in.xml", tmpdir);
    snprintf(other, sizeof other, "%s/other.h5", tmpdir);
    snprintf(link, sizeof link, "%s/in-link.xml", tmpdir);
    FILE *f = fopen(in, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fclose(f);
    CU_ASSERT_EQUAL_FATAL(symlink(in, link), 0);

    CU_ASSERT_EQUAL(trace_output_check(other, in, &err), SIM_OK);
    CU_ASSERT(!trace_output_exists(other));
    CU_ASSERT_EQUAL(trace_output_check(in, link, &err), SIM_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "is the scenario file"));
    CU_ASSERT_EQUAL(trace_output_check(tmpdir, NULL, &err), SIM_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "directory"));
    CU_ASSERT_EQUAL(trace_output_check(link, NULL, &err), SIM_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "symbolic link"));
    CU_ASSERT_EQUAL(trace_output_check(in, NULL, &err), SIM_OK);
    CU_ASSERT(trace_output_exists(in));
    CU_ASSERT(trace_output_exists(link));
    CU_ASSERT_EQUAL(unlink(link), 0);
    CU_ASSERT_EQUAL(unlink(in), 0);
}

/* ------------------------------------------------------------- digest */

static void check_hex(const void *data, size_t len, const char *expect)
{
    char hex[65];
    memset(hex, 'Z', sizeof hex);
    CU_ASSERT_EQUAL(digest_sha256_hex(data, len, hex), 0);
    CU_ASSERT_EQUAL(hex[64], '\0');
    CU_ASSERT_STRING_EQUAL(hex, expect);
}

/* FIPS 180-4 examples (NIST "SHA256.pdf" and the long-message vector). */
static void test_sha256_fips(void)
{
    check_hex("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check_hex("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_hex(two, strlen(two),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *million = malloc(1000000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(million);
    memset(million, 'a', 1000000);
    check_hex(million, 1000000,
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(million);
}

/* Lengths around the padding boundaries (one or two final blocks); the
 * expected values come from coreutils sha256sum. */
static void test_sha256_padding(void)
{
    static const struct { size_t n; const char *hex; } cases[] = {
        { 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
        { 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
        { 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
        { 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
        { 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb" },
        { 120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c" },
    };
    char a[128];
    memset(a, 'a', sizeof a);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_hex(a, cases[i].n, cases[i].hex);

    uint8_t raw[32];
    CU_ASSERT_EQUAL(digest_sha256("abc", 3, raw), 0);
    CU_ASSERT_EQUAL(raw[0], 0xba);
    CU_ASSERT_EQUAL(raw[1], 0x78);
    CU_ASSERT_EQUAL(raw[31], 0xad);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite trace = CU_add_suite("trace", suite_init, suite_clean);
    CU_pSuite digest = CU_add_suite("digest", NULL, NULL);
    if (trace == NULL || digest == NULL ||
        CU_add_test(trace, "write, complete, read back", test_write_complete) == NULL ||
        CU_add_test(trace, "close incomplete removes the file", test_close_incomplete) == NULL ||
        CU_add_test(trace, "open in a missing directory", test_open_bad_directory) == NULL ||
        CU_add_test(trace, "partial file not regular", test_open_partial_not_regular) == NULL ||
        CU_add_test(trace, "output not regular at close", test_close_output_not_regular) == NULL ||
        CU_add_test(trace, "output check", test_output_check) == NULL ||
        CU_add_test(digest, "FIPS 180-4 vectors", test_sha256_fips) == NULL ||
        CU_add_test(digest, "padding boundaries", test_sha256_padding) == NULL) {
        CU_cleanup_registry();
        return 1;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
