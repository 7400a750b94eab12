/*
 * fs: the FUSE daemon.  Paths are parsed into nodes (parse_path), nodes
 * answer getattr/readdir/open/read.  Bytes of data files come from views,
 * JSON documents from docs.c, raw/ straight from the store.
 *
 * The high-level libfuse API is used: lancefs's tree is shallow and its
 * cost is in decoding, not in path lookups.  Read paths take no global lock.
 */
#define FUSE_USE_VERSION 35
#include "fs/fs.h"
#include "fs/fs_impl.h"
#include "cache/cache.h"
#include "search/search.h"

#include <errno.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ the mount */

struct table {
	char *name;              /* directory name at the root (database mode), or branch name */
	char *root;              /* key prefix in the store */
	lfs_dataset *ds;
	pthread_mutex_t refresh_lock;
	uint64_t last_refresh_ns;
	const char *branch;      /* NULL on main, else this branch's name */
	struct table *main;      /* a branch's main table, which keeps the tags */
	pthread_mutex_t branch_lock;
	struct table **branches; /* opened on first use, kept for the mount's life */
	size_t n_branches;
	lfs_qdir *queries;       /* query/ */
};

/* One cached view with the source it reads, keyed by the file it renders. */
struct view_entry {
	char *key;
	lfs_source *src;
	lfs_view *view;
	struct view_entry *next;
};

#define VIEW_BUCKETS 1024

static struct mount {
	lfs_mount_opts opts;
	struct table *tables;
	size_t n_tables;
	time_t mount_time;
	pthread_mutex_t views_lock;
	struct view_entry *views[VIEW_BUCKETS];
} M;

/* ------------------------------------------------------------ nodes */

enum node_kind {
	N_MOUNT_ROOT,     /* database mode: one directory per table */
	N_TABLE,          /* a table tree at a version (root, versions/N, branch) */
	N_DATA_DIR,       /* data/, fragments/ID/data/, fragments/ID/deleted/ */
	N_FRAGMENTS,      /* fragments/ */
	N_FRAGMENT,       /* fragments/ID/ */
	N_VERSIONS,       /* versions/ */
	N_TAGS,           /* tags/ */
	N_BRANCHES,       /* branches/ */
	N_INDICES,        /* indices/ */
	N_RAW_DIR,        /* raw/ and its directories */
	N_QUERY_DIR,      /* query/ */
	N_DOT_DIR,        /* .lancefs/ */
	/* files */
	N_DOC,            /* a JSON document or deletions.txt */
	N_VIEW,           /* a rendering of rows */
	N_RAW_FILE,       /* a dataset file, byte for byte */
	N_STATS,          /* .lancefs/stats */
	N_LINK,           /* versions/latest, versions/@TIME, tags/NAME */
	N_QUERY_FILE,     /* query/NAME */
};

enum doc_kind { DOC_SCHEMA, DOC_MANIFEST, DOC_FRAGMENT, DOC_DELETIONS, DOC_INDEX };

struct node {
	enum node_kind kind;
	uint64_t pin;            /* the version root-scope paths resolve at (0: newest) */
	struct table *t;
	lfs_version *ver;        /* retained: for nodes inside a version */
	int is_root_version;     /* the table root (latest), not versions/N */
	enum lfs_scope scope;    /* for N_DATA_DIR, N_VIEW */
	size_t frag;             /* fragment index */
	enum doc_kind doc;
	size_t index_i;          /* DOC_INDEX */
	enum lfs_view_kind view_kind;
	size_t col;
	char *raw_key;           /* N_RAW_*: key in the store */
	char link[64];
	const char *qname;       /* N_QUERY_FILE: points into pathbuf */
	char pathbuf[4096];      /* the parsed path, cut into parts */
};

static void node_clear(struct node *n)
{
	if (n->ver)
		lfs_version_release(n->ver);
	free(n->raw_key);
	memset(n, 0, offsetof(struct node, pathbuf));
}

/* ------------------------------------------------------------ refresh */

static void maybe_refresh(struct table *t, int force)
{
	uint64_t now = lfs_now_ns();
	lfs_err err;

	if (!force && (M.opts.refresh_s == 0 ||
		       now - __atomic_load_n(&t->last_refresh_ns, __ATOMIC_RELAXED) <
			       (uint64_t)M.opts.refresh_s * 1000000000ull))
		return;
	if (pthread_mutex_trylock(&t->refresh_lock) != 0)
		return; /* someone else is refreshing */
	__atomic_store_n(&t->last_refresh_ns, now, __ATOMIC_RELAXED);
	int rc = lfs_dataset_refresh(t->ds, &err);
	if (rc < 0)
		lfs_warn("%s: cannot list versions: %s", t->root, err.msg);
	else if (rc > 0)
		lfs_info("%s: now at version %" PRIu64, t->root, lfs_dataset_latest(t->ds));
	pthread_mutex_unlock(&t->refresh_lock);
}

/* ------------------------------------------------------------ path parsing */

#define MAX_PARTS 64

static int split_path(char *path, char **parts)
{
	int n = 0;
	for (char *tok = strtok(path, "/"); tok; tok = strtok(NULL, "/")) {
		if (n == MAX_PARTS)
			return -ENAMETOOLONG;
		parts[n++] = tok;
	}
	return n;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	if (!*s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || errno)
		return -EINVAL;
	*out = v;
	return 0;
}

static int load_version(struct node *n, uint64_t v)
{
	lfs_err err;
	int rc = lfs_dataset_version(n->t->ds, v, &n->ver, &err);
	if (rc == -ENOENT)
		return -ENOENT;
	if (rc) {
		lfs_error("%s: version %" PRIu64 ": %s", n->t->root, v, err.msg);
		return -EIO;
	}
	return 0;
}

static ssize_t fragment_by_id(const lfs_manifest *m, const char *name)
{
	uint64_t id;
	if (parse_u64(name, &id))
		return -1;
	for (size_t i = 0; i < m->n_fragments; i++)
		if (m->fragments[i].id == id)
			return (ssize_t)i;
	return -1;
}

/* data/NAME.EXT (or rows.jsonl/rows.csv when rows) → view kind and column */
static int parse_view_name(const lfs_manifest *m, const char *name, struct node *n)
{
	static const enum lfs_view_kind kinds[] = { LFS_VIEW_VALID_NPY, LFS_VIEW_JSONL, LFS_VIEW_TXT,
						    LFS_VIEW_NPY, LFS_VIEW_BIN };
	size_t len = strlen(name);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const char *suffix = lfs_view_suffix(kinds[k]);
		size_t sl = strlen(suffix);
		if (len <= sl || strcmp(name + len - sl, suffix) != 0)
			continue;
		for (size_t c = 0; c < m->schema.n_top; c++) {
			const lfs_field *f = m->schema.top[c];
			if (strlen(f->name) == len - sl && strncmp(f->name, name, len - sl) == 0 &&
			    lfs_view_applies(kinds[k], f)) {
				n->kind = N_VIEW;
				n->view_kind = kinds[k];
				n->col = c;
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* Resolves ISO time → newest version at or before it. */
static int version_at_time(struct table *t, const char *iso, uint64_t *out)
{
	int64_t s;
	int32_t ns;
	uint64_t *versions;
	size_t n;
	int found = 0;

	if (lfs_parse_iso_time(iso, &s, &ns))
		return -ENOENT;
	if (lfs_dataset_versions(t->ds, &versions, &n))
		return -ENOMEM;
	/* Timestamps grow with versions; walk from the newest down. */
	for (size_t i = n; i-- > 0;) {
		lfs_version *ver;
		lfs_err err;
		if (lfs_dataset_version(t->ds, versions[i], &ver, &err))
			continue; /* an unreadable version cannot be the answer */
		const lfs_manifest *m = lfs_version_manifest(ver);
		int before = m->timestamp_s < s || (m->timestamp_s == s && m->timestamp_ns <= ns);
		lfs_version_release(ver);
		if (before) {
			*out = versions[i];
			found = 1;
			break;
		}
	}
	free(versions);
	return found ? 0 : -ENOENT;
}

/* Parses the parts of a path inside a table tree whose version is n->ver. */
static int parse_in_version(struct node *n, char **parts, int np)
{
	const lfs_manifest *m = lfs_version_manifest(n->ver);

	if (np == 0) {
		n->kind = N_TABLE;
		return 0;
	}
	const char *p = parts[0];
	if (np == 1 && strcmp(p, "schema.json") == 0) {
		n->kind = N_DOC;
		n->doc = DOC_SCHEMA;
		return 0;
	}
	if (np == 1 && strcmp(p, "manifest.json") == 0) {
		n->kind = N_DOC;
		n->doc = DOC_MANIFEST;
		return 0;
	}
	if (np == 1 && (strcmp(p, "rows.jsonl") == 0 || strcmp(p, "rows.csv") == 0)) {
		n->kind = N_VIEW;
		n->scope = LFS_SCOPE_TABLE;
		n->view_kind = p[5] == 'j' ? LFS_VIEW_ROWS_JSONL : LFS_VIEW_ROWS_CSV;
		return 0;
	}
	if (strcmp(p, "data") == 0) {
		n->scope = LFS_SCOPE_TABLE;
		if (np == 1) {
			n->kind = N_DATA_DIR;
			return 0;
		}
		return np == 2 ? parse_view_name(m, parts[1], n) : -ENOENT;
	}
	if (strcmp(p, "indices") == 0) {
		if (np == 1) {
			n->kind = N_INDICES;
			return 0;
		}
		if (np != 2)
			return -ENOENT;
		for (size_t i = 0; i < m->n_indices; i++) {
			size_t len = strlen(m->indices[i].name);
			if (strncmp(parts[1], m->indices[i].name, len) == 0 &&
			    strcmp(parts[1] + len, ".json") == 0) {
				n->kind = N_DOC;
				n->doc = DOC_INDEX;
				n->index_i = i;
				return 0;
			}
		}
		return -ENOENT;
	}
	if (strcmp(p, "fragments") != 0)
		return -ENOENT;
	if (np == 1) {
		n->kind = N_FRAGMENTS;
		return 0;
	}
	ssize_t fi = fragment_by_id(m, parts[1]);
	if (fi < 0)
		return -ENOENT;
	n->frag = (size_t)fi;
	n->scope = LFS_SCOPE_FRAGMENT;
	if (np == 2) {
		n->kind = N_FRAGMENT;
		return 0;
	}
	p = parts[2];
	if (np == 3 && strcmp(p, "fragment.json") == 0) {
		n->kind = N_DOC;
		n->doc = DOC_FRAGMENT;
		return 0;
	}
	if (np == 3 && strcmp(p, "deletions.txt") == 0) {
		n->kind = N_DOC;
		n->doc = DOC_DELETIONS;
		return 0;
	}
	if (np == 3 && (strcmp(p, "rows.jsonl") == 0 || strcmp(p, "rows.csv") == 0)) {
		n->kind = N_VIEW;
		n->view_kind = p[5] == 'j' ? LFS_VIEW_ROWS_JSONL : LFS_VIEW_ROWS_CSV;
		return 0;
	}
	if (strcmp(p, "data") == 0 || strcmp(p, "deleted") == 0) {
		if (p[1] == 'e')
			n->scope = LFS_SCOPE_DELETED;
		if (np == 3) {
			n->kind = N_DATA_DIR;
			return 0;
		}
		if (np == 4 && n->scope == LFS_SCOPE_DELETED &&
		    (strcmp(parts[3], "rows.jsonl") == 0 || strcmp(parts[3], "rows.csv") == 0)) {
			n->kind = N_VIEW;
			n->view_kind = parts[3][5] == 'j' ? LFS_VIEW_ROWS_JSONL : LFS_VIEW_ROWS_CSV;
			return 0;
		}
		return np == 4 ? parse_view_name(m, parts[3], n) : -ENOENT;
	}
	return -ENOENT;
}

static char *join_parts(char **parts, int np)
{
	lfs_buf b;
	lfs_buf_init(&b);
	for (int i = 0; i < np; i++) {
		if ((i && lfs_buf_putc(&b, '/')) || lfs_buf_puts(&b, parts[i])) {
			lfs_buf_free(&b);
			return NULL;
		}
	}
	return (char *)lfs_buf_steal(&b, NULL);
}

/* Tags live with the main table.  The main tree shows them all (a tag of a
 * branch points into branches/NAME/); a branch's tree shows its own. */
static struct table *tag_table(struct table *t)
{
	return t->main ? t->main : t;
}

static int tag_visible(const struct table *t, const lfs_tag *tag)
{
	if (!t->branch)
		return !tag->branch || !strchr(tag->branch, '/');
	return tag->branch && strcmp(tag->branch, t->branch) == 0;
}

static void tag_link(const struct table *t, const lfs_tag *tag, char *out, size_t size)
{
	if (!t->branch && tag->branch)
		snprintf(out, size, "../branches/%s/versions/%" PRIu64, tag->branch, tag->version);
	else
		snprintf(out, size, "../versions/%" PRIu64, tag->version);
}

static int init_table(struct table *t, const char *name, const char *root)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->refresh_lock, NULL);
	pthread_mutex_init(&t->branch_lock, NULL);
	t->name = strdup(name);
	t->root = strdup(root);
	t->queries = lfs_qdir_new();
	return t->name && t->root && t->queries ? 0 : -ENOMEM;
}

static void fini_table(struct table *t)
{
	for (size_t i = 0; i < t->n_branches; i++) {
		fini_table(t->branches[i]);
		free(t->branches[i]);
	}
	free(t->branches);
	lfs_qdir_free(t->queries);
	lfs_dataset_close(t->ds);
	free(t->name);
	free(t->root);
	pthread_mutex_destroy(&t->refresh_lock);
	pthread_mutex_destroy(&t->branch_lock);
}

/* The table of branch `name` of t, opened on first use. */
static int open_branch(struct table *t, const char *name, struct table **out)
{
	lfs_err err;
	int rc = 0;

	pthread_mutex_lock(&t->branch_lock);
	for (size_t i = 0; i < t->n_branches; i++) {
		if (strcmp(t->branches[i]->name, name) == 0) {
			*out = t->branches[i];
			pthread_mutex_unlock(&t->branch_lock);
			return 0;
		}
	}
	char **names;
	size_t nn, found = 0;
	rc = lfs_dataset_branches(t->ds, &names, &nn, &err);
	if (rc) {
		lfs_error("%s: branches: %s", t->root, err.msg);
		pthread_mutex_unlock(&t->branch_lock);
		return -EIO;
	}
	for (size_t i = 0; i < nn; i++) {
		found |= strcmp(names[i], name) == 0;
		free(names[i]);
	}
	free(names);
	struct table *b = NULL, **grown = NULL;
	if (!found) {
		rc = -ENOENT;
	} else if (!(b = calloc(1, sizeof(*b))) ||
		   !(grown = realloc(t->branches, (t->n_branches + 1) * sizeof(*grown)))) {
		rc = -ENOMEM;
	} else {
		t->branches = grown;
		char *rel = lfs_strdup_printf("tree/%s", name);
		rc = rel ? init_table(b, name, "") : -ENOMEM;
		if (!rc) {
			free(b->root);
			b->root = lfs_key_join(t->root, rel);
			b->branch = b->name;
			b->main = t;
			rc = lfs_dataset_open_branch(M.opts.store, t->root, name, &b->ds, &err);
			if (rc) {
				lfs_error("%s: branch %s: %s", t->root, name, err.msg);
				rc = -EIO;
			}
		}
		free(rel);
		if (!rc) {
			b->last_refresh_ns = lfs_now_ns();
			t->branches[t->n_branches++] = b;
			b = NULL;
		}
	}
	if (b) {
		fini_table(b);
		free(b);
	}
	if (!rc)
		*out = t->branches[t->n_branches - 1];
	pthread_mutex_unlock(&t->branch_lock);
	return rc;
}

/* Parses a path inside a table directory (below the mount root in
 * database mode). */
static int parse_in_table(struct node *n, char **parts, int np)
{
	struct table *t = n->t;
	int rc;

	if (np >= 1 && strcmp(parts[0], "versions") == 0) {
		if (np == 1) {
			maybe_refresh(t, 1); /* listing versions/ checks for new ones */
			n->kind = N_VERSIONS;
			return 0;
		}
		if (np == 2 && strcmp(parts[1], "latest") == 0) {
			maybe_refresh(t, 0);
			n->kind = N_LINK;
			snprintf(n->link, sizeof(n->link), "%" PRIu64, lfs_dataset_latest(t->ds));
			return 0;
		}
		if (np == 2 && parts[1][0] == '@') {
			uint64_t v;
			rc = version_at_time(t, parts[1] + 1, &v);
			if (rc)
				return rc;
			n->kind = N_LINK;
			snprintf(n->link, sizeof(n->link), "%" PRIu64, v);
			return 0;
		}
		uint64_t v;
		if (parse_u64(parts[1], &v))
			return -ENOENT;
		if (!lfs_dataset_has_version(t->ds, v)) {
			maybe_refresh(t, 0);
			if (!lfs_dataset_has_version(t->ds, v))
				return -ENOENT;
		}
		rc = load_version(n, v);
		return rc ? rc : parse_in_version(n, parts + 2, np - 2);
	}
	if (np >= 1 && strcmp(parts[0], "tags") == 0) {
		lfs_tag *tags;
		size_t nt;
		lfs_err err;
		if (np == 1) {
			n->kind = N_TAGS;
			return 0;
		}
		if (np > 2)
			return -ENOENT;
		if (lfs_dataset_tags(tag_table(t)->ds, &tags, &nt, &err)) {
			lfs_error("%s: tags: %s", t->root, err.msg);
			return -EIO;
		}
		rc = -ENOENT;
		for (size_t i = 0; i < nt; i++) {
			if (strcmp(tags[i].name, parts[1]) != 0 || !tag_visible(t, &tags[i]))
				continue;
			n->kind = N_LINK;
			tag_link(t, &tags[i], n->link, sizeof(n->link));
			rc = 0;
		}
		lfs_tags_free(tags, nt);
		return rc;
	}
	if (np >= 1 && strcmp(parts[0], "branches") == 0 && !t->branch) {
		if (np == 1) {
			n->kind = N_BRANCHES;
			return 0;
		}
		struct table *b = NULL;
		rc = open_branch(t, parts[1], &b);
		if (rc)
			return rc;
		n->t = b;
		return parse_in_table(n, parts + 2, np - 2);
	}
	if (np >= 1 && strcmp(parts[0], "raw") == 0) {
		lfs_object_info info;
		char *rel = join_parts(parts + 1, np - 1);
		if (!rel)
			return -ENOMEM;
		n->raw_key = lfs_key_join(t->root, rel);
		free(rel);
		if (!n->raw_key)
			return -ENOMEM;
		if (np == 1) {
			n->kind = N_RAW_DIR;
			return 0;
		}
		for (int i = 1; i < np; i++)
			if (strcmp(parts[i], ".") == 0 || strcmp(parts[i], "..") == 0)
				return -ENOENT;
		lfs_err err;
		rc = lfs_store_stat(M.opts.store, n->raw_key, &info, &err);
		if (rc == 0) {
			n->kind = N_RAW_FILE;
			return 0;
		}
		if (rc != -ENOENT && rc != -EISDIR) {
			lfs_error("raw/%s: %s", n->raw_key, err.msg);
			return -EIO; /* the store failed: not "no such file" */
		}
		/* not an object: a directory if it lists */
		lfs_store_entry *entries;
		size_t ne;
		rc = lfs_store_list(M.opts.store, n->raw_key, &entries, &ne, &err);
		if (rc == 0) {
			lfs_store_entries_free(entries, ne);
			n->kind = N_RAW_DIR;
			return 0;
		}
		if (rc != -ENOENT && rc != -ENOTDIR) {
			lfs_error("raw/%s: %s", n->raw_key, err.msg);
			return -EIO;
		}
		return -ENOENT;
	}
	if (np >= 1 && strcmp(parts[0], "query") == 0 && !t->branch) {
		if (np == 1) {
			n->kind = N_QUERY_DIR;
			return 0;
		}
		if (np > 2)
			return -ENOENT;
		n->kind = N_QUERY_FILE;
		n->qname = parts[1];
		return 0;
	}
	if (n->pin == 0)
		maybe_refresh(t, 0);
	rc = load_version(n, n->pin ? n->pin : lfs_dataset_latest(t->ds));
	if (rc)
		return rc;
	n->is_root_version = 1;
	return parse_in_version(n, parts, np);
}

/* Parses a path from the mount's root.  pin, when not 0, is the version at
 * which the root of the path's table resolves (see struct inode). */
static int parse_path(const char *path, uint64_t pin, struct node *n)
{
	char *parts[MAX_PARTS];
	int np, rc;

	memset(n, 0, offsetof(struct node, pathbuf));
	n->pin = pin;
	if (strlen(path) >= sizeof(n->pathbuf))
		return -ENAMETOOLONG;
	strcpy(n->pathbuf, path);
	np = split_path(n->pathbuf, parts);
	if (np < 0)
		return np;
	if (np >= 1 && strcmp(parts[0], ".lancefs") == 0) {
		if (np == 1)
			n->kind = N_DOT_DIR;
		else if (np == 2 && strcmp(parts[1], "stats") == 0)
			n->kind = N_STATS;
		else
			return -ENOENT;
		return 0;
	}
	if (!M.opts.is_database) {
		n->t = &M.tables[0];
		rc = parse_in_table(n, parts, np);
	} else if (np == 0) {
		n->kind = N_MOUNT_ROOT;
		return 0;
	} else {
		rc = -ENOENT;
		for (size_t i = 0; i < M.n_tables; i++) {
			if (strcmp(M.tables[i].name, parts[0]) == 0) {
				n->t = &M.tables[i];
				rc = parse_in_table(n, parts + 1, np - 1);
				break;
			}
		}
	}
	if (rc)
		node_clear(n);
	return rc;
}

/* ------------------------------------------------------------ views */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	while (*s)
		h = (h ^ (uint8_t)*s++) * 1099511628211ull;
	return h;
}

/* The view of a node, created on first use and kept for the mount's life
 * so that text views keep their row index between opens. */
static int node_view(const struct node *n, lfs_view **out)
{
	char key[256];
	lfs_err err;
	struct view_entry *e;
	int rc;

	snprintf(key, sizeof(key), "%s@%" PRIu64 "/%d/%zu/%d/%zu", n->t->root,
		 lfs_version_number(n->ver), (int)n->scope, n->frag, (int)n->view_kind, n->col);
	uint64_t b = hash_str(key) % VIEW_BUCKETS;
	pthread_mutex_lock(&M.views_lock);
	for (e = M.views[b]; e; e = e->next) {
		if (strcmp(e->key, key) == 0) {
			*out = e->view;
			pthread_mutex_unlock(&M.views_lock);
			return 0;
		}
	}
	e = calloc(1, sizeof(*e));
	rc = e ? 0 : -ENOMEM;
	if (!rc && !(e->key = strdup(key)))
		rc = -ENOMEM;
	if (!rc)
		rc = lfs_source_new(n->ver, n->scope, n->frag, &e->src, &err);
	if (!rc)
		rc = lfs_view_new(n->view_kind, lfs_source_rows(e->src), n->col, &e->view, &err);
	if (rc) {
		if (rc != -ENOMEM)
			lfs_error("%s: cannot make a view: %s", key, err.msg);
		if (e) {
			lfs_source_free(e->src);
			free(e->key);
			free(e);
		}
		pthread_mutex_unlock(&M.views_lock);
		return rc == -ENOMEM ? rc : -EIO;
	}
	e->next = M.views[b];
	M.views[b] = e;
	*out = e->view;
	pthread_mutex_unlock(&M.views_lock);
	return 0;
}

/* ------------------------------------------------------------ documents */

static int deletions_text(struct node *n, lfs_buf *out)
{
	const uint32_t *del;
	size_t nd;
	lfs_err err;
	int rc = lfs_version_deletions(n->ver, n->frag, &del, &nd, &err);
	if (rc) {
		lfs_error("%s: fragment %zu: %s", n->t->root, n->frag, err.msg);
		return -EIO;
	}
	for (size_t i = 0; i < nd && !rc; i++)
		rc = lfs_buf_printf(out, "%u\n", del[i]);
	return rc;
}

static int render_doc(struct node *n, lfs_buf *out)
{
	const lfs_manifest *m = lfs_version_manifest(n->ver);
	switch (n->doc) {
	case DOC_SCHEMA: return lfs_doc_schema(m, out);
	case DOC_MANIFEST: return lfs_doc_manifest(m, out);
	case DOC_FRAGMENT: return lfs_doc_fragment(m, n->frag, out);
	case DOC_INDEX: return lfs_doc_index(m, n->index_i, out);
	case DOC_DELETIONS: return deletions_text(n, out);
	}
	return -EIO;
}

/* ------------------------------------------------------------ attributes */

/* How long the kernel may trust what we tell it. */
#define TTL_STABLE 60.0   /* immutable: pinned versions, versions/N */
#define TTL_MOVING 1.0    /* names whose target follows the newest version */

static void fill_dir(struct stat *st)
{
	st->st_mode = S_IFDIR | 0555;
	st->st_nlink = 2;
}

static void fill_file(struct stat *st, uint64_t size)
{
	st->st_mode = S_IFREG | 0444;
	st->st_nlink = 1;
	st->st_size = (off_t)size;
	st->st_blocks = (blkcnt_t)((size + 511) / 512);
}

static time_t node_mtime(const struct node *n)
{
	if (n->ver)
		return (time_t)lfs_version_manifest(n->ver)->timestamp_s;
	return M.mount_time;
}

/* The attributes of a node; text views may render once to know their size. */
static int node_attr(struct node *n, const char *path, struct stat *st)
{
	lfs_buf b;
	lfs_err err;
	int rc = 0;

	memset(st, 0, sizeof(*st));
	st->st_uid = getuid();
	st->st_gid = getgid();
	switch (n->kind) {
	case N_DOC:
		lfs_buf_init(&b);
		rc = render_doc(n, &b);
		if (!rc)
			fill_file(st, b.len);
		lfs_buf_free(&b);
		break;
	case N_VIEW: {
		lfs_view *v;
		uint64_t size;
		rc = node_view(n, &v);
		if (!rc && (rc = lfs_view_size(v, &size, &err)) != 0) {
			lfs_error("%s: %s", path, err.msg);
			rc = rc == -ENOMEM ? rc : -EIO;
		}
		if (!rc)
			fill_file(st, size);
		break;
	}
	case N_RAW_FILE: {
		lfs_object_info info;
		rc = lfs_store_stat(M.opts.store, n->raw_key, &info, &err);
		if (rc == 0) {
			fill_file(st, info.size);
			st->st_mtim.tv_sec = info.mtime_ns / 1000000000;
			st->st_mtim.tv_nsec = info.mtime_ns % 1000000000;
		} else if (rc != -ENOENT) {
			lfs_error("%s: %s", path, err.msg);
			rc = -EIO;
		}
		break;
	}
	case N_STATS:
		lfs_buf_init(&b);
		rc = lfs_stats_render(&b);
		if (!rc)
			fill_file(st, b.len);
		lfs_buf_free(&b);
		break;
	case N_LINK:
		st->st_mode = S_IFLNK | 0777;
		st->st_nlink = 1;
		st->st_size = (off_t)strlen(n->link);
		break;
	case N_QUERY_FILE: {
		lfs_qfile *q = lfs_qdir_get(n->t->queries, n->qname);
		if (!q) {
			rc = -ENOENT;
			break;
		}
		fill_file(st, lfs_qfile_size(q));
		st->st_mode = S_IFREG | 0644;
		lfs_qfile_release(q);
		break;
	}
	case N_QUERY_DIR:
		fill_dir(st);
		st->st_mode = S_IFDIR | 0755;
		break;
	default:
		fill_dir(st);
		break;
	}
	if (!rc && n->kind != N_RAW_FILE) {
		st->st_mtim.tv_sec = node_mtime(n);
		st->st_ctim = st->st_mtim;
		st->st_atim = st->st_mtim;
	}
	return rc;
}

/* Whether a node's attributes and contents never change. */
static int node_is_stable(const struct node *n)
{
	switch (n->kind) {
	case N_DOC:
	case N_VIEW:
	case N_TABLE:
	case N_DATA_DIR:
	case N_FRAGMENTS:
	case N_FRAGMENT:
	case N_INDICES:
		/* inside a version: immutable, unless it is a floating table root */
		return n->ver && !(n->kind == N_TABLE && n->is_root_version && n->pin == 0);
	default:
		return 0;
	}
}

/* ------------------------------------------------------------ inodes
 *
 * An inode is a path plus the version its table's root resolved at when
 * it was looked up ("pin").  When the dataset gains a version, looking up
 * "data" at the root gives a new inode for the new version while open
 * files keep theirs: so every inode is immutable, the kernel may cache its
 * pages for as long as it likes, an open file never mixes two versions,
 * and mmap works everywhere.  Table roots (and .lancefs, versions/, ...)
 * are not pinned: they float with the newest version.
 */
struct inode {
	fuse_ino_t ino;
	uint64_t nlookup;
	uint64_t pin;
	char *path;
	struct inode *next_by_ino, *next_by_key;
};

#define INODE_BUCKETS 4096

static struct {
	pthread_mutex_t lock;
	fuse_ino_t next_ino;
	struct inode *by_ino[INODE_BUCKETS];
	struct inode *by_key[INODE_BUCKETS];
	struct inode root;
} I = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint64_t key_hash(const char *path, uint64_t pin)
{
	return (hash_str(path) ^ (pin * 0x9e3779b97f4a7c15ull)) % INODE_BUCKETS;
}

static void inodes_init(void)
{
	memset(&I.by_ino, 0, sizeof(I.by_ino));
	memset(&I.by_key, 0, sizeof(I.by_key));
	I.root.ino = FUSE_ROOT_ID;
	I.root.path = "/";
	I.next_ino = FUSE_ROOT_ID + 1;
}

/* The path and pin of an inode (copied, since the inode may be forgotten
 * by another thread).  Returns -ESTALE for an unknown inode. */
static int inode_get(fuse_ino_t ino, char **path, uint64_t *pin)
{
	if (ino == FUSE_ROOT_ID) {
		*path = strdup("/");
		*pin = 0;
		return *path ? 0 : -ENOMEM;
	}
	pthread_mutex_lock(&I.lock);
	struct inode *in = I.by_ino[ino % INODE_BUCKETS];
	while (in && in->ino != ino)
		in = in->next_by_ino;
	if (in) {
		*path = strdup(in->path);
		*pin = in->pin;
	}
	pthread_mutex_unlock(&I.lock);
	if (!in)
		return -ESTALE;
	return *path ? 0 : -ENOMEM;
}

/* Finds or makes the inode of (path, pin) and counts one more lookup. */
static fuse_ino_t inode_ref(const char *path, uint64_t pin)
{
	uint64_t h = key_hash(path, pin);
	struct inode *in;

	pthread_mutex_lock(&I.lock);
	for (in = I.by_key[h]; in; in = in->next_by_key)
		if (in->pin == pin && strcmp(in->path, path) == 0)
			break;
	if (!in) {
		in = calloc(1, sizeof(*in));
		if (in && !(in->path = strdup(path))) {
			free(in);
			in = NULL;
		}
		if (!in) {
			pthread_mutex_unlock(&I.lock);
			return 0;
		}
		in->ino = I.next_ino++;
		in->pin = pin;
		in->next_by_key = I.by_key[h];
		I.by_key[h] = in;
		in->next_by_ino = I.by_ino[in->ino % INODE_BUCKETS];
		I.by_ino[in->ino % INODE_BUCKETS] = in;
	}
	in->nlookup++;
	fuse_ino_t ino = in->ino;
	pthread_mutex_unlock(&I.lock);
	return ino;
}

static void unlink_inode(struct inode *in)
{
	struct inode **p = &I.by_ino[in->ino % INODE_BUCKETS];
	while (*p != in)
		p = &(*p)->next_by_ino;
	*p = in->next_by_ino;
	p = &I.by_key[key_hash(in->path, in->pin)];
	while (*p != in)
		p = &(*p)->next_by_key;
	*p = in->next_by_key;
}

static void inode_forget(fuse_ino_t ino, uint64_t n)
{
	if (ino == FUSE_ROOT_ID)
		return;
	pthread_mutex_lock(&I.lock);
	struct inode *in = I.by_ino[ino % INODE_BUCKETS];
	while (in && in->ino != ino)
		in = in->next_by_ino;
	if (in) {
		in->nlookup = n >= in->nlookup ? 0 : in->nlookup - n;
		if (in->nlookup == 0) {
			unlink_inode(in);
			free(in->path);
			free(in);
		}
	}
	pthread_mutex_unlock(&I.lock);
}

static void inodes_free(void)
{
	for (size_t b = 0; b < INODE_BUCKETS; b++) {
		struct inode *in = I.by_ino[b];
		while (in) {
			struct inode *next = in->next_by_ino;
			free(in->path);
			free(in);
			in = next;
		}
		I.by_ino[b] = I.by_key[b] = NULL;
	}
}

/* Parses the node of an inode. */
static int inode_node(fuse_ino_t ino, struct node *n, char **path)
{
	uint64_t pin;
	int rc = inode_get(ino, path, &pin);
	if (rc)
		return rc;
	rc = parse_path(*path, pin, n);
	if (rc) {
		free(*path);
		*path = NULL;
	}
	return rc;
}

static char *child_path(const char *parent, const char *name)
{
	return lfs_strdup_printf("%s%s%s", parent, strcmp(parent, "/") == 0 ? "" : "/", name);
}

/* The pin a node's inode gets: its version when it lives in a table's
 * root scope, but not the table root itself, which floats. */
static uint64_t node_pin(const struct node *n)
{
	if (!n->is_root_version || !n->ver || n->kind == N_TABLE)
		return 0;
	return lfs_version_number(n->ver);
}

/* ------------------------------------------------------------ operations */

static void lfs_ll_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* Large reads: fewer round trips for `cat` and numpy. */
	if (conn->max_write < (1u << 20))
		conn->max_write = 1u << 20;
	conn->max_readahead = 1u << 20;
	conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA; /* inodes never change: keep pages */
}

static void lfs_ll_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	struct node n;
	char *ppath, *path;
	uint64_t pin;
	int rc;

	rc = inode_get(parent, &ppath, &pin);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	path = child_path(ppath, name);
	free(ppath);
	if (!path) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	memset(&e, 0, sizeof(e));
	rc = parse_path(path, pin, &n);
	if (rc == 0)
		rc = node_attr(&n, path, &e.attr);
	if (rc) {
		free(path);
		node_clear(&n);
		if (rc == -ENOENT) {
			/* a short negative entry: the name may appear with a new version */
			e.ino = 0;
			e.entry_timeout = TTL_MOVING;
			fuse_reply_entry(req, &e);
		} else {
			fuse_reply_err(req, -rc);
		}
		return;
	}
	uint64_t child_pin = node_pin(&n);
	int stable = node_is_stable(&n);
	enum node_kind kind = n.kind;
	/* versions/N itself may vanish when old versions are cleaned up */
	int may_vanish = n.kind == N_TABLE && !n.is_root_version;
	node_clear(&n);
	e.ino = inode_ref(path, child_pin);
	free(path);
	if (e.ino == 0) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	e.attr.st_ino = e.ino;
	e.attr_timeout = stable ? TTL_STABLE : kind == N_STATS || kind == N_QUERY_FILE ? 0 : TTL_MOVING;
	if (kind == N_QUERY_FILE) {
		e.entry_timeout = 0;
		fuse_reply_entry(req, &e);
		return;
	}
	/* A name under a floating directory (a table root) may lead to another
	 * version's inode once the dataset moves on; names inside a pinned
	 * directory or inside versions/N never change. */
	e.entry_timeout = stable && !may_vanish && (pin != 0 || child_pin == 0) ? TTL_STABLE : TTL_MOVING;
	fuse_reply_entry(req, &e);
}

static void lfs_ll_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	inode_forget(ino, nlookup);
	fuse_reply_none(req);
}

static void lfs_ll_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		inode_forget(forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void lfs_ll_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct node n;
	struct stat st;
	char *path;
	int rc;

	(void)fi;
	rc = inode_node(ino, &n, &path);
	if (rc == 0) {
		rc = node_attr(&n, path, &st);
		int stable = node_is_stable(&n);
		enum node_kind kind = n.kind;
		node_clear(&n);
		free(path);
		if (rc == 0) {
			st.st_ino = ino;
			fuse_reply_attr(req, &st, stable ? TTL_STABLE : kind == N_STATS || kind == N_QUERY_FILE ? 0 : TTL_MOVING);
			return;
		}
	}
	fuse_reply_err(req, -rc);
}

static void lfs_ll_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct node n;
	char *path;
	int rc = inode_node(ino, &n, &path);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	free(path);
	if (n.kind != N_LINK)
		fuse_reply_err(req, EINVAL);
	else
		fuse_reply_readlink(req, n.link);
	node_clear(&n);
}

/* ------------------------------------------------------------ directories */

/* A directory's listing, made at opendir and served from it. */
struct dirlist {
	lfs_buf names;   /* NUL-separated */
	size_t count;
};

static int dl_add(struct dirlist *d, const char *name)
{
	if (!*name || strchr(name, '/'))
		return 0; /* not representable as a file name */
	d->count++;
	return lfs_buf_append(&d->names, name, strlen(name) + 1);
}

static void dl_add_views(struct dirlist *d, const lfs_manifest *m)
{
	static const enum lfs_view_kind kinds[] = { LFS_VIEW_JSONL, LFS_VIEW_TXT, LFS_VIEW_NPY,
						    LFS_VIEW_VALID_NPY, LFS_VIEW_BIN };
	char name[1024];
	for (size_t c = 0; c < m->schema.n_top; c++) {
		const lfs_field *f = m->schema.top[c];
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			if (!lfs_view_applies(kinds[k], f))
				continue;
			snprintf(name, sizeof(name), "%s%s", f->name, lfs_view_suffix(kinds[k]));
			dl_add(d, name);
		}
	}
}

static void dl_add_names(struct dirlist *d, const char *const *names)
{
	for (; *names; names++)
		dl_add(d, *names);
}

static int list_node(struct node *n, struct dirlist *d)
{
	char name[1100];
	lfs_err err;
	int rc = 0;
	const lfs_manifest *m = n->ver ? lfs_version_manifest(n->ver) : NULL;

	switch (n->kind) {
	case N_MOUNT_ROOT:
		for (size_t i = 0; i < M.n_tables; i++)
			dl_add(d, M.tables[i].name);
		dl_add(d, ".lancefs");
		break;
	case N_TABLE: {
		static const char *const version_names[] = { "schema.json", "manifest.json", "data",
							      "rows.jsonl", "rows.csv", "fragments",
							      "indices", NULL };
		static const char *const root_names[] = { "versions", "tags", "branches", "raw",
							   "query", NULL };
		static const char *const branch_root_names[] = { "versions", "tags", "raw", NULL };
		dl_add_names(d, version_names);
		if (n->is_root_version)
			dl_add_names(d, n->t->branch ? branch_root_names : root_names);
		if (n->is_root_version && !M.opts.is_database && !n->t->branch)
			dl_add(d, ".lancefs");
		break;
	}
	case N_DATA_DIR:
		dl_add_views(d, m);
		if (n->scope == LFS_SCOPE_DELETED) {
			dl_add(d, "rows.jsonl");
			dl_add(d, "rows.csv");
		}
		break;
	case N_FRAGMENTS:
		for (size_t i = 0; i < m->n_fragments; i++) {
			snprintf(name, sizeof(name), "%" PRIu64, m->fragments[i].id);
			dl_add(d, name);
		}
		break;
	case N_FRAGMENT: {
		static const char *const names[] = { "fragment.json", "deletions.txt", "data",
						     "rows.jsonl", "rows.csv", "deleted", NULL };
		dl_add_names(d, names);
		break;
	}
	case N_VERSIONS: {
		uint64_t *versions;
		size_t nv;
		if (lfs_dataset_versions(n->t->ds, &versions, &nv) == 0) {
			for (size_t i = 0; i < nv; i++) {
				snprintf(name, sizeof(name), "%" PRIu64, versions[i]);
				dl_add(d, name);
			}
			free(versions);
		}
		dl_add(d, "latest");
		break;
	}
	case N_TAGS: {
		lfs_tag *tags;
		size_t nt;
		if (lfs_dataset_tags(tag_table(n->t)->ds, &tags, &nt, &err) == 0) {
			for (size_t i = 0; i < nt; i++)
				if (tag_visible(n->t, &tags[i]))
					dl_add(d, tags[i].name);
			lfs_tags_free(tags, nt);
		} else {
			lfs_error("%s: tags: %s", n->t->root, err.msg);
			rc = -EIO;
		}
		break;
	}
	case N_BRANCHES: {
		char **names;
		size_t nn;
		if (lfs_dataset_branches(n->t->ds, &names, &nn, &err) == 0) {
			for (size_t i = 0; i < nn; i++) {
				dl_add(d, names[i]);
				free(names[i]);
			}
			free(names);
		} else {
			lfs_error("%s: branches: %s", n->t->root, err.msg);
			rc = -EIO;
		}
		break;
	}
	case N_INDICES:
		for (size_t i = 0; i < m->n_indices; i++) {
			snprintf(name, sizeof(name), "%s.json", m->indices[i].name);
			dl_add(d, name);
		}
		break;
	case N_RAW_DIR: {
		lfs_store_entry *entries;
		size_t ne;
		rc = lfs_store_list(M.opts.store, n->raw_key, &entries, &ne, &err);
		if (rc) {
			lfs_error("raw/%s: %s", n->raw_key, err.msg);
			rc = -EIO;
			break;
		}
		for (size_t i = 0; i < ne; i++)
			dl_add(d, entries[i].name);
		lfs_store_entries_free(entries, ne);
		break;
	}
	case N_DOT_DIR:
		dl_add(d, "stats");
		break;
	case N_QUERY_DIR: {
		char **names;
		size_t nn;
		rc = lfs_qdir_list(n->t->queries, &names, &nn);
		for (size_t i = 0; !rc && i < nn; i++) {
			dl_add(d, names[i]);
			free(names[i]);
		}
		if (!rc)
			free(names);
		break;
	}
	default:
		rc = -ENOTDIR;
	}
	return rc;
}

static void lfs_ll_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct node n;
	char *path;
	struct dirlist *d;
	int rc = inode_node(ino, &n, &path);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	free(path);
	d = calloc(1, sizeof(*d));
	rc = d ? 0 : -ENOMEM;
	if (!rc) {
		lfs_buf_init(&d->names);
		dl_add(d, ".");
		dl_add(d, "..");
		rc = list_node(&n, d);
	}
	node_clear(&n);
	if (rc) {
		if (d)
			lfs_buf_free(&d->names);
		free(d);
		fuse_reply_err(req, -rc);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)d;
	fi->cache_readdir = 0;
	fuse_reply_open(req, fi);
}

static void lfs_ll_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	struct dirlist *d = (struct dirlist *)(uintptr_t)fi->fh;
	char *buf = malloc(size ? size : 1);
	size_t used = 0;
	struct stat st = { .st_mode = 0 }; /* d_type DT_UNKNOWN: callers stat for the type */
	(void)ino;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* entry k is at offset k + 1 */
	const char *name = d->names.data ? (const char *)d->names.data : "";
	for (off_t k = 0; k < (off_t)d->count; k++) {
		size_t len = strlen(name);
		if (k >= off) {
			/* readdir(3) skips entries whose inode number is 0; the real
			 * number comes with lookup */
			st.st_ino = (ino_t)(k + 2);
			size_t need = fuse_add_direntry(req, buf + used, size - used, name, &st, k + 1);
			if (need > size - used)
				break;
			used += need;
		}
		name += len + 1;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void lfs_ll_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dirlist *d = (struct dirlist *)(uintptr_t)fi->fh;
	(void)ino;
	lfs_buf_free(&d->names);
	free(d);
	fuse_reply_err(req, 0);
}

/* ------------------------------------------------------------ files */

/* What an open file reads from. */
struct handle {
	enum node_kind kind;
	lfs_version *ver;     /* keeps the version the file was opened at */
	lfs_view *view;
	uint8_t *bytes;       /* documents and stats: rendered at open */
	size_t len;
	char *raw_key;
	char *path;           /* for log lines */
	lfs_qfile *qf;        /* query/ files */
	struct table *t;      /* the table a query file runs on */
	int writable;
};

/* Runs a query file's text on its table (see lfs_qfile_run). */
static int run_query(void *ctx, const char *text, size_t len, lfs_buf *results, lfs_err *err)
{
	struct table *t = ctx;
	lfs_query *q;
	lfs_version *ver = NULL;
	lfs_source *src = NULL;
	uint64_t v;
	int rc;

	rc = lfs_query_parse(text, len, &q, err);
	if (rc)
		return rc;
	const char *tag = lfs_query_tag(q);
	if (lfs_query_version(q, &v) == 0) {
		if (!lfs_dataset_has_version(t->ds, v))
			maybe_refresh(t, 1);
		if (!lfs_dataset_has_version(t->ds, v))
			rc = lfs_fail(err, -EINVAL, "version %" PRIu64 " does not exist", v);
	} else if (tag) {
		lfs_tag *tags;
		size_t nt;
		rc = lfs_dataset_tags(t->ds, &tags, &nt, err);
		if (!rc) {
			rc = lfs_fail(err, -EINVAL, "tag \"%s\" does not exist", tag);
			for (size_t i = 0; i < nt; i++) {
				if (strcmp(tags[i].name, tag) != 0)
					continue;
				if (tags[i].branch)
					rc = lfs_fail(err, -EINVAL, "tag \"%s\" is on branch %s; query files run on the main branch",
						      tag, tags[i].branch);
				else
					rc = 0, v = tags[i].version;
			}
			lfs_tags_free(tags, nt);
		}
	} else {
		maybe_refresh(t, 0);
		v = lfs_dataset_latest(t->ds);
	}
	if (!rc)
		rc = lfs_dataset_version(t->ds, v, &ver, err);
	if (!rc)
		rc = lfs_source_new(ver, LFS_SCOPE_TABLE, 0, &src, err);
	if (!rc)
		rc = lfs_query_run(q, lfs_source_rows(src), results, err);
	lfs_source_free(src);
	if (ver)
		lfs_version_release(ver);
	lfs_query_free(q);
	return rc;
}

static void handle_free(struct handle *h)
{
	if (h->ver)
		lfs_version_release(h->ver);
	if (h->qf)
		lfs_qfile_release(h->qf);
	free(h->bytes);
	free(h->raw_key);
	free(h->path);
	free(h);
}

static void lfs_ll_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct node n;
	struct handle *h;
	char *path;
	lfs_buf b;
	int rc;

	rc = inode_node(ino, &n, &path);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	int writing = (fi->flags & O_ACCMODE) != O_RDONLY;
	if (writing && n.kind != N_QUERY_FILE) {
		node_clear(&n);
		free(path);
		fuse_reply_err(req, EROFS);
		return;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		node_clear(&n);
		free(path);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	h->kind = n.kind;
	h->path = path;
	lfs_buf_init(&b);
	switch (n.kind) {
	case N_DOC:
		rc = render_doc(&n, &b);
		fi->keep_cache = 1;
		break;
	case N_STATS:
		rc = lfs_stats_render(&b);
		fi->direct_io = 1; /* the counters change: never cache */
		break;
	case N_VIEW:
		rc = node_view(&n, &h->view);
		fi->keep_cache = 1; /* an inode is one version: its bytes never change */
		break;
	case N_RAW_FILE:
		h->raw_key = n.raw_key;
		n.raw_key = NULL;
		/* dataset files never change once written; the few that do
		 * (the version hint, tags) are small: read them afresh */
		fi->keep_cache = lfs_cache_lance_immutable(h->raw_key, NULL);
		break;
	case N_QUERY_FILE:
		h->qf = lfs_qdir_get(n.t->queries, n.qname);
		h->t = n.t;
		h->writable = writing;
		rc = h->qf ? 0 : -ENOENT;
		if (!rc && writing && (fi->flags & O_TRUNC))
			rc = lfs_qfile_truncate(h->qf, 0);
		fi->direct_io = 1; /* text, then results: never cache */
		break;
	case N_LINK:
		rc = -ELOOP;
		break;
	default:
		rc = -EISDIR;
	}
	if (!rc) {
		h->bytes = lfs_buf_steal(&b, &h->len);
		h->ver = n.ver;
		n.ver = NULL;
		fi->fh = (uint64_t)(uintptr_t)h;
	} else {
		lfs_buf_free(&b);
		handle_free(h);
	}
	node_clear(&n);
	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_open(req, fi);
}

/* query/NAME: creating a file opens it for writing. */
static void lfs_ll_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
			  struct fuse_file_info *fi)
{
	struct fuse_entry_param e;
	struct node n;
	struct handle *h;
	char *ppath, *path;
	uint64_t pin;
	int rc;

	(void)mode;
	rc = inode_get(parent, &ppath, &pin);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	path = child_path(ppath, name);
	free(ppath);
	if (!path) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	rc = parse_path(path, pin, &n);
	if (rc == -ENOENT || (rc == 0 && n.kind != N_QUERY_FILE))
		rc = -EROFS; /* only query/ takes new files */
	h = rc ? NULL : calloc(1, sizeof(*h));
	if (!rc && !h)
		rc = -ENOMEM;
	if (!rc) {
		h->kind = N_QUERY_FILE;
		h->t = n.t;
		h->writable = 1;
		h->path = path;
		path = NULL;
		h->qf = lfs_qdir_create(n.t->queries, n.qname);
		if (!h->qf)
			rc = -ENOMEM;
	}
	memset(&e, 0, sizeof(e));
	if (!rc)
		rc = node_attr(&n, h->path, &e.attr);
	if (!rc && !(e.ino = inode_ref(h->path, 0)))
		rc = -ENOMEM;
	node_clear(&n);
	free(path);
	if (rc) {
		if (h)
			handle_free(h);
		fuse_reply_err(req, -rc);
		return;
	}
	e.attr.st_ino = e.ino;
	fi->fh = (uint64_t)(uintptr_t)h;
	fi->direct_io = 1;
	fuse_reply_create(req, &e, fi);
}

static void lfs_ll_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
			 struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	(void)ino;
	if (h->kind != N_QUERY_FILE || !h->writable || off < 0) {
		fuse_reply_err(req, h->kind != N_QUERY_FILE ? EROFS : EBADF);
		return;
	}
	int rc = lfs_qfile_write(h->qf, buf, size, (uint64_t)off);
	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_write(req, size);
}

/* close(): a query file written through this handle runs now, and close
 * fails with EINVAL when the query is bad (its file then reads back the
 * error). */
static void lfs_ll_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	(void)ino;
	if (h->kind != N_QUERY_FILE || !h->writable) {
		fuse_reply_err(req, 0);
		return;
	}
	int rc = lfs_qfile_run(h->qf, run_query, h->t);
	if (rc && rc != -EINVAL)
		lfs_warn("%s: the query failed: %d", h->path, rc);
	fuse_reply_err(req, rc == 0 ? 0 : rc == -EINVAL ? EINVAL : rc == -ENOMEM ? ENOMEM : EIO);
}

static void lfs_ll_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	size_t got = 0;
	lfs_err err;
	int rc = 0;
	(void)ino;

	if (off < 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	/* The reply is sent from a buffer of this request's own: once replied,
	 * the file may be closed and its handle freed by another thread. */
	char *buf = malloc(size ? size : 1);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (h->kind == N_DOC || h->kind == N_STATS) {
		if ((uint64_t)off < h->len) {
			got = h->len - (size_t)off < size ? h->len - (size_t)off : size;
			memcpy(buf, h->bytes + off, got);
		}
	} else if (h->kind == N_VIEW)
		rc = lfs_view_read(h->view, (uint64_t)off, size, buf, &got, &err);
	else if (h->kind == N_QUERY_FILE)
		rc = lfs_qfile_read(h->qf, (uint64_t)off, size, buf, &got);
	else
		rc = lfs_store_read(M.opts.store, h->raw_key, (uint64_t)off, buf, size, &got, &err);
	if (rc) {
		lfs_error("%s: read of %zu bytes at %lld: %s", h->path, size, (long long)off, err.msg);
		fuse_reply_err(req, rc == -ENOMEM ? ENOMEM : EIO);
	} else {
		lfs_stat_add(fuse_reads, 1);
		lfs_stat_add(fuse_read_bytes, got);
		fuse_reply_buf(req, buf, got);
	}
	free(buf);
}

static void lfs_ll_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	(void)ino;
	handle_free(h);
	fuse_reply_err(req, 0);
}

static void lfs_ll_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs st;
	(void)ino;
	memset(&st, 0, sizeof(st));
	st.f_bsize = 4096;
	st.f_frsize = 4096;
	st.f_namemax = 255;
	fuse_reply_statfs(req, &st);
}

/* ------------------------------------------------------------ read-only */

static void erofs_mknod(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m, dev_t d)
{ (void)p; (void)n; (void)m; (void)d; fuse_reply_err(req, EROFS); }
static void erofs_mkdir(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m)
{ (void)p; (void)n; (void)m; fuse_reply_err(req, EROFS); }
static void erofs_unlink(fuse_req_t req, fuse_ino_t p, const char *n)
{ (void)p; (void)n; fuse_reply_err(req, EROFS); }

/* rm query/NAME; everything else is read-only */
static void lfs_ll_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct node n;
	char *ppath, *path;
	uint64_t pin;
	int rc = inode_get(parent, &ppath, &pin);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	path = child_path(ppath, name);
	free(ppath);
	rc = path ? parse_path(path, pin, &n) : -ENOMEM;
	free(path);
	if (rc == 0) {
		rc = n.kind == N_QUERY_FILE ? lfs_qdir_unlink(n.t->queries, n.qname) : -EROFS;
		node_clear(&n);
	}
	fuse_reply_err(req, -rc);
}

/* Only truncating a query file changes anything; other attributes are
 * read-only. */
static void lfs_ll_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
			   struct fuse_file_info *fi)
{
	struct node n;
	struct stat st;
	char *path;
	int rc = inode_node(ino, &n, &path);
	(void)fi;
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	if (n.kind != N_QUERY_FILE || (to_set & ~(FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME |
						   FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW |
						   FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME))) {
		rc = -EROFS;
	} else if (to_set & FUSE_SET_ATTR_SIZE) {
		lfs_qfile *q = lfs_qdir_get(n.t->queries, n.qname);
		rc = q ? lfs_qfile_truncate(q, (uint64_t)attr->st_size) : -ENOENT;
		if (q)
			lfs_qfile_release(q);
	}
	if (!rc)
		rc = node_attr(&n, path, &st);
	node_clear(&n);
	free(path);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	st.st_ino = ino;
	fuse_reply_attr(req, &st, 0);
}
static void erofs_symlink(fuse_req_t req, const char *l, fuse_ino_t p, const char *n)
{ (void)l; (void)p; (void)n; fuse_reply_err(req, EROFS); }
static void erofs_rename(fuse_req_t req, fuse_ino_t p, const char *n, fuse_ino_t np,
			 const char *nn, unsigned int f)
{ (void)p; (void)n; (void)np; (void)nn; (void)f; fuse_reply_err(req, EROFS); }
static void erofs_link(fuse_req_t req, fuse_ino_t i, fuse_ino_t p, const char *n)
{ (void)i; (void)p; (void)n; fuse_reply_err(req, EROFS); }
static void erofs_setxattr(fuse_req_t req, fuse_ino_t i, const char *n, const char *v, size_t s, int f)
{ (void)i; (void)n; (void)v; (void)s; (void)f; fuse_reply_err(req, EROFS); }

static const struct fuse_lowlevel_ops lfs_ll_ops = {
	.init = lfs_ll_init,
	.lookup = lfs_ll_lookup,
	.forget = lfs_ll_forget,
	.forget_multi = lfs_ll_forget_multi,
	.getattr = lfs_ll_getattr,
	.readlink = lfs_ll_readlink,
	.opendir = lfs_ll_opendir,
	.readdir = lfs_ll_readdir,
	.releasedir = lfs_ll_releasedir,
	.open = lfs_ll_open,
	.read = lfs_ll_read,
	.release = lfs_ll_release,
	.statfs = lfs_ll_statfs,
	.mknod = erofs_mknod,
	.mkdir = erofs_mkdir,
	.unlink = lfs_ll_unlink,
	.rmdir = erofs_unlink,
	.symlink = erofs_symlink,
	.rename = erofs_rename,
	.link = erofs_link,
	.setattr = lfs_ll_setattr,
	.create = lfs_ll_create,
	.write = lfs_ll_write,
	.flush = lfs_ll_flush,
	.setxattr = erofs_setxattr,
	.removexattr = erofs_unlink,
};

/* ------------------------------------------------------------ start-up */

static void free_tables(void)
{
	for (size_t i = 0; i < M.n_tables; i++)
		fini_table(&M.tables[i]);
	free(M.tables);
	M.tables = NULL;
	M.n_tables = 0;
}

static int add_table(const char *name, const char *root, lfs_err *err)
{
	struct table *p = realloc(M.tables, (M.n_tables + 1) * sizeof(*p));
	if (!p)
		return lfs_fail(err, -ENOMEM, "out of memory");
	M.tables = p;
	struct table *t = &M.tables[M.n_tables];
	int rc = init_table(t, name, root);
	M.n_tables++;
	if (rc)
		return lfs_fail(err, -ENOMEM, "out of memory");
	rc = lfs_dataset_open(M.opts.store, root, &t->ds, err);
	t->last_refresh_ns = lfs_now_ns();
	return rc;
}

/* A database directory: every NAME.lance directory in it is a table. */
static int open_database(lfs_err *err)
{
	lfs_store_entry *entries;
	size_t ne;
	int rc = lfs_store_list(M.opts.store, "", &entries, &ne, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < ne && !rc; i++) {
		size_t len = strlen(entries[i].name);
		if (!entries[i].is_dir || len <= 6 || strcmp(entries[i].name + len - 6, ".lance") != 0)
			continue;
		char *name = strndup(entries[i].name, len - 6);
		if (!name) {
			rc = lfs_fail(err, -ENOMEM, "out of memory");
			break;
		}
		rc = add_table(name, entries[i].name, err);
		free(name);
	}
	lfs_store_entries_free(entries, ne);
	return rc;
}

static int open_tables(lfs_err *err)
{
	int rc;
	if (lfs_dataset_probe(M.opts.store, "")) {
		M.opts.is_database = 0;
		rc = add_table("", "", err);
	} else {
		M.opts.is_database = 1;
		rc = open_database(err);
		if (!rc && M.n_tables == 0)
			rc = lfs_fail(err, -ENOENT,
				      "%s: not a Lance dataset (no _versions/) nor a LanceDB database (no NAME.lance tables)",
				      M.opts.uri);
	}
	if (rc)
		free_tables();
	return rc;
}

static void free_views(void)
{
	for (size_t b = 0; b < VIEW_BUCKETS; b++) {
		struct view_entry *e = M.views[b];
		while (e) {
			struct view_entry *next = e->next;
			lfs_view_free(e->view);
			lfs_source_free(e->src);
			free(e->key);
			free(e);
			e = next;
		}
		M.views[b] = NULL;
	}
}

int lfs_fs_run(const lfs_mount_opts *opts, lfs_store_maker make_store, int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts cmd;
	struct fuse_loop_config loop = { .clone_fd = 0, .max_idle_threads = 16 };
	struct fuse_session *se = NULL;
	lfs_store *served = NULL;
	lfs_err err;
	int rc, status = 1;

	memset(&M, 0, sizeof(M));
	M.opts = *opts;
	M.mount_time = time(NULL);
	pthread_mutex_init(&M.views_lock, NULL);
	inodes_init();

	if (fuse_parse_cmdline(&args, &cmd) != 0)
		return 2;
	if (!cmd.mountpoint) {
		fprintf(stderr, "lancefs: no mount point given\n");
		goto out_args;
	}
	/* Fail before daemonizing, so the user sees why. */
	rc = open_tables(&err);
	if (rc) {
		fprintf(stderr, "lancefs: %s\n", err.msg);
		goto out_args;
	}
	free_tables();

	se = fuse_session_new(&args, &lfs_ll_ops, sizeof(lfs_ll_ops), NULL);
	if (!se)
		goto out_args;
	if (fuse_set_signal_handlers(se) != 0)
		goto out_session;
	if (fuse_session_mount(se, cmd.mountpoint) != 0)
		goto out_signals;
	if (fuse_daemonize(cmd.foreground) != 0)
		goto out_unmount;
	if (!cmd.foreground)
		lfs_log_use_syslog(1);

	rc = make_store ? make_store(opts->store, &served, &err) : 0;
	if (rc) {
		lfs_error("cannot set up the cache: %s", err.msg);
		goto out_unmount;
	}
	M.opts.store = served ? served : opts->store;
	rc = open_tables(&err);
	if (rc) {
		lfs_error("%s", err.msg);
		goto out_unmount;
	}
	if (cmd.singlethread)
		status = fuse_session_loop(se) == 0 ? 0 : 1;
	else
		status = fuse_session_loop_mt(se, &loop) == 0 ? 0 : 1;
	free_views();
	free_tables();
	inodes_free();
out_unmount:
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
out_args:
	free(cmd.mountpoint);
	fuse_opt_free_args(&args);
	/* the served store (the cache) closes the base store it wraps */
	lfs_store_close(served ? served : opts->store);
	return status;
}
