#!/bin/sh
# SPDX-License-Identifier: MIT
# Hostile bundles crafted with python3 tarfile/zipfile: verify and extract
# both refuse every class, nothing is written outside the staging
# directory (a sentinel stays byte-identical), no symlink is ever created
# and no staging directory is left behind.
. "$top_srcdir/tests/lib/libtest.sh"
command -v python3 >/dev/null || skip_all "python3 is needed to craft archives"

mkdir h && cd h || exit 99
cat > craft.py <<'EOF'
import gzip, hashlib, io, json, os, sys, tarfile, zipfile

PAYLOAD = b"weights" * 100

def manifest(files, **extra):
    m = {"format": "bancada-bundle/1", "name": "evil", "version": "1",
         "created": "2026-01-01T00:00:00.000Z",
         "files": [{"path": p, "size": len(d), "sha256": hashlib.sha256(d).hexdigest(),
                    "mode": "0644"} for p, d in sorted(files)],
         "provenance": {}, "environment": {}, "meta": {}, "signature": None}
    m.update(extra)
    return json.dumps(m, indent=2).encode()

def info(name, size=0, type=tarfile.REGTYPE, mode=0o644, **kw):
    ti = tarfile.TarInfo(name)
    ti.size, ti.type, ti.mode, ti.mtime = size, type, mode, 1700000000
    for k, v in kw.items():
        setattr(ti, k, v)
    return ti

def tar(path, entries, man=None, fmt=tarfile.PAX_FORMAT, gz=False):
    """entries: list of (TarInfo, data or None)"""
    files = [(ti.name, d) for ti, d in entries if ti.type == tarfile.REGTYPE and d is not None]
    man = manifest([("model.bin", PAYLOAD)]) if man is None else man
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=fmt) as t:
        if man is not False:
            t.addfile(info("MANIFEST.json", len(man)), io.BytesIO(man))
        for ti, d in entries:
            t.addfile(ti, io.BytesIO(d) if d is not None else None)
    data = raw.getvalue()
    open(path, "wb").write(gzip.compress(data, mtime=0) if gz else data)

ok = (info("model.bin", len(PAYLOAD)), PAYLOAD)
cases = {
    "dotdot": [ok, (info("../outside/x", 3), b"bad")],
    "dotdot-inner": [ok, (info("model/../../outside/x", 3), b"bad")],
    "absolute": [ok, (info("/tmp/bc-abs-x", 3), b"bad")],
    "symlink": [(info("link", type=tarfile.SYMTYPE, linkname="../outside"), None), ok],
    "symlink-abs": [(info("passwd", type=tarfile.SYMTYPE, linkname="/etc/passwd"), None), ok],
    "hardlink": [ok, (info("hard", type=tarfile.LNKTYPE, linkname="../outside/sentinel"), None)],
    "hardlink-intree": [ok, (info("model2.bin", type=tarfile.LNKTYPE, linkname="model.bin"), None)],
    "fifo": [(info("model.bin", type=tarfile.FIFOTYPE), None)],
    "chardev": [ok, (info("null", type=tarfile.CHRTYPE, devmajor=1, devminor=3), None)],
    "setuid": [(info("model.bin", len(PAYLOAD), mode=0o4755), PAYLOAD)],
    "world-writable": [(info("model.bin", len(PAYLOAD), mode=0o666), PAYLOAD)],
    "escape-name": [ok, (info("name_\x1b]0;PWNED\x07_.txt", 3), b"bad")],
    "backslash": [ok, (info("..\\outside\\x", 3), b"bad")],
    "dot-git": [ok, (info(".git/hooks/post-checkout", 3), b"bad")],
    "duplicate": [ok, ok],
    "extra": [ok, (info("extra.bin", 3), b"bad")],
    "missing": [],
    "flipped": [(info("model.bin", len(PAYLOAD)), b"X" + PAYLOAD[1:])],
    "size-lie": [(info("model.bin", len(PAYLOAD) + 10), PAYLOAD + b"0123456789")],
    "deep": [ok, (info("/".join(["d"] * 40) + "/x", 3), b"bad")],
    "dir-not-listed": [ok, (info("somedir", type=tarfile.DIRTYPE, mode=0o755), None)],
}
for name, entries in cases.items():
    tar(name + ".tar", entries)
tar("ustar-dotdot.tar.gz", [ok, (info("../outside/y", 3), b"bad")], fmt=tarfile.USTAR_FORMAT, gz=True)
tar("no-manifest.tar", [ok], man=False)
tar("manifest-not-first.tar", [ok, (info("MANIFEST.json", 10), b"{}" + b" " * 8)], man=False)
tar("manifest-dupkeys.tar", [ok], man=b'{"format": "bancada-bundle/1", "format": "x"}')
tar("manifest-huge.tar", [ok], man=b" " * (1024 * 1024 + 10) + manifest([("model.bin", PAYLOAD)]))
tar("manifest-dotdot.tar", [(info("x", 3), b"bad")], man=manifest([("../x", b"bad")]))
tar("manifest-case-twins.tar", [(info("Model.bin", 1), b"a"), (info("model.bin", 1), b"b")],
    man=manifest([("Model.bin", b"a"), ("model.bin", b"b")]))
tar("manifest-newer.tar", [ok], man=manifest([("model.bin", PAYLOAD)], format="bancada-bundle/9"))
tar("manifest-deep.tar", [ok], man=manifest([("model.bin", PAYLOAD)], meta=json.loads("[" * 100 + "]" * 100)))
# decompression bombs: 16 MiB of zeros declared as 10 bytes in the manifest (the tar header
# says 16 MiB), and the same as an entry that is not in the manifest at all
zeros = 16 * 1024 * 1024
raw = io.BytesIO()
man = manifest([("model.bin", b"0123456789")])
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
    t.addfile(info("MANIFEST.json", len(man)), io.BytesIO(man))
    t.addfile(info("model.bin", zeros), io.BytesIO(bytes(zeros)))
open("bomb.tar.gz", "wb").write(gzip.compress(raw.getvalue(), 6, mtime=0))
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
    man = manifest([("model.bin", PAYLOAD)])
    t.addfile(info("MANIFEST.json", len(man)), io.BytesIO(man))
    t.addfile(info("model.bin", len(PAYLOAD)), io.BytesIO(PAYLOAD))
    for i in range(5):
        t.addfile(info("extra%d.bin" % i, zeros), io.BytesIO(bytes(zeros)))
open("bomb-extra.tar.gz", "wb").write(gzip.compress(raw.getvalue(), 6, mtime=0))
# zip classes
def zipf(path, items, man=None):
    man = manifest([("model.bin", PAYLOAD)]) if man is None else man
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("MANIFEST.json", man)
        for n, d, attr in items:
            zi = zipfile.ZipInfo(n, (2026, 1, 1, 0, 0, 0))
            zi.external_attr = attr << 16
            z.writestr(zi, d)
zipf("zip-dotdot.zip", [("model.bin", PAYLOAD, 0o100644), ("../outside/z", b"bad", 0o100644)])
zipf("zip-symlink.zip", [("link", b"../outside", 0o120777), ("model.bin", PAYLOAD, 0o100644)])
zipf("zip-absolute.zip", [("model.bin", PAYLOAD, 0o100644), ("/tmp/bc-abs-z", b"bad", 0o100644)])
# truncated stream: cut a valid gzip bundle in the middle of the payload
ok_man = manifest([("model.bin", PAYLOAD)])
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w") as t:
    t.addfile(info("MANIFEST.json", len(ok_man)), io.BytesIO(ok_man))
    t.addfile(info("model.bin", len(PAYLOAD)), io.BytesIO(PAYLOAD))
good = gzip.compress(raw.getvalue(), mtime=0)
open("good.tar.gz", "wb").write(good)
open("truncated.tar.gz", "wb").write(good[: len(good) // 2])
open("not-an-archive.tar.zst", "wb").write(b"Rar!\x1a\x07\x00" + bytes(100))
EOF
python3 craft.py || exit 99
mkdir -p dst/outside && echo "do not touch" > dst/outside/sentinel
before=$(cd dst && find . | sort | md5sum; sha256sum outside/sentinel)

"$BANCADA" bundle verify good.tar.gz >/dev/null; ok $? "the crafted control bundle verifies (the crafting is right)"

for f in *.tar *.tar.gz *.zip *.tar.zst; do
	[ "$f" = good.tar.gz ] && continue
	out=$(timeout 20 "$BANCADA" bundle verify "$f" 2>&1); rc=$?
	is "$rc" "1" "verify refuses $f"
	out2=$(timeout 20 "$BANCADA" bundle extract "$f" dst/x 2>&1); rc2=$?
	test "$rc2" = 1 && test ! -e dst/x; ok $? "extract refuses $f and creates nothing"
	printf '%s\n%s\n' "$out" "$out2" > "msg-$f.txt"
	no_raw_controls "msg-$f.txt"; ok $? "$f: messages carry no raw control characters"
done
after=$(cd dst && find . | sort | md5sum; sha256sum outside/sentinel)
is "$after" "$before" "nothing written outside staging: sentinel and tree unchanged"
test ! -e /tmp/bc-abs-x && test ! -e /tmp/bc-abs-z; ok $? "absolute paths were never written"
is "$(find . -type l | wc -l)" "0" "no symlink was ever created"
is "$(find dst -name '.x.bancada-*' | wc -l)" "0" "no staging directory left behind"

# the messages name the class of problem
like "$(cat msg-dotdot.tar.txt)" "'\.\.' component" "dotdot: says '..'"
like "$(cat msg-symlink.tar.txt)" "symbolic link" "symlink: says symbolic link"
like "$(cat msg-hardlink.tar.txt)" "hard link" "hardlink: says hard link"
like "$(cat msg-fifo.tar.txt)" "FIFO" "fifo: says FIFO"
like "$(cat msg-chardev.tar.txt)" "device" "chardev: says device"
like "$(cat msg-setuid.tar.txt)" "setuid" "setuid: says setuid"
like "$(cat msg-escape-name.tar.txt)" 'name_\\x1b\]0;PWNED\\x07_\.txt' "escape-name: shown escaped"
like "$(cat msg-duplicate.tar.txt)" "duplicate entry" "duplicate: says duplicate"
like "$(cat msg-extra.tar.txt)" "not in the manifest" "extra: says not in the manifest"
like "$(cat msg-missing.tar.txt)" "missing from the archive" "missing: says missing"
like "$(cat msg-flipped.tar.txt)" "content differs" "flipped: says content differs"
like "$(cat msg-bomb.tar.gz.txt)" "size differs|decompression bomb" "bomb: stopped at the declared size"
like "$(cat msg-bomb-extra.tar.gz.txt)" "stopped reading" "bomb in refused entries: stopped after 64 MiB"
like "$(cat msg-manifest-huge.tar.txt)" "larger than 1 MiB" "huge manifest: refused by size"
like "$(cat msg-manifest-dupkeys.tar.txt)" "duplicate" "duplicate JSON keys refused"
like "$(cat msg-manifest-case-twins.tar.txt)" "differ only by case" "case-only twins refused"
like "$(cat msg-manifest-newer.tar.txt)" "upgrade bancada" "a newer format asks for an upgrade"
like "$(cat msg-truncated.tar.gz.txt)" "corrupt or truncated" "truncated stream detected"
like "$(cat msg-not-an-archive.tar.zst.txt)" "not a bundle" "other formats are not read"
like "$(cat msg-dot-git.tar.txt)" "\.git" "entries under .git refused"

# verify prints every problem, not only the first
out=$("$BANCADA" bundle verify extra.tar 2>&1)
like "$out" "verify failed: 1 problem" "verify counts the problems"
done_testing
