"""Measure PM501 (blame-laden wording) on real text: recall and precision.

    .venv/bin/python benchmarks/measure_blame.py DATA [--verbose] [--test]

(`PYTHONPATH=/work/main/tooling` before the command measures another tree's PM501, e.g.
main's, with this script.)

DATA is a folder kept outside the repository (see BENCHMARKS.md for how it was built):

- `blame_sentences.tsv`: real blame-laden sentences, one a line: `sentence<TAB>source`.
  Each is checked on its own, as a paragraph of a post-mortem; recall is the share found.
  `blame_sentences_heldout.tsv` (optional, same form): sentences collected after the rules
  were tuned, reported on their own.
- `new_blame_dev.tsv`, `new_clean_dev.tsv` (optional, same form): a larger set of real
  blame-laden and real non-blaming sentences, the part the rules were generalised on;
  `new_blame_test.tsv`, `new_clean_test.tsv`: a random third of the same collection, split
  off before any rule changed and measured once (2026-11-29, first session); since then
  part of the development data, reported as "old TEST". `new_*_test2.tsv` ("TEST2"),
  `new_*_test3.tsv` ("TEST3") and `new_*_test4.tsv` ("TEST4"): held-out sets of the
  second, third and fourth sessions, each measured once and since then development data
  (and training data of the learned second opinion tried in the fifth session, not
  shipped: see BENCHMARKS.md). `train5_blame.tsv`, `train5_clean.tsv` ("TRAIN5"):
  post-mortem-genre training data of the fifth session; `train6_blame.tsv`,
  `train6_clean.tsv` ("TRAIN6"), the sixth session's. `sealed/new_*_test5.tsv` ("TEST5")
  and `sealed6/new_*_test6.tsv` ("TEST6"): the fifth and sixth sessions' held-out sets,
  reported only with `--test`, with their pooled figure; no sentence of theirs is ever
  printed, not even with `--verbose`.
  On each part, precision is the share of flagged sentences that are blame-laden.
- `postmortems/*.md`, `guides/*.md`: published post-mortems and blameless-writing guides,
  each checked whole, as the body of a post-mortem. Every PM501 finding there is looked up
  in `judgements.tsv` (`file<TAB>line<TAB>blame|not-blame<TAB>note`), written by a person
  who read the sentence; a finding nobody judged counts as wrong.

Precision is the share of findings that are correct: on the sentences (all blame) and the
judged findings in the published text, and on the published text alone.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from postmortem_kb.core.config import Config
from postmortem_kb.core.model import Finding
from postmortem_kb.core.parse import parse_text
from postmortem_kb.core.rules import check_postmortem

HEAD = (
    "---\nid: PM-2026-001\ntitle: Measured text\ntype: other\nseverity: SEV3\n"
    "status: draft\nvisibility: internal\nowner: Measurement\n"
    "occurred_at: 2026-01-01T00:00:00Z\ndetected_at: 2026-01-01T00:00:00Z\n---\n\n"
)
HEAD_LINES = HEAD.count("\n")


def strip_front_matter(text: str) -> str:
    """A file's own front matter (Jekyll, Zola, MkDocs) becomes blank lines, so that line
    numbers stay those of the file."""
    for fence in ("---", "+++"):
        if text.startswith(fence + "\n"):
            end = text.find("\n" + fence, len(fence))
            if end > 0:
                return (
                    "\n" * text.count("\n", 0, end + len(fence) + 1) + text[end + len(fence) + 1 :]
                )
    return text


def blame_findings(body: str, config: Config) -> list[Finding]:
    pm = parse_text("postmortems/2026/PM-2026-001-measure.md", HEAD + body)
    return [f for f in check_postmortem(pm, config, None) if f.rule == "PM501"]


def read_sentences(path: Path) -> list[tuple[str, str]]:
    sentences = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.strip() and not raw.startswith("#"):
            sentence, _, source = raw.partition("\t")
            sentences.append((sentence.strip(), source.strip()))
    return sentences


def recall(
    sentences: list[tuple[str, str]], config: Config
) -> tuple[int, int, list[tuple[str, str]]]:
    """How many SENTENCES have a finding, how many findings in all, and the misses."""
    found = findings = 0
    misses = []
    for sentence, source in sentences:
        hits = blame_findings(sentence + "\n", config)
        findings += len(hits)
        if hits:
            found += 1
        else:
            misses.append((sentence, source))
    return found, findings, misses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument(
        "--test",
        action="store_true",
        help="also report the held-out TEST5 and TEST6 (sealed/new_*_test5.tsv, "
        "sealed6/new_*_test6.tsv) and the two pooled",
    )
    args = parser.parse_args()
    data: Path = args.data
    config = Config(root=data, select=("PM501",))

    sentences = read_sentences(data / "blame_sentences.tsv")
    found, sentence_findings, misses = recall(sentences, config)
    heldout_file = data / "blame_sentences_heldout.tsv"
    heldout = read_sentences(heldout_file) if heldout_file.exists() else []
    held_found, held_findings, held_misses = recall(heldout, config)

    judgements: dict[tuple[str, int], str] = {}
    judged_file = data / "judgements.tsv"
    if judged_file.exists():
        for raw in judged_file.read_text(encoding="utf-8").splitlines():
            if raw.strip() and not raw.startswith("#"):
                name, line, verdict, *_ = raw.split("\t")
                judgements[(name, int(line))] = verdict.strip()
    correct = wrong = unjudged = 0
    files = sorted((data / "postmortems").glob("*.md")) + sorted((data / "guides").glob("*.md"))
    words = 0
    report = []
    for path in files:
        text = strip_front_matter(path.read_text(encoding="utf-8"))
        words += len(text.split())
        name = f"{path.parent.name}/{path.name}"
        for finding in blame_findings(text, config):
            line = finding.line - HEAD_LINES
            verdict = judgements.get((name, line))
            if verdict == "blame":
                correct += 1
            elif verdict == "not-blame":
                wrong += 1
            else:
                unjudged += 1
            source_line = text.split("\n")[line - 1].strip()
            report.append(
                f"  {verdict or 'UNJUDGED':9} {name}:{line}: {source_line[:110]}\n"
                f"            {finding.message[:140]}"
            )

    sentence_findings += held_findings
    total = sentence_findings + correct + wrong + unjudged
    precision = (sentence_findings + correct) / total if total else 1.0
    corpus_total = correct + wrong + unjudged
    print(
        f"blame-laden sentences: {found} of {len(sentences)} found, recall "
        f"{found / max(1, len(sentences)):.1%}"
    )
    if heldout:
        print(
            f"held-out blame-laden sentences: {held_found} of {len(heldout)} found, recall "
            f"{held_found / len(heldout):.1%}; all together "
            f"{(found + held_found) / (len(sentences) + len(heldout)):.1%}"
        )
    print(
        f"published text: {len(files)} files, {words} words, {corpus_total} findings "
        f"({correct} correct, {wrong} wrong, {unjudged} unjudged)"
    )
    print(
        f"precision on every finding: {sentence_findings + correct} of {total} correct, "
        f"{precision:.1%}"
    )
    if corpus_total:
        print(
            f"precision on the published text alone: {correct} of {corpus_total}, "
            f"{correct / corpus_total:.1%}"
        )
    parts = [
        ("dev", "new_blame_dev.tsv", "new_clean_dev.tsv"),
        ("old TEST (now dev)", "new_blame_test.tsv", "new_clean_test.tsv"),
        ("TEST2 (now dev)", "new_blame_test2.tsv", "new_clean_test2.tsv"),
        ("TEST3 (now dev)", "new_blame_test3.tsv", "new_clean_test3.tsv"),
        ("TEST4 (now dev)", "new_blame_test4.tsv", "new_clean_test4.tsv"),
        ("TRAIN5", "train5_blame.tsv", "train5_clean.tsv"),
        ("TRAIN6", "train6_blame.tsv", "train6_clean.tsv"),
    ]
    held_out = ("TEST5", "TEST6")
    if args.test:
        parts.append(("TEST5", "sealed/new_blame_test5.tsv", "sealed/new_clean_test5.tsv"))
        parts.append(("TEST6", "sealed6/new_blame_test6.tsv", "sealed6/new_clean_test6.tsv"))
    pooled = [0, 0, 0, 0]  # found, blame-laden, flagged ordinary, ordinary
    flagged_clean: list[tuple[str, str, str]] = []
    new_misses: list[tuple[str, str]] = []
    for name, blamed_file, clean_file in parts:
        if not (data / blamed_file).exists():
            continue
        blamed = read_sentences(data / blamed_file)
        clean = read_sentences(data / clean_file)
        hit, _, missed = recall(blamed, config)
        false = []
        for sentence, source in clean:
            found_here = blame_findings(sentence + "\n", config)
            if found_here:
                false.append((sentence, source, found_here[0].message[:100]))
        share = hit / (hit + len(false)) if hit + len(false) else 1.0
        print(
            f"new {name} set: {hit} of {len(blamed)} blame-laden sentences found, recall "
            f"{hit / max(1, len(blamed)):.1%}; {len(false)} of {len(clean)} non-blaming "
            f"sentences flagged; precision {hit} of {hit + len(false)}, {share:.1%}"
        )
        if name in held_out:
            pooled[0] += hit
            pooled[1] += len(blamed)
            pooled[2] += len(false)
            pooled[3] += len(clean)
        else:
            flagged_clean += false
            new_misses += missed
    if pooled[1]:
        hit, blamed_count, false_count, clean_count = pooled
        share = hit / (hit + false_count) if hit + false_count else 1.0
        print(
            f"TEST5 and TEST6 pooled: {hit} of {blamed_count} blame-laden sentences found, "
            f"recall {hit / blamed_count:.1%}; {false_count} of {clean_count} non-blaming "
            f"sentences flagged; precision {hit} of {hit + false_count}, {share:.1%}"
        )
    if args.verbose:
        print("\nmissed sentences of the new dev set, the old TEST, TEST2-4, TRAIN5 and TRAIN6:")
        for sentence, source in new_misses:
            print(f"  {sentence}    [{source}]")
        print(
            "\nflagged non-blaming sentences of the new dev set, the old TEST, TEST2-4, "
            "TRAIN5 and TRAIN6:"
        )
        for sentence, source, message in flagged_clean:
            print(f"  {sentence}    [{source}]\n            {message}")
        print("\nmissed sentences:")
        for sentence, source in misses + held_misses:
            print(f"  {sentence}    [{source}]")
        print("\nfindings in the published text:")
        print("\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
