/* head.S — a tiny kernel in bzImage clothes, to test the VMM's Linux
 * 64-bit boot protocol loader (Documentation/arch/x86/boot.rst) on hosts
 * where a real kernel cannot boot.
 *
 * Layout of the file, as for Linux: (setup_sects + 1) × 512 bytes of
 * "real-mode setup" holding the setup header at 0x1f1, then the
 * protected-mode kernel, whose 64-bit entry (startup_64) is 0x200 bytes in.
 * We never run real-mode code: the header only has to be right.
 */
	.section .setup, "a"
	.code16
	.org 0x1f1
	.byte 4                         /* setup_sects: 4 (+ boot sector) */
	.word 0                         /* root_flags */
	.long _syssize                  /* syssize: kernel size / 16 */
	.word 0                         /* ram_size */
	.word 0                         /* vid_mode */
	.word 0                         /* root_dev */
	.word 0xaa55                    /* boot_flag */
	.org 0x200
	.byte 0xeb, hdr_end - 0x202     /* jump; its length gives the header size */
	.ascii "HdrS"                   /* header magic */
	.word 0x020f                    /* boot protocol 2.15 */
	.long 0                         /* realmode_swtch */
	.word 0                         /* start_sys_seg */
	.word 0                         /* kernel_version */
	.byte 0                         /* type_of_loader: filled by the loader */
	.byte 0x01                      /* loadflags: LOADED_HIGH */
	.word 0                         /* setup_move_size */
	.long 0x100000                  /* code32_start */
	.long 0                         /* ramdisk_image */
	.long 0                         /* ramdisk_size */
	.long 0                         /* bootsect_kludge */
	.word 0                         /* heap_end_ptr */
	.byte 0                         /* ext_loader_ver */
	.byte 0                         /* ext_loader_type */
	.long 0                         /* cmd_line_ptr */
	.long 0x7fffffff                /* initrd_addr_max */
	.long 0x200000                  /* kernel_alignment */
	.byte 1                         /* relocatable_kernel */
	.byte 21                        /* min_alignment (2 MiB) */
	.word 0x0003                    /* xloadflags: KERNEL_64, CAN_BE_LOADED_ABOVE_4G */
	.long 255                       /* cmdline_size */
	.long 0                         /* hardware_subarch */
	.quad 0                         /* hardware_subarch_data */
	.long 0                         /* payload_offset */
	.long 0                         /* payload_length */
	.quad 0                         /* setup_data */
	.quad 0x1000000                 /* pref_address: 16 MiB */
	.long _init_size                /* init_size */
	.long 0                         /* handover_offset */
	.long 0                         /* kernel_info_offset */
hdr_end:
	.org 0xa00                      /* (4 + 1) × 512 */

	.section .text.head, "ax"
	.code64
	.globl startup_32
startup_32:                         /* offset 0: a 32-bit loader would come here */
	ud2
	.org 0x200
	.globl startup_64
startup_64:                         /* the 64-bit boot protocol's entry */
	cli
	leaq stack_top(%rip), %rsp
	movq %rsi, %rdi                 /* struct boot_params * */
	call bz_main
	movb $0xfe, %al                 /* i8042 reset ends the VM */
	outb %al, $0x64
1:	hlt
	jmp 1b

	.bss
	.balign 16
	.space 16384
stack_top:

	.section .note.GNU-stack, "", @progbits
