"""The same drift statistics with numpy and scipy, for comparison with `npm run bench:drift`.

For each of the demo's six numeric features: KS (ks_2samp), Wasserstein normed by the reference std
and PSI on the reference deciles; for the categorical one: chi-square, Jensen-Shannon and PSI. The
reference is a 5 000-value sample per feature, as reference.json keeps; the current window has N rows
(default 100 000). Data generation is not timed. Prints one JSON line.
"""
import json
import os
import sys
import time

import numpy as np
from scipy import stats
from scipy.spatial import distance

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
rng = np.random.default_rng(1)
types = np.array(["PAYMENT", "TRANSFER", "CASH_OUT", "DEBIT", "CASH_IN"])
reference = {f"num{k}": np.round(rng.lognormal(11, 1.1, 5000), 2) for k in range(6)}
current = {f"num{k}": np.round(rng.lognormal(11.3, 1.1, n), 2) for k in range(6)}
ref_types = rng.choice(types, 100_000, p=[0.338, 0.084, 0.352, 0.0065, 0.2195])
cur_types = rng.choice(types, n, p=[0.2, 0.3, 0.3, 0.05, 0.15])


def psi(r, c):
    r = r / r.sum()
    c = c / c.sum()
    r = np.where(r == 0, 1e-4, r)
    c = np.where(c == 0, 1e-4, c)
    return float(np.sum((r - c) * np.log(r / c)))


started = time.perf_counter()
for name, ref in reference.items():
    cur = current[name]
    stats.ks_2samp(ref, cur)
    stats.wasserstein_distance(ref, cur) / max(np.std(ref), 0.001)
    edges = np.unique(np.quantile(ref, np.arange(1, 10) / 10))
    psi(np.bincount(np.searchsorted(edges, ref, side="right"), minlength=len(edges) + 1).astype(float),
        np.bincount(np.searchsorted(edges, cur, side="right"), minlength=len(edges) + 1).astype(float))
keys, ref_counts = np.unique(ref_types, return_counts=True)
cur_counts = np.array([np.sum(cur_types == k) for k in keys], dtype=float)
stats.chisquare(cur_counts, ref_counts * n / ref_counts.sum())
distance.jensenshannon(ref_counts, cur_counts, base=2)
psi(ref_counts.astype(float), cur_counts)
seconds = time.perf_counter() - started
print(json.dumps({"bench": "drift-scipy", "rows": n, "features": 7, "seconds": round(seconds, 3), "load_avg": [round(x, 2) for x in os.getloadavg()]}))
