#!/usr/bin/env python3
"""Part 75 CO2 mass with missing-data substitution, written the way an analyst would in pandas.

The comparison side of `tonne bench cems` (docs/cems.md): the same rules as Tonne, vectorised
with groupby / cumsum / rolling, in float64. It supports the subset of the format the benchmark
data uses and refuses anything else rather than guess:

- data spanning less than three years per unit (so the 26,280-hour age limit of substitute data
  and the three-year clock start of standard procedures never bind);
- defaults only: nearest-rank percentiles, PMA compared exactly, one-sided averages for periods
  with a side missing; per-unit basis and maximum potential values as columns (no plan file);
- hours written YYYY-MM-DDTHH.

Usage: cems_pandas.py DATA.csv OUT.json
Writes {"seconds": s, "peak_rss_mb": m, "units": {unit: {...}}}, each unit with annual and
quarterly short tons and annual metric tonnes as "%.3f" strings and hours per substitution code.
"""

import json
import resource
import sys
import time

import numpy as np
import pandas as pd

K = 5.7e-7  # short ton/scf/% CO2, 40 CFR 75 App. F (reference/mrv.md §7.1)
TONNES_PER_SHORT_TON = 0.90718474  # NIST SP 811, exact
PMA_WINDOW = 8760  # §75.32(a)(2)
CODES = [
    "initial_avg",
    "pma95_short_avg",
    "pma95_long_p90",
    "pma90_short_avg",
    "pma90_long_p95",
    "pma80_max",
    "pma_low_max_potential",
    "fallback_max_potential",
]
# (column, initial QA hours = lookback QA hours, maximum potential column)
MONITORS = {"co2": ("co2_pct", 720, "mpc_co2_pct"), "flow": ("flow_scfh", 2160, "mpf_scfh")}


def fail(msg):
    print(f"cems_pandas.py: {msg}", file=sys.stderr)
    sys.exit(2)


def substitute(op, unit, n_op, col, lookback, maxcol):
    """Values used for one monitor (measured or substituted) and the code of each hour."""
    v = op[col]
    qa = v.notna()
    miss = ~qa
    qa_cum = qa.groupby(unit, observed=True).cumsum()
    qa_before = qa_cum - qa.astype("int64")
    # PMA (§75.32): QA hours / operating hours over all hours so far (Equation 8), over the
    # previous 8,760 operating hours after that (Equation 9); the hour itself counts.
    qa_old = qa_cum.groupby(unit, observed=True).shift(PMA_WINDOW, fill_value=0)
    pma = 100.0 * (qa_cum - qa_old) / np.minimum(n_op, PMA_WINDOW)
    # A missing-data period: consecutive missing operating hours after the same QA hour.
    n_gap = miss.groupby([unit, qa_cum], observed=True).transform("sum")
    before = v.groupby(unit, observed=True).ffill()
    after = v.groupby(unit, observed=True).bfill()
    avg = ((before + after) / 2).fillna(before).fillna(after)  # one side if only one exists
    # Lookback over the previous `lookback` QA hours, as of the last QA hour before each gap.
    # Nearest rank ⌈p·n⌉ equals pandas' "lower" (index ⌊p·(n−1)⌋) when n = 720 or 2,160,
    # which it always is when the standard procedures apply to a file under three years.
    qv = v[qa]
    qg = qv.groupby(unit[qa], observed=True).rolling(lookback, min_periods=1)
    look = pd.DataFrame(
        {
            "p90": qg.quantile(0.90, interpolation="lower").droplevel(0),
            "p95": qg.quantile(0.95, interpolation="lower").droplevel(0),
            "max": qg.max().droplevel(0),
        }
    ).reindex(op.index)
    look = look.groupby(unit, observed=True).ffill()
    standard = qa_before >= lookback
    mp = op[maxcol]
    conds = [
        qa,
        ~standard,
        (pma >= 95) & (n_gap <= 24),
        pma >= 95,
        (pma >= 90) & (n_gap <= 8),
        pma >= 90,
        pma >= 80,
    ]
    codes = ["measured"] + CODES[:6]
    values = [
        v,
        avg,
        avg,
        np.fmax(look["p90"], avg),
        avg,
        np.fmax(look["p95"], avg),
        look["max"],
    ]
    code = pd.Series(np.select(conds, codes, "pma_low_max_potential"), index=op.index)
    value = pd.Series(np.select(conds, values, mp), index=op.index)
    fallback = value.isna()
    code[fallback] = "fallback_max_potential"
    value[fallback] = mp[fallback]
    if value.isna().any():
        bad = op.loc[value.isna(), "unit_id"].iloc[0]
        fail(f"unit {bad}: a substitute needs {maxcol}, which is not given")
    return value, code


def main():
    if len(sys.argv) != 3:
        fail("usage: cems_pandas.py DATA.csv OUT.json")
    path, out = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter()
    df = pd.read_csv(
        path,
        dtype={
            "unit_id": "category",
            "hour": str,
            "op_time": "float64",
            "co2_pct": "float64",
            "flow_scfh": "float64",
            "co2_basis": "category",
            "h2o_pct": "float64",
            "mpc_co2_pct": "float64",
            "mpf_scfh": "float64",
        },
    )
    for c, default in [("co2_basis", "wet"), ("h2o_pct", np.nan), ("mpc_co2_pct", np.nan),
                       ("mpf_scfh", np.nan)]:
        if c not in df:
            df[c] = default
    df["hour"] = pd.to_datetime(df["hour"], format="%Y-%m-%dT%H")
    df = df.sort_values(["unit_id", "hour"], kind="stable", ignore_index=True)
    g = df.groupby("unit_id", observed=True)
    span = g["hour"].max() - g["hour"].min()
    if (span >= pd.Timedelta(hours=26280)).any():
        fail("a unit's data span three years or more; this script handles shorter files only")
    # Per-unit values given on the unit's first row.
    for c in ["co2_basis", "mpc_co2_pct", "mpf_scfh"]:
        df[c] = g[c].transform("first")

    op = df[df["op_time"] > 0]
    unit = op["unit_id"]
    n_op = unit.groupby(unit, observed=True).cumcount() + 1
    wet = np.where(op["co2_basis"] == "dry", (100.0 - op["h2o_pct"]) / 100.0, 1.0)
    used = {}
    counts = {}
    for name, (col, lookback, maxcol) in MONITORS.items():
        used[name], code = substitute(op, unit, n_op, col, lookback, maxcol)
        counts[name] = code.groupby(unit, observed=True).value_counts().unstack(fill_value=0)

    mass = K * used["co2"] * used["flow"] * wet * op["op_time"]
    q = pd.DataFrame(
        {"unit_id": unit, "year": op["hour"].dt.year, "q": op["hour"].dt.quarter, "m": mass}
    )
    by_q = q.groupby(["unit_id", "year", "q"], observed=True)["m"].sum()
    total = by_q.groupby(level="unit_id", observed=True).sum()
    seconds = time.perf_counter() - t0

    units = {}
    q_table = by_q.unstack("q", fill_value=0.0).reindex(columns=range(1, 5), fill_value=0.0)
    quarters = {}
    for (u, _y), row in zip(q_table.index, q_table.to_numpy()):
        quarters.setdefault(u, []).extend(f"{x:.3f}" for x in row)
    tables = {name: counts[name].reindex(columns=CODES, fill_value=0) for name in MONITORS}
    for u in df["unit_id"].unique():
        st = float(total.get(u, 0.0))
        units[u] = {
            "short_tons": f"{st:.3f}",
            "metric_tonnes": f"{st * TONNES_PER_SHORT_TON:.3f}",
            "quarters_short_tons": quarters.get(u, []),
        }
        for name, t in tables.items():
            row = t.loc[u] if u in t.index else None
            units[u][name] = {k: int(row[k]) if row is not None else 0 for k in CODES}
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    with open(out, "w") as f:
        json.dump({"seconds": seconds, "peak_rss_mb": round(peak_mb), "units": units}, f)


if __name__ == "__main__":
    main()
