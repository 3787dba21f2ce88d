# SPDX-License-Identifier: MIT
# Sourced by every bench/*.sh right after it sets BANCADA (its argument or the
# environment): makes BANCADA the absolute path of the real binary.
# The program links core's objects in, so ./bancada in a build tree is the
# real binary. Should it ever be a libtool wrapper script (a bash start, ~60 ms
# per call: timing it would time bash), the real program is .libs/bancada next
# to it, run with LD_LIBRARY_PATH pointing at the uninstalled libraries.
BANCADA=${BANCADA:-./bancada}
case $BANCADA in
*/*) ;;
*) [ -e "$BANCADA" ] || BANCADA=$(command -v "$BANCADA" || echo "$BANCADA") ;;
esac
case $BANCADA in /*) ;; *) BANCADA=$(pwd)/$BANCADA ;; esac
if [ "$(head -c 2 "$BANCADA" 2>/dev/null)" = '#!' ]; then
	bench_bindir=$(cd "$(dirname "$BANCADA")" && pwd)
	for bench_real in "$bench_bindir/.libs/bancada" "$bench_bindir/.libs/lt-bancada"; do
		if [ -x "$bench_real" ]; then
			BANCADA=$bench_real
			LD_LIBRARY_PATH=$bench_bindir/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
			export LD_LIBRARY_PATH
			break
		fi
	done
fi
[ -x "$BANCADA" ] || { echo "bench: no bancada binary at $BANCADA (set BANCADA=...)" >&2; exit 1; }
export BANCADA

# bench_stats N CMD...: runs CMD N times (output to /dev/null) and prints
# "MEDIAN_WALL_MS BEST_WALL_MS MEAN_CPU_MS" (CPU = user + sys of CMD itself).
bench_stats() {
	python3 -c '
import os, resource, sys, time
n, cmd = int(sys.argv[1]), sys.argv[2:]
null = os.open(os.devnull, os.O_RDWR)
fa = [(os.POSIX_SPAWN_DUP2, null, 0), (os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]
walls = []
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
for _ in range(n):
    t = time.perf_counter()
    os.waitpid(os.posix_spawnp(cmd[0], cmd, os.environ, file_actions=fa), 0)
    walls.append((time.perf_counter() - t) * 1000)
r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000 / n
walls.sort()
print("%.1f %.1f %.1f" % (walls[len(walls) // 2], walls[0], cpu))
' "$@"
}
