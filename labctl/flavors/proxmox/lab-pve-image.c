/* lab-pve-image.c: the VM's disk image, built by labctl (no download): a
 * 1 MiB raw disk whose only content is a boot sector. The BIOS (SeaBIOS,
 * Proxmox's default for a VM) loads it from the disk imported onto the
 * shared LVM; it writes one line to the first serial port (qm terminal)
 * and to the screen (the noVNC console), then halts:
 *
 *   labctl-tiny: booted from its disk
 *
 * What it proves on a real cluster: the upload with content import, the
 * import onto the shared LVM (import-from) and the boot from that disk,
 * on whichever node the VM runs after a migration or a failover. It has no
 * network: the VM still answers no ping (a kernel and an initramfs with an
 * address would; see HACKING.md).
 *
 * The bytes are this source, assembled with GNU as:
 *   as --32 -o b.o b.S && ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o b.bin b.o
 *
 *         .code16
 *   _start: cli; xorw %ax,%ax; movw %ax,%ds; movw %ax,%ss; movw $0x7c00,%sp; sti
 *         movw $0x3fb,%dx; movb $0x80,%al; outb %al,%dx   # COM1: DLAB
 *         movw $0x3f8,%dx; movb $0x01,%al; outb %al,%dx   # 115200
 *         movw $0x3f9,%dx; xorb %al,%al;   outb %al,%dx
 *         movw $0x3fb,%dx; movb $0x03,%al; outb %al,%dx   # 8N1
 *         movw $msg,%si
 *   next: lodsb; testb %al,%al; jz done; movb %al,%bl
 *         movb $0x0e,%ah; pushw %bx; movw $0x0007,%bx; int $0x10; popw %bx  # the screen
 *         movw $0x3fd,%dx
 *   wait: inb %dx,%al; testb $0x20,%al; jz wait                  # THR empty
 *         movw $0x3f8,%dx; movb %bl,%al; outb %al,%dx; jmp next
 *   done: cli
 *   halt: hlt; jmp halt
 *   msg:  .asciz "labctl-tiny: booted from its disk\r\n"
 *         .org 510; .byte 0x55, 0xaa
 */
#include "config.h"

#include "lab-pve-private.h"

#include <string.h>

#define IMAGE_SIZE (1024 * 1024)

static const guint8 boot_code[] = {
  0xfa, 0x31, 0xc0, 0x8e, 0xd8, 0x8e, 0xd0, 0xbc, 0x00, 0x7c, 0xfb, 0xba,
  0xfb, 0x03, 0xb0, 0x80, 0xee, 0xba, 0xf8, 0x03, 0xb0, 0x01, 0xee, 0xba,
  0xf9, 0x03, 0x30, 0xc0, 0xee, 0xba, 0xfb, 0x03, 0xb0, 0x03, 0xee, 0xbe,
  0x4a, 0x7c, 0xac, 0x84, 0xc0, 0x74, 0x1b, 0x88, 0xc3, 0xb4, 0x0e, 0x53,
  0xbb, 0x07, 0x00, 0xcd, 0x10, 0x5b, 0xba, 0xfd, 0x03, 0xec, 0xa8, 0x20,
  0x74, 0xfb, 0xba, 0xf8, 0x03, 0x88, 0xd8, 0xee, 0xeb, 0xe0, 0xfa, 0xf4,
  0xeb, 0xfd, 0x6c, 0x61, 0x62, 0x63, 0x74, 0x6c, 0x2d, 0x74, 0x69, 0x6e,
  0x79, 0x3a, 0x20, 0x62, 0x6f, 0x6f, 0x74, 0x65, 0x64, 0x20, 0x66, 0x72,
  0x6f, 0x6d, 0x20, 0x69, 0x74, 0x73, 0x20, 0x64, 0x69, 0x73, 0x6b, 0x0d,
  0x0a, 0x00,
};

GBytes *
lab_pve_vm_image_build (void)
{
  guint8 *image = g_malloc0 (IMAGE_SIZE);

  G_STATIC_ASSERT (sizeof boot_code <= 446);
  memcpy (image, boot_code, sizeof boot_code);
  image[510] = 0x55;
  image[511] = 0xaa;
  return g_bytes_new_take (image, IMAGE_SIZE);
}
