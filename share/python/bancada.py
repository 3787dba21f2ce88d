# SPDX-License-Identifier: MIT
"""bancada's Python helper: log metrics and params from a script run by `bancada run`.

    import bancada
    bancada.params({"lr": 0.01, "model": {"depth": 4}})
    bancada.log({"loss": 0.3, "acc": 0.91}, step=3)

No dependencies, any Python 3. Inside `bancada run` it appends JSON lines to the
run's channel files (BANCADA_METRICS, BANCADA_PARAMS); outside a run it warns
once and does nothing.
"""
import json
import math
import os
import sys
import time
import warnings

__all__ = ["log", "params", "param", "active", "run_id"]
_warned = False


def _warn_once():
    global _warned
    if not _warned:
        _warned = True
        warnings.warn("bancada: not running under `bancada run`; metrics and params are ignored",
                      RuntimeWarning, stacklevel=3)


def active():
    """True inside a run started by `bancada run`."""
    return bool(os.environ.get("BANCADA_METRICS"))


def run_id():
    """The id of the current run, or None."""
    return os.environ.get("BANCADA_RUN_ID")


def _number(v):
    # numpy scalars, torch 0-d tensors and the like
    if hasattr(v, "item"):
        try:
            v = v.item()
        except Exception:
            pass
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        return v
    return None


def _append(path, obj):
    line = json.dumps(obj, allow_nan=True, separators=(",", ":"), default=str) + "\n"
    data = line.encode("utf-8", "surrogateescape")
    # one write with O_APPEND keeps lines whole even with other writers
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def log(metrics, step=None):
    """Log numeric metrics, e.g. log({"loss": 0.25}, step=3). Non-numbers are skipped."""
    path = os.environ.get("BANCADA_METRICS")
    if not path:
        _warn_once()
        return
    obj = {}
    if step is not None:
        obj["step"] = int(step)
    for k, v in dict(metrics).items():
        n = _number(v)
        if n is not None and str(k) != "step":
            obj[str(k)] = n
    obj["_wall_ms"] = int(time.time() * 1000)
    _append(path, obj)


def params(values):
    """Record params (nested dicts are flattened with dots by bancada)."""
    path = os.environ.get("BANCADA_PARAMS")
    if not path:
        _warn_once()
        return
    _append(path, dict(values))


def param(key, value):
    """Record one param."""
    params({key: value})


if __name__ == "__main__":
    # `python3 bancada.py KEY=VALUE...` logs metrics, like `bancada log`.
    out = {}
    for a in sys.argv[1:]:
        k, _, v = a.partition("=")
        try:
            out[k] = float(v)
        except ValueError:
            sys.exit("bancada.py: %s is not KEY=NUMBER" % a)
    log(out)
