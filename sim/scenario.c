/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * scenario.c - loading a scenario (see scenario.h); the only user of libxml2.
 *
 * libxml2 reports errors through callbacks. Every callback here is set on
 * the one context it belongs to (the parser's SAX handler, the schema
 * contexts, the XPath context), so that the library prints nothing and two
 * loads never see each other's errors. A few errors have no context
 * (encoding conversion, I/O: a scenario declared as EUC-JP holding bytes
 * that are not) and go to libxml2's global structured handler, which
 * prints by default; so a load points that handler (thread-local in
 * libxml2's threaded builds) at its own diagnostics for its duration and
 * puts the old one back (scn_guard_enter / scn_guard_leave), as topo.c
 * does for igraph's handlers. The callbacks collect the first few errors
 * into a scn_diag_t, which the caller turns into one sim_err_t message.
 *
 * A scenario is untrusted input: no network access (XML_PARSE_NONET), no
 * entity substitution (no XML_PARSE_NOENT), and DOCTYPE declarations are
 * refused outright, which also rules out entity expansion attacks.
 */
#define _POSIX_C_SOURCE 200809L

#include "sim/scenario.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <limits.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>

#include "sim/units.h"

/* Generated from scenarios/qkmsim.xsd by the Makefile (sim/schema_xsd.c). */
extern const char scn_schema_xsd[];

/* libxml2 2.12 made the error argument of structured handlers const. */
#if LIBXML_VERSION >= 21200
typedef const xmlError scn_xml_error_t;
#else
typedef xmlError scn_xml_error_t;
#endif

/* ------------------------------------------------------------ arena */

/* Everything a scenario points to lives in one arena, so scn_free is one
 * loop and a failure half-way through a load leaks nothing. */
enum { SCN_CHUNK = 16384 };

typedef struct scn_chunk {
    struct scn_chunk *next;
    size_t used, size;
    max_align_t mem[];
} scn_chunk_t;

typedef struct scn_impl {
    scn_t pub;               /* first: scn_free casts back to scn_impl_t */
    scn_chunk_t *chunks;
} scn_impl_t;

static void *scn_alloc(scn_impl_t *s, size_t n)
{
    const size_t align = alignof(max_align_t);
    scn_chunk_t *c = s->chunks;
    void *p;

    n = (n + align - 1) / align * align;
    if (c == NULL || c->size - c->used < n) {
        size_t size = n > SCN_CHUNK ? n : SCN_CHUNK;
        if ((c = malloc(sizeof *c + size)) == NULL)
            return NULL;
        c->next = s->chunks;
        c->used = 0;
        c->size = size;
        s->chunks = c;
    }
    p = (char *)c->mem + c->used;
    c->used += n;
    return p;
}

static char *scn_strndup(scn_impl_t *s, const char *text, size_t len)
{
    char *p = scn_alloc(s, len + 1);

    if (p != NULL) {
        memcpy(p, text, len);
        p[len] = '\0';
    }
    return p;
}

static char *scn_strdup(scn_impl_t *s, const char *text)
{
    return scn_strndup(s, text, strlen(text));
}

/* A copy with XML whitespace collapsed as xs:token does (every attribute of
 * the format is a token), so that the code sees the value the schema
 * checked: id=" A " is the node "A". */
static char *scn_token_dup(scn_impl_t *s, const char *text)
{
    char *out = scn_alloc(s, strlen(text) + 1);
    char *q = out;
    int space = 0;

    if (out == NULL)
        return NULL;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
            space = q != out;
            continue;
        }
        if (space)
            *q++ = ' ';
        space = 0;
        *q++ = *p;
    }
    *q = '\0';
    return out;
}

/* ------------------------------------------------------------ lines */

/* libxml2 keeps an element's line in 16 bits; past line 65535,
 * xmlGetLineNo borrows a neighbour's line and can be off, and it gives the
 * line where a start tag ends. So the parser records the line where every
 * element begins in its _private field (scn_on_start). */
static long scn_line(const xmlNode *node)
{
    if (node->_private != NULL)
        return (long)(intptr_t)node->_private;
    return xmlGetLineNo(node);
}

/* ------------------------------------------------------------ diagnostics */

typedef struct scn_diag {
    const char *file;        /* named in every message */
    int max;                 /* errors reported; later ones are only counted */
    int count;               /* errors seen */
    bool oom;                /* one of them was libxml2 running out of memory */
    size_t len;              /* of msg */
    char msg[SIM_ERR_MSG_MAX];
} scn_diag_t;

/* "<name>" or "<name id="X">", as every message names an element. */
static void scn_describe(char *buf, size_t len, const char *name, const char *id)
{
    if (id != NULL)
        snprintf(buf, len, "<%s id=\"%s\">", name, id);
    else
        snprintf(buf, len, "<%s>", name);
}

/* libxml2's schema messages begin "Element 'x': " or "Element 'x',
 * attribute 'y': "; the element is named by the location already. */
static const char *scn_strip_element(const char *message)
{
    static const char lead[] = "Element '";
    const char *q;

    if (strncmp(message, lead, sizeof lead - 1) != 0)
        return message;
    q = strchr(message + sizeof lead - 1, '\'');
    if (q != NULL && (q[1] == ':' || q[1] == ',') && q[2] == ' ')
        return q + 3;
    return message;
}

static void scn_diag_note(scn_diag_t *d, long line, const xmlNode *node, const char *message)
{
    char elem[512] = "";
    char at[32] = "";
    char text[SIM_ERR_MSG_MAX];
    size_t n = 0, room = sizeof d->msg - d->len;
    int w;

    if (++d->count > d->max || room <= 1)
        return;
    if (node != NULL && node->type == XML_ELEMENT_NODE) {
        xmlChar *id = xmlGetProp(node, (const xmlChar *)"id");
        scn_describe(elem, sizeof elem - 2, (const char *)node->name, (const char *)id);
        strcat(elem, ": ");
        xmlFree(id);
        line = scn_line(node);
        message = scn_strip_element(message);
    }
    if (line > 0)
        snprintf(at, sizeof at, ":%ld", line);
    /* one line, without libxml2's trailing newline */
    for (const char *p = message; *p != '\0' && n < sizeof text - 1; p++)
        text[n++] = (*p == '\n' || *p == '\r') ? ' ' : *p;
    while (n > 0 && text[n - 1] == ' ')
        n--;
    text[n] = '\0';
    w = snprintf(d->msg + d->len, room, "%s%s%s: %s%s", d->len > 0 ? "; " : "", d->file, at,
                 elem, text);
    if (w > 0)
        d->len += (size_t)w < room ? (size_t)w : room - 1;
}

static void scn_diag_add(scn_diag_t *d, scn_xml_error_t *e)
{
    if (e == NULL || e->level < XML_ERR_ERROR)   /* warnings do not fail a load */
        return;
    if (e->code == XML_ERR_NO_MEMORY)
        d->oom = true;
    scn_diag_note(d, e->line, e->node, e->message != NULL ? e->message : "error");
}

/* The collected errors as the result; code when there were some. Running
 * out of memory is never the scenario's fault: SIM_ERR_RUN, whatever the
 * parser or the validator made of the document before. */
static int scn_diag_fail(const scn_diag_t *d, int code, sim_err_t *err)
{
    if (d->oom)
        return sim_err_set(err, SIM_ERR_RUN, "%s: out of memory", d->file);
    if (d->count == 0)
        return sim_err_set(err, code, "%s: not a valid scenario", d->file);
    if (d->count > d->max)
        return sim_err_set(err, code, "%s; and %d more error%s", d->msg, d->count - d->max,
                           d->count - d->max > 1 ? "s" : "");
    return sim_err_set(err, code, "%s", d->msg);
}

/* For the schema contexts and the guard: data is the scn_diag_t, or NULL
 * to drop the error. */
static void scn_on_error(void *data, scn_xml_error_t *e)
{
    if (data != NULL)
        scn_diag_add(data, e);
}

/* The global structured handler for errors that have no context (see the
 * top of this file): handler(data, error) gets them until leave. */
typedef struct scn_guard {
    xmlStructuredErrorFunc handler;
    void *data;
} scn_guard_t;

static void scn_guard_enter(scn_guard_t *g, xmlStructuredErrorFunc handler, void *data)
{
    g->handler = xmlStructuredError;
    g->data = xmlStructuredErrorContext;
    xmlSetStructuredErrorFunc(data, handler);
}

static void scn_guard_leave(const scn_guard_t *g)
{
    xmlSetStructuredErrorFunc(g->data, g->handler);
}

/* For the parser: data is the parser context, whose _private is ours. */
static void scn_on_parse_error(void *data, scn_xml_error_t *e)
{
    xmlParserCtxtPtr ctxt = data;
    scn_diag_add(ctxt->_private, e);
}

/* For the guard during a parse: an error without context (encoding
 * conversion) is placed at the line the parser has reached. */
static void scn_on_stray_parse_error(void *data, scn_xml_error_t *e)
{
    xmlParserCtxtPtr ctxt = data;

    if (e == NULL || e->level < XML_ERR_ERROR)
        return;
    if (e->code == XML_ERR_NO_MEMORY)
        ((scn_diag_t *)ctxt->_private)->oom = true;
    scn_diag_note(ctxt->_private, ctxt->input != NULL ? ctxt->input->line : e->line,
                  NULL, e->message != NULL ? e->message : "error");
}

/* A DOCTYPE could declare entities and default attributes that the schema
 * never sees; scenarios have no use for one. */
static void scn_on_doctype(void *data, const xmlChar *name, const xmlChar *external_id,
                           const xmlChar *system_id)
{
    xmlParserCtxtPtr ctxt = data;

    (void)name;
    (void)external_id;
    (void)system_id;
    scn_diag_note(ctxt->_private, ctxt->input != NULL ? ctxt->input->line : 0, NULL,
                  "DOCTYPE declarations are not allowed in a scenario");
    xmlStopParser(ctxt);
}

/* The line of the '<' that opens the start tag the parser has just read
 * (it stands at the tag's end; '<' cannot occur inside the tag). */
static long scn_tag_line(const xmlParserInput *in)
{
    long line = in->line;

    for (const xmlChar *p = in->cur; p > in->base;) {
        --p;
        if (*p == '<')
            return line;
        line -= *p == '\n';
    }
    return in->line;   /* the tag's start is no longer buffered */
}

/* The SAX2 tree builder's start, then the element's line (see scn_line):
 * where its start tag begins; libxml2 would give where it ends. */
static void scn_on_start(void *data, const xmlChar *localname, const xmlChar *prefix,
                         const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
                         int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
    xmlParserCtxtPtr ctxt = data;
    xmlNodePtr parent = ctxt->node;

    xmlSAX2StartElementNs(data, localname, prefix, uri, nb_namespaces, namespaces,
                          nb_attributes, nb_defaulted, attributes);
    if (ctxt->node != NULL && ctxt->node != parent && ctxt->input != NULL)
        ctxt->node->_private = (void *)(intptr_t)scn_tag_line(ctxt->input);
}

/* XPath errors stay in the context's lastError, which the caller reads;
 * the handler only keeps libxml2 from printing them. */
static void scn_on_xpath_error(void *data, scn_xml_error_t *e)
{
    (void)data;
    (void)e;
}

static int scn_oom(sim_err_t *err)
{
    return sim_err_set(err, SIM_ERR_RUN, "out of memory");
}

/* ------------------------------------------------------------ parse, validate */

static int scn_parse(const char *name, const char *text, size_t len, xmlDocPtr *out,
                     sim_err_t *err)
{
    /* after the first, parse errors are mostly its echoes */
    scn_diag_t diag = { .file = name, .max = 1 };
    xmlParserCtxtPtr ctxt = NULL;
    xmlDocPtr doc = NULL;
    scn_guard_t guard;
    int rc;

    *out = NULL;
    if (len > INT_MAX)
        return sim_err_set(err, SIM_ERR_INPUT, "%s: file too large", name);
    if ((ctxt = xmlNewParserCtxt()) == NULL)
        return scn_oom(err);
    scn_guard_enter(&guard, scn_on_stray_parse_error, ctxt);
    ctxt->_private = &diag;
    ctxt->sax->serror = scn_on_parse_error;
    ctxt->sax->internalSubset = scn_on_doctype;
    ctxt->sax->startElementNs = scn_on_start;
    doc = xmlCtxtReadMemory(ctxt, text, (int)len, name, NULL,
                            XML_PARSE_NONET | XML_PARSE_BIG_LINES);
    if (ctxt->errNo == XML_ERR_NO_MEMORY)
        diag.oom = true;
    if (doc == NULL || diag.count > 0 || diag.oom) {
        rc = scn_diag_fail(&diag, SIM_ERR_INPUT, err);
        goto out;
    }
    *out = doc;
    doc = NULL;
    rc = SIM_OK;
out:
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctxt);
    scn_guard_leave(&guard);
    return rc;
}

/* The parsed schemas: the loader's only process-wide state. Parsing a
 * compiled-in XSD costs far more than validating a document (milliseconds
 * against microseconds), so each is parsed once, on first use, and only
 * read afterwards: libxml2 lets any number of validation contexts, in any
 * threads, share one xmlSchema. It is not simulation state (no run reads or
 * changes anything through it; it is a pure function of the compiled-in
 * texts), so the rule "no mutable globals" (DESIGN.md) is kept: each entry
 * is written once under the lock and freed by scn_library_cleanup(). A
 * failed parse is not cached: the next load tries again. Entries are keyed
 * by the schema text's address: the scenario schema, the sweep schema. */
#define SCN_SCHEMAS 4

static struct {
    pthread_mutex_t lock;
    const char *text[SCN_SCHEMAS];
    xmlSchemaPtr schema[SCN_SCHEMAS];
} scn_schema_cache = { PTHREAD_MUTEX_INITIALIZER, { NULL }, { NULL } };

static int scn_schema_slot(const char *schema_text)
{
    for (int i = 0; i < SCN_SCHEMAS; i++)
        if (scn_schema_cache.text[i] == schema_text || scn_schema_cache.text[i] == NULL)
            return i;
    return -1;
}

static int scn_schema(const char *schema_text, xmlSchemaPtr *out, sim_err_t *err)
{
    scn_diag_t diag = { .file = "the compiled-in schema", .max = 3 };
    xmlSchemaParserCtxtPtr pctxt = NULL;
    int rc = SIM_OK, i;

    *out = NULL;
    pthread_mutex_lock(&scn_schema_cache.lock);
    if ((i = scn_schema_slot(schema_text)) < 0) {
        rc = sim_err_set(err, SIM_ERR_RUN, "internal error: too many schemas");
        goto out;
    }
    if (scn_schema_cache.schema[i] != NULL)
        goto out;
    pctxt = xmlSchemaNewMemParserCtxt(schema_text, (int)strlen(schema_text));
    if (pctxt == NULL) {
        rc = scn_oom(err);
        goto out;
    }
    xmlSchemaSetParserStructuredErrors(pctxt, scn_on_error, &diag);
    if ((scn_schema_cache.schema[i] = xmlSchemaParse(pctxt)) == NULL) {
        scn_diag_fail(&diag, SIM_ERR_RUN, err);
        rc = sim_err_prefix(err, "internal error");
        goto out;
    }
    scn_schema_cache.text[i] = schema_text;
out:
    if (rc == SIM_OK)
        *out = scn_schema_cache.schema[i];
    pthread_mutex_unlock(&scn_schema_cache.lock);
    xmlSchemaFreeParserCtxt(pctxt);
    return rc;
}

static int scn_validate_doc(const char *name, xmlDocPtr doc, const char *schema_text,
                            sim_err_t *err)
{
    scn_diag_t diag = { .file = name, .max = 3 };
    xmlSchemaPtr schema;
    xmlSchemaValidCtxtPtr vctxt = NULL;
    int rc, v;

    if ((rc = scn_schema(schema_text, &schema, err)) != SIM_OK)
        goto out;
    if ((vctxt = xmlSchemaNewValidCtxt(schema)) == NULL) {
        rc = scn_oom(err);
        goto out;
    }
    xmlSchemaSetValidStructuredErrors(vctxt, scn_on_error, &diag);
    v = xmlSchemaValidateDoc(vctxt, doc);
    if (v != 0 || diag.count > 0) {
        rc = scn_diag_fail(&diag, v < 0 ? SIM_ERR_RUN : SIM_ERR_INPUT, err);
        goto out;
    }
    rc = SIM_OK;
out:
    xmlSchemaFreeValidCtxt(vctxt);
    return rc;
}

/* ------------------------------------------------------------ overrides */

/* The '=' that ends NAME: the first one outside [...] and quotes, since
 * XPath predicates hold '=' too. */
static const char *scn_override_eq(const char *ov)
{
    int depth = 0;
    char quote = 0;

    for (const char *p = ov; *p != '\0'; p++) {
        if (quote != 0) {
            if (*p == quote)
                quote = 0;
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
        } else if (*p == '[') {
            depth++;
        } else if (*p == ']' && depth > 0) {
            depth--;
        } else if (*p == '=' && depth == 0) {
            return p;
        }
    }
    return NULL;
}

/* When name is "PATH/@attr" or "@attr", returns attr and sets *prefix_len
 * to the length of PATH (0 for "@attr": the context node); else NULL. */
static const char *scn_override_tail(const char *name, size_t *prefix_len)
{
    const char *at = strrchr(name, '@');

    if (at == NULL || at[1] == '\0')
        return NULL;
    for (const char *p = at + 1; *p != '\0'; p++) {
        if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || *p == '_' ||
              (p > at + 1 && (('0' <= *p && *p <= '9') || *p == '-' || *p == '.'))))
            return NULL;
    }
    if (at == name) {
        *prefix_len = 0;
        return at + 1;
    }
    if (at[-1] != '/' || at - 1 == name)   /* "/@x" has no element before it */
        return NULL;
    *prefix_len = (size_t)(at - 1 - name);
    return at + 1;
}

static int scn_xpath(xmlXPathContextPtr xp, const char *expr, const char *ov,
                     xmlXPathObjectPtr *out, sim_err_t *err)
{
    xmlXPathObjectPtr obj = xmlXPathEvalExpression((const xmlChar *)expr, xp);
    const xmlError *xe = &xp->lastError;
    char msg[256] = "invalid expression";

    *out = NULL;
    if (obj == NULL) {
        /* libxml2 2.9 leaves message NULL but says where it stopped */
        if (xe->message != NULL) {
            snprintf(msg, sizeof msg, "%s", xe->message);
            msg[strcspn(msg, "\n")] = '\0';
        } else if (xe->str1 != NULL && xe->int1 >= 0 && (size_t)xe->int1 < strlen(xe->str1)) {
            snprintf(msg, sizeof msg, "invalid expression near '%s'", xe->str1 + xe->int1);
        }
        return sim_err_set(err, SIM_ERR_INPUT, "override '%s': XPath error (%s)", ov, msg);
    }
    if (obj->type != XPATH_NODESET) {
        xmlXPathFreeObject(obj);
        return sim_err_set(err, SIM_ERR_INPUT,
                           "override '%s': XPath error (the expression is not a node set)", ov);
    }
    *out = obj;
    return SIM_OK;
}

static int scn_nodeset_size(const xmlXPathObject *obj)
{
    return obj->nodesetval != NULL ? obj->nodesetval->nodeNr : 0;
}

/* For "PATH/@attr": sets attr on every element PATH selects, creating it
 * where it is missing. *done is false when PATH does not select elements
 * only (then the override is applied to what NAME selects). */
static int scn_override_create(xmlXPathContextPtr xp, const char *name, const char *value,
                               bool *done, sim_err_t *err)
{
    size_t prefix_len = 0;
    const char *attr = scn_override_tail(name, &prefix_len);
    char *prefix = NULL;
    xmlXPathObjectPtr obj = NULL;
    int rc = SIM_OK;

    *done = false;
    if (attr == NULL)
        return SIM_OK;
    prefix = prefix_len > 0 ? strndup(name, prefix_len) : strdup(".");
    if (prefix == NULL)
        return scn_oom(err);
    obj = xmlXPathEvalExpression((const xmlChar *)prefix, xp);
    if (obj == NULL || obj->type != XPATH_NODESET || scn_nodeset_size(obj) == 0)
        goto out;
    for (int i = 0; i < obj->nodesetval->nodeNr; i++) {
        if (obj->nodesetval->nodeTab[i]->type != XML_ELEMENT_NODE)
            goto out;
    }
    for (int i = 0; i < obj->nodesetval->nodeNr; i++) {
        if (xmlSetProp(obj->nodesetval->nodeTab[i], (const xmlChar *)attr,
                       (const xmlChar *)value) == NULL) {
            rc = scn_oom(err);
            goto out;
        }
    }
    *done = true;
out:
    xmlXPathFreeObject(obj);
    free(prefix);
    return rc;
}

static int scn_apply_override(xmlXPathContextPtr xp, const char *ov, sim_err_t *err)
{
    const char *eq = scn_override_eq(ov);
    const char *value;
    char *name = NULL;
    xmlXPathObjectPtr sel = NULL;
    bool done = false;
    int rc;

    if (eq == NULL)
        return sim_err_set(err, SIM_ERR_INPUT, "override '%s': no '='", ov);
    if ((name = strndup(ov, (size_t)(eq - ov))) == NULL)
        return scn_oom(err);
    value = eq + 1;
    if ((rc = scn_xpath(xp, name, ov, &sel, err)) != SIM_OK)
        goto out;
    for (int i = 0; i < scn_nodeset_size(sel); i++) {
        xmlElementType type = sel->nodesetval->nodeTab[i]->type;
        if (type == XML_ATTRIBUTE_NODE)
            continue;
        rc = sim_err_set(err, SIM_ERR_INPUT,
                         type == XML_ELEMENT_NODE
                             ? "override '%s' selects an element, not an attribute"
                             : "override '%s' selects something other than an attribute",
                         ov);
        goto out;
    }
    if ((rc = scn_override_create(xp, name, value, &done, err)) != SIM_OK || done)
        goto out;
    if (scn_nodeset_size(sel) == 0) {
        rc = sim_err_set(err, SIM_ERR_INPUT, "override '%s' selects nothing", ov);
        goto out;
    }
    for (int i = 0; i < sel->nodesetval->nodeNr; i++) {
        xmlNodePtr attr = sel->nodesetval->nodeTab[i];
        /* xmlSetProp stores the value as text; it does not parse entities */
        if (xmlSetProp(attr->parent, attr->name, (const xmlChar *)value) == NULL) {
            rc = scn_oom(err);
            goto out;
        }
    }
out:
    xmlXPathFreeObject(sel);
    free(name);
    return rc;
}

static int scn_apply_overrides(xmlDocPtr doc, const char *const *overrides, size_t n,
                               sim_err_t *err)
{
    xmlXPathContextPtr xp;
    int rc = SIM_OK;

    if (n == 0)
        return SIM_OK;
    if ((xp = xmlXPathNewContext(doc)) == NULL)
        return scn_oom(err);
    xp->error = scn_on_xpath_error;
    xp->node = xmlDocGetRootElement(doc);   /* relative names start at the root */
    for (size_t i = 0; i < n && rc == SIM_OK; i++)
        rc = scn_apply_override(xp, overrides[i], err);
    xmlXPathFreeContext(xp);
    return rc;
}

/* ------------------------------------------------------------ conversion */

static int scn_convert(scn_impl_t *s, xmlNodePtr node, scn_elem_t *parent, scn_elem_t **out)
{
    scn_elem_t *e = scn_alloc(s, sizeof *e);
    scn_elem_t **tail;
    size_t n = 0;

    if (e == NULL)
        return SIM_ERR_RUN;
    *e = (scn_elem_t){ .file = s->pub.path, .line = scn_line(node), .parent = parent };
    if ((e->name = scn_strdup(s, (const char *)node->name)) == NULL)
        return SIM_ERR_RUN;
    for (xmlAttrPtr a = node->properties; a != NULL; a = a->next)
        n++;
    if (n > 0) {
        const char **keys = scn_alloc(s, n * sizeof *keys);
        const char **values = scn_alloc(s, n * sizeof *values);
        if (keys == NULL || values == NULL)
            return SIM_ERR_RUN;
        for (xmlAttrPtr a = node->properties; a != NULL; a = a->next) {
            xmlChar *v = xmlNodeListGetString(node->doc, a->children, 1);
            if (v == NULL && a->children != NULL)
                return SIM_ERR_RUN;
            keys[e->nattrs] = scn_strdup(s, (const char *)a->name);
            values[e->nattrs] = scn_token_dup(s, v != NULL ? (const char *)v : "");
            xmlFree(v);
            if (keys[e->nattrs] == NULL || values[e->nattrs] == NULL)
                return SIM_ERR_RUN;
            e->nattrs++;
        }
        e->keys = keys;
        e->values = values;
    }
    tail = &e->first_child;
    for (xmlNodePtr c = node->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (scn_convert(s, c, e, tail) != SIM_OK)
            return SIM_ERR_RUN;
        tail = &(*tail)->next;
    }
    *out = e;
    return SIM_OK;
}

/* ------------------------------------------------------------ loading */

static const char *scn_file_kind(mode_t mode)
{
    return S_ISDIR(mode) ? "a directory" : S_ISCHR(mode) ? "a character device"
         : S_ISBLK(mode) ? "a block device" : S_ISFIFO(mode) ? "a FIFO"
         : S_ISSOCK(mode) ? "a socket" : "of an unknown kind";
}

FILE *scn_open_input(const char *path, sim_err_t *err)
{
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; it has no
     * effect on the regular files that are read below. */
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    struct stat st;
    FILE *f = NULL;

    if (fd < 0) {
        sim_err_set(err, SIM_ERR_INPUT, "cannot open: %s", strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0)
        sim_err_set(err, SIM_ERR_INPUT, "cannot open: %s", strerror(errno));
    else if (!S_ISREG(st.st_mode))
        sim_err_set(err, SIM_ERR_INPUT, "not a regular file (%s)", scn_file_kind(st.st_mode));
    else if ((long long)st.st_size > SCN_MAX_FILE_BYTES)
        sim_err_set(err, SIM_ERR_INPUT, "%lld bytes, more than the %lld MiB an input file may "
                    "have", (long long)st.st_size, SCN_MAX_FILE_BYTES >> 20);
    else if ((f = fdopen(fd, "rb")) == NULL)
        sim_err_set(err, SIM_ERR_INPUT, "cannot open: %s", strerror(errno));
    if (f == NULL)
        close(fd);
    return f;
}

static int scn_read_file(scn_impl_t *s, const char *path, sim_err_t *err)
{
    sim_err_t why;
    FILE *f = scn_open_input(path, &why);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc;

    if (f == NULL)
        return sim_err_set(err, SIM_ERR_INPUT, "%s: %s", path, why.msg);
    for (;;) {
        if (cap - len < 4096) {
            char *bigger = realloc(buf, cap * 2 + 65536);
            if (bigger == NULL) {
                rc = scn_oom(err);
                goto out;
            }
            buf = bigger;
            cap = cap * 2 + 65536;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
        /* The file may have grown since it was checked. */
        if ((long long)len > SCN_MAX_FILE_BYTES) {
            rc = sim_err_set(err, SIM_ERR_INPUT, "%s: more than the %lld MiB an input file "
                             "may have", path, SCN_MAX_FILE_BYTES >> 20);
            goto out;
        }
    }
    if (ferror(f)) {
        rc = sim_err_set(err, SIM_ERR_INPUT, "%s: cannot read: %s", path, strerror(errno));
        goto out;
    }
    if ((s->pub.text = scn_strndup(s, buf, len)) == NULL) {
        rc = scn_oom(err);
        goto out;
    }
    s->pub.text_len = len;
    rc = SIM_OK;
out:
    free(buf);
    fclose(f);
    return rc;
}

/* path, dir and the overrides, copied into the arena. */
static int scn_set_names(scn_impl_t *s, const char *path, const char *const *overrides,
                         size_t n)
{
    const char *slash = strrchr(path, '/');
    const char **ovs = n > 0 ? scn_alloc(s, n * sizeof *ovs) : NULL;

    s->pub.path = scn_strdup(s, path);
    if (slash == NULL)
        s->pub.dir = scn_strdup(s, ".");
    else
        s->pub.dir = scn_strndup(s, path, slash == path ? 1 : (size_t)(slash - path));
    if (s->pub.path == NULL || s->pub.dir == NULL || (n > 0 && ovs == NULL))
        return SIM_ERR_RUN;
    for (size_t i = 0; i < n; i++) {
        if ((ovs[i] = scn_strdup(s, overrides[i])) == NULL)
            return SIM_ERR_RUN;
    }
    s->pub.overrides = ovs;
    s->pub.noverrides = n;
    return SIM_OK;
}

static int scn_set_effective(scn_impl_t *s, xmlDocPtr doc, sim_err_t *err)
{
    xmlChar *mem = NULL;
    int size = 0;

    xmlDocDumpMemory(doc, &mem, &size);
    if (mem == NULL)
        return scn_oom(err);
    s->pub.effective = scn_strndup(s, (const char *)mem, (size_t)size);
    xmlFree(mem);
    return s->pub.effective != NULL ? SIM_OK : scn_oom(err);
}

/* Everything after the text is in s->pub.text: parse, override, validate
 * against schema_text, convert. */
static int scn_load_doc(scn_impl_t *s, const char *const *overrides, size_t noverrides,
                        const char *schema_text, sim_err_t *err)
{
    xmlDocPtr doc = NULL;
    scn_guard_t guard;
    int rc;

    scn_guard_enter(&guard, scn_on_error, NULL);   /* dropped; the parse collects its own */
    if ((rc = scn_parse(s->pub.path, s->pub.text, s->pub.text_len, &doc, err)) != SIM_OK ||
        (rc = scn_apply_overrides(doc, overrides, noverrides, err)) != SIM_OK ||
        (rc = scn_validate_doc(s->pub.path, doc, schema_text, err)) != SIM_OK ||
        (rc = scn_set_effective(s, doc, err)) != SIM_OK)
        goto out;
    if (scn_convert(s, xmlDocGetRootElement(doc), NULL, &s->pub.root) != SIM_OK)
        rc = scn_oom(err);
out:
    xmlFreeDoc(doc);
    scn_guard_leave(&guard);
    return rc;
}

/* text == NULL: read it from path. */
static int scn_load_any(const char *path, const char *text, size_t len,
                        const char *const *overrides, size_t noverrides,
                        const char *schema_text, scn_t **out, sim_err_t *err)
{
    scn_impl_t *s = calloc(1, sizeof *s);
    int rc;

    *out = NULL;
    if (s == NULL)
        return scn_oom(err);
    xmlInitParser();
    if (scn_set_names(s, path, overrides, noverrides) != SIM_OK) {
        rc = scn_oom(err);
        goto out;
    }
    if (text == NULL) {
        if ((rc = scn_read_file(s, path, err)) != SIM_OK)
            goto out;
    } else if ((s->pub.text = scn_strndup(s, text, len)) == NULL) {
        rc = scn_oom(err);
        goto out;
    } else {
        s->pub.text_len = len;
    }
    if ((rc = scn_load_doc(s, overrides, noverrides, schema_text, err)) != SIM_OK)
        goto out;
    *out = &s->pub;
    s = NULL;
out:
    scn_free(s != NULL ? &s->pub : NULL);
    return rc;
}

int scn_load(const char *path, const char *const *overrides, size_t noverrides, scn_t **out,
             sim_err_t *err)
{
    return scn_load_any(path, NULL, 0, overrides, noverrides, scn_schema_xsd, out, err);
}

int scn_load_schema(const char *path, const char *const *overrides, size_t noverrides,
                    const char *schema_text, scn_t **out, sim_err_t *err)
{
    return scn_load_any(path, NULL, 0, overrides, noverrides, schema_text, out, err);
}

int scn_load_text(const char *name, const char *text, size_t len,
                  const char *const *overrides, size_t noverrides, scn_t **out,
                  sim_err_t *err)
{
    return scn_load_any(name, text, len, overrides, noverrides, scn_schema_xsd, out, err);
}

void scn_free(scn_t *scn)
{
    scn_impl_t *s = (scn_impl_t *)scn;

    if (s == NULL)
        return;
    while (s->chunks != NULL) {
        scn_chunk_t *next = s->chunks->next;
        free(s->chunks);
        s->chunks = next;
    }
    free(s);
}

int scn_validate_text(const char *name, const char *text, size_t len, sim_err_t *err)
{
    xmlDocPtr doc = NULL;
    scn_guard_t guard;
    int rc;

    xmlInitParser();
    scn_guard_enter(&guard, scn_on_error, NULL);
    if ((rc = scn_parse(name, text, len, &doc, err)) == SIM_OK)
        rc = scn_validate_doc(name, doc, scn_schema_xsd, err);
    xmlFreeDoc(doc);
    scn_guard_leave(&guard);
    return rc;
}

const char *scn_schema_text(void)
{
    return scn_schema_xsd;
}

/* The only place that may call xmlCleanupParser: it frees state that every
 * thread and every later load would need. The cached schema goes first. */
void scn_library_cleanup(void)
{
    pthread_mutex_lock(&scn_schema_cache.lock);
    for (int i = 0; i < SCN_SCHEMAS; i++) {
        xmlSchemaFree(scn_schema_cache.schema[i]);
        scn_schema_cache.schema[i] = NULL;
        scn_schema_cache.text[i] = NULL;
    }
    pthread_mutex_unlock(&scn_schema_cache.lock);
    xmlCleanupParser();
}

/* ------------------------------------------------------------ navigation */

const char *scn_attr(const scn_elem_t *e, const char *name)
{
    for (size_t i = 0; e != NULL && i < e->nattrs; i++) {
        if (strcmp(e->keys[i], name) == 0)
            return e->values[i];
    }
    return NULL;
}

scn_elem_t *scn_child(const scn_elem_t *e, const char *name)
{
    for (scn_elem_t *c = e != NULL ? e->first_child : NULL; c != NULL; c = c->next) {
        if (strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

scn_elem_t *scn_next_sibling(const scn_elem_t *e, const char *name)
{
    for (scn_elem_t *c = e != NULL ? e->next : NULL; c != NULL; c = c->next) {
        if (strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

size_t scn_count_children(const scn_elem_t *e, const char *name)
{
    size_t n = 0;

    for (const scn_elem_t *c = scn_child(e, name); c != NULL; c = scn_next_sibling(c, name))
        n++;
    return n;
}

/* ------------------------------------------------------------ errors, readers */

int scn_error(const scn_elem_t *e, sim_err_t *err, const char *fmt, ...)
{
    char body[SIM_ERR_MSG_MAX];
    char elem[512];
    va_list ap;

    if (err == NULL)
        return SIM_ERR_INPUT;
    /* formatted apart first: callers may pass err->msg as an argument */
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    if (e == NULL)
        return sim_err_set(err, SIM_ERR_INPUT, "%s", body);
    scn_describe(elem, sizeof elem, e->name, scn_attr(e, "id"));
    if (e->line <= 0)   /* made by the program (e.g. from -O options): no line */
        return sim_err_set(err, SIM_ERR_INPUT, "%s: %s: %s", e->file, elem, body);
    return sim_err_set(err, SIM_ERR_INPUT, "%s:%ld: %s: %s", e->file, e->line, elem, body);
}

/* The attribute's text, or NULL when it is absent and optional. */
static int scn_attr_text(const scn_elem_t *e, const char *name, bool required,
                         const char **text, sim_err_t *err)
{
    *text = scn_attr(e, name);
    if (*text == NULL && required)
        return scn_error(e, err, "missing required attribute '%s'", name);
    return SIM_OK;
}

static int scn_attr_fail(const scn_elem_t *e, const char *name, const sim_err_t *why,
                         sim_err_t *err)
{
    return scn_error(e, err, "attribute '%s': %s", name, why->msg);
}

int scn_attr_string(const scn_elem_t *e, const char *name, bool required, const char **out,
                    sim_err_t *err)
{
    const char *text;
    int rc = scn_attr_text(e, name, required, &text, err);

    if (rc == SIM_OK && text != NULL)
        *out = text;
    return rc;
}

int scn_attr_time(const scn_elem_t *e, const char *name, bool required, int64_t *out,
                  sim_err_t *err)
{
    sim_err_t why;
    const char *text;
    int rc = scn_attr_text(e, name, required, &text, err);

    if (rc != SIM_OK || text == NULL)
        return rc;
    return units_parse_time(text, out, &why) == SIM_OK ? SIM_OK
                                                       : scn_attr_fail(e, name, &why, err);
}

int scn_attr_bits(const scn_elem_t *e, const char *name, bool required, uint64_t *out,
                  sim_err_t *err)
{
    sim_err_t why;
    const char *text;
    int rc = scn_attr_text(e, name, required, &text, err);

    if (rc != SIM_OK || text == NULL)
        return rc;
    return units_parse_bits(text, out, &why) == SIM_OK ? SIM_OK
                                                       : scn_attr_fail(e, name, &why, err);
}

int scn_attr_rate(const scn_elem_t *e, const char *name, bool required, double *out,
                  sim_err_t *err)
{
    sim_err_t why;
    const char *text;
    int rc = scn_attr_text(e, name, required, &text, err);

    if (rc != SIM_OK || text == NULL)
        return rc;
    return units_parse_rate(text, out, &why) == SIM_OK ? SIM_OK
                                                       : scn_attr_fail(e, name, &why, err);
}

int scn_attr_length(const scn_elem_t *e, const char *name, bool required, double *out,
                    sim_err_t *err)
{
    sim_err_t why;
    const char *text;
    int rc = scn_attr_text(e, name, required, &text, err);

    if (rc != SIM_OK || text == NULL)
        return rc;
    return units_parse_length(text, out, &why) == SIM_OK ? SIM_OK
                                                         : scn_attr_fail(e, name, &why, err);
}

int scn_attr_frequency(const scn_elem_t *e, const char *name, bool required, double *out,
                       sim_err_t *err)
{
    sim_err_t why;
    const char *text;
    int rc = scn_attr_text(e, name, required, &text, err);

    if (rc != SIM_OK || text == NULL)
        return rc;
    return units_parse_frequency(text, out, &why) == SIM_OK ? SIM_OK
                                                            : scn_attr_fail(e, name, &why, err);
}

int scn_attr_double(const scn_elem_t *e, const char *name, bool required, double *out,
                    sim_err_t *err)
{
    sim_err_t why;
    const char *text;
    int rc = scn_attr_text(e, name, required, &text, err);

    if (rc != SIM_OK || text == NULL)
        return rc;
    return units_parse_double(text, out, &why) == SIM_OK ? SIM_OK
                                                         : scn_attr_fail(e, name, &why, err);
}

int scn_attr_uint(const scn_elem_t *e, const char *name, bool required, uint64_t *out,
                  sim_err_t *err)
{
    sim_err_t why;
    const char *text;
    int rc = scn_attr_text(e, name, required, &text, err);

    if (rc != SIM_OK || text == NULL)
        return rc;
    return units_parse_uint(text, out, &why) == SIM_OK ? SIM_OK
                                                       : scn_attr_fail(e, name, &why, err);
}

int scn_attr_enum(const scn_elem_t *e, const char *name, bool required,
                  const char *const *choices, int *out, sim_err_t *err)
{
    char list[512] = "";
    size_t len = 0;
    const char *text;
    int rc = scn_attr_text(e, name, required, &text, err);

    if (rc != SIM_OK || text == NULL)
        return rc;
    for (int i = 0; choices[i] != NULL; i++) {
        if (strcmp(text, choices[i]) == 0) {
            *out = i;
            return SIM_OK;
        }
        if (len < sizeof list) {
            int w = snprintf(list + len, sizeof list - len, "%s%s", i > 0 ? ", " : "",
                             choices[i]);
            len += w > 0 ? (size_t)w : 0;
        }
    }
    return scn_error(e, err, "attribute '%s': '%s' is not one of: %s", name, text, list);
}
