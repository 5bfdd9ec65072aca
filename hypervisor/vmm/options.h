/* options.h — what a machine is made of, from the command line or from the
 * JSON file the app writes (--config).  Both land in one struct. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum { OUTPUT_NONE, OUTPUT_STDIO, OUTPUT_PTY, OUTPUT_FILE, OUTPUT_SOCKET } OutputKind;

struct disk_option {
	char *path;
	int format;          /* BLOCK_FORMAT_AUTO / RAW / QCOW2 (block.h values) */
	bool read_only;
	char *serial;        /* virtio-blk GET_ID; NULL: none */
};

struct vmm_options {
	char *kernel;
	char *initrd;
	char *cmdline;
	uint64_t memory_mib;
	unsigned int cpus;
	GArray *disks;       /* struct disk_option */
	GPtrArray *nets;     /* char *: --net specs, checked (hypervisor/net/backend.h) */
	OutputKind serial;
	char *serial_path;
	OutputKind console;  /* virtio-console: none, stdio or file */
	char *console_path;
	bool rng;
	char *api_socket;
	bool hugepages;
	bool ksm;
	bool paused;         /* start with vCPUs stopped until "resume" */
	bool display;        /* --display vnc: framebuffer + VNC server */
	unsigned int display_width, display_height;
	char *vnc_socket;    /* NULL: <api-socket>.vnc */
	unsigned int vnc_tcp_port;   /* --vnc tcp=127.0.0.1:N; 0: no TCP */
	char *vnc_password_file;
	char *restore;       /* --restore FILE: a "save-state" file to go on from */
};

void vmm_options_init(struct vmm_options *o);
void vmm_options_clear(struct vmm_options *o);
/* "path=FILE[,format=raw|qcow2][,readonly=on][,serial=ID]" */
bool vmm_options_add_disk(struct vmm_options *o, const char *spec, GError **error);
/* "tap=IFNAME|bridge=BR[,vlan=N][,helper=PATH]|user[,hostfwd=…][,mac=…]" (docs/networking.md) */
bool vmm_options_add_net(struct vmm_options *o, const char *spec, GError **error);
/* "stdio", "pty", "none", "file=PATH", "socket=PATH" (--serial only) */
bool vmm_options_parse_output(const char *spec, bool allow_pty, OutputKind *kind, char **path, GError **error);
/* "vnc[,width=W][,height=H]" or "none" */
bool vmm_options_parse_display(struct vmm_options *o, const char *spec, GError **error);
/* "tcp=127.0.0.1:PORT,password-file=FILE" */
bool vmm_options_parse_vnc(struct vmm_options *o, const char *spec, GError **error);
/* Fill from a JSON object; see docs/vmm.md for the keys. */
bool vmm_options_load_json(struct vmm_options *o, const char *file, GError **error);
/* Everything needed is there and in range. */
bool vmm_options_check(const struct vmm_options *o, GError **error);
