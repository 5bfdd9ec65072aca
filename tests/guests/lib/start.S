/* start.S — PVH entry for the tiny guests.
 *
 * The VMM starts us in 32-bit protected mode, paging off, flat segments,
 * %ebx = struct hvm_start_info.  We set a stack, call guest_main(start_info)
 * and, if it returns, reset the machine through the i8042 (which ends the
 * VM), or halt forever if that did not work.
 */
	.section .note.Xen, "a", @note
	.align 4
	.long 4                 /* namesz: "Xen\0" */
	.long 4                 /* descsz */
	.long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long _start

	.section .text.start, "ax"
	.code32
	.globl _start
_start:
	cli
	movl $stack_top, %esp
	pushl %ebx
	call guest_main
	.globl _start_reset
_start_reset:
	movb $0xfe, %al         /* i8042: pulse the reset line */
	outb %al, $0x64
1:	hlt
	jmp 1b

	.bss
	.align 16
	.space 16384
stack_top:
	.section .note.GNU-stack, "", @progbits
