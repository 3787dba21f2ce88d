# SPDX-License-Identifier: MIT
"""confusion: a bancada external plugin (Python 3 standard library only).

Reads the JSON description of the selected runs on stdin (share/plugins.md),
finds each run's confusion matrix and prints it with per-class precision,
recall and F1, using bancada's output markup for colours.

Where the matrix comes from, first match wins:
  1. `confusion.json` in the run directory (.bancada/runs/<id>/, searched two
     levels deep), or a recorded output named confusion*.json:
       {"labels": ["cat", "dog"], "matrix": [[5, 1], [2, 7]]}   rows = true class
     or just the matrix [[5, 1], [2, 7]].
  2. A CSV of predictions in the run directory or among its outputs
     (predictions*.csv, preds*.csv, or any .csv) with columns for the true and
     predicted class: y_true/true/label/actual/target and
     y_pred/pred/prediction/predicted (or exactly two unnamed columns).
"""
import csv
import json
import os
import sys

TRUE_COLS = ("y_true", "true", "label", "actual", "target", "truth")
PRED_COLS = ("y_pred", "pred", "prediction", "predicted", "output")
MAX_CLASSES = 40
MAX_ROWS = 5000000


def esc(text):
    """Escape markup braces in data."""
    return str(text).replace("{", "{{")


def run_files(run, project):
    """Candidate files: the run directory first, then recorded outputs."""
    found = []
    top = run.get("dir") or ""
    if top and os.path.isdir(top):
        for root, dirs, files in os.walk(top):
            depth = root[len(top):].count(os.sep)
            if depth >= 2:
                dirs[:] = []
            for name in sorted(files):
                found.append(os.path.join(root, name))
    for out in run.get("outputs") or []:
        path = out.get("path") if isinstance(out, dict) else None
        if not path:
            continue
        for base in (run.get("cwd") or "", project or ""):
            full = os.path.join(base, path)
            if os.path.isfile(full):
                found.append(full)
                break
    return found


def load_json_matrix(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if isinstance(doc, dict):
        matrix = doc.get("matrix") or doc.get("confusion_matrix")
        labels = doc.get("labels") or doc.get("classes")
    else:
        matrix, labels = doc, None
    if not isinstance(matrix, list) or not matrix or not all(isinstance(r, list) for r in matrix):
        raise ValueError("no matrix (a list of rows) in %s" % path)
    n = len(matrix)
    if any(len(r) != n for r in matrix):
        raise ValueError("matrix in %s is not square" % path)
    rows = [[int(v) for v in r] for r in matrix]
    if not labels or len(labels) != n:
        labels = [str(i) for i in range(n)]
    return [str(label) for label in labels], rows


def load_csv_matrix(path):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise ValueError("%s is empty" % path)
        lower = [h.strip().lower() for h in header]
        ti = next((lower.index(c) for c in TRUE_COLS if c in lower), None)
        pi = next((lower.index(c) for c in PRED_COLS if c in lower), None)
        pairs = []
        if ti is None or pi is None:
            if len(header) != 2:
                raise ValueError("%s: no y_true/y_pred columns" % path)
            ti, pi = 0, 1
            pairs.append((header[0].strip(), header[1].strip()))
        for i, row in enumerate(reader):
            if i >= MAX_ROWS:
                break
            if len(row) > max(ti, pi):
                pairs.append((row[ti].strip(), row[pi].strip()))
    labels = sorted({t for t, _ in pairs} | {p for _, p in pairs}, key=sort_key)
    if len(labels) > MAX_CLASSES:
        raise ValueError("%s has %d classes (at most %d shown)" % (path, len(labels), MAX_CLASSES))
    index = {label: i for i, label in enumerate(labels)}
    rows = [[0] * len(labels) for _ in labels]
    for t, p in pairs:
        rows[index[t]][index[p]] += 1
    return labels, rows


def sort_key(label):
    try:
        return (0, float(label), label)
    except ValueError:
        return (1, 0.0, label)


def find_matrix(run, project):
    files = run_files(run, project)
    jsons = [f for f in files if os.path.basename(f).startswith("confusion") and f.endswith(".json")]
    csvs = [f for f in files if f.endswith(".csv")]
    csvs.sort(key=lambda f: (not os.path.basename(f).startswith(("pred", "preds")), f))
    errors = []
    for path in jsons + csvs:
        try:
            loader = load_json_matrix if path.endswith(".json") else load_csv_matrix
            labels, rows = loader(path)
            return path, labels, rows, errors
        except (ValueError, OSError, UnicodeDecodeError, TypeError) as e:
            errors.append(str(e))
    return None, None, None, errors


def show(run, project, width):
    name = run.get("name") or run.get("id", "?")[:12]
    print("{b}%s{/}  {dim}%s{/}" % (esc(name), esc(run.get("id", "")[:12])))
    path, labels, rows, errors = find_matrix(run, project)
    if path is None:
        print("  {yellow}no confusion.json or predictions CSV for this run{/}")
        for e in errors[:3]:
            print("  {dim}%s{/}" % esc(e))
        return 1
    print("{dim}%s{/}" % esc(os.path.relpath(path, project) if project else path))
    n = len(labels)
    total = sum(map(sum, rows))
    cell = max(5, max(len(str(v)) for r in rows for v in r) + 1)
    lw = max(min(max(len(label) for label in labels), 16), len("true \\ pred"))
    room = max(1, (width - lw - 4) // cell)
    shown = min(n, room)
    short = [label[:cell - 1] for label in labels]
    print()
    print("%s  %s" % ("true \\ pred".ljust(lw)[:lw], "".join(esc(s).rjust(cell + s.count("{")) for s in short[:shown])))
    peak = max((v for i, r in enumerate(rows) for j, v in enumerate(r) if i != j), default=0)
    for i in range(n):
        line = [esc(labels[i][:lw]).ljust(lw + labels[i][:lw].count("{")), "  "]
        for j in range(shown):
            v = rows[i][j]
            text = str(v).rjust(cell)
            if i == j:
                line.append("{green}{b}%s{/}" % text)
            elif v and peak and v >= peak / 2:
                line.append("{red}%s{/}" % text)
            elif v:
                line.append("{yellow}%s{/}" % text)
            else:
                line.append("{dim}%s{/}" % text)
        print("".join(line))
    if shown < n:
        print("{dim}(%d more columns: widen the terminal){/}" % (n - shown))
    print()
    print("{b}%s  %9s  %9s  %9s  %8s{/}" % ("class".ljust(lw), "precision", "recall", "f1", "support"))
    correct = 0
    for i in range(n):
        tp = rows[i][i]
        correct += tp
        support = sum(rows[i])
        predicted = sum(rows[k][i] for k in range(n))
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        color = "green" if f1 >= 0.9 else "yellow" if f1 >= 0.6 else "red"
        print("%s  %9.3f  %9.3f  {%s}%9.3f{/}  %8d" % (esc(labels[i][:lw]).ljust(lw + labels[i][:lw].count("{")),
                                                       precision, recall, color, f1, support))
    accuracy = correct / total if total else 0.0
    print("{b}accuracy{/} %.4f  (%d of %d)" % (accuracy, correct, total))
    return 0


def main():
    try:
        doc = json.load(sys.stdin)
    except ValueError as e:
        print("confusion: cannot parse the run description on stdin: %s" % e, file=sys.stderr)
        return 2
    runs = doc.get("runs") or []
    if not runs:
        print("{yellow}no run selected{/}")
        return 0
    width = int(os.environ.get("COLUMNS", "80") or 80)
    missing = 0
    for k, run in enumerate(runs):
        if k:
            print()
        missing += show(run, doc.get("project") or "", width)
    if missing == len(runs):
        print("confusion: none of the selected runs has a confusion matrix", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
