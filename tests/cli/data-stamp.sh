#!/bin/sh
# SPDX-License-Identifier: MIT
# Verified-object stamps (core/data-stamp.c): `data add` stamps each object it
# hashed with (hash, size, mtime); checkout copies a stamped object without
# hashing it again, and hashes (and refuses) any object whose stamp no longer
# matches. What a stamp cannot see, a change that keeps the mtime, is what
# `data fsck` is for.
. "$top_srcdir/tests/lib/libtest.sh"
command -v python3 >/dev/null || skip_all "python3 is needed to read extended attributes"
stamp() { python3 -c 'import os, sys
try: print(os.getxattr(sys.argv[1], "user.bancada.verified").decode())
except OSError: print("none")' "$1"; }

new_repo proj
cd proj
mkdir -p d
head -c 3000000 /dev/urandom > d/big.bin        # larger than one 1 MiB chunk
echo "small" > d/small.txt
bc data add d >/dev/null || { echo "Bail out! data add failed"; exit 1; }
sum=$(sha256sum d/big.bin | cut -c1-64)
obj=.bancada/cache/$(echo "$sum" | cut -c1-2)/$(echo "$sum" | cut -c3-)
[ -f "$obj" ] || obj=""
s=$(if [ -n "$obj" ]; then stamp "$obj"; else echo none; fi)
if [ "$s" = none ]; then
	skip_all "no user extended attributes on this filesystem (or the object is packed): every checkout hashes"
fi
like "$s" "^1 $sum 3000000 [0-9]+\\.[0-9]{9}\$" "add stamps the object: hash, size and mtime"

# a stamped object is checked out byte-identical
cp d/big.bin "$T_TMP/orig.bin"
rm -rf d
bc data checkout >/dev/null; rc=$?
is "$rc" 0 "checkout of stamped objects succeeds"
cmp -s d/big.bin "$T_TMP/orig.bin"; ok $? "the file is byte-identical"
is "$(cat d/small.txt)" small "and the small one too"
is "$(bc data status)" "data matches the pointers" "status is clean"

# written through the filesystem: the mtime moves, the stamp no longer
# matches, the object is hashed and refused
chmod u+w "$obj"
printf 'X' | dd of="$obj" bs=1 seek=100 conv=notrunc 2>/dev/null
rm d/big.bin
out=$(bc data checkout d 2>&1); rc=$?
is "$rc" 1 "an object written after its stamp is hashed and refused"
like "$out" "corrupt" "as corrupt"
ok "$(test ! -e d/big.bin; echo $?)" "and nothing is written"

# the limit: a change that restores the mtime (and size) keeps the stamp;
# fsck re-hashes every object and finds it
cp "$T_TMP/orig.bin" d/big.bin && bc data add d >/dev/null
s=$(stamp "$obj")
like "$s" "^1 $sum " "re-adding the data brings a good, stamped object back"
touch -r "$obj" "$T_TMP/when"
chmod u+w "$obj"
printf 'Y' | dd of="$obj" bs=1 seek=200 conv=notrunc 2>/dev/null
touch -m -r "$T_TMP/when" "$obj"
out=$(bc data fsck 2>&1); rc=$?
is "$rc" 1 "fsck finds a change that kept the mtime"
like "$out" "corrupt $sum" "and names the object"
done_testing
