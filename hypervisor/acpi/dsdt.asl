/*
 * dsdt.asl — the Differentiated System Description Table of glassbox-vmm's
 * guest, compiled at build time with iasl (acpica-tools) into dsdt.hex, a C
 * array that tables.c copies into guest memory.
 *
 * It describes what a stock Linux kernel cannot find on its own once ACPI is
 * on (ACPI 6.5 §5.2.11, §6, §19):
 *   - the PCI root bridge: its windows and, in _PRT, which IOAPIC pin each
 *     slot's INTA# reaches (16 + slot mod 8, as pci/pci.c wires it and the MP
 *     table says for acpi=off);
 *   - COM1, the i8042 keyboard controller and the CMOS clock, so their
 *     drivers bind through PNP instead of probing;
 *   - \_S5, the soft-off sleep type: writing SLP_TYP = 5 with SLP_EN to the
 *     PM1 control register (acpi/pm.c) ends the VM.
 * The power button is the fixed-feature one (FADT PWR_BUTTON flag clear,
 * PM1 status bit 8): it needs no object here, Linux's button.ko binds to the
 * LNXPWRBN device the ACPI core creates for it.
 */
DefinitionBlock ("dsdt.aml", "DSDT", 2, "GLSBOX", "GBVMM", 1)
{
    Scope (\_SB)
    {
        Device (PCI0)
        {
            Name (_HID, EisaId ("PNP0A03"))
            Name (_UID, Zero)
            Name (_SEG, Zero)
            Name (_BBN, Zero)
            Name (_CRS, ResourceTemplate ()
            {
                WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
                    0x0000, 0x0000, 0x00FF, 0x0000, 0x0100)
                IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000, 0x0000, 0x0CF7, 0x0000, 0x0CF8)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000, 0x0D00, 0xFFFF, 0x0000, 0xF300)
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite,
                    0x00000000, 0x000A0000, 0x000BFFFF, 0x00000000, 0x00020000)
                /* the 32-bit PCI hole from the end of low RAM (3 GiB) up to the
                 * IOAPIC: the framebuffer's BAR at 0xd0000000 (display/) and
                 * the BARs pci/pci.c hands out from 0xe0000000.  A BAR outside
                 * this window would be moved by Linux. */
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,
                    0x00000000, 0xC0000000, 0xFEBFFFFF, 0x00000000, 0x3EC00000)
            })
            /* ACPI 6.5 §6.2.13: { slot << 16 | 0xFFFF, pin (0 = INTA#),
             * source (0: the last field is a GSI), GSI } */
            Name (_PRT, Package ()
            {
                Package () { 0x0000FFFF, 0, 0, 16 },
                Package () { 0x0001FFFF, 0, 0, 17 },
                Package () { 0x0002FFFF, 0, 0, 18 },
                Package () { 0x0003FFFF, 0, 0, 19 },
                Package () { 0x0004FFFF, 0, 0, 20 },
                Package () { 0x0005FFFF, 0, 0, 21 },
                Package () { 0x0006FFFF, 0, 0, 22 },
                Package () { 0x0007FFFF, 0, 0, 23 },
                Package () { 0x0008FFFF, 0, 0, 16 },
                Package () { 0x0009FFFF, 0, 0, 17 },
                Package () { 0x000AFFFF, 0, 0, 18 },
                Package () { 0x000BFFFF, 0, 0, 19 },
                Package () { 0x000CFFFF, 0, 0, 20 },
                Package () { 0x000DFFFF, 0, 0, 21 },
                Package () { 0x000EFFFF, 0, 0, 22 },
                Package () { 0x000FFFFF, 0, 0, 23 },
                Package () { 0x0010FFFF, 0, 0, 16 },
                Package () { 0x0011FFFF, 0, 0, 17 },
                Package () { 0x0012FFFF, 0, 0, 18 },
                Package () { 0x0013FFFF, 0, 0, 19 },
                Package () { 0x0014FFFF, 0, 0, 20 },
                Package () { 0x0015FFFF, 0, 0, 21 },
                Package () { 0x0016FFFF, 0, 0, 22 },
                Package () { 0x0017FFFF, 0, 0, 23 },
                Package () { 0x0018FFFF, 0, 0, 16 },
                Package () { 0x0019FFFF, 0, 0, 17 },
                Package () { 0x001AFFFF, 0, 0, 18 },
                Package () { 0x001BFFFF, 0, 0, 19 },
                Package () { 0x001CFFFF, 0, 0, 20 },
                Package () { 0x001DFFFF, 0, 0, 21 },
                Package () { 0x001EFFFF, 0, 0, 22 },
                Package () { 0x001FFFFF, 0, 0, 23 }
            })
        }

        Device (COM1)
        {
            Name (_HID, EisaId ("PNP0501"))
            Name (_UID, One)
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08)
                IRQNoFlags () {4}
            })
        }

        Device (PS2K)
        {
            Name (_HID, EisaId ("PNP0303"))
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x0060, 0x0060, 0x01, 0x01)
                IO (Decode16, 0x0064, 0x0064, 0x01, 0x01)
                IRQNoFlags () {1}
            })
        }

        Device (RTC)
        {
            Name (_HID, EisaId ("PNP0B00"))
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x0070, 0x0070, 0x01, 0x02)
                IRQNoFlags () {8}
            })
        }
    }

    /* ACPI 6.5 §7.4.2: { PM1a SLP_TYP, PM1b SLP_TYP, reserved, reserved } */
    Name (_S5, Package () { 0x05, 0x05, Zero, Zero })
}
