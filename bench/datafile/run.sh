#!/usr/bin/env bash
# bench/datafile/run.sh: blitz's hash data file against Tokyo Cabinet's hash
# database (Debian's tokyocabinet-bin), as whole processes, same machine,
# same run, alternating.
#
#   tchtest write -rnd P 1000000 2000000   vs   blitz bench write -rnd P 1000000 2000000
#   tchtest read -rnd P                    vs   blitz bench read -rnd P
#   tchmgr optimize P                      vs   blitz file optimize P / blitz file salvage P Q
#
# Tokyo Cabinet is timed twice: stock, and with an LD_PRELOAD shim that makes
# sched_yield() a no-op (Debian's build calls it about once per operation;
# tchtest is single-threaded, so nothing else changes): that is Tokyo Cabinet
# at its best. Each pair runs RUNS times (default 5); the script prints
# medians, same-run ratios and peak RSS (from /usr/bin/time -v).
#
# Environment: RUNS, RNUM (1000000), BNUM (2000000), BLITZ_BIN (a prebuilt
# blitz; default: go build ../../cmd/blitz), WORKDIR (default: mktemp -d),
# OPS (default "write read optimize": the pairs to run; optimize includes
# salvage), e.g. OPS=optimize RUNS=9 ./run.sh.
set -euo pipefail
cd "$(dirname "$0")"
RUNS=${RUNS:-5}
RNUM=${RNUM:-1000000}
BNUM=${BNUM:-2000000}
OPS=${OPS:-write read optimize}
has() { case " $OPS " in *" $1 "*) return 0 ;; esac; return 1; }

install() { # install Debian package $2 if command $1 is missing
	command -v "$1" >/dev/null 2>&1 && return
	echo "installing $2" >&2
	if [ "$(id -u)" = 0 ]; then apt-get install -y "$2" >/dev/null; else sudo apt-get install -y "$2" >/dev/null; fi
}
install tchtest tokyocabinet-bin
install gcc gcc
install bc bc
[ -x /usr/bin/time ] || install /usr/bin/time time

if [ -n "${WORKDIR:-}" ]; then
	WORK=$WORKDIR
	mkdir -p "$WORK"
	trap 'rm -f "$WORK"/*.tch "$WORK"/*.bdf "$WORK"/*.bdf.*' EXIT
else
	WORK=$(mktemp -d)
	trap 'rm -rf "$WORK"' EXIT
fi
BLITZ=${BLITZ_BIN:-$WORK/blitz}
if [ -z "${BLITZ_BIN:-}" ]; then
	(cd ../.. && go build -o "$BLITZ" ./cmd/blitz)
fi
echo 'int sched_yield(void) { return 0; }' >"$WORK/noyield.c"
gcc -shared -fPIC -O2 -o "$WORK/noyield.so" "$WORK/noyield.c"
NOYIELD="env LD_PRELOAD=$WORK/noyield.so"

RESULTS=$WORK/results.txt
: >"$RESULTS"
# measure LABEL CMD...: run CMD, record wall seconds and peak RSS (KB).
measure() {
	local label=$1
	shift
	local t0 t1
	t0=$(date +%s.%N)
	/usr/bin/time -f "%M" -o "$WORK/rss" "$@" >"$WORK/out" 2>&1 || {
		echo "FAILED: $*" >&2
		cat "$WORK/out" >&2
		exit 1
	}
	t1=$(date +%s.%N)
	echo "$label $(echo "$t1 - $t0" | bc) $(tail -1 "$WORK/rss")" >>"$RESULTS"
}

# The 1,000,000-record files optimize and salvage work on (sequential keys).
tchtest write "$WORK/src.tch" "$RNUM" "$BNUM" >/dev/null
"$BLITZ" bench write "$WORK/src.bdf" "$RNUM" "$BNUM" >/dev/null

for i in $(seq 1 "$RUNS"); do
	echo "run $i/$RUNS" >&2
	if has write || has read; then # read needs the files write makes
		measure tc-write tchtest write -rnd "$WORK/t.tch" "$RNUM" "$BNUM"
		measure blitz-write "$BLITZ" bench write -rnd "$WORK/b.bdf" "$RNUM" "$BNUM"
		measure tcny-write $NOYIELD tchtest write -rnd "$WORK/n.tch" "$RNUM" "$BNUM"
	fi
	if has read; then
		measure tc-read tchtest read -rnd "$WORK/t.tch"
		measure blitz-read "$BLITZ" bench read -rnd "$WORK/b.bdf"
		measure tcny-read $NOYIELD tchtest read -rnd "$WORK/n.tch"
	fi

	if has optimize; then
		cp "$WORK/src.tch" "$WORK/o.tch"
		measure tc-optimize tchmgr optimize "$WORK/o.tch"
		cp "$WORK/src.bdf" "$WORK/o.bdf"
		measure blitz-optimize "$BLITZ" file optimize "$WORK/o.bdf"
		cp "$WORK/src.tch" "$WORK/o.tch"
		measure tcny-optimize $NOYIELD tchmgr optimize "$WORK/o.tch"
		measure blitz-salvage "$BLITZ" file salvage "$WORK/src.bdf" "$WORK/s.bdf"
	fi
done

median() { # median of column $2 for label $1
	awk -v l="$1" -v c="$2" '$1 == l { print $c }' "$RESULTS" | sort -g |
		awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
ratio() { echo "scale=2; $1 / $2" | bc; }

echo
echo "blitz $("$BLITZ" version 2>/dev/null || true), $(dpkg-query -W -f '${Package} ${Version}' tokyocabinet-bin 2>/dev/null), $RUNS runs, medians"
printf '%-10s %10s %10s %10s %9s %9s %9s %9s %9s\n' op "tc s" "tc-ny s" "blitz s" "tc/blitz" "ny/blitz" "tc RSS" "ny RSS" "blitz RSS"
for op in write read optimize; do
	has $op || { [ $op = write ] && has read; } || continue
	tc=$(median tc-$op 2)
	ny=$(median tcny-$op 2)
	bl=$(median blitz-$op 2)
	printf '%-10s %10.3f %10.3f %10.3f %9s %9s %8dK %8dK %8dK\n' "$op" "$tc" "$ny" "$bl" "$(ratio "$tc" "$bl")" "$(ratio "$ny" "$bl")" \
		"$(median tc-$op 3)" "$(median tcny-$op 3)" "$(median blitz-$op 3)"
done
has optimize || exit 0
sl=$(median blitz-salvage 2)
printf '%-10s %10.3f %10.3f %10.3f %9s %9s %8dK %8dK %8dK\n' salvage "$(median tc-optimize 2)" "$(median tcny-optimize 2)" "$sl" \
	"$(ratio "$(median tc-optimize 2)" "$sl")" "$(ratio "$(median tcny-optimize 2)" "$sl")" \
	"$(median tc-optimize 3)" "$(median tcny-optimize 3)" "$(median blitz-salvage 3)"
echo "(salvage is compared with tchmgr optimize: Tokyo Cabinet has no salvage; both rewrite every record)"
