# SPDX-License-Identifier: MIT
# Shared helpers for shell tests: TAP output, a temp dir per test file,
# a pinned environment, and a git identity. Source it first.
set -u
: "${BANCADA:?BANCADA must point at the built binary (run through make check)}"
T_N=0
T_FAIL=0
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/bc-test.XXXXXX")
export HOME="$T_TMP/home" TZ=UTC LC_ALL=C.UTF-8 NO_COLOR=1 XDG_CONFIG_HOME="$T_TMP/home/.config" \
	XDG_STATE_HOME="$T_TMP/home/.local/state" XDG_DATA_HOME="$T_TMP/home/.local/share"
export GIT_AUTHOR_NAME=Test GIT_AUTHOR_EMAIL=test@example.com GIT_COMMITTER_NAME=Test \
	GIT_COMMITTER_EMAIL=test@example.com GIT_CONFIG_NOSYSTEM=1
unset BANCADA_RUN_ID BANCADA_METRICS BANCADA_PARAMS BANCADA_WATCH
# a watcher `bancada run` starts ends with its temp dir, or after this if the dir is kept
export BANCADA_WATCH_IDLE_SECS=120
mkdir -p "$HOME"
git config --global init.defaultBranch main 2>/dev/null
git config --global user.name Test; git config --global user.email test@example.com
cd "$T_TMP" || exit 99

t_cleanup() {
	if [ "$T_FAIL" -eq 0 ]; then rm -rf "$T_TMP"; else echo "# temp dir kept: $T_TMP"; fi
}
trap t_cleanup EXIT

ok() { # ok COND_EXIT_STATUS DESCRIPTION
	T_N=$((T_N + 1))
	if [ "$1" -eq 0 ]; then echo "ok $T_N - $2"; else echo "not ok $T_N - $2"; T_FAIL=$((T_FAIL + 1)); fi
}
is() { # is GOT WANT DESCRIPTION
	T_N=$((T_N + 1))
	if [ "$1" = "$2" ]; then echo "ok $T_N - $3"; else
		echo "not ok $T_N - $3"; T_FAIL=$((T_FAIL + 1))
		printf '#   got:  %s\n#   want: %s\n' "$(printf %s "$1" | head -c 2000 | sed -n '1,20p' | sed '2,$s/^/#         /')" "$(printf %s "$2" | sed -n '1,20p' | sed '2,$s/^/#         /')"
	fi
}
like() { # like GOT REGEX DESCRIPTION
	T_N=$((T_N + 1))
	if printf '%s' "$1" | grep -Eq -- "$2"; then echo "ok $T_N - $3"; else
		echo "not ok $T_N - $3"; T_FAIL=$((T_FAIL + 1))
		printf '#   got: %s\n#   want match: %s\n' "$(printf %s "$1" | head -c 2000 | sed -n '1,20p' | sed '2,$s/^/#        /')" "$2"
	fi
}
unlike() { # unlike GOT REGEX DESCRIPTION
	T_N=$((T_N + 1))
	if printf '%s' "$1" | grep -Eq -- "$2"; then echo "not ok $T_N - $3"; T_FAIL=$((T_FAIL + 1))
		printf '#   got: %s\n#   must not match: %s\n' "$(printf %s "$1" | head -c 2000 | sed -n '1,20p')" "$2"
	else echo "ok $T_N - $3"; fi
}
skip_all() { echo "1..0 # SKIP $1"; trap - EXIT; rm -rf "$T_TMP"; exit 0; }
done_testing() { echo "1..$T_N"; [ "$T_FAIL" -eq 0 ]; exit $?; }

# bc ARGS...: run the binary
bc() { "$BANCADA" "$@"; }
# new_repo DIR: a git repo with one commit and a bancada project
new_repo() {
	mkdir -p "$1" && (cd "$1" && git init -q && echo "print('hi')" > train.py && git add . &&
		git commit -qm "first commit" && "$BANCADA" init >/dev/null)
}
# no_raw_controls FILE: no ESC, C1 (as UTF-8 or raw), CR or BS bytes
no_raw_controls() {
	! LC_ALL=C grep -qP '[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "$1"
}
