# SPDX-License-Identifier: MIT
"""A real training script tracked by bancada with zero or minimal code change.

    bancada run -- /usr/bin/python3 share/examples/train_digits.py --alpha 0.0001 --epochs 15

Its --flags become params; `val_acc: 0.93` lines on stdout become metrics; the
optional `import bancada` helper logs per-epoch loss and params as well.
"""
import argparse
import sys

from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split

try:
    import bancada
except ImportError:  # runs fine without bancada too
    bancada = None

p = argparse.ArgumentParser()
p.add_argument("--alpha", type=float, default=1e-4)
p.add_argument("--epochs", type=int, default=10)
p.add_argument("--seed", type=int, default=0)
args = p.parse_args()

X, y = load_digits(return_X_y=True)
X = X / 16.0
Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.25, random_state=args.seed)
clf = SGDClassifier(loss="log_loss", alpha=args.alpha, random_state=args.seed)
if bancada:
    bancada.params({"model": {"kind": "sgd", "loss": "log_loss"}, "n_train": len(ytr)})
for epoch in range(args.epochs):
    clf.partial_fit(Xtr, ytr, classes=list(range(10)))
    acc = accuracy_score(yva, clf.predict(Xva))
    loss = log_loss(yva, clf.predict_proba(Xva), labels=list(range(10)))
    print(f"epoch {epoch} step={epoch} val_acc: {acc:.4f}")
    if bancada:
        bancada.log({"val_loss": loss}, step=epoch)
sys.exit(0 if acc > 0.5 else 1)
