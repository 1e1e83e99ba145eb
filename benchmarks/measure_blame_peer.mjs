// Measure a peer on the same sentences as benchmarks/measure_blame.py: alex (npm), the
// "catch insensitive, inconsiderate writing" linter built on retext-equality and
// retext-profanities. Run it with alex installed next to the data, outside the repository:
//
//     (cd DATA/peers && npm install alex@11)
//     node benchmarks/measure_blame_peer.mjs DATA [--test]
//
// The old TEST set, TEST2, TEST3 and TEST4 (new_*_test.tsv, new_*_test2.tsv … new_*_test4.tsv)
// TRAIN5 and TRAIN6 (train5_*.tsv, train6_*.tsv) are reported as development data; --test adds
// the held-out TEST5 (sealed/new_*_test5.tsv) and TEST6 (sealed6/new_*_test6.tsv) and the two
// pooled, as in measure_blame.py (no sentence is printed).
//
// A sentence counts as flagged when alex reports any message on it; recall and precision
// are computed as for PM501 (blame-laden sentences found; flagged non-blaming sentences).
import {readFileSync, existsSync} from 'node:fs'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

const data = process.argv[2]
const withTest = process.argv.includes('--test')
const {text} = await import(pathToFileURL(join(data, 'peers/node_modules/alex/index.js')).href)

function sentences(name) {
  const path = join(data, name)
  if (!existsSync(path)) return []
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => l.split('\t')[0].trim())
}

function flagged(sentence) {
  return text(sentence).messages.map((m) => m.ruleId || m.source)
}

const parts = [['tuned-on (blame_sentences.tsv + held-out)', ['blame_sentences.tsv', 'blame_sentences_heldout.tsv'], []],
  ['new dev', ['new_blame_dev.tsv'], ['new_clean_dev.tsv']],
  ['old TEST (now dev)', ['new_blame_test.tsv'], ['new_clean_test.tsv']],
  ['TEST2 (now dev)', ['new_blame_test2.tsv'], ['new_clean_test2.tsv']],
  ['TEST3 (now dev)', ['new_blame_test3.tsv'], ['new_clean_test3.tsv']],
  ['TEST4 (now dev)', ['new_blame_test4.tsv'], ['new_clean_test4.tsv']],
  ['TRAIN5', ['train5_blame.tsv'], ['train5_clean.tsv']],
  ['TRAIN6', ['train6_blame.tsv'], ['train6_clean.tsv']]]
if (withTest) {
  parts.push(['TEST5', ['sealed/new_blame_test5.tsv'], ['sealed/new_clean_test5.tsv']])
  parts.push(['TEST6', ['sealed6/new_blame_test6.tsv'], ['sealed6/new_clean_test6.tsv']])
  parts.push(['TEST5 and TEST6 pooled', ['sealed/new_blame_test5.tsv', 'sealed6/new_blame_test6.tsv'],
    ['sealed/new_clean_test5.tsv', 'sealed6/new_clean_test6.tsv']])
}
for (const [name, blamed, clean] of parts) {
  const b = blamed.flatMap(sentences)
  const c = clean.flatMap(sentences)
  const hit = b.filter((s) => flagged(s).length)
  const falses = c.filter((s) => flagged(s).length)
  const rules = {}
  for (const s of [...b, ...c]) for (const r of flagged(s)) rules[r] = (rules[r] || 0) + 1
  const precision = hit.length + falses.length ? hit.length / (hit.length + falses.length) : 1
  console.log(`alex, ${name}: ${hit.length} of ${b.length} blame-laden sentences flagged, recall ` +
    `${(100 * hit.length / Math.max(1, b.length)).toFixed(1)}%; ${falses.length} of ${c.length} ` +
    `non-blaming sentences flagged; precision ${(100 * precision).toFixed(1)}%; rules: ${JSON.stringify(rules)}`)
}
