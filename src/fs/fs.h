/*
 * fs: the FUSE side of lancefs.  It maps paths to nodes of the tree in
 * DESIGN.md section 1 (schema.json, data/, fragments/, versions/, tags/,
 * raw/, .lancefs/stats, ...), answers getattr/readdir/open/read, and asks
 * the views (view/) for the bytes of data files.  It decodes nothing itself.
 */
#ifndef LFS_FS_H
#define LFS_FS_H

#include "store/store.h"

typedef struct lfs_mount_opts {
	const char *uri;          /* what was mounted, for messages */
	lfs_store *store;         /* the (cached) store holding the dataset or database */
	int is_database;          /* root holds NAME.lance tables */
	unsigned refresh_s;       /* poll for new versions this often (0 = never) */
} lfs_mount_opts;

/* Called after the daemon has forked (threads do not survive a fork): it
 * returns the store the mount serves from, normally the block cache over
 * opts->store. */
typedef int (*lfs_store_maker)(lfs_store *base, lfs_store **out, lfs_err *err);

/* Checks the dataset (so that a bad URI fails at once, before
 * daemonizing), mounts, daemonizes unless -f, and serves until unmounted.
 * argc/argv are FUSE's own arguments (program name, mountpoint, -f, -d,
 * -s, -o ...).  Takes ownership of opts->store.  Returns the exit status
 * for main. */
int lfs_fs_run(const lfs_mount_opts *opts, lfs_store_maker make_store, int argc, char **argv);

#endif
