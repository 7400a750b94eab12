/*
 * fuse_ceiling: the fastest a FUSE file can be read on this machine, to set lancefs's
 * throughput against (issue 6).
 *
 *   fuse_ceiling [-o FUSE options] [--size BYTES] [--readahead BYTES] MOUNTPOINT
 *
 * Serves one read-only file, /file, of --size bytes (default 512000000) held in memory, and
 * /stats with the number of read requests and bytes served so far.  A read is one memcpy
 * from that memory into the reply: no decoding, no cache, no locks.  It runs like lancefs:
 * libfuse 3, high-level API, multi-threaded loop (no clone_fd, 16 idle threads), in the
 * foreground until unmounted (fusermount3 -u MOUNTPOINT).  --readahead sets the
 * max_readahead it asks the kernel for (default: what libfuse asks for), like lancefs's
 * init does; the kernel's own limits still apply.
 *
 * Build: gcc -O2 -Wall -o fuse_ceiling fuse_ceiling.c $(pkg-config --cflags --libs fuse3)
 */
#define FUSE_USE_VERSION 35
#define _GNU_SOURCE

#include <errno.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static struct {
	uint8_t *data;
	size_t size;
	unsigned readahead;
	atomic_ullong reads, bytes;
} S = { .size = 512000000 };

static int is_file(const char *path) { return strcmp(path, "/file") == 0; }
static int is_stats(const char *path) { return strcmp(path, "/stats") == 0; }

static void *ceil_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	cfg->entry_timeout = cfg->attr_timeout = 1.0;
	cfg->kernel_cache = 0;
	if (S.readahead)
		conn->max_readahead = S.readahead;
	if (conn->max_write < (1u << 20))
		conn->max_write = 1u << 20;
	return NULL;
}

static int ceil_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof(*st));
	if (strcmp(path, "/") == 0) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	} else if (is_file(path) || is_stats(path)) {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = is_file(path) ? (off_t)S.size : 4096;
	} else {
		return -ENOENT;
	}
	return 0;
}

static int ceil_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
			struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	(void)off, (void)fi, (void)flags;
	if (strcmp(path, "/") != 0)
		return -ENOENT;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	fill(buf, "file", NULL, 0, 0);
	fill(buf, "stats", NULL, 0, 0);
	return 0;
}

static int ceil_open(const char *path, struct fuse_file_info *fi)
{
	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		return -EROFS;
	if (is_stats(path)) {
		fi->direct_io = 1;
		return 0;
	}
	return is_file(path) ? 0 : -ENOENT;
}

static int ceil_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	if (is_stats(path)) {
		char text[128];
		int n = snprintf(text, sizeof(text), "reads %llu\nbytes %llu\n",
				 (unsigned long long)atomic_load(&S.reads),
				 (unsigned long long)atomic_load(&S.bytes));
		if (off >= n)
			return 0;
		if (size > (size_t)(n - off))
			size = (size_t)(n - off);
		memcpy(buf, text + off, size);
		return (int)size;
	}
	if (off < 0 || (uint64_t)off >= S.size)
		return 0;
	if (size > S.size - (size_t)off)
		size = S.size - (size_t)off;
	memcpy(buf, S.data + off, size);
	atomic_fetch_add(&S.reads, 1);
	atomic_fetch_add(&S.bytes, size);
	return (int)size;
}

static const struct fuse_operations ceil_ops = {
	.init = ceil_init,
	.getattr = ceil_getattr,
	.readdir = ceil_readdir,
	.open = ceil_open,
	.read = ceil_read,
};

/* Takes --size and --readahead out of argv; the rest goes to libfuse. */
static int take_options(int *argc, char **argv)
{
	int out = 1;
	for (int i = 1; i < *argc; i++) {
		int is_size = strcmp(argv[i], "--size") == 0, is_ra = strcmp(argv[i], "--readahead") == 0;
		if (is_size || is_ra) {
			char *end;
			unsigned long long v;
			if (i + 1 >= *argc)
				return -1;
			v = strtoull(argv[++i], &end, 10);
			if (*end || v == 0)
				return -1;
			if (is_size)
				S.size = (size_t)v;
			else
				S.readahead = (unsigned)v;
			continue;
		}
		argv[out++] = argv[i];
	}
	*argc = out;
	argv[out] = NULL;
	return 0;
}

int main(int argc, char **argv)
{
	struct fuse_args args;
	struct fuse_cmdline_opts cmd;
	struct fuse_loop_config loop = { .clone_fd = 0, .max_idle_threads = 16 };
	struct fuse *fuse;
	int status = 1;

	if (take_options(&argc, argv)) {
		fprintf(stderr, "usage: fuse_ceiling [-o OPT] [--size BYTES] [--readahead BYTES] MOUNTPOINT\n");
		return 2;
	}
	/* the bytes are touched once here, so reads never fault pages in */
	S.data = malloc(S.size);
	if (!S.data) {
		fprintf(stderr, "fuse_ceiling: cannot allocate %zu bytes\n", S.size);
		return 1;
	}
	for (size_t i = 0; i < S.size; i++)
		S.data[i] = (uint8_t)(i * 2654435761u >> 24);

	args = (struct fuse_args)FUSE_ARGS_INIT(0, NULL);
	for (int i = 0; i < argc; i++)
		if (fuse_opt_add_arg(&args, argv[i]) != 0)
			return 1;
	if (fuse_opt_add_arg(&args, "-oro,fsname=fuse_ceiling") != 0 ||
	    fuse_parse_cmdline(&args, &cmd) != 0 || !cmd.mountpoint) {
		fprintf(stderr, "fuse_ceiling: no mount point given\n");
		return 2;
	}
	fuse = fuse_new(&args, &ceil_ops, sizeof(ceil_ops), NULL);
	if (fuse && fuse_mount(fuse, cmd.mountpoint) == 0) {
		if (fuse_set_signal_handlers(fuse_get_session(fuse)) == 0) {
			status = fuse_loop_mt(fuse, &loop) == 0 ? 0 : 1;
			fuse_remove_signal_handlers(fuse_get_session(fuse));
		}
		fuse_unmount(fuse);
	}
	if (fuse)
		fuse_destroy(fuse);
	free(cmd.mountpoint);
	fuse_opt_free_args(&args);
	free(S.data);
	return status;
}
