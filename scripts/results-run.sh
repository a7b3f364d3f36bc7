#!/bin/sh
# Runs the studies of docs/results.md at the current checkout, one after the other on one kernel thread
# (nice'd: the machine is shared), each into out/<name>/, then copies results.json and the plots to
# docs/results/<name>*.{json,svg}. Regenerate docs/results.md afterwards: npm run results:md.
#   sh scripts/results-run.sh                 every study below except mnist-authors (~35 min)
#   sh scripts/results-run.sh mnist-mlp ...   only these names (mnist-authors: ~80 min, resumable)
# Build first (npm run build). Commit first: every results file records `git rev-parse HEAD` and marks
# a dirty tree.
set -e
cd "$(dirname "$0")/.."
run() { # name, then the experiment's arguments
  name=$1; shift
  echo "== $name: ecopt experiment $*"
  ECOPT_THREADS=1 nice -n 10 node dist/apps/cli/main.js experiment "$@" --threads 1 --out "out/$name" > "out/$name.log" 2>&1
  tail -n 3 "out/$name.log"
  cp "out/$name/results.json" "docs/results/$name.json"
  for f in out/"$name"/*.svg; do [ -e "$f" ] && cp "$f" "docs/results/$name-$(basename "$f")"; done
  return 0
}
mkdir -p out docs/results
all="unbalanced-init mnist-mlp mnist-mlp-8ep fashion-width fashion-width-10k mnist-cnn overhead"
for n in ${*:-$all}; do
  case $n in
    unbalanced-init) run unbalanced-init unbalanced-init --seeds 2 --epochs 3 ;;
    mnist-mlp) run mnist-mlp mnist-mlp --seeds 3 --epochs 15 --grid-epochs 2 ;;
    mnist-mlp-8ep) run mnist-mlp-8ep mnist-mlp --seeds 2 --epochs 8 --grid-epochs 1 ;;
    fashion-width) run fashion-width fashion-width --seeds 2 --epochs 4 --limit 30000 ;;
    fashion-width-10k) run fashion-width-10k fashion-width --seeds 2 --epochs 3 --limit 10000 ;;
    mnist-cnn) run mnist-cnn mnist-cnn --seeds 2 --epochs 2 --limit 10000 --test-limit 5000 ;;
    overhead) run overhead overhead ;;
    mnist-authors) run mnist-authors mnist-authors --seeds 3 --epochs 300 ;;
    *) echo "unknown study $n" >&2; exit 2 ;;
  esac
done
