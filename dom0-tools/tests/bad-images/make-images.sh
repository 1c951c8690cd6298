#!/bin/bash
# The bad-image corpus, made at test time (no binary is committed):
#   make-images.sh OUTDIR [KERNEL]
# writes OUTDIR/NAME.img (and for ramdisk cases a config), then
# OUTDIR/cases.tsv: NAME<TAB>CONFIG<TAB>EXPECTED (the expected first line
# of `xenia create -n CONFIG`'s stderr, a prefix) or NAME<TAB>-<TAB>SKIP
# reason.  KERNEL is a good bzImage (the cached Debian kernel); the cases
# built from it are skipped without it.
set -eu
out=$1
kernel=${2:-}
mkdir -p "$out"
cd "$out"
: > cases.tsv
case_() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> cases.tsv; }
cfg() {   # NAME KERNEL [RAMDISK]
    { echo "name = \"bad-$1\""; echo "kernel = \"$2\""
      [ -z "${3:-}" ] || echo "ramdisk = \"$3\""; } > "$1.cfg"
}

# An empty file.
: > empty.img
cfg empty "$out/empty.img"
case_ empty empty.cfg "empty.cfg: kernel $out/empty.img: not an ELF kernel nor a Linux bzImage"

# 64 KiB of random bytes.
head -c 65536 /dev/urandom > random.img
printf 'XX' | dd of=random.img bs=1 count=2 conv=notrunc 2>/dev/null  # never \177ELF
cfg random "$out/random.img"
case_ random random.cfg "random.cfg: kernel $out/random.img: not an ELF kernel nor a Linux bzImage"

# ELF headers written here (python3): a 64-bit x86-64 executable header
# whose program headers lie past the end (truncated), a 32-bit one, and
# a complete small ELF64 with one loadable segment and no Xen notes.
python3 - <<'PY'
import struct
def ehdr(cls, machine, phoff, phnum, etype=2):
    if cls == 2:
        return (b'\x7fELF' + bytes([2, 1, 1, 0]) + bytes(8) +
                struct.pack('<HHIQQQIHHHHHH', etype, machine, 1,
                            0xffffffff81000000, phoff, 0, 0, 64, 56, phnum,
                            64, 0, 0))
    return (b'\x7fELF' + bytes([1, 1, 1, 0]) + bytes(8) +
            struct.pack('<HHIIIIIHHHHHH', etype, machine, 1, 0xc0100000,
                        52, 0, 0, 52, 32, 1, 40, 0, 0))
open('truncated-elf.img', 'wb').write(ehdr(2, 62, 4096, 3)[:64] + bytes(64))
open('elf32.img', 'wb').write(ehdr(1, 3, 52, 1) + bytes(4096))
# one PT_LOAD of 4 KiB at offset 0x1000
ph = struct.pack('<IIQQQQQQ', 1, 5, 0x1000, 0xffffffff81000000,
                 0x1000000, 0x1000, 0x1000, 0x1000)
body = ehdr(2, 62, 64, 1) + ph
open('elf-no-notes.img', 'wb').write(body + bytes(0x1000 - len(body)) +
                                     b'\x90' * 0x1000)
PY
cfg truncated-elf "$out/truncated-elf.img"
case_ truncated-elf truncated-elf.cfg "truncated-elf.cfg: kernel $out/truncated-elf.img: not a 64-bit PV kernel: bad program header table"
cfg elf32 "$out/elf32.img"
case_ elf32 elf32.cfg "elf32.cfg: kernel $out/elf32.img: not a 64-bit PV kernel: not a little-endian ELF64 image"
cfg elf-no-notes "$out/elf-no-notes.img"
case_ elf-no-notes elf-no-notes.cfg "elf-no-notes.cfg: kernel $out/elf-no-notes.img: not a 64-bit PV kernel: no Xen ELF notes"

# A directory given as the kernel.
mkdir -p dir.img
cfg dir "$out/dir.img"
case_ dir dir.cfg "dir.cfg: kernel $out/dir.img: cannot read $out/dir.img"

if [ -z "$kernel" ] || [ ! -f "$kernel" ]; then
    for n in bzimage-corrupt bzimage-truncated ramdisk-missing ramdisk-empty; do
        case_ $n - "SKIP no cached Debian kernel (make -C tests/integration images)"
    done
    exit 0
fi

# The Debian bzImage with its compressed payload corrupted in the middle
# (the payload's offset and length are in the boot protocol header).
cp "$kernel" bzimage-corrupt.img
python3 - bzimage-corrupt.img <<'PY'
import struct, sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
setup = (b[0x1f1] or 4) + 1
off, length = struct.unpack_from('<II', b, 0x248)
start = setup * 512 + off
for i in range(start + length // 2, start + length // 2 + 4096):
    b[i] ^= 0x5a
open(p, 'wb').write(b)
PY
cfg bzimage-corrupt "$out/bzimage-corrupt.img"
case_ bzimage-corrupt bzimage-corrupt.cfg "bzimage-corrupt.cfg: kernel $out/bzimage-corrupt.img: bzImage: "

# The same bzImage cut short: the payload runs past the end of the file.
head -c 1000000 "$kernel" > bzimage-truncated.img
cfg bzimage-truncated "$out/bzimage-truncated.img"
case_ bzimage-truncated bzimage-truncated.cfg "bzimage-truncated.cfg: kernel $out/bzimage-truncated.img: bzImage payload"

# A good kernel with a missing, then an empty, ramdisk.
cfg ramdisk-missing "$kernel" "$out/no-such-initrd.img"
case_ ramdisk-missing ramdisk-missing.cfg "ramdisk-missing.cfg: ramdisk $out/no-such-initrd.img: No such file or directory"
: > empty-initrd.img
cfg ramdisk-empty "$kernel" "$out/empty-initrd.img"
case_ ramdisk-empty ramdisk-empty.cfg "ramdisk-empty.cfg: ramdisk $out/empty-initrd.img: empty file"
