#!/bin/sh
# SPDX-License-Identifier: MIT
# bancada data remotes: push to a directory, pull into a fresh clone, verify
# on arrival, resume, and the ssh transport (through a local stand-in for ssh).
. "$top_srcdir/tests/lib/libtest.sh"

new_repo p
cd p || exit 99
mkdir -p data/set
head -c 500000 /dev/urandom > data/model.bin
for i in 1 2 3 4; do echo "row $i" > data/set/$i.csv; done
bc data add data/model.bin data/set >/dev/null
git add -A && git commit -qm "data"

out=$(bc data push 2>&1); rc=$?
is "$rc" 1 "push without a remote fails"
like "$out" "no data remote configured" "and says how to add one"
bc data remote add store "$T_TMP/store"
is "$(bc data remote)" "store	$T_TMP/store	(default)" "remote listed as default"
out=$(bc data remote add "bad name" /x 2>&1); rc=$?
is "$rc" 1 "a bad remote name is refused"
out=$(bc data push); rc=$?
is "$rc" 0 "push to a directory remote"
like "$out" "^pushed 6 objects \(500\.[0-9] kB\), 0 already on the remote$" "objects and bytes reported"
is "$(find "$T_TMP/store" -path '*/??/*' -type f | wc -l | tr -d ' ')" 6 "remote holds the objects"
is "$(find "$T_TMP/store/tmp" -type f 2>/dev/null | wc -l | tr -d ' ')" 0 "no staging leftovers"
is "$(bc data push)" "pushed 0 objects (0 B), 6 already on the remote" "second push sends nothing"

# a fresh clone pulls byte-identical data (remotes are shared through git)
git add .bancada/data.conf && git commit -qm "data remote"
git clone -q "$T_TMP/p" "$T_TMP/clone"
cd "$T_TMP/clone" || exit 99
bc init >/dev/null
like "$(bc data status 2>&1)" "not in cache" "a fresh clone has pointers but no data"
out=$(bc data pull store); rc=$?
is "$rc" 0 "pull from the named remote"
like "$out" "fetched 6 objects" "fetches what is missing"
is "$(sha256sum data/model.bin | cut -c1-64)" "$(sha256sum "$T_TMP/p/data/model.bin" | cut -c1-64)" "file byte-identical"
is "$(cat data/set/3.csv)" "row 3" "directory restored"
is "$(bc data status)" "data matches the pointers" "clone is clean"
like "$(bc data fsck)" "all intact" "pulled objects verified"

# resume: only missing objects move
sum=$(sha256sum data/set/2.csv | cut -c1-64)
rm -f ".bancada/cache/$(echo "$sum" | cut -c1-2)/$(echo "$sum" | cut -c3-)"
like "$(bc data pull)" "fetched 1 object " "an interrupted pull resumes with what is missing"

# verify on arrival: a corrupt remote object never lands under its name
sum=$(sha256sum data/set/4.csv | cut -c1-64)
robj="$T_TMP/store/$(echo "$sum" | cut -c1-2)/$(echo "$sum" | cut -c3-)"
chmod u+w "$robj"; echo "tampered" > "$robj"
rm -f ".bancada/cache/$(echo "$sum" | cut -c1-2)/$(echo "$sum" | cut -c3-)" data/set/4.csv
out=$(bc data pull 2>&1); rc=$?
is "$rc" 1 "pull of a corrupt remote object fails"
like "$out" "failed verification" "saying why"
ok "$(test ! -e ".bancada/cache/$(echo "$sum" | cut -c1-2)/$(echo "$sum" | cut -c3-)"; echo $?)" \
	"nothing stored under the expected hash"

# ssh transport, with a stand-in that runs the remote command locally
cd "$T_TMP/p" || exit 99
cat > "$T_TMP/fake-ssh" <<'EOF'
#!/bin/sh
# usage like ssh: [-p PORT] -- HOST COMMAND
while [ $# -gt 1 ]; do shift; done
exec sh -c "$1"
EOF
chmod +x "$T_TMP/fake-ssh"
export BANCADA_SSH="$T_TMP/fake-ssh"
bc data remote add far "ssh://example.invalid$T_TMP/far"
out=$(bc data push far); rc=$?
is "$rc" 0 "push over ssh"
like "$out" "^pushed 6 objects \(500\.[0-9] kB\), 0 already on the remote$" "all objects sent"
is "$(bc data push far)" "pushed 0 objects (0 B), 6 already on the remote" "the remote listing avoids resending"
git clone -q "$T_TMP/p" "$T_TMP/clone2" && cd "$T_TMP/clone2" && bc init >/dev/null
cp "$T_TMP/p/.bancada/data.conf" .bancada/data.conf
out=$(bc data pull far); rc=$?
is "$rc" 0 "pull over ssh"
is "$(sha256sum data/model.bin | cut -c1-64)" "$(sha256sum "$T_TMP/p/data/model.bin" | cut -c1-64)" "identical after ssh round trip"
BANCADA_SSH=false out=$(bc data push far 2>&1); rc=$?
is "$rc" 1 "an unreachable ssh remote fails"
like "$out" "cannot reach the remote" "with a clear message"

done_testing
