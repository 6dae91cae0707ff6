"""One benchmark process: train one implementation on a share of one case, print a JSON record.

Started by run_all.py under ``taskset`` (one core per process) with 1 BLAS thread; usable alone:

    taskset -c 0 env OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/worker.py \
        --impl fast --case reference --dtype float64 --subset 52 --n-iter 200

Implementations: naive (course loop, one run at a time), simple (straightforward batched numpy),
fast (fast_numpy.train_fast), jax (jax_ref.train_jax), engine (initstudy.train via
engine_adapter), floor (the elementwise floor: np.tanh on every hidden pre-activation and np.exp
on every logit of the initial networks, per iteration, timed over --floor-reps iterations and
scaled to n_iter).
"""

from __future__ import annotations

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def floor_time(X, y, params, n_iter, dtype, chunk, reps):
    """Seconds for n_iter iterations of np.tanh over every hidden pre-activation and np.exp over
    every logit (initial networks' values, L2-sized chunks, out= buffers), plus the same with
    np.exp in place of np.tanh (the floor of the exp activation path)."""
    dtype = np.dtype(dtype)
    R = params[0][0].shape[0]
    pre, outs = [], []
    with np.errstate(all="ignore"):
        for lo in range(0, R, chunk):
            a = X[None].astype(dtype)
            zs = []
            for W, b in params[:-1]:
                zz = np.matmul(W[lo : lo + chunk].astype(dtype), a) + b[lo : lo + chunk, :, None].astype(dtype)
                zs.append(zz.ravel())
                a = np.tanh(zz)
            pre.append(np.concatenate(zs))
            W, b = params[-1]
            outs.append((np.matmul(W[lo : lo + chunk].astype(dtype), a) + b[lo : lo + chunk, :, None].astype(dtype)).ravel())
        bufs = [np.empty_like(p) for p in pre]
        obufs = [np.empty_like(o) for o in outs]
        res = {}
        c = time.process_time()
        t0 = time.perf_counter()
        for name, hid in (("tanh_exp", np.tanh), ("exp_exp", np.exp)):
            t = time.perf_counter()
            for _ in range(reps):
                for p, b_, o, ob in zip(pre, bufs, outs, obufs):
                    hid(p, out=b_)
                    np.exp(o, out=ob)
            res[name] = (time.perf_counter() - t) * n_iter / reps
        res["cpu_share"] = (time.process_time() - c) / (time.perf_counter() - t0)
    return res


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--impl", required=True, choices=["naive", "simple", "fast", "jax", "engine", "engine_jax", "floor"])
    ap.add_argument("--case", default="reference", choices=sorted(common.CASES))
    ap.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    ap.add_argument("--n-iter", type=int, default=None, help="iterations (default: the case's)")
    ap.add_argument("--subset", type=int, default=None, help="train only N runs spread over the grid")
    ap.add_argument("--part", type=int, default=0)
    ap.add_argument("--parts", type=int, default=1)
    ap.add_argument("--chunk", type=int, default=None)
    ap.add_argument("--act", default=None, choices=[None, "tanh", "exp"])
    ap.add_argument("--grad", default="manual", choices=["manual", "autodiff"])
    ap.add_argument("--floor-reps", type=int, default=50)
    a = ap.parse_args(argv)

    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    load0 = os.getloadavg()
    case = common.get_case(a.case, a.n_iter)
    runs = common.split(common.subset(case.runs, a.subset), a.part, a.parts)
    steps = common.log_steps(case.n_iter)
    X, y = common.flower_data()
    dtype = np.dtype(a.dtype)
    params = common.init_params(runs, case.sizes)
    rec = {"impl": a.impl, "case": a.case, "dtype": a.dtype, "part": a.part, "parts": a.parts, "n_runs": len(runs), "n_iter": case.n_iter,
           "affinity": sorted(os.sched_getaffinity(0)), "pid": os.getpid()}  # fmt: skip
    timings = {}
    c0 = time.process_time()
    t0 = time.perf_counter()
    if a.impl == "naive":
        import naive

        loss, acc = naive.train(X, y, params, case.lr, case.n_iter, steps, dtype)
    elif a.impl == "simple":
        import fast_numpy

        loss, acc = fast_numpy.train_simple(X, y, params, case.lr, case.n_iter, steps, dtype)
    elif a.impl == "fast":
        import fast_numpy

        act = a.act or ("exp" if dtype == np.float64 else "tanh")
        rec.update(act=act, chunk=a.chunk)
        loss, acc = fast_numpy.train_fast(X, y, params, case.lr, case.n_iter, steps, dtype, chunk=a.chunk, act=act)
    elif a.impl == "jax":
        import jax

        import jax_ref

        rec.update(grad=a.grad, chunk=a.chunk, jax=jax.__version__, jax_devices=[str(d) for d in jax.devices()])
        loss, acc = jax_ref.train_jax(X, y, params, case.lr, case.n_iter, steps, dtype, chunk=a.chunk, grad=a.grad, timings=timings)
    elif a.impl in ("engine", "engine_jax"):
        import engine_adapter

        ok, why = engine_adapter.available()
        if not ok:
            rec.update(error=f"engine not available: {why}")
            print(json.dumps(rec))
            return 0
        backend = "jax" if a.impl == "engine_jax" else "numpy"
        rec.update(backend=backend)
        if backend == "jax":
            import jax

            rec.update(jax=jax.__version__, jax_devices=[str(d) for d in jax.devices()])
        loss, acc = engine_adapter.train_engine(X, y, params, case.lr, case.n_iter, steps, dtype, backend=backend, timings=timings)
    else:  # floor
        ch = a.chunk or (64 if dtype == np.float32 else 32)
        rec.update(floor=floor_time(X, y, params, case.n_iter, dtype, ch, a.floor_reps), floor_reps=a.floor_reps, chunk=ch)
        loss = acc = None
    t1 = time.perf_counter()
    c1 = time.process_time()
    rec["train_s"] = timings.get("train_s", t1 - t0)
    rec["cpu_s"] = timings.get("cpu_s", c1 - c0)  # < train_s: the process waited for its core (machine busy)
    if "compile_s" in timings:
        rec["compile_s"] = timings["compile_s"]
    if a.impl == "floor":
        rec["train_s"] = rec["floor"]["tanh_exp"]
        rec["cpu_s"] = rec["floor"]["tanh_exp"] * rec["floor"]["cpu_share"]
    if loss is not None:
        rec["runs"] = [list(r) for r in runs]
        rec["final_loss"] = loss[:, -1].tolist()
        rec["final_acc"] = acc[:, -1].tolist()
    rec["blas"] = common.blas_info()
    rec["loadavg"] = [load0, os.getloadavg()]
    rec["env"] = {k: os.environ[k] for k in sorted(os.environ) if k.startswith(("OPENBLAS", "OMP_", "MKL_", "XLA_", "NPY_"))}
    print(json.dumps(rec))
    return 0


if __name__ == "__main__":
    sys.exit(main())
