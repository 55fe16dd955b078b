/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * datadir.h - where the bundled scenarios are, finding one by name, and
 * listing them (`qkmsim run NAME`, `qkmsim list`; docs/user-guide.md,
 * "Bundled scenarios").
 *
 * The scenario folder is chosen once, from where the running program is
 * (/proc/self/exe):
 *   - a program in the build folder it was built in (QKM_BUILDDIR) reads
 *     the source tree's scenarios/ (QKM_SRCDIR "/scenarios");
 *   - any other (installed) program reads QKM_DATADIR "/scenarios", the
 *     folder `make install` fills; when that folder does not exist, the
 *     program's own ../share/qkmsim/scenarios (a prefix that was moved,
 *     or a DESTDIR staging tree).
 */
#ifndef QKM_SIM_DATADIR_H
#define QKM_SIM_DATADIR_H

#include <stdbool.h>
#include <stddef.h>

#include "sim/error.h"

/* The bundled scenario folder (above), malloc'd into *dir. SIM_ERR_RUN
 * when out of memory. The folder may not exist; the caller says so. */
int sim_scenario_dir(char **dir, sim_err_t *err);

/* Resolves the FILE argument of run and validate. When `file` exists as
 * given, or contains a '/', *path is a copy of it and *bundled is false.
 * Otherwise it is looked up in the scenario folder as `file`, then as
 * `file`.xml: *path is the file found and *bundled is true. SIM_ERR_INPUT
 * when neither exists ("no file 'x' here, and no bundled scenario 'x' in
 * DIR"), SIM_ERR_RUN when out of memory. */
int sim_find_scenario(const char *file, char **path, bool *bundled, sim_err_t *err);

/* One bundled scenario, as `qkmsim list` shows it. */
typedef struct sim_bundled {
    char *name;         /* the file name without .xml: what `run NAME` takes */
    char *path;         /* the file */
    char *title;        /* <scenario name="..."> */
    char *summary;      /* first sentence of the leading comment (see .c) */
} sim_bundled_t;

/* Every *.xml file of the scenario folder (not its subfolders) whose root
 * is a valid <scenario>, sorted by name, into a malloc'd array *out of *n
 * entries. A file that fails to load is left out. SIM_ERR_INPUT when the
 * folder cannot be read, SIM_ERR_RUN when out of memory. */
int sim_list_bundled(const char *dir, sim_bundled_t **out, size_t *n, sim_err_t *err);
void sim_bundled_free(sim_bundled_t *list, size_t n);

/* The description rule on its own (for tests): the first sentence of the
 * comment that precedes the root element of the XML text, whitespace
 * collapsed to single spaces, at most `max` bytes (cut at a space, "..."
 * appended). A sentence ends at a '.' followed by white space or the end
 * of the comment, or at an empty line. malloc'd; "" when there is no
 * leading comment; NULL when out of memory. */
char *sim_leading_comment_summary(const char *text, size_t len, size_t max);

#endif
