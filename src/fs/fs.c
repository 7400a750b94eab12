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
};

enum doc_kind { DOC_SCHEMA, DOC_MANIFEST, DOC_FRAGMENT, DOC_DELETIONS, DOC_INDEX };

struct node {
	enum node_kind kind;
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
};

static void node_clear(struct node *n)
{
	if (n->ver)
		lfs_version_release(n->ver);
	free(n->raw_key);
	memset(n, 0, sizeof(*n));
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
	return t->name && t->root ? 0 : -ENOMEM;
}

static void fini_table(struct table *t)
{
	for (size_t i = 0; i < t->n_branches; i++) {
		fini_table(t->branches[i]);
		free(t->branches[i]);
	}
	free(t->branches);
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
		rc = lfs_store_stat(M.opts.store, n->raw_key, &info, NULL);
		if (rc == 0) {
			n->kind = N_RAW_FILE;
			return 0;
		}
		/* not an object: a directory if it lists */
		lfs_store_entry *entries;
		size_t ne;
		if (lfs_store_list(M.opts.store, n->raw_key, &entries, &ne, NULL) == 0) {
			lfs_store_entries_free(entries, ne);
			n->kind = N_RAW_DIR;
			return 0;
		}
		return -ENOENT;
	}
	if (np == 1 && strcmp(parts[0], "query") == 0) {
		n->kind = N_QUERY_DIR;
		return 0;
	}
	maybe_refresh(t, 0);
	rc = load_version(n, lfs_dataset_latest(t->ds));
	if (rc)
		return rc;
	n->is_root_version = 1;
	return parse_in_version(n, parts, np);
}

static int parse_path(const char *path, struct node *n)
{
	char buf[4096];
	char *parts[MAX_PARTS];
	int np, rc;

	memset(n, 0, sizeof(*n));
	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	np = split_path(buf, parts);
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

/* ------------------------------------------------------------ getattr */

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

static int lfs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct node n;
	lfs_buf b;
	int rc;

	(void)fi;
	memset(st, 0, sizeof(*st));
	rc = parse_path(path, &n);
	if (rc)
		return rc;
	st->st_uid = getuid();
	st->st_gid = getgid();
	switch (n.kind) {
	case N_DOC:
		lfs_buf_init(&b);
		rc = render_doc(&n, &b);
		if (!rc)
			fill_file(st, b.len);
		lfs_buf_free(&b);
		break;
	case N_VIEW: {
		lfs_view *v;
		uint64_t size;
		lfs_err err;
		rc = node_view(&n, &v);
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
		lfs_err err;
		rc = lfs_store_stat(M.opts.store, n.raw_key, &info, &err);
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
		st->st_mode = S_IFREG | 0444;
		break;
	case N_LINK:
		st->st_mode = S_IFLNK | 0777;
		st->st_nlink = 1;
		st->st_size = (off_t)strlen(n.link);
		break;
	case N_QUERY_DIR:
		fill_dir(st);
		break;
	default:
		fill_dir(st);
		break;
	}
	if (!rc && n.kind != N_RAW_FILE) {
		st->st_mtim.tv_sec = node_mtime(&n);
		st->st_ctim = st->st_mtim;
		st->st_atim = st->st_mtim;
	}
	node_clear(&n);
	return rc;
}

static int lfs_readlink(const char *path, char *buf, size_t size)
{
	struct node n;
	int rc = parse_path(path, &n);
	if (rc)
		return rc;
	if (n.kind != N_LINK) {
		node_clear(&n);
		return -EINVAL;
	}
	snprintf(buf, size, "%s", n.link);
	node_clear(&n);
	return 0;
}

/* ------------------------------------------------------------ readdir */

static int fill_views(const lfs_manifest *m, void *buf, fuse_fill_dir_t filler)
{
	static const enum lfs_view_kind kinds[] = { LFS_VIEW_JSONL, LFS_VIEW_TXT, LFS_VIEW_NPY,
						    LFS_VIEW_VALID_NPY, LFS_VIEW_BIN };
	char name[1024];
	for (size_t c = 0; c < m->schema.n_top; c++) {
		const lfs_field *f = m->schema.top[c];
		if (strchr(f->name, '/') || !*f->name)
			continue; /* not representable as a file name */
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			if (!lfs_view_applies(kinds[k], f))
				continue;
			snprintf(name, sizeof(name), "%s%s", f->name, lfs_view_suffix(kinds[k]));
			filler(buf, name, NULL, 0, 0);
		}
	}
	return 0;
}

static void fill_names(void *buf, fuse_fill_dir_t filler, const char *const *names)
{
	for (; *names; names++)
		filler(buf, *names, NULL, 0, 0);
}

static int lfs_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
		       struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct node n;
	char name[64];
	int rc;

	(void)off;
	(void)fi;
	(void)flags;
	rc = parse_path(path, &n);
	if (rc)
		return rc;
	filler(buf, ".", NULL, 0, 0);
	filler(buf, "..", NULL, 0, 0);
	const lfs_manifest *m = n.ver ? lfs_version_manifest(n.ver) : NULL;
	switch (n.kind) {
	case N_MOUNT_ROOT:
		for (size_t i = 0; i < M.n_tables; i++)
			filler(buf, M.tables[i].name, NULL, 0, 0);
		filler(buf, ".lancefs", NULL, 0, 0);
		break;
	case N_TABLE: {
		static const char *const version_names[] = { "schema.json", "manifest.json", "data",
							      "rows.jsonl", "rows.csv", "fragments",
							      "indices", NULL };
		static const char *const root_names[] = { "versions", "tags", "branches", "raw",
							   "query", NULL };
		static const char *const branch_root_names[] = { "versions", "tags", "raw", NULL };
		fill_names(buf, filler, version_names);
		if (n.is_root_version)
			fill_names(buf, filler, n.t->branch ? branch_root_names : root_names);
		if (n.is_root_version && !M.opts.is_database)
			filler(buf, ".lancefs", NULL, 0, 0);
		break;
	}
	case N_DATA_DIR:
		fill_views(m, buf, filler);
		if (n.scope == LFS_SCOPE_DELETED) {
			filler(buf, "rows.jsonl", NULL, 0, 0);
			filler(buf, "rows.csv", NULL, 0, 0);
		}
		break;
	case N_FRAGMENTS:
		for (size_t i = 0; i < m->n_fragments; i++) {
			snprintf(name, sizeof(name), "%" PRIu64, m->fragments[i].id);
			filler(buf, name, NULL, 0, 0);
		}
		break;
	case N_FRAGMENT: {
		static const char *const names[] = { "fragment.json", "deletions.txt", "data",
						     "rows.jsonl", "rows.csv", "deleted", NULL };
		fill_names(buf, filler, names);
		break;
	}
	case N_VERSIONS: {
		uint64_t *versions;
		size_t nv;
		if (lfs_dataset_versions(n.t->ds, &versions, &nv) == 0) {
			for (size_t i = 0; i < nv; i++) {
				snprintf(name, sizeof(name), "%" PRIu64, versions[i]);
				filler(buf, name, NULL, 0, 0);
			}
			free(versions);
		}
		filler(buf, "latest", NULL, 0, 0);
		break;
	}
	case N_TAGS: {
		lfs_tag *tags;
		size_t nt;
		lfs_err err;
		if (lfs_dataset_tags(tag_table(n.t)->ds, &tags, &nt, &err) == 0) {
			for (size_t i = 0; i < nt; i++)
				if (tag_visible(n.t, &tags[i]))
					filler(buf, tags[i].name, NULL, 0, 0);
			lfs_tags_free(tags, nt);
		} else {
			lfs_error("%s: tags: %s", n.t->root, err.msg);
			rc = -EIO;
		}
		break;
	}
	case N_INDICES:
		for (size_t i = 0; i < m->n_indices; i++) {
			char iname[1024];
			snprintf(iname, sizeof(iname), "%s.json", m->indices[i].name);
			filler(buf, iname, NULL, 0, 0);
		}
		break;
	case N_RAW_DIR: {
		lfs_store_entry *entries;
		size_t ne;
		lfs_err err;
		rc = lfs_store_list(M.opts.store, n.raw_key, &entries, &ne, &err);
		if (rc) {
			lfs_error("raw/%s: %s", n.raw_key, err.msg);
			rc = -EIO;
			break;
		}
		for (size_t i = 0; i < ne; i++)
			filler(buf, entries[i].name, NULL, 0, 0);
		lfs_store_entries_free(entries, ne);
		break;
	}
	case N_DOT_DIR:
		filler(buf, "stats", NULL, 0, 0);
		break;
	case N_BRANCHES: {
		char **names;
		size_t nn;
		lfs_err err;
		if (lfs_dataset_branches(n.t->ds, &names, &nn, &err) == 0) {
			for (size_t i = 0; i < nn; i++) {
				if (!strchr(names[i], '/'))
					filler(buf, names[i], NULL, 0, 0);
				free(names[i]);
			}
			free(names);
		} else {
			lfs_error("%s: branches: %s", n.t->root, err.msg);
			rc = -EIO;
		}
		break;
	}
	case N_QUERY_DIR:
		break;
	default:
		rc = -ENOTDIR;
	}
	node_clear(&n);
	return rc;
}

/* ------------------------------------------------------------ open/read */

/* What an open file reads from. */
struct handle {
	enum node_kind kind;
	lfs_version *ver;     /* keeps the version the file was opened at */
	lfs_view *view;
	uint8_t *bytes;       /* documents and stats: rendered at open */
	size_t len;
	char *raw_key;
};

static int lfs_open(const char *path, struct fuse_file_info *fi)
{
	struct node n;
	struct handle *h;
	lfs_buf b;
	int rc;

	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		return -EROFS;
	rc = parse_path(path, &n);
	if (rc)
		return rc;
	h = calloc(1, sizeof(*h));
	if (!h) {
		node_clear(&n);
		return -ENOMEM;
	}
	h->kind = n.kind;
	lfs_buf_init(&b);
	switch (n.kind) {
	case N_DOC:
		rc = render_doc(&n, &b);
		break;
	case N_STATS:
		rc = lfs_stats_render(&b);
		fi->direct_io = 1; /* the counters change: never cache */
		break;
	case N_VIEW:
		rc = node_view(&n, &h->view);
		break;
	case N_RAW_FILE:
		h->raw_key = n.raw_key;
		n.raw_key = NULL;
		fi->keep_cache = 1; /* dataset files never change once written */
		break;
	default:
		rc = -EISDIR;
	}
	if (!rc && n.kind != N_RAW_FILE && n.kind != N_STATS) {
		/* versions/N never change: the kernel may keep their pages.  Files
		 * at the root follow the newest version, and an open one keeps
		 * reading the version it was opened at, whose size may differ from
		 * what a later stat says: bypass the page cache for those. */
		fi->keep_cache = !n.is_root_version;
		fi->direct_io = n.is_root_version;
	}
	if (!rc) {
		h->bytes = lfs_buf_steal(&b, &h->len);
		h->ver = n.ver;
		n.ver = NULL;
		fi->fh = (uint64_t)(uintptr_t)h;
	} else {
		lfs_buf_free(&b);
		free(h);
	}
	node_clear(&n);
	return rc;
}

static int lfs_read(const char *path, char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	size_t got = 0;
	lfs_err err;
	int rc = 0;

	if (off < 0)
		return -EINVAL;
	switch (h->kind) {
	case N_DOC:
	case N_STATS:
		if ((uint64_t)off < h->len) {
			got = h->len - (size_t)off < size ? h->len - (size_t)off : size;
			memcpy(buf, h->bytes + off, got);
		}
		break;
	case N_VIEW:
		rc = lfs_view_read(h->view, (uint64_t)off, size, buf, &got, &err);
		break;
	case N_RAW_FILE:
		rc = lfs_store_read(M.opts.store, h->raw_key, (uint64_t)off, buf, size, &got, &err);
		break;
	default:
		return -EIO;
	}
	if (rc) {
		lfs_error("%s: read at %lld: %s", path, (long long)off, err.msg);
		return rc == -ENOMEM ? rc : -EIO;
	}
	lfs_stat_add(fuse_reads, 1);
	lfs_stat_add(fuse_read_bytes, got);
	return (int)got;
}

static int lfs_release(const char *path, struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	(void)path;
	if (h->ver)
		lfs_version_release(h->ver);
	free(h->bytes);
	free(h->raw_key);
	free(h);
	return 0;
}

/* ------------------------------------------------------------ read-only */

static int erofs_mode(const char *p, mode_t m) { (void)p; (void)m; return -EROFS; }
static int erofs_path(const char *p) { (void)p; return -EROFS; }
static int erofs_two(const char *a, const char *b) { (void)a; (void)b; return -EROFS; }
static int erofs_rename(const char *a, const char *b, unsigned int f) { (void)a; (void)b; (void)f; return -EROFS; }
static int erofs_create(const char *p, mode_t m, struct fuse_file_info *fi) { (void)p; (void)m; (void)fi; return -EROFS; }
static int erofs_truncate(const char *p, off_t o, struct fuse_file_info *fi) { (void)p; (void)o; (void)fi; return -EROFS; }
static int erofs_chmod(const char *p, mode_t m, struct fuse_file_info *fi) { (void)p; (void)m; (void)fi; return -EROFS; }
static int erofs_chown(const char *p, uid_t u, gid_t g, struct fuse_file_info *fi) { (void)p; (void)u; (void)g; (void)fi; return -EROFS; }
static int erofs_utimens(const char *p, const struct timespec tv[2], struct fuse_file_info *fi) { (void)p; (void)tv; (void)fi; return -EROFS; }
static int erofs_mknod(const char *p, mode_t m, dev_t d) { (void)p; (void)m; (void)d; return -EROFS; }

static int lfs_statfs(const char *path, struct statvfs *st)
{
	(void)path;
	memset(st, 0, sizeof(*st));
	st->f_bsize = 4096;
	st->f_frsize = 4096;
	st->f_namemax = 255;
	st->f_flag = ST_RDONLY;
	return 0;
}

static void *lfs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	cfg->entry_timeout = 1.0;
	cfg->attr_timeout = 1.0;
	cfg->negative_timeout = 1.0;
	cfg->kernel_cache = 0;
	cfg->nullpath_ok = 0; /* readdir parses its path */
	return NULL;
}

static const struct fuse_operations lfs_ops = {
	.init = lfs_init,
	.getattr = lfs_getattr,
	.readlink = lfs_readlink,
	.readdir = lfs_readdir,
	.open = lfs_open,
	.read = lfs_read,
	.release = lfs_release,
	.statfs = lfs_statfs,
	.mkdir = erofs_mode,
	.mknod = erofs_mknod,
	.unlink = erofs_path,
	.rmdir = erofs_path,
	.symlink = erofs_two,
	.link = erofs_two,
	.rename = erofs_rename,
	.create = erofs_create,
	.truncate = erofs_truncate,
	.chmod = erofs_chmod,
	.chown = erofs_chown,
	.utimens = erofs_utimens,
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
	struct fuse *fuse = NULL;
	lfs_store *served = NULL;
	lfs_err err;
	int rc, status = 1;

	memset(&M, 0, sizeof(M));
	M.opts = *opts;
	M.mount_time = time(NULL);
	pthread_mutex_init(&M.views_lock, NULL);

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

	fuse = fuse_new(&args, &lfs_ops, sizeof(lfs_ops), NULL);
	if (!fuse)
		goto out_args;
	if (fuse_mount(fuse, cmd.mountpoint) != 0)
		goto out_fuse;
	if (fuse_daemonize(cmd.foreground) != 0)
		goto out_unmount;
	if (!cmd.foreground)
		lfs_log_use_syslog(1);
	if (fuse_set_signal_handlers(fuse_get_session(fuse)) != 0)
		goto out_unmount;

	rc = make_store ? make_store(opts->store, &served, &err) : 0;
	if (rc) {
		lfs_error("cannot set up the cache: %s", err.msg);
		goto out_signals;
	}
	M.opts.store = served ? served : opts->store;
	rc = open_tables(&err);
	if (rc) {
		lfs_error("%s", err.msg);
		goto out_signals;
	}
	if (cmd.singlethread)
		status = fuse_loop(fuse) == 0 ? 0 : 1;
	else
		status = fuse_loop_mt(fuse, &loop) == 0 ? 0 : 1;
	free_views();
	free_tables();
out_signals:
	fuse_remove_signal_handlers(fuse_get_session(fuse));
out_unmount:
	fuse_unmount(fuse);
out_fuse:
	fuse_destroy(fuse);
out_args:
	free(cmd.mountpoint);
	fuse_opt_free_args(&args);
	/* the served store (the cache) closes the base store it wraps */
	lfs_store_close(served ? served : opts->store);
	return status;
}
