#!/usr/bin/env python3
"""The local-model demo: the demo model alone, then inside warrant.

    python3 examples/local-invoices/demo.py [--build build] [-n 40]

Over the first N invoices of cases.jsonl (written by scripts/model/data.py,
with the right answers in expected.jsonl) it runs

  raw.yaml   the model's greedy answer, as it comes: no schema, no loop;
  flow.yaml  the same model inside warrant: the output schema, checks that
             the vendor, number and due date are quoted from the invoice and
             that the amounts add up, and best_of: 4 candidates;

and prints how many answers were right field by field, what warrant shipped
(right and wrong) and what it held for a person instead. Held runs are
listed in out/review-queue.jsonl beside the workflow: the human-review
route. Only the Python standard library is used; warrant's store is read
with sqlite3 (it is plain SQLite).
"""
import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIELDS = ["vendor", "invoice_no", "due_date", "currency", "subtotal", "tax", "total"]


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def matches(want, got):
    """Per field: right or not (amounts to the cent, the rest exactly)."""
    res = {}
    for k in FIELDS:
        w, g = want[k], got.get(k) if isinstance(got, dict) else None
        if isinstance(w, (int, float)):
            res[k] = isinstance(g, (int, float)) and not isinstance(g, bool) and abs(g - w) < 0.005
        else:
            res[k] = g == w
    return res


class Warrant:
    def __init__(self, exe, store):
        self.exe, self.store = exe, store
        os.makedirs(os.path.dirname(store), exist_ok=True)

    def run(self, flow, text, seed):
        """(exit code, run id) of one run."""
        p = subprocess.run([self.exe, "run", flow, "--store", self.store, "-q",
                            "--seed", str(seed), "--input", "invoice=" + text],
                           capture_output=True, text=True)
        m = re.search(r"^run (\S+):", p.stdout + p.stderr, re.M)
        if not m:
            sys.exit("demo: warrant run %s failed (exit %d): %s" % (flow, p.returncode,
                                                                    (p.stdout + p.stderr).strip()))
        return p.returncode, m.group(1)

    def show(self, run):
        p = subprocess.run([self.exe, "show", run, "--json", "--store", self.store],
                           capture_output=True, text=True, check=True)
        return json.loads(p.stdout)

    def blob(self, digest):
        db = sqlite3.connect("file:%s?mode=ro" % self.store, uri=True)
        try:
            row = db.execute("SELECT bytes FROM blobs WHERE hash = ?", (digest,)).fetchone()
        finally:
            db.close()
        return bytes(row[0]).decode("utf-8", "replace") if row else ""


def parse(text):
    try:
        return json.loads(text)
    except ValueError:
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build", help="the build folder (default build)")
    ap.add_argument("-n", type=int, default=40, help="invoices (default 40)")
    ap.add_argument("--work", help="folder for the demo's stores (default BUILD/demo-local)")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per invoice")
    a = ap.parse_args()

    exe = os.path.join(ROOT, a.build, "warrant")
    model = os.path.join(ROOT, "models", "demo.gguf")
    for need in (exe, model):
        if not os.path.exists(need):
            sys.exit("demo: %s is missing (make; the model is committed)" % need)
    cases = read_jsonl(os.path.join(HERE, "cases.jsonl"))[:a.n]
    expected = {e["name"]: e["expected"] for e in read_jsonl(os.path.join(HERE, "expected.jsonl"))}
    work = a.work or os.path.join(ROOT, a.build, "demo-local")
    for f in ("raw.db", "warrant.db"):
        for ext in ("", "-wal", "-shm"):
            if os.path.exists(os.path.join(work, f + ext)):
                os.remove(os.path.join(work, f + ext))
    out = os.path.join(HERE, "out")
    os.makedirs(out, exist_ok=True)
    for f in ("extracted.jsonl", "review-queue.jsonl"):
        if os.path.exists(os.path.join(out, f)):
            os.remove(os.path.join(out, f))
    raw_w = Warrant(exe, os.path.join(work, "raw.db"))
    flow_w = Warrant(exe, os.path.join(work, "warrant.db"))

    print("warrant demo: a model trained here, inside warrant")
    print("model:  models/demo.gguf (scripts/model/train.py; docs/demo-model.md), on 2 threads")
    print("task:   %d invoices -> 7 fields as JSON (examples/local-invoices)" % len(cases))
    print()
    t0 = time.time()
    raw_fields = raw_docs = raw_bad = 0
    per_field = dict.fromkeys(FIELDS, 0)
    shipped_right = shipped_wrong = held = held_wrong = first_right = 0
    candidates = 0
    queue = []
    if a.verbose:
        print("%-8s %-5s %-9s %-10s %s" % ("INVOICE", "RAW", "WARRANT", "CANDIDATES", "WHY"))
    for i, c in enumerate(cases):
        text, want = c["inputs"]["invoice"], expected[c["name"]]
        _, rid = raw_w.run(os.path.join(HERE, "raw.yaml"), text, i + 1)
        rj = raw_w.show(rid)
        got = parse(raw_w.blob(rj["steps"][0]["artifact"])) if rj["steps"][0]["artifact"] else None
        m = matches(want, got)
        raw_fields += sum(m.values())
        for k, v in m.items():
            per_field[k] += v
        raw_docs += all(m.values())
        raw_bad += got is None

        code, fid = flow_w.run(os.path.join(HERE, "flow.yaml"), text, i + 1)
        fj = flow_w.show(fid)
        atts = fj.get("attempts", [])
        candidates += len(atts)
        if atts:
            first_right += all(matches(want, parse(flow_w.blob(atts[0]["artifact"]))).values())
        if code == 0:
            kept = parse(flow_w.blob(fj["steps"][0]["artifact"]))
            ok = all(matches(want, kept).values())
            shipped_right += ok
            shipped_wrong += not ok
            outcome, why = "shipped", "right" if ok else "WRONG: " + ", ".join(
                k for k, v in matches(want, kept).items() if not v)
        else:
            held += 1
            last = parse(flow_w.blob(atts[-1]["artifact"])) if atts else None
            wrong = not all(matches(want, last).values())
            held_wrong += wrong
            outcome, why = "held", "%s: %s" % (fj.get("failure"), fj.get("message", "")[:60])
            queue.append({"invoice": c["name"], "run": fid, "failure": fj.get("failure"),
                          "message": fj.get("message", ""), "last_candidate_wrong": wrong})
        if a.verbose:
            print("%-8s %-5s %-9s %-10d %s" % (c["name"], "%d/7" % sum(m.values()), outcome,
                                              len(atts), why))
    with open(os.path.join(out, "review-queue.jsonl"), "w", encoding="utf-8") as f:
        for q in queue:
            f.write(json.dumps(q) + "\n")

    n = len(cases)
    pct = lambda x, d: 100.0 * x / d if d else 0.0
    if a.verbose:
        print()
    print("raw model (greedy, no checks):  %2d/%d invoices entirely right (%.0f%%), "
          "field accuracy %.1f%%, %d not JSON" % (raw_docs, n, pct(raw_docs, n),
                                                  pct(raw_fields, 7 * n), raw_bad))
    print("  by field: " + ", ".join("%s %d/%d" % (k, per_field[k], n) for k in FIELDS))
    print("warrant (schema + checks + best_of 4, %d candidates drawn):" % candidates)
    print("  shipped  %2d: %d right, %d wrong%s"
          % (shipped_right + shipped_wrong, shipped_right, shipped_wrong,
             "  (%.0f%% of what shipped was right)" % pct(shipped_right, shipped_right + shipped_wrong)
             if shipped_right + shipped_wrong else ""))
    print("  held for human review %2d: %d of them wrong, so not shipped wrong "
          "(out/review-queue.jsonl)" % (held, held_wrong))
    if queue:
        classes = {}
        for q in queue:
            classes[q["failure"]] = classes.get(q["failure"], 0) + 1
        print("  held by: " + ", ".join("%s %d" % kv for kv in sorted(classes.items())))
    print("  first candidate alone: %d/%d right" % (first_right, n))
    print()
    print("%d invoices in %.1f s. Shipped records: examples/local-invoices/out/extracted.jsonl"
          % (n, time.time() - t0))
    short = lambda p: os.path.relpath(p) if not os.path.relpath(p).startswith("..") else p
    print("try:  %s show last --store %s" % (short(exe), short(flow_w.store)))


if __name__ == "__main__":
    main()
