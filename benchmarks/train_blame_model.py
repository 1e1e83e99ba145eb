"""Train PM501's second opinion (core/blame_model.py) on real labelled sentences, offline.

    /tmp/blame-ml/bin/python benchmarks/train_blame_model.py DATA [--cv] [--write]

Needs scikit-learn, which the package does not depend on: run it from a throwaway virtual
environment (`python3 -m venv /tmp/blame-ml && /tmp/blame-ml/bin/pip install scikit-learn`)
with this checkout importable (the script puts `tooling/` on the path). DATA is the
measuring folder of benchmarks/measure_blame.py (kept outside the repository). Training
data: every labelled part except the held-out TEST4 (`new_*_test4.tsv`, never read here),
the sentences of the published post-mortems and guides (negative, except the lines judged
blame in `judgements.tsv`, which are positive), and the sentences of the repository's own
sample post-mortems (negative).

`--cv` reports, on out-of-fold predictions (5 folds grouped by source site, so that no
site is in both the training and the scoring part), the recall and precision of the
patterns alone, the model alone, and the two ways of combining them, over thresholds; and
the same once more with TEST3 held out whole. `--write` fits on everything and writes
`tooling/postmortem_kb/core/blame_model.json` with the threshold given by `--threshold`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tooling"))
sys.path.insert(0, str(HERE))

from measure_blame import (  # noqa: E402
    blame_findings,
    read_sentences,
    strip_front_matter,
)

from postmortem_kb.core import blame, blame_model  # noqa: E402
from postmortem_kb.core.config import Config  # noqa: E402

PARTS = [
    ("first", "blame_sentences.tsv", None),
    ("first-heldout", "blame_sentences_heldout.tsv", None),
    ("dev", "new_blame_dev.tsv", "new_clean_dev.tsv"),
    ("old-test", "new_blame_test.tsv", "new_clean_test.tsv"),
    ("test2", "new_blame_test2.tsv", "new_clean_test2.tsv"),
    ("test3", "new_blame_test3.tsv", "new_clean_test3.tsv"),
    ("test4", "new_blame_test4.tsv", "new_clean_test4.tsv"),
    ("train5", "train5_blame.tsv", "train5_clean.tsv"),
]
# parts the patterns of core/blame.py were never tuned on (measured once each, or written
# after the last change of a pattern): the honest place to judge patterns + model
UNSEEN_BY_PATTERNS = ("test3", "test4", "train5")
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)


def group_of(source: str) -> str:
    """The site a sentence came from (a GitHub repository counts as a site)."""
    match = re.search(r"https?://\S+", source)
    if not match:
        return source.split()[0] if source else "?"
    url = urlparse(match.group(0))
    host = url.netloc.lower().removeprefix("www.")
    if host == "github.com":
        return host + "/" + "/".join(url.path.strip("/").split("/")[:2])
    return host


def file_sentences(path: Path, name: str, judged: dict[tuple[str, int], str]):
    text = _FENCE.sub(
        lambda m: "\n" * m.group(0).count("\n"),
        strip_front_matter(path.read_text(encoding="utf-8")),
    )
    starts = [0, *(m.end() for m in re.finditer("\n", text))]
    begin = 0
    for match in [*blame._SENTENCE_BREAK.finditer(text), None]:
        end = match.start() if match else len(text)
        chunk = text[begin:end]
        sentence = " ".join(chunk.split()).strip("#>*-| ")
        if len(sentence.split()) >= 4:
            first = begin + len(chunk) - len(chunk.lstrip())
            line = max(i for i, s in enumerate(starts) if s <= first) + 1
            last = line + chunk.strip().count("\n")
            verdict = next(
                (judged[(name, n)] for n in range(line, last + 1) if (name, n) in judged), None
            )
            yield sentence, verdict == "blame"
        begin = match.end() if match else len(text)


def load(data: Path, skip: set[str] = frozenset()):
    """(sentence, label, group, part) for every training sentence."""
    rows = []
    for part, blamed, clean in PARTS:
        if part in skip:
            continue
        for name, label in ((blamed, 1), (clean, 0)):
            if name and (data / name).exists():
                for sentence, source in read_sentences(data / name):
                    rows.append((sentence, label, group_of(source), part))
    judged = {}
    for raw in (data / "judgements.tsv").read_text(encoding="utf-8").splitlines():
        if raw.strip() and not raw.startswith("#"):
            name, line, verdict, *_ = raw.split("\t")
            judged[(name, int(line))] = verdict.strip()
    for folder in ("postmortems", "guides"):
        for path in sorted((data / folder).glob("*.md")):
            name = f"{folder}/{path.name}"
            group = "published:" + path.name.split("-")[0]
            for sentence, is_blame in file_sentences(path, name, judged):
                rows.append((sentence, int(is_blame), group, "published"))
    for path in sorted((REPO / "postmortems").rglob("*.md")):
        for sentence, _ in file_sentences(path, "", {}):
            rows.append((sentence, 0, "repo-samples", "repo"))
    return rows


def looked_at(sentence: str, config: Config) -> bool:
    """Whether the model would be asked about the sentence: a pattern of core/blame.py
    looked at it (a trigger word's check ran) near someone who could be blamed, and did
    not fire."""
    asked = []
    saved = blame_model.blame_laden

    def spy(text):
        asked.append(text)
        return False

    blame_model.blame_laden = spy
    try:
        blame_findings(
            sentence + "\n", Config(root=config.root, select=("PM501",), blame_model=True)
        )
    finally:
        blame_model.blame_laden = saved
    return bool(asked)


def evaluate(labels, predicted) -> tuple[float, float, int, int]:
    tp = sum(1 for y, p in zip(labels, predicted, strict=True) if y and p)
    fp = sum(1 for y, p in zip(labels, predicted, strict=True) if not y and p)
    pos = sum(labels)
    return tp / max(1, pos), tp / max(1, tp + fp), tp, fp


VETO = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3)
ADD = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 1.01)


def report(title, labels, patterns, probs, called, grid=True):
    looked_blame = sum(c and y for c, y in zip(called, labels, strict=True))
    print(
        f"\n== {title}: {sum(labels)} blame-laden, {len(labels) - sum(labels)} ordinary; "
        f"{sum(called)} asked of the model ({looked_blame} of them blame-laden)"
    )
    r, p, tp, fp = evaluate(labels, patterns)
    print(f"patterns alone: recall {r:.1%} precision {p:.1%} ({tp} found, {fp} false)")
    for t in (0.3, 0.5, 0.7, 0.8, 0.9):
        r, p, tp, fp = evaluate(labels, [q >= t for q in probs])
        print(f"  model alone t={t:.2f}: {r:.1%}/{p:.1%} ({tp} found, {fp} false)")
    if not grid:
        return
    print("  patterns kept where p >= veto, sentences asked added where p >= add:")
    for veto in VETO:
        cells = []
        for add in ADD:
            pred = [
                (a and q >= veto) or (c and q >= add)
                for a, c, q in zip(patterns, called, probs, strict=True)
            ]
            r, p, tp, fp = evaluate(labels, pred)
            cells.append(f"{add:.2f}:{r:.0%}/{p:.0%}")
        print(f"  veto {veto:.2f} " + " ".join(cells))


def vectorize(rows):
    return [blame_model.features(sentence) for sentence, *_ in rows]


def fit(feats, labels, c, min_count=2):
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    counts = Counter(f for fs in feats for f in fs)
    keep = [{f: 1 for f in fs if counts[f] >= min_count} for fs in feats]
    vec = DictVectorizer()
    x = vec.fit_transform(keep)
    clf = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
    clf.fit(x, labels)
    return vec, clf


def predict(vec, clf, feats):
    x = vec.transform([{f: 1 for f in fs} for fs in feats])
    return list(clf.predict_proba(x)[:, 1])


def out_of_fold(rows, feats, labels, c, seed=20261129):
    from sklearn.model_selection import StratifiedGroupKFold

    groups = [g for _, _, g, _ in rows]
    probs = [0.0] * len(rows)
    folds = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed)
    for train, test in folds.split(feats, labels, groups):
        vec, clf = fit([feats[i] for i in train], [labels[i] for i in train], c)
        for i, q in zip(test, predict(vec, clf, [feats[i] for i in test]), strict=True):
            probs[i] = q
    return probs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--cv", action="store_true")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--c", type=float, default=1.0)
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--prune", type=float, default=0.05, help="drop smaller weights")
    parser.add_argument("--dump", type=Path, help="write out-of-fold predictions here")
    args = parser.parse_args()
    config = Config(root=args.data, select=("PM501",))
    rows = load(args.data)
    flags = [bool(blame_findings(s + "\n", config)) for s, *_ in rows]
    labels = [y for _, y, _, _ in rows]
    called = [not f and looked_at(s, config) for (s, *_), f in zip(rows, flags, strict=True)]
    feats = vectorize(rows)
    print(
        f"{len(rows)} sentences: {sum(labels)} blame-laden; "
        + ", ".join(f"{k} {v}" for k, v in Counter(p for *_, p in rows).items())
    )
    if args.cv:
        probs = out_of_fold(rows, feats, labels, args.c)
        report("5-fold cross-validation grouped by site, all data", labels, flags, probs, called)
        for name, keep in (
            ("labelled sentence sets only", lambda r: r[3] not in ("published", "repo")),
            ("parts the patterns were never tuned on: " + ", ".join(UNSEEN_BY_PATTERNS),
             lambda r: r[3] in UNSEEN_BY_PATTERNS),
            *((f"part {p} alone", lambda r, p=p: r[3] == p) for p in UNSEEN_BY_PATTERNS),
        ):
            idx = [i for i, r in enumerate(rows) if keep(r)]
            if idx:
                report(
                    name + " (out-of-fold)",
                    [labels[i] for i in idx],
                    [flags[i] for i in idx],
                    [probs[i] for i in idx],
                    [called[i] for i in idx],
                    grid="never" in name,
                )
        if args.dump:
            with args.dump.open("w", encoding="utf-8") as out:
                for r, y, f, c, q in zip(rows, labels, flags, called, probs, strict=True):
                    out.write(f"{r[3]}\t{y}\t{int(f)}\t{int(c)}\t{q:.3f}\t{r[0]}\n")
    if args.write:
        vec, clf = fit(feats, labels, args.c)
        weights = {
            name: round(float(w), 4)
            for name, w in zip(vec.get_feature_names_out(), clf.coef_[0], strict=True)
            if abs(w) >= args.prune
        }
        out = {
            "about": "PM501's second opinion: logistic regression weights, trained by "
            "benchmarks/train_blame_model.py on real labelled sentences",
            "sentences": len(rows),
            "blame_laden": sum(labels),
            "c": args.c,
            "pruned_below": args.prune,
            "threshold": args.threshold,
            "bias": round(float(clf.intercept_[0]), 4),
            "weights": dict(sorted(weights.items())),
        }
        blame_model.WEIGHTS.write_text(
            json.dumps(out, indent=0, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        print(f"wrote {blame_model.WEIGHTS} ({len(weights)} weights)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
