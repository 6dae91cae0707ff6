"""Run the speed benchmark side by side in one process tree and one sitting; write JSON, print a table.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/run_all.py

Every training process is pinned to one core with ``taskset`` and has 1 BLAS thread:
  * "2 cores": the grid split in two halves, two processes at once (cores 0 and 1);
    time = the slower process's training time (JAX: after compilation, reported apart);
  * "1 core" (core for core): one process; to keep the sitting short it trains a spread subset
    of the grid (``--one-core-share``) and the time is scaled linearly to the full grid (marked
    ``*``). The naive loop and the straightforward batched numpy always run on a subset (``--naive-runs``,
    ``--simple-runs``), one core, scaled the same way.
  * floor: np.tanh over every hidden pre-activation plus np.exp over every logit, per iteration
    (timed over ``--floor-reps`` iterations, scaled to the case's iterations), in L2-sized chunks,
    on the same cores: the elementwise limit of any numpy implementation that calls np.tanh.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import common  # noqa: E402

IMPLS = ("floor", "naive", "simple", "fast", "jax", "engine", "engine_jax")
LABEL = {"floor": "floor np.tanh+np.exp", "naive": "naive loop (course)", "simple": "batched numpy, straightforward",
         "fast": "batched numpy, fast (fast_numpy.py)", "jax": "JAX jit+vmap", "engine": "engine (initstudy.train)",
         "engine_jax": "engine, jax backend"}  # fmt: skip
TARGETS = "engine with the jax backend within 1.25x of bare JAX jit+vmap (reference and deep, both dtypes, 2 cores)"


def child_env():
    env = dict(os.environ)
    for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
        env[v] = "1"
    env["PYTHONPATH"] = os.pathsep.join([HERE, common.SRC] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def cpu_idle(seconds=2.0):
    """Fraction of the machine's CPU time that was idle over the next ``seconds``."""

    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return v[3] + v[4], sum(v)  # idle + iowait, total

    i0, t0 = snap()
    time.sleep(seconds)
    i1, t1 = snap()
    return (i1 - i0) / max(t1 - t0, 1)


def wait_idle(threshold, max_wait):
    """Wait (up to ``max_wait`` s) until the machine is at least ``threshold`` idle; return (idle, waited)."""
    t = time.perf_counter()
    idle = cpu_idle()
    while idle < threshold and time.perf_counter() - t < max_wait:
        idle = cpu_idle(5.0)
    return idle, time.perf_counter() - t


def launch(impl, case, dtype, cores, subset, extra, n_iter):
    """Run one measurement: ``len(cores)`` pinned processes sharing the (sub)grid. Returns a record."""
    procs = []
    t0 = time.perf_counter()
    for part, cpu in enumerate(cores):
        cmd = ["taskset", "-c", str(cpu), sys.executable, os.path.join(HERE, "worker.py"), "--impl", impl, "--case", case, "--dtype", dtype,
               "--part", str(part), "--parts", str(len(cores))] + (["--subset", str(subset)] if subset else []) + (
               ["--n-iter", str(n_iter)] if n_iter else []) + extra  # fmt: skip
        procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env()))
    outs = []
    for p in procs:
        out, err = p.communicate()
        outs.append((p.returncode, out, err))
    wall = time.perf_counter() - t0
    parts, errors = [], []
    for rc, out, err in outs:
        lines = [ln for ln in out.splitlines() if ln.startswith("{")]
        if rc != 0 or not lines:
            errors.append(f"rc={rc}: {err.strip()[-800:]}")
            continue
        rec = json.loads(lines[-1])
        if "error" in rec:
            errors.append(rec["error"])
            continue
        parts.append(rec)
    rec = {"impl": impl, "case": case, "dtype": dtype, "cores": len(cores), "cpus": list(cores), "wall_s": wall, "subset": subset, "parts": parts}
    if errors:
        rec["error"] = " | ".join(errors)
        return rec
    rec["n_runs"] = sum(p["n_runs"] for p in parts)
    rec["n_iter"] = parts[0]["n_iter"]
    rec["train_s"] = max(p["train_s"] for p in parts)
    rec["cpu_share"] = min(p["cpu_s"] / p["train_s"] for p in parts if p["train_s"] > 0)
    if any("compile_s" in p for p in parts):
        rec["compile_s"] = max(p.get("compile_s", 0.0) for p in parts)
    for k in ("act", "chunk", "grad", "jax"):
        if k in parts[0]:
            rec[k] = parts[0][k]
    if impl == "floor":
        rec["floor"] = {k: max(p["floor"][k] for p in parts) for k in parts[0]["floor"] if k != "cpu_share"}
    return rec


def finish(rec, total_runs):
    """Scale a (sub)grid time to the full grid; add throughput."""
    if "error" in rec:
        return rec
    scale = total_runs / rec["n_runs"]
    rec["extrapolated"] = scale != 1
    rec["time_s"] = rec["train_s"] * scale
    rec["run_it_per_s"] = total_runs * rec["n_iter"] / rec["time_s"]
    if "floor" in rec:
        rec["floor_full"] = {k: v * scale for k, v in rec["floor"].items() if k != "cpu_share"}
    return rec


def agreement(recs, ref_impl="naive"):
    """Final-loss agreement of every implementation with the naive loop, on the runs both trained."""
    out = {}
    for (case, dtype), group in _groupby(recs, lambda r: (r["case"], r["dtype"])).items():
        ref = [r for r in group if r["impl"] == ref_impl and "error" not in r]
        if not ref:
            continue
        base = {tuple(k): (lo, ac) for p in ref[0]["parts"] for k, lo, ac in zip(p["runs"], p["final_loss"], p["final_acc"])}
        for r in group:
            if r["impl"] in (ref_impl, "floor") or "error" in r:
                continue
            d, nacc = [], 0
            for p in r["parts"]:
                for k, lo, ac in zip(p["runs"], p["final_loss"], p["final_acc"]):
                    if tuple(k) in base:
                        d.append(abs(lo - base[tuple(k)][0]))
                        nacc += ac == base[tuple(k)][1]
            if d:
                tol = 1e-8 if dtype == "float64" else 1e-3
                d.sort()
                out[f"{case}/{dtype}/{r['impl']}/{r['cores']}"] = {"runs": len(d), "median_abs_dloss": d[len(d) // 2], "max_abs_dloss": d[-1],
                                                                    f"within_{tol:g}": sum(x <= tol for x in d), "same_final_acc": nacc}  # fmt: skip
    return out


def _groupby(items, key):
    g = {}
    for it in items:
        g.setdefault(key(it), []).append(it)
    return g


def table(recs):
    """Markdown tables, one per case and dtype."""
    lines = []
    for (case, dtype), group in _groupby(recs, lambda r: (r["case"], r["dtype"])).items():
        ok = [r for r in group if "error" not in r]
        by = {(r["impl"], r["cores"]): r for r in ok}
        c = common.get_case(case, ok[0]["n_iter"] if ok else None)
        lines.append(f"\n### {case} ({c.n_runs} runs, {'-'.join(map(str, c.sizes))}, {c.n_iter:,} iterations), {dtype}\n")
        lines.append("| implementation | cores | time (s) | run-it/s | per core | x naive, core for core | x JAX, same cores | floor / time | CPU share |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        naive = by.get(("naive", 1))
        for r in sorted(group, key=lambda r: (IMPLS.index(r["impl"]), -r["cores"])):
            name = LABEL[r["impl"]] + (f" [{r['act']}]" if r.get("act") else "")
            if "error" in r:
                lines.append(f"| {name} | {r['cores']} | n/a: {r['error'][:120]} | | | | | | |")
                continue
            star = "*" if r["extrapolated"] else ""
            per_core = r["run_it_per_s"] / r["cores"]
            xn = f"{per_core / naive['run_it_per_s']:.1f}" if naive and r["impl"] not in ("naive", "floor") else ""
            jx = by.get(("jax", r["cores"]))
            xj = f"{jx['time_s'] / r['time_s']:.2f}" if jx and r["impl"] not in ("jax", "floor") else ""
            fl = by.get(("floor", r["cores"]))
            ff = f"{fl['time_s'] / r['time_s']:.2f}" if fl and r["impl"] != "floor" else ""
            extra = f" (+{r['compile_s']:.1f} s compile)" if "compile_s" in r else ""
            share = r.get("cpu_share", 1.0)
            lines.append(f"| {name} | {r['cores']} | {r['time_s']:.1f}{star}{extra} | {r['run_it_per_s']:,.0f} | {per_core:,.0f} | {xn} | {xj} | {ff} | {share:.2f}{' (load!)' if share < 0.9 else ''} |")
        for cores in (2, 1):
            fl = by.get(("floor", cores))
            if fl:
                lines.append(f"\nfloor, {cores} core(s): np.tanh+np.exp {fl['floor_full']['tanh_exp']:.1f} s, np.exp+np.exp {fl['floor_full']['exp_exp']:.1f} s"
                             + (" (scaled from a subset)" if fl["extrapolated"] else ""))  # fmt: skip
    lines.append("\n`*` = measured on a spread subset of the grid and scaled linearly to the full grid. CPU share = CPU time / wall time of the"
                 " most starved process; below ~0.95 other work took its core and the time is inflated (measured under load).")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", default="reference,random,deep")
    ap.add_argument("--dtypes", default="float64,float32")
    ap.add_argument("--impls", default=",".join(IMPLS))
    ap.add_argument("--cores", default="0,1", help="the two cores of the '2 cores' runs; the first one runs the 1-core runs")
    ap.add_argument("--no-one-core", action="store_true", help="skip the 1-core (core for core) runs of fast/jax/engine")
    ap.add_argument("--one-core-share", type=float, default=0.25, help="share of the grid trained by 1-core runs (then scaled)")
    ap.add_argument("--naive-runs", default="reference=52,random=39,deep=4", help="runs of the naive loop (1 core, scaled)")
    ap.add_argument("--simple-runs", default="reference=104,random=78,deep=4", help="runs of the straightforward batched numpy (1 core, scaled)")
    ap.add_argument("--engine-runs", default="reference=260,random=195,deep=16",
                    help="runs the engine trains (scaled), 2-core and 1-core alike; '' = the full grid in the 2-core runs")
    ap.add_argument("--n-iter", default="", help="override iterations, e.g. reference=500,deep=50 (smoke tests)")
    ap.add_argument("--floor-reps", type=int, default=50)
    ap.add_argument("--wait-idle", type=float, default=0.8, help="before each measurement wait until the machine is this idle (0 = never wait)")
    ap.add_argument("--wait-max", type=float, default=300, help="longest wait for --wait-idle, seconds")
    ap.add_argument("--quick", action="store_true", help="smoke test: reference=300, deep=20 iterations, small subsets")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "latest.json"))
    ap.add_argument("--merge", nargs="+", metavar="JSON", help="no run: print one table from earlier results files, keeping for each"
                    " implementation/case/dtype/cores the fastest record whose processes got >= 0.95 CPU share (else the least disturbed)")
    a = ap.parse_args(argv)
    if a.merge:
        best = {}
        for path in a.merge:
            for r in json.load(open(path))["records"]:
                k = (r["impl"], r["case"], r["dtype"], r["cores"])
                if "error" in r:
                    continue
                rank = (r["cpu_share"] >= 0.95, -r["time_s"] if r["cpu_share"] >= 0.95 else r["cpu_share"])
                if k not in best or rank > best[k][0]:
                    best[k] = (rank, dict(r, source=os.path.basename(path)))
        best = {k: v[1] for k, v in best.items()}
        recs = sorted(best.values(), key=lambda r: (list(common.CASES).index(r["case"]), r["dtype"] != "float64"))
        print(table(recs))
        print("\nsources: " + "; ".join(f"{k[0]}/{k[1]}/{k[2]}/{k[3]}c: {r['source']}" for k, r in best.items() if r["source"] != os.path.basename(a.merge[0])))
        return

    kv = lambda s: {k: int(v) for k, v in (x.split("=") for x in s.split(",") if x)}  # noqa: E731
    n_iter = kv(a.n_iter)
    naive_runs, simple_runs, engine_runs = kv(a.naive_runs), kv(a.simple_runs), kv(a.engine_runs)
    if a.quick:
        n_iter = {"reference": 300, "random": 300, "deep": 20, **n_iter}
        naive_runs = {"reference": 13, "random": 13, "deep": 2}
        simple_runs = {"reference": 26, "random": 26, "deep": 2}
    if shutil.which("taskset") is None:
        sys.exit("taskset not found (util-linux): needed to pin each process to one core")
    cores = [int(c) for c in a.cores.split(",")]
    for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if v in os.environ:
            print(f"WARNING: {v}={os.environ[v]} is set; it can select a slower OpenBLAS kernel. Rerun with env -u {v}.", file=sys.stderr)
    impls = [i for i in a.impls.split(",") if i]
    machine = common.machine_info()
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    print(f"machine: {machine.get('Model name')}, {machine.get('CPU(s)')} CPUs, load {machine.get('loadavg')}; started {started}", flush=True)
    recs = []
    t_all = time.perf_counter()
    for case in a.cases.split(","):
        c = common.get_case(case, n_iter.get(case))
        for dtype in a.dtypes.split(","):
            plan = []
            share = max(1, round(c.n_runs * a.one_core_share))
            for impl in impls:
                if impl == "naive":
                    plan.append((impl, cores[:1], naive_runs.get(case), []))
                elif impl == "simple":
                    plan.append((impl, cores[:1], simple_runs.get(case), []))
                else:
                    extra = ["--floor-reps", str(a.floor_reps)] if impl == "floor" else []
                    plan.append((impl, cores, engine_runs.get(case) if impl == "engine" else None, extra))
                    if not a.no_one_core:
                        plan.append((impl, cores[:1], share if impl != "engine" or case not in engine_runs else min(share, engine_runs[case]), extra))
            for impl, cs, subset, extra in plan:
                idle, waited = wait_idle(a.wait_idle, a.wait_max) if a.wait_idle > 0 else (None, 0.0)
                t = time.perf_counter()
                rec = finish(launch(impl, case, dtype, cs, subset, extra, n_iter.get(case)), c.n_runs)
                rec["idle_before"], rec["waited_s"] = idle, waited
                recs.append(rec)
                if "error" in rec:
                    msg = f"n/a ({rec['error'][:200]})"
                else:
                    msg = f"{rec['time_s']:8.1f} s{'*' if rec['extrapolated'] else ' '} {rec['run_it_per_s']:12,.0f} run-it/s  CPU share {rec['cpu_share']:.2f}"
                    if "compile_s" in rec:
                        msg += f"  (+{rec['compile_s']:.1f} s compile)"
                print(f"[{time.perf_counter() - t_all:7.0f} s] {case:9s} {dtype:7s} {impl:6s} {len(cs)} core(s) {msg}   (wall {time.perf_counter() - t:.1f} s)", flush=True)
                os.makedirs(os.path.dirname(a.out), exist_ok=True)
                json.dump({"started": started, "machine": machine, "argv": sys.argv, "records": recs}, open(a.out, "w"), indent=1)
    agree = agreement(recs)
    blas = next((p["blas"] for r in recs if "error" not in r for p in r["parts"]), None)
    result = {"started": started, "finished": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "total_s": time.perf_counter() - t_all, "machine": machine,
              "blas": blas, "argv": sys.argv, "targets": TARGETS, "agreement_with_naive": agree, "records": recs}  # fmt: skip
    json.dump(result, open(a.out, "w"), indent=1)
    md = table(recs)
    print(md)
    print("\nfinal-loss agreement with the naive loop (runs trained by both):")
    for k, v in agree.items():
        print(f"  {k:32s} {v}")
    if blas:
        b = blas[0]
        print(f"\nBLAS: {b.get('internal_api')} {b.get('version')} kernel {b.get('architecture')}, {b.get('num_threads')} thread(s) per process")
    print(f"machine load average before/after: {machine.get('loadavg')} / {os.getloadavg()}")
    print(f"results: {a.out} ({result['total_s']:.0f} s)")
    with open(os.path.splitext(a.out)[0] + ".md", "w") as f:
        f.write(md + "\n")


if __name__ == "__main__":
    main()
