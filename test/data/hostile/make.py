#!/usr/bin/env python3
# make.py: regenerates the hostile archives of test/data/hostile (run once; the outputs are committed).
import io
import os
import struct
import tarfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
MTIME = 1700000000


def member(name, kind=tarfile.REGTYPE, data=b"", mode=0o644, **kw):
    t = tarfile.TarInfo(name)
    t.type = kind
    t.mode = mode
    t.mtime = MTIME
    t.uid = t.gid = 0
    t.uname = t.gname = "root"
    t.size = len(data) if kind == tarfile.REGTYPE else 0
    for k, v in kw.items():
        setattr(t, k, v)
    return t, (io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def write_tar(name, members):
    # GNU format keeps names exactly as given (no pax rewriting of "/" or "..")
    with tarfile.open(os.path.join(HERE, name), "w", format=tarfile.GNU_FORMAT) as tf:
        for t, f in members:
            tf.addfile(t, f)


def write_zip(name, entries):
    with zipfile.ZipFile(os.path.join(HERE, name), "w") as zf:
        for n, data in entries:
            zi = zipfile.ZipInfo(n, date_time=(2023, 11, 14, 22, 13, 20))
            zi.external_attr = 0o100644 << 16
            zf.writestr(zi, data)


def write_cpio(name, entries):
    # newc by hand: python has no cpio module
    out = b""
    for ino, (n, mode, data) in enumerate(entries + [("TRAILER!!!", 0, b"")], 1):
        nb = n.encode() + b"\0"
        hdr = "070701" + "".join("%08X" % v for v in (
            ino, mode, 0, 0, 1, MTIME, len(data), 0, 0, 0, 0, len(nb), 0))
        out += hdr.encode() + nb
        out += b"\0" * (-len(out) % 4) + data
        out += b"\0" * (-len(out) % 4)
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(out + b"\0" * (-len(out) % 512))


EVIL = b"pocbake hostile payload\n"

write_tar("abs-path.tar", [member("/tmp/pocbake-evil", data=EVIL)])
write_tar("dotdot.tar", [member("../pocbake-evil", data=EVIL)])
write_tar("dotdot-inner.tar", [member("a/../../pocbake-evil", data=EVIL)])
write_tar("symlink-up.tar", [
    member("up", tarfile.SYMTYPE, linkname="../../.."),
    member("up/tmp/pocbake-evil", data=EVIL)])
write_tar("symlink-deep-up.tar", [
    member("a/b/", tarfile.DIRTYPE, mode=0o755),
    member("a/b/l", tarfile.SYMTYPE, linkname="../../../etc")])
write_tar("symlink-abs-through.tar", [
    member("evil", tarfile.SYMTYPE, linkname="/tmp"),
    member("evil/pocbake-evil", data=EVIL)])
write_tar("hardlink-abs.tar", [member("passwd", tarfile.LNKTYPE, linkname="/etc/passwd")])
write_tar("hardlink-dotdot.tar", [member("x", tarfile.LNKTYPE, linkname="../x")])
write_tar("hardlink-missing.tar", [member("x", tarfile.LNKTYPE, linkname="not-extracted")])
write_tar("device.tar", [member("dev/evil-mem", tarfile.CHRTYPE, mode=0o666, devmajor=1, devminor=1)])
write_tar("fifo.tar", [member("evil-fifo", tarfile.FIFOTYPE, mode=0o644)])
write_tar("setuid.tar", [member("bin/evil-su", data=EVIL, mode=0o4755)])
write_tar("setgid.tar", [member("bin/evil-sg", data=EVIL, mode=0o2755)])
write_zip("zip-slip.zip", [("../pocbake-evil", EVIL)])
write_tar("dir-then-symlink.tar", [
    member("d/", tarfile.DIRTYPE, mode=0o755),
    member("d", tarfile.SYMTYPE, linkname="/tmp"),
    member("d/pocbake-evil", data=EVIL)])
write_cpio("abs-path.cpio", [("/tmp/pocbake-evil", 0o100644, EVIL)])
