#!/usr/bin/env python3
"""Rebuild the labelled real-world fixtures in bench/data/real/ from their public sources.

Standard library only. See README.md in this directory for where the sources come from.

    python3 bench/data/real/derive.py \\
        --mscloudmon /path/to/cloud-monitoring-dataset \\
        --aiops18 /path/to/phase2_train.csv      # or phase2_train.csv.zip, or a dir of <KPI ID>.csv

    python3 bench/data/real/derive.py --check    # validate the committed CSVs
    python3 bench/data/real/derive.py --stats    # print the README table from the committed CSVs

What a fixture changes from its source, and nothing else:
  * the timestamp is rewritten as RFC 3339 UTC (`2017-06-01T00:00:00Z`); source epoch seconds are
    UTC, and source ISO times without a zone are taken as UTC;
  * only the rows inside the series' window [start, start + days) are kept (no window: all rows);
  * rows whose value is empty in the source are dropped (a missing sample becomes a gap);
  * the value text is copied verbatim (quotes removed), the label is written as 0/1.
Row order, gaps, duplicate and irregular timestamps are kept as they are in the source.
"""
import argparse
import csv
import datetime as dt
import io
import math
import os
import statistics
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))

# (source, series id, path inside the source / KPI ID, window start (UTC date) or None, days or None)
SERIES = [
    # Microsoft Cloud Monitoring Dataset (github.com/microsoft/cloud-monitoring-dataset), MIT
    ("mscloudmon", "purchase-01", "data/consumer-purchase-rate/purchase-01.csv", None, None),
    ("mscloudmon", "purchase-02", "data/consumer-purchase-rate/purchase-02.csv", None, None),
    ("mscloudmon", "purchase-03", "data/consumer-purchase-rate/purchase-03.csv", None, None),
    ("mscloudmon", "purchase-04", "data/consumer-purchase-rate/purchase-04.csv", None, None),
    ("mscloudmon", "purchase-05", "data/consumer-purchase-rate/purchase-05.csv", None, None),
    ("mscloudmon", "purchase-06", "data/consumer-purchase-rate/purchase-06.csv", None, None),
    ("mscloudmon", "api-01", "data/ecommerce-api-incoming-rps/api-01.csv", "2017-11-01", 60),
    ("mscloudmon", "machine-01", "data/mongodb-machine-rps/machine-01.csv", None, None),
    ("mscloudmon", "mongo-03", "data/mongodb-application-rps/mongo-03.csv", None, None),
    ("mscloudmon", "unavail-01", "data/service-unavailable/unavail-01.csv", None, None),
    ("mscloudmon", "ingress-01", "data/data-ingress-rate/ingress-01.csv", None, None),
    ("mscloudmon", "app1-04", "data/application-crash-rate-1/app1-04.csv", None, None),
    ("mscloudmon", "app1-06", "data/application-crash-rate-1/app1-06.csv", None, None),
    # AIOps Challenge 2018 KPI anomaly detection, final round training set (phase2_train.csv), MIT
    ("aiops18", "05f10d3a-239c-3bef-9bdc-a2feeb0037aa", "05f10d3a-239c-3bef-9bdc-a2feeb0037aa", "2017-06-01", 14),
    ("aiops18", "adb2fde9-8589-3f5b-a410-5fe14386c7af", "adb2fde9-8589-3f5b-a410-5fe14386c7af", "2017-05-02", 14),
    ("aiops18", "431a8542-c468-3988-a508-3afd06a218da", "431a8542-c468-3988-a508-3afd06a218da", "2017-06-06", 14),
    ("aiops18", "6a757df4-95e5-3357-8406-165e2bd49360", "6a757df4-95e5-3357-8406-165e2bd49360", "2017-04-30", 14),
    ("aiops18", "57051487-3a40-3828-9084-a12f7f23ee38", "57051487-3a40-3828-9084-a12f7f23ee38", "2017-05-09", 14),
    ("aiops18", "7103fa0f-cac4-314f-addc-866190247439", "7103fa0f-cac4-314f-addc-866190247439", "2017-07-12", 14),
    ("aiops18", "f0932edd-6400-3e63-9559-0a9860a1baa9", "f0932edd-6400-3e63-9559-0a9860a1baa9", "2017-05-30", 14),
    ("aiops18", "43115f2a-baeb-3b01-96f7-4ea14188343c", "43115f2a-baeb-3b01-96f7-4ea14188343c", "2017-06-30", 14),
    ("aiops18", "6d1114ae-be04-3c46-b5aa-be1a003a57cd", "6d1114ae-be04-3c46-b5aa-be1a003a57cd", "2017-06-09", 14),
]


def out_name(source, sid):
    return f"{source}-{sid}.csv".lower()


def parse_time(text):
    """Source timestamp -> epoch seconds (UTC)."""
    t = text.strip().strip('"').strip()
    if t.isdigit():
        return int(t)
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    d = dt.datetime.fromisoformat(t)
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.timezone.utc)
    return int(d.timestamp())


def rfc3339(epoch):
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def clean_value(text):
    v = text.strip().strip('"').strip()
    if v == "":
        return None
    x = float(v)
    if not math.isfinite(x) or x < 0:
        raise ValueError(f"value {v!r} is not a non-negative number")
    return v


def clean_label(text):
    x = float(text.strip().strip('"'))
    if x not in (0.0, 1.0):
        raise ValueError(f"label {text!r} is not 0/1")
    return int(x)


def window(start, days):
    if start is None:
        return None, None
    s = int(dt.datetime.fromisoformat(start).replace(tzinfo=dt.timezone.utc).timestamp())
    return s, s + days * 86400


def read_mscloudmon(root, rel):
    with open(os.path.join(root, rel), newline="") as f:
        rows = list(csv.reader(f))
    head = [h.strip().strip('"').lower() for h in rows[0]]
    assert head == ["timestamp", "value", "label"], head
    return [r for r in rows[1:] if r]


def read_aiops18(src, kpi_ids):
    """{KPI ID: [[timestamp, value, label], ...]} from phase2_train.csv(.zip) or a dir of per-KPI CSVs."""
    out = {k: [] for k in kpi_ids}
    if os.path.isdir(src):
        for k in kpi_ids:
            with open(os.path.join(src, k + ".csv"), newline="") as f:
                out[k] = [r[:3] for r in csv.reader(f) if r and r[0].strip().isdigit()]
        return out
    if src.endswith(".zip"):
        z = zipfile.ZipFile(src)
        name = next(n for n in z.namelist() if n.endswith(".csv") and not n.startswith("__MACOSX"))
        f = io.TextIOWrapper(z.open(name), newline="")
    else:
        f = open(src, newline="")
    with f:
        rd = csv.reader(f)
        head = [h.strip() for h in next(rd)]
        it, iv, il, ik = (head.index(c) for c in ("timestamp", "value", "label", "KPI ID"))
        for r in rd:
            if r and r[ik] in out:
                out[r[ik]].append([r[it], r[iv], r[il]])
    return out


def write_series(path, rows, start, end):
    kept = dropped = 0
    with open(path, "w", newline="") as f:
        f.write("timestamp,value,label\n")
        for r in rows:
            t = parse_time(r[0])
            if start is not None and not (start <= t < end):
                continue
            v = clean_value(r[1])
            if v is None:
                dropped += 1
                continue
            f.write(f"{rfc3339(t)},{v},{clean_label(r[2])}\n")
            kept += 1
    return kept, dropped


def derive(args):
    os.makedirs(args.out, exist_ok=True)
    kpi_rows = None
    if args.aiops18:
        kpi_rows = read_aiops18(args.aiops18, [p for s, _, p, _, _ in SERIES if s == "aiops18"])
    for source, sid, ref, start, days in SERIES:
        if source == "mscloudmon" and args.mscloudmon:
            rows = read_mscloudmon(args.mscloudmon, ref)
        elif source == "aiops18" and kpi_rows is not None:
            rows = kpi_rows[ref]
        else:
            continue
        s, e = window(start, days)
        kept, dropped = write_series(os.path.join(args.out, out_name(source, sid)), rows, s, e)
        print(f"{out_name(source, sid)}: {kept} rows" + (f" ({dropped} empty-value rows dropped)" if dropped else ""))


def load_fixture(path):
    with open(path, newline="") as f:
        rd = csv.reader(f)
        assert next(rd) == ["timestamp", "value", "label"], f"{path}: bad header"
        ts, vs, ls = [], [], []
        for n, r in enumerate(rd, 2):
            assert len(r) == 3, f"{path}:{n}: {r}"
            assert r[0].endswith("Z") and len(r[0]) == 20, f"{path}:{n}: timestamp {r[0]!r}"
            ts.append(parse_time(r[0]))
            assert rfc3339(ts[-1]) == r[0], f"{path}:{n}: timestamp {r[0]!r}"
            v = float(r[1])
            assert math.isfinite(v) and v >= 0, f"{path}:{n}: value {r[1]!r}"
            assert r[2] in ("0", "1"), f"{path}:{n}: label {r[2]!r}"
            vs.append(v)
            ls.append(int(r[2]))
    return ts, vs, ls


def runs(ls):
    out, i = [], 0
    while i < len(ls):
        if ls[i]:
            j = i
            while j + 1 < len(ls) and ls[j + 1]:
                j += 1
            out.append((i, j))
            i = j + 1
        else:
            i += 1
    return out


def direction(ts, vs, ls, i, j, step):
    """'up' if the run's peak rises further above the preceding day's normal level (median of the
    unlabelled points in the 24 h before it, at least the last 30) than its trough falls below."""
    k = max(1, int(86400 / step))
    base = [vs[x] for x in range(max(0, i - k), i) if not ls[x]][-max(30, 2 * (j - i + 1)):]
    b = statistics.median(base) if base else vs[i]
    seg = vs[i:j + 1]
    return "up" if max(seg) - b >= b - min(seg) else "down"


def daily_r(ts, vs):
    """Pearson correlation of each value with the value 24 h later (same timestamp + 86400 s)."""
    at = dict(zip(ts, vs))
    pairs = [(v, at[t + 86400]) for t, v in at.items() if t + 86400 in at]
    try:
        return f"{statistics.correlation(*zip(*pairs)):.2f}"
    except (statistics.StatisticsError, ValueError):
        return "-"


def stats():
    print("| file | rows | spacing (median) | days | median value | daily cycle r(24 h) | anomaly windows "
          "| share labelled | up / down windows | irregularities |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for source, sid, *_ in SERIES:
        name = out_name(source, sid)
        ts, vs, ls = load_fixture(os.path.join(HERE, name))
        d = [b - a for a, b in zip(ts, ts[1:])]
        step = statistics.median(d)
        rs = runs(ls)
        dirs = [direction(ts, vs, ls, i, j, step) for i, j in rs]
        irr = []
        gaps = sum(1 for x in d if x > step)
        if gaps:
            irr.append(f"{gaps} gaps (max {max(d) // 60} min)")
        dup = sum(1 for x in d if x == 0)
        if dup:
            irr.append(f"{dup} duplicate timestamps")
        odd = sum(1 for x in d if 0 < x < step)
        if odd:
            irr.append(f"{odd} short steps")
        sp = f"{int(step) // 60} min" if step < 3600 else f"{int(step) // 3600} h"
        print(f"| {name} | {len(ts)} | {sp} | {(ts[-1] - ts[0]) / 86400:.1f} | {statistics.median(vs):g} | "
              f"{daily_r(ts, vs)} | {len(rs)} | "
              f"{100 * sum(ls) / len(ls):.2f} % | {dirs.count('up')} / {dirs.count('down')} | {'; '.join(irr) or '-'} |")


def check():
    bad = 0
    names = {out_name(s, i) for s, i, *_ in SERIES}
    present = {n for n in os.listdir(HERE) if n.endswith(".csv")}
    for n in sorted(names | present):
        try:
            assert n in names, f"{n}: not in SERIES"
            assert n in present, f"{n}: missing"
            ts, _, _ = load_fixture(os.path.join(HERE, n))
            assert ts, f"{n}: empty"
        except AssertionError as e:
            bad += 1
            print("FAIL", e)
    print(f"{len(names)} series checked, {bad} problems")
    return bad == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mscloudmon", help="checkout of github.com/microsoft/cloud-monitoring-dataset")
    ap.add_argument("--aiops18", help="phase2_train.csv, phase2_train.csv.zip, or a dir of per-KPI <KPI ID>.csv")
    ap.add_argument("--out", default=HERE)
    ap.add_argument("--check", action="store_true", help="validate the fixtures in this directory")
    ap.add_argument("--stats", action="store_true", help="print the README table")
    a = ap.parse_args()
    if a.check:
        sys.exit(0 if check() else 1)
    if a.stats:
        stats()
        return
    if not (a.mscloudmon or a.aiops18):
        ap.error("give --mscloudmon and/or --aiops18 (or --check / --stats)")
    derive(a)


if __name__ == "__main__":
    main()
