// SDG suggestions in the browser (#18): the algorithm of board/domain/suggest.py, step for step,
// over the same data file (sdg-keywords.json, served next to js/ under the versioned prefix). The
// wall suggests as a participant types without asking the server; POST /api/sdgs/suggest gives
// the same answer, which tests/test_pages_suggest.py checks on every note of the tune set and a
// list of odd texts. Python's module docstring explains the method; change both or neither.

const WORD = /[0-9a-z\u00df-\u00f6\u00f8-\u00ff]+/g;
const NB_LETTERS = /[æøå]/;
const LANGS = ["nb", "en"];

/** The text's words in order: NFC, lower case, runs of the letters WORD allows. */
export function wordsOf(text) {
  return text.normalize("NFC").toLowerCase().match(WORD) || [];
}

function newLexicon() {
  return {
    exact: new Map(), // form -> Set of patterns
    parts: new Map(), // form -> Set of compound patterns
    partLengths: new Map(), // first 3 letters -> sorted lengths
    prefixes: new Map(), // start -> Set of patterns
    prefixLengths: [],
    prefixStarts: new Set(),
    starting: new Map(), // pattern -> terms it begins
    patterns: new Map(), // "kind word" -> id
  };
}

function addTo(map, key, value) {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

/** The forms a keyword word matches: itself, and each of its bases with each ending. */
export function inflections(word, lang, rules) {
  const endings = (word.length < rules.short_word ? rules.short_endings : rules.endings)[lang];
  const bases = [word];
  if (word.endsWith("e") && word.length >= rules.min_drop_e) bases.push(word.slice(0, -1));
  if (lang === "en" && word.length >= 4 && word.endsWith("y") && !"aeiou".includes(word[word.length - 2])) {
    bases.push(`${word.slice(0, -1)}i`);
  }
  const forms = [word];
  for (const base of bases) for (const ending of endings) forms.push(base + ending);
  return [...new Set(forms)];
}

function patternOf(lexicon, lang, kind, word, rules) {
  const key = `${kind} ${word}`;
  if (lexicon.patterns.has(key)) return lexicon.patterns.get(key);
  // Ids apart per language, so that a term's words never mix the two lexicons.
  const pattern = lexicon.patterns.size + (lang === "nb" ? 0 : 1_000_000);
  lexicon.patterns.set(key, pattern);
  if (kind === "prefix") {
    addTo(lexicon.prefixes, word, pattern);
    return pattern;
  }
  for (const form of inflections(word, lang, rules)) {
    addTo(lexicon.exact, form, pattern);
    if (kind === "part") addTo(lexicon.parts, form, pattern);
  }
  return pattern;
}

function chunkPatterns(lexicon, lang, chunk, rules, keyword) {
  let kind = "";
  if (chunk.endsWith("*")) [kind, chunk] = ["prefix", chunk.slice(0, -1)];
  else if (chunk.startsWith("=")) [kind, chunk] = ["exact", chunk.slice(1)];
  else if (chunk.startsWith("*")) [kind, chunk] = ["part", chunk.slice(1)];
  const words = wordsOf(chunk);
  if (kind && (words.length !== 1 || (kind !== "exact" && words[0].length < 3))) {
    throw new Error(`keyword ${keyword}: * needs one word of 3 letters or more, = one word`);
  }
  return words.map((word) => patternOf(lexicon, lang, kind || (lang === "nb" && word.length >= rules.min_compound ? "part" : "exact"), word, rules));
}

function addTerms(compiled, goal, target, entry) {
  for (const lang of LANGS) {
    const lexicon = compiled.lexicons[lang];
    for (const keyword of entry[lang] || []) {
      const caret = keyword.indexOf("^");
      const text = caret < 0 ? keyword : keyword.slice(0, caret);
      const patterns = [];
      for (const chunk of text.split(" ")) patterns.push(...chunkPatterns(lexicon, lang, chunk, compiled.rules, keyword));
      const weight = caret < 0 ? compiled.rules[patterns.length > 1 ? "weight_phrase" : "weight_word"] : Number.parseInt(keyword.slice(caret + 1), 10);
      if (patterns.length === 0 || !(weight >= 1)) throw new Error(`keyword ${keyword} of goal ${goal}: no words, or weight < 1`);
      const starting = lexicon.starting.get(patterns[0]) || [];
      starting.push(compiled.terms.length);
      lexicon.starting.set(patterns[0], starting);
      compiled.terms.push({ goal, target, weight, words: patterns });
    }
  }
}

/** Index every keyword of the data file's JSON for matching. */
export function compile(data) {
  const compiled = {
    rules: data.rules,
    stopwords: { nb: new Set(data.stopwords.nb), en: new Set(data.stopwords.en) },
    lexicons: { nb: newLexicon(), en: newLexicon() },
    terms: [],
    excluded: new Map(),
  };
  for (const entry of data.goals) {
    const goal = Number(entry.goal);
    compiled.excluded.set(goal, entry.not || []);
    addTerms(compiled, goal, null, entry);
    for (const [code, target] of Object.entries(entry.targets || {})) addTerms(compiled, goal, code, target);
  }
  for (const lexicon of Object.values(compiled.lexicons)) {
    lexicon.prefixLengths = [...new Set([...lexicon.prefixes.keys()].map((start) => start.length))].sort((a, b) => a - b);
    lexicon.prefixStarts = new Set([...lexicon.prefixes.keys()].map((start) => start.slice(0, 3)));
    for (const form of lexicon.parts.keys()) {
      const lengths = lexicon.partLengths.get(form.slice(0, 3)) || [];
      if (!lengths.includes(form.length)) lengths.push(form.length);
      lexicon.partLengths.set(form.slice(0, 3), lengths);
    }
    for (const lengths of lexicon.partLengths.values()) lengths.sort((a, b) => a - b);
  }
  return compiled;
}

/** "nb", "en", or null when the evidence is even (none at all, say). */
export function detect(words, compiled) {
  let nb = 0;
  let en = 0;
  for (const word of words) {
    nb += (compiled.stopwords.nb.has(word) ? 1 : 0) + (NB_LETTERS.test(word) ? 1 : 0);
    en += compiled.stopwords.en.has(word) ? 1 : 0;
  }
  if (nb === en) return null;
  return nb > en ? "nb" : "en";
}

/** Every pattern the word matches, with the letters it covers (the widest, then the earliest). */
function matchWord(word, lexicon, rules) {
  const found = new Map();
  const places = [];
  const exact = lexicon.exact.get(word);
  if (exact) places.push([exact, 0, word.length]);
  if (lexicon.prefixStarts.has(word.slice(0, 3))) {
    for (const n of lexicon.prefixLengths) {
      if (n > word.length) break;
      const patterns = lexicon.prefixes.get(word.slice(0, n));
      if (patterns) places.push([patterns, 0, n]);
    }
  }
  // A part of a compound: at the start, or after at least min_head letters.
  const starts = [0];
  for (let start = rules.min_head; start < word.length - 2; start += 1) starts.push(start);
  for (const start of starts) {
    for (const n of lexicon.partLengths.get(word.slice(start, start + 3)) || []) {
      if (start + n > word.length) break;
      const patterns = lexicon.parts.get(word.slice(start, start + n));
      if (patterns) places.push([patterns, start, start + n]);
    }
  }
  for (const [patterns, start, end] of places) {
    for (const pattern of patterns) {
      const old = found.get(pattern);
      if (!old || end - start > old[1] - old[0] || (end - start === old[1] - old[0] && start < old[0])) found.set(pattern, [start, end]);
    }
  }
  return found;
}

function matchesOf(words, compiled, lexicon) {
  const rules = compiled.rules;
  const seen = new Map();
  const perWord = words.map((word) => {
    if (!seen.has(word)) seen.set(word, word.length <= rules.max_word ? matchWord(word, lexicon, rules) : new Map());
    return seen.get(word);
  });
  const found = [];
  perWord.forEach((patterns, start) => {
    for (const [pattern, [firstFrom, firstTo]] of patterns) {
      for (const term of lexicon.starting.get(pattern) || []) {
        const wanted = compiled.terms[term].words;
        const end = start + wanted.length - 1;
        if (end >= words.length) continue;
        let all = true;
        for (let i = 1; i < wanted.length; i += 1) if (!perWord[start + i].has(wanted[i])) all = false;
        if (!all) continue;
        const lastTo = end > start ? perWord[end].get(wanted[wanted.length - 1])[1] : firstTo;
        found.push({ start, length: wanted.length, cover: [start, firstFrom, end, lastTo], term });
      }
    }
  });
  return found;
}

function allowed(matches, words, compiled) {
  return matches.filter((match) => {
    const excluded = compiled.excluded.get(compiled.terms[match.term].goal);
    if (excluded.length === 0) return true;
    return !words.slice(match.start, match.start + match.length).some((word) => excluded.some((start) => word.startsWith(start)));
  });
}

// (a, b) <= (c, d), lexicographically.
const atOrBefore = (a, b, c, d) => a < c || (a === c && b <= d);

function withoutContained(matches, compiled) {
  const byStart = new Map();
  let longest = 0;
  for (const match of matches) {
    if (!byStart.has(match.start)) byStart.set(match.start, []);
    byStart.get(match.start).push(match);
    longest = Math.max(longest, match.length);
  }
  return matches.filter((match) => {
    const goal = compiled.terms[match.term].goal;
    const [s, a, e, b] = match.cover;
    for (let start = match.start - longest + 1; start <= match.start; start += 1) {
      for (const other of byStart.get(start) || []) {
        const [os, oa, oe, ob] = other.cover;
        const same = os === s && oa === a && oe === e && ob === b;
        if (compiled.terms[other.term].goal !== goal && !same && atOrBefore(os, oa, s, a) && atOrBefore(e, b, oe, ob)) return false;
      }
    }
    return true;
  });
}

/** The UN's order of target codes: 12.1 … 12.8, then 12.a, 12.b, 12.c. */
function targetRank(code) {
  const [goal, rest] = code.split(".");
  return /^[0-9]+$/.test(rest) ? [Number(goal), 0, Number(rest)] : [Number(goal), 1, rest.charCodeAt(0)];
}

function byKeys(keyOf) {
  return (x, y) => {
    const a = keyOf(x);
    const b = keyOf(y);
    for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
  };
}

function evidence(goal, found, words, compiled) {
  found.sort(byKeys((m) => [m.start, -m.length, m.term]));
  const kept = [];
  let span = null;
  let until = -1;
  for (const match of found) {
    // The longest at the earliest start wins; others that overlap it go.
    if (span && span[0] === match.start && span[1] === match.length) kept.push(match);
    else if (match.start > until) {
      kept.push(match);
      span = [match.start, match.length];
      until = match.start + match.length - 1;
    }
  }
  const texts = new Map(); // text -> [first word, largest weight]
  const targetWeights = new Map(); // target -> Map text -> largest weight
  const targetFirst = new Map();
  for (const match of kept) {
    const term = compiled.terms[match.term];
    const text = words.slice(match.start, match.start + match.length).join(" ");
    if (!texts.has(text)) texts.set(text, [match.start, 0]);
    const entry = texts.get(text);
    entry[1] = Math.max(entry[1], term.weight);
    if (term.target !== null) {
      if (!targetWeights.has(term.target)) targetWeights.set(term.target, new Map());
      const weights = targetWeights.get(term.target);
      weights.set(text, Math.max(weights.get(text) || 0, term.weight));
      if (!targetFirst.has(term.target)) targetFirst.set(term.target, match.start);
    }
  }
  const order = [...texts.keys()].sort(byKeys((text) => [texts.get(text)[0]]));
  const sum = (values) => [...values].reduce((total, value) => total + value, 0);
  const targets = [...targetWeights.keys()].sort(byKeys((code) => [-sum(targetWeights.get(code).values()), targetFirst.get(code), ...targetRank(code)]));
  return { goal, total: sum([...texts.values()].map((entry) => entry[1])), first: texts.get(order[0])[0], matched: order, targets };
}

/** The goals `text` suggests, best first: [{goal, score, targets, matched}]. */
export function suggest(text, lang, compiled) {
  const rules = compiled.rules;
  const words = wordsOf(text);
  if (lang == null) lang = detect(words, compiled);
  let matches = [];
  for (const name of lang === "en" ? ["en"] : ["nb", "en"]) matches = matches.concat(matchesOf(words, compiled, compiled.lexicons[name]));
  const kept = withoutContained(allowed(matches, words, compiled), compiled);
  const byGoal = new Map();
  for (const match of kept) {
    const goal = compiled.terms[match.term].goal;
    if (!byGoal.has(goal)) byGoal.set(goal, []);
    byGoal.get(goal).push(match);
  }
  const ranked = [...byGoal].map(([goal, found]) => evidence(goal, found, words, compiled));
  ranked.sort(byKeys((e) => [-e.total, -e.matched.length, e.first, e.goal]));
  return ranked.slice(0, rules.max_goals).map((e) => {
    const half = rules.half;
    // Half up, in integers, as the server computes it.
    const hundredths = Math.floor((200 * e.total + e.total + half) / (2 * (e.total + half)));
    return { goal: e.goal, score: hundredths / 100, targets: e.targets.slice(0, rules.max_targets), matched: e.matched.slice(0, rules.max_matched) };
  });
}

let loading = null;

/**
 * The compiled keywords, fetched once per page from the copy served with these modules (like
 * sdgs.json: its URL changes with every release, so the browser keeps it for good).
 */
export function loadKeywords() {
  if (loading === null) {
    loading = fetch(new URL("../sdg-keywords.json", import.meta.url), { headers: { Accept: "application/json" } })
      .then((response) => {
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        return response.json();
      })
      .then(compile)
      .catch((error) => {
        loading = null;
        throw error;
      });
  }
  return loading;
}
