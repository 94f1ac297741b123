#!/usr/bin/env python3
# make.py: regenerates the well-formed archive fixtures of test/data/stage (outputs are committed).
import io
import os
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))


def member(name, kind=tarfile.REGTYPE, data=b"", mode=0o644, uid=0, gid=0, **kw):
    t = tarfile.TarInfo(name)
    t.type = kind
    t.mode = mode
    t.mtime = 1600000000
    t.uid, t.gid = uid, gid
    # names that disagree with the numbers: extraction must use the numbers
    t.uname = t.gname = "root"
    t.size = len(data) if kind == tarfile.REGTYPE else 0
    for k, v in kw.items():
        setattr(t, k, v)
    return t, (io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def write_tar(name, members):
    with tarfile.open(os.path.join(HERE, name), "w", format=tarfile.GNU_FORMAT) as tf:
        for t, f in members:
            tf.addfile(t, f)


write_tar("good.tar", [
    member("./", tarfile.DIRTYPE, mode=0o755),
    member("./srv/", tarfile.DIRTYPE, mode=0o750, uid=1234, gid=2345),
    member("./srv/data", data=b"hello\n", mode=0o640, uid=1234, gid=2345),
    member("./srv/link", tarfile.SYMTYPE, linkname="data"),
    member("./srv/hard", tarfile.LNKTYPE, linkname="./srv/data", uid=1234, gid=2345, mode=0o640),
    member("./usr/bin/tool", data=b"#!/bin/sh\necho tool\n", mode=0o755),
    member("./a/b/c", tarfile.SYMTYPE, linkname="../../srv/data"),
    member("./etc-link", tarfile.SYMTYPE, linkname="/etc"),
    member("./ro/", tarfile.DIRTYPE, mode=0o555),
    member("./ro/file", data=b"x", mode=0o400, uid=7, gid=8),
])
write_tar("special.tar", [
    member("dev/", tarfile.DIRTYPE, mode=0o755),
    member("dev/null", tarfile.CHRTYPE, mode=0o666, devmajor=1, devminor=3),
    member("dev/loop9", tarfile.BLKTYPE, mode=0o660, gid=6, devmajor=7, devminor=9),
    member("run-fifo", tarfile.FIFOTYPE, mode=0o600),
    member("bin/su", data=b"su\n", mode=0o4755),
    member("var/mail/", tarfile.DIRTYPE, mode=0o2775, gid=8),
])
