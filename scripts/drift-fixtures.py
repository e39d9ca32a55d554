#!/usr/bin/python3
"""Writes test/fixtures/drift/scipy.json: reference values from scipy for drift-check's statistics.

Run once with Debian's python3-scipy (`/usr/bin/python3 scripts/drift-fixtures.py`); the output is
committed, so the tests need no Python. Inputs are stored with the expected values, so the tests
do not depend on reproducing numpy's random generator.
"""
import json
import pathlib

import numpy as np
import scipy
from scipy import stats
from scipy.spatial import distance

rng = np.random.default_rng(20260101)
out = {"generator": "scripts/drift-fixtures.py", "scipy": scipy.__version__, "numpy": np.__version__}


def r(a, digits=4):
    return [round(float(x), digits) for x in a]


ks = []
for name, a, b in [
    ("normal-vs-shifted-small", rng.normal(0, 1, 60), rng.normal(0.5, 1, 90)),
    ("same-distribution-equal-n", rng.normal(0, 1, 300), rng.normal(0, 1, 300)),
    ("integers-with-ties", rng.integers(0, 24, 400), rng.integers(2, 24, 250)),
    ("reference-5000-vs-window-1000", rng.normal(0, 1, 5000), rng.normal(0.08, 1.05, 1000)),
    ("lognormal-vs-lognormal-800", rng.lognormal(0, 1, 2000), rng.lognormal(0.05, 1, 800)),
]:
    a, b = np.sort(r(a)), np.sort(r(b))
    res = stats.ks_2samp(a, b, method="auto")
    ks.append({"name": name, "a": a.tolist(), "b": b.tolist(), "statistic": float(res.statistic),
               "pvalue": float(res.pvalue)})
out["ks_2samp"] = ks

# Asymptotic branch: scipy uses kstwo.sf(d, round(en)); stored as (n1, n2, d) triples.
asymp = []
for n1, n2, d in [(20000, 15000, 0.01), (20000, 15000, 0.02), (50000, 5000, 0.015), (12000, 11000, 0.03),
                  (500000, 5000, 0.01), (500000, 5000, 0.03)]:
    a = np.zeros(1)
    en = n1 * n2 / (n1 + n2)
    asymp.append({"n1": n1, "n2": n2, "d": d, "pvalue": float(stats.kstwo.sf(d, np.round(en)))})
out["ks_asymp"] = asymp

ws = []
for name, u, v in [
    ("normal-vs-shifted", rng.normal(0, 1, 500), rng.normal(1, 2, 700)),
    ("integers-with-ties", rng.integers(0, 10, 300), rng.integers(0, 12, 200)),
    ("skewed", rng.exponential(3, 1000), rng.exponential(3.5, 400)),
    ("single-values", [1.0], [4.0]),
]:
    u, v = np.sort(r(u)), np.sort(r(v))
    ws.append({"name": name, "u": u.tolist(), "v": v.tolist(), "distance": float(stats.wasserstein_distance(u, v)),
               "std_u": float(np.std(u))})
out["wasserstein"] = ws

chi = []
for name, obs, exp_share in [
    ("uniform-ish", [18, 22, 20, 25, 15], [0.2] * 5),
    ("shifted-categories", [120, 80, 40, 10, 5, 45], [0.4, 0.3, 0.1, 0.1, 0.05, 0.05]),
    ("many-bins", list(rng.integers(5, 50, 30)), list(rng.dirichlet(np.ones(30)))),
    ("large-window", [100500, 99000, 51000, 49500], [0.4, 0.4, 0.1, 0.1]),
]:
    obs = np.array(obs, dtype=float)
    exp = np.array(exp_share) * obs.sum() / np.sum(exp_share)
    res = stats.chisquare(obs, exp)
    chi.append({"name": name, "observed": obs.tolist(), "expected": exp.tolist(), "statistic": float(res.statistic),
                "pvalue": float(res.pvalue)})
out["chisquare"] = chi

js = []
for name, p, q in [
    ("close", [0.25, 0.25, 0.25, 0.25], [0.24, 0.26, 0.27, 0.23]),
    ("far", [0.7, 0.2, 0.1, 0.0001], [0.1, 0.2, 0.3, 0.4]),
    ("unnormalised-counts", [120, 30, 50], [100, 60, 40]),
    ("many", list(rng.dirichlet(np.ones(40))), list(rng.dirichlet(np.ones(40)))),
]:
    js.append({"name": name, "p": [float(x) for x in p], "q": [float(x) for x in q],
               "distance": float(distance.jensenshannon(p, q))})
out["jensenshannon"] = js

# Two-proportion z-test as Evidently computes it (pooled variance, two-sided normal tail).
zt = []
for s1, n1, s2, n2 in [(300, 1000, 340, 1000), (50, 900, 20, 600), (4000, 20000, 210, 1000)]:
    p1, p2, pooled = s1 / n1, s2 / n2, (s1 + s2) / (n1 + n2)
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    zt.append({"s1": s1, "n1": n1, "s2": s2, "n2": n2, "z": float(z), "pvalue": float(2 * stats.norm.sf(abs(z)))})
out["ztest"] = zt

path = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "drift" / "scipy.json"
path.write_text(json.dumps(out) + "\n")
print(f"wrote {path}")
