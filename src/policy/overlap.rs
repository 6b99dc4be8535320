//! Whether two policy resource names can match one topic: the question behind "does this
//! wildcard reach another identity's subtree?" (CIP-IOTP-010, and the cross-identity label of
//! `synth diff`). Names are IAM/IoT globs as policies read them (docs/aws-facts.md §3.3): `*`
//! matches any run of characters, `/` included, `?` one character, everything else itself.
//!
//! Each glob is a small automaton (one state per position); the two run side by side, and a
//! breadth-first search over pairs of states finds a shortest string both accept, which is
//! returned as the witness a finding can show. Both names are at most a few hundred characters
//! (topics are at most 256 bytes), so the search visits at most their product of states.
//! Must not: know specs or templates (callers substitute identity ids before asking).

use std::collections::{HashMap, VecDeque};

use crate::mqtt::IDENTITY;

/// The caller and another identity: the concrete ids a leaked topic is shown with.
pub const CALLER: &str = "us-east-1:1111";
/// See [`CALLER`].
pub const ANOTHER: &str = "us-east-1:2222";

/// Per-identity subtrees (resource names with `${identity}`), prepared once for many questions
/// of the form "does this wildcard reach into another identity's part of any of them?": each is
/// written for identity [`ANOTHER`] with its literal prefix and suffix measured. Two globs can
/// only meet when one literal prefix starts the other and one literal suffix ends the other, so
/// the subtrees are also sorted by prefix and by reversed suffix: a question looks up the few
/// that pass either test (the fewer of the two) instead of comparing with every subtree, which
/// keeps a spec that pairs thousands of wildcards with thousands of subtrees linear in practice.
pub struct Subtrees<T> {
    items: Vec<(Glob, T)>,
    by_prefix: Sorted,
    by_suffix: Sorted,
}

impl<T> Subtrees<T> {
    /// The subtrees among `names` (those holding `${identity}`), each with its note.
    pub fn new(names: impl IntoIterator<Item = (String, T)>) -> Subtrees<T> {
        let items: Vec<(Glob, T)> = names
            .into_iter()
            .filter(|(n, _)| n.contains(IDENTITY))
            .map(|(n, t)| (Glob::new(n.replace(IDENTITY, ANOTHER)), t))
            .collect();
        let by_prefix = Sorted::new(items.iter().map(|(g, _)| g.prefix_key()).collect());
        let by_suffix = Sorted::new(items.iter().map(|(g, _)| g.suffix_key()).collect());
        Subtrees {
            items,
            by_prefix,
            by_suffix,
        }
    }

    /// A topic that resource name `name` (with `${identity}` for the caller) matches inside
    /// another identity's part of some subtree, beyond what MQTT filter `meant` (the spec's text,
    /// when known) matches, with that subtree's note: what a grant reaches of someone else's.
    /// The first such subtree in the order they were given.
    pub fn reached(&self, name: &str, meant: Option<&str>) -> Option<(String, &T)> {
        let glob = Glob::new(name.replace(IDENTITY, CALLER));
        let exclude = meant.map(|m| Filter::new(&m.replace(IDENTITY, CALLER)));
        let by_prefix = self.by_prefix.related(&glob.prefix_key());
        let by_suffix = self.by_suffix.related(&glob.suffix_key());
        let runs = if by_prefix.0 <= by_suffix.0 {
            by_prefix.1
        } else {
            by_suffix.1
        };
        let mut candidates: Vec<usize> = runs.iter().flat_map(|r| r.iter().map(|k| k.1)).collect();
        candidates.sort_unstable();
        candidates
            .into_iter()
            .map(|i| &self.items[i])
            .filter(|(s, _)| glob.may_meet(s))
            .find_map(|(s, t)| search(&glob.text, &s.text, exclude.as_ref()).map(|w| (w, t)))
    }
}

/// A key (bytes) and the index of the item it belongs to.
type Keyed = (Vec<u8>, usize);

/// Keys sorted, to find every key that starts with a given one or that it starts with.
struct Sorted {
    keys: Vec<Keyed>,
}

impl Sorted {
    fn new(keys: Vec<Vec<u8>>) -> Sorted {
        let mut keys: Vec<Keyed> = keys.into_iter().zip(0..).collect();
        keys.sort_unstable();
        Sorted { keys }
    }

    /// The keys that start with `key` or that `key` starts with, as runs of `keys`, and how many
    /// there are: the keys that start with `key` sort together from `key` on; of the others, a
    /// key that `key` starts with is found by walking down from `key`, each step either finding
    /// one (all its copies sort together) or shortening the part of `key` still in question to
    /// what the nearest smaller key shares with it.
    fn related(&self, key: &[u8]) -> (usize, Vec<&[Keyed]>) {
        let keys = &self.keys;
        let from = keys.partition_point(|(k, _)| k.as_slice() < key);
        let to = from + keys[from..].partition_point(|(k, _)| k.starts_with(key));
        let mut runs = vec![&keys[from..to]];
        let mut count = to - from;
        // Proper prefixes of `key`: keys below `from`.
        let mut end = from;
        let mut len = key.len();
        while end > 0 && len > 0 {
            let (nearest, _) = &keys[end - 1];
            let shared = nearest
                .iter()
                .zip(&key[..len])
                .take_while(|(a, b)| a == b)
                .count();
            if shared == nearest.len() {
                // `nearest` starts `key`: take it and its copies.
                let start = keys[..end].partition_point(|(k, _)| k < nearest);
                runs.push(&keys[start..end]);
                count += end - start;
                end = start;
                len = nearest.len().saturating_sub(1);
            } else {
                // Any key that starts `key` and sorts below `nearest` is at most `shared` long.
                len = shared;
                end = keys[..end].partition_point(|(k, _)| k.as_slice() <= &key[..len]);
            }
        }
        if end > 0 && len == 0 && keys[0].0.is_empty() {
            let start = 0;
            let stop = keys.partition_point(|(k, _)| k.is_empty());
            if stop <= end {
                runs.push(&keys[start..stop]);
                count += stop - start;
            }
        }
        (count, runs)
    }
}

/// A policy glob with the extent of its literal prefix and suffix.
struct Glob {
    text: String,
    prefix: usize,
    suffix: usize,
}

impl Glob {
    fn new(text: String) -> Glob {
        let wild = |c: char| matches!(c, '*' | '?');
        let prefix = text.find(wild).unwrap_or(text.len());
        let suffix = text.rfind(wild).map_or(0, |i| i + 1);
        Glob {
            text,
            prefix,
            suffix,
        }
    }

    /// The literal prefix, for [`Sorted`].
    fn prefix_key(&self) -> Vec<u8> {
        self.text.as_bytes()[..self.prefix].to_vec()
    }

    /// The literal suffix reversed, for [`Sorted`]: one suffix ends another when its reverse
    /// starts the other's.
    fn suffix_key(&self) -> Vec<u8> {
        self.text.as_bytes()[self.suffix..]
            .iter()
            .rev()
            .copied()
            .collect()
    }

    /// False when no text can match both: any common match starts with both literal prefixes
    /// and ends with both literal suffixes.
    fn may_meet(&self, other: &Glob) -> bool {
        let (pa, pb) = (&self.text[..self.prefix], &other.text[..other.prefix]);
        let (sa, sb) = (&self.text[self.suffix..], &other.text[other.suffix..]);
        (pa.starts_with(pb) || pb.starts_with(pa)) && (sa.ends_with(sb) || sb.ends_with(sa))
    }
}

/// A shortest text that both `a` and `b` match as policy globs, or `None` when no text does.
pub fn common_match(a: &str, b: &str) -> Option<String> {
    search(a, b, None)
}

/// A shortest text that both `a` and `b` match as policy globs and that MQTT filter `exact`
/// does not match (`+` one level, `#` the rest and the parent; docs/aws-facts.md §3.3): what a
/// translated grant allows beyond what its spec text meant.
pub fn common_match_beyond(a: &str, b: &str, exact: &str) -> Option<String> {
    search(a, b, Some(&Filter::new(exact)))
}

/// A search state: positions in the two globs, and the states the excluded filter is in.
type State = (usize, usize, Vec<usize>);

fn search(left: &str, right: &str, exclude: Option<&Filter>) -> Option<String> {
    let a: Vec<char> = left.chars().collect();
    let b: Vec<char> = right.chars().collect();
    let start_filter = exclude.map(Filter::start).unwrap_or_default();
    // Each visited state: the state it was reached from and the character consumed (None for a
    // step over a `*` that consumes nothing).
    let mut from: HashMap<State, Option<(State, Option<char>)>> = HashMap::new();
    let start: State = (0, 0, start_filter);
    from.insert(start.clone(), None);
    let mut queue = VecDeque::from([start]);
    while let Some(state) = queue.pop_front() {
        let (i, j, states) = &state;
        let (i, j) = (*i, *j);
        let escaped = exclude.is_none_or(|x| !x.accepts(states));
        if i == a.len() && j == b.len() && escaped {
            let found = witness(&from, state);
            return Some(readable(&found, &a, &b, exclude).unwrap_or(found));
        }
        let mut next: Vec<(State, Option<char>)> = Vec::new();
        // A `*` may match nothing: step over it on one side alone.
        if a.get(i) == Some(&'*') {
            next.push(((i + 1, j, states.clone()), None));
        }
        if b.get(j) == Some(&'*') {
            next.push(((i, j + 1, states.clone()), None));
        }
        // Consume one character on both sides. The characters worth trying are the literals the
        // two globs expect here, a `/`, and one character neither names (for `*` against `*`).
        let mut candidates: Vec<char> = [a.get(i), b.get(j)]
            .into_iter()
            .flatten()
            .copied()
            .filter(|c| !matches!(c, '*' | '?'))
            .collect();
        candidates.extend(['/', 'x']);
        candidates.dedup();
        for c in candidates {
            let (Some(ni), Some(nj)) = (step(&a, i, c), step(&b, j, c)) else {
                continue;
            };
            let nf = exclude.map(|x| x.step(states, c)).unwrap_or_default();
            next.push(((ni, nj, nf), Some(c)));
        }
        for (n, c) in next {
            if !from.contains_key(&n) {
                from.insert(n.clone(), Some((state.clone(), c)));
                queue.push_back(n);
            }
        }
    }
    None
}

/// `text` with its empty topic levels filled with `x`, when the result is still a witness:
/// `rooms/B/x/public` reads better than the equally valid `rooms/B//public`.
fn readable(text: &str, a: &[char], b: &[char], exclude: Option<&Filter>) -> Option<String> {
    let levels: Vec<&str> = text.split('/').collect();
    if !levels.iter().skip(1).any(|l| l.is_empty()) {
        return None;
    }
    let filled: Vec<&str> = levels
        .iter()
        .enumerate()
        .map(|(k, l)| if l.is_empty() && k > 0 { "x" } else { l })
        .collect();
    let filled = filled.join("/");
    let chars: Vec<char> = filled.chars().collect();
    let escapes = exclude.is_none_or(|x| {
        let end = chars.iter().fold(x.start(), |f, &c| x.step(&f, c));
        !x.accepts(&end)
    });
    (glob_matches(a, &chars) && glob_matches(b, &chars) && escapes).then_some(filled)
}

/// Whether policy glob `g` matches `t` (`*` any run, `?` one character).
fn glob_matches(g: &[char], t: &[char]) -> bool {
    // reach[k]: `g[..i]` can match `t[..k]`.
    let mut reach = vec![false; t.len() + 1];
    reach[0] = true;
    for &p in g {
        let mut next = vec![false; t.len() + 1];
        for k in 0..=t.len() {
            next[k] = match p {
                '*' => reach[k] || (k > 0 && next[k - 1]),
                '?' => k > 0 && reach[k - 1],
                c => k > 0 && reach[k - 1] && t[k - 1] == c,
            };
        }
        reach = next;
    }
    reach[t.len()]
}

/// An MQTT topic filter as an automaton over characters: one state per character position,
/// `+` loops on anything but `/`, `#` on anything; a filter ending in `/#` also accepts the
/// parent (the text before that `/`).
struct Filter {
    chars: Vec<char>,
}

impl Filter {
    fn new(filter: &str) -> Filter {
        Filter {
            chars: filter.chars().collect(),
        }
    }

    fn start(&self) -> Vec<usize> {
        self.closure(vec![0])
    }

    /// The states reachable without consuming: past a `+` or `#` that matched nothing.
    fn closure(&self, mut states: Vec<usize>) -> Vec<usize> {
        let mut k = 0;
        while k < states.len() {
            let s = states[k];
            if matches!(self.chars.get(s), Some('+' | '#')) && !states.contains(&(s + 1)) {
                states.push(s + 1);
            }
            k += 1;
        }
        states.sort_unstable();
        states.dedup();
        states
    }

    fn step(&self, states: &[usize], c: char) -> Vec<usize> {
        let mut next = Vec::new();
        for &s in states {
            match self.chars.get(s) {
                Some('#') => next.push(s),
                Some('+') if c != '/' => next.push(s),
                Some(l) if *l == c && !matches!(l, '+' | '#') => next.push(s + 1),
                _ => {}
            }
        }
        self.closure(next)
    }

    fn accepts(&self, states: &[usize]) -> bool {
        let n = self.chars.len();
        let parent = self.chars.ends_with(&['/', '#']).then(|| n - 2);
        states.iter().any(|&s| s == n || Some(s) == parent)
    }
}

/// Where glob position `i` goes on character `c`: a `*` stays (it goes on matching), `?` and an
/// equal literal advance, anything else fails.
fn step(glob: &[char], i: usize, c: char) -> Option<usize> {
    match glob.get(i)? {
        '*' => Some(i),
        '?' => Some(i + 1),
        l if *l == c => Some(i + 1),
        _ => None,
    }
}

fn witness<S: Clone + Eq + std::hash::Hash>(
    from: &HashMap<S, Option<(S, Option<char>)>>,
    mut state: S,
) -> String {
    let mut chars = Vec::new();
    while let Some(Some((prev, c))) = from.get(&state) {
        chars.extend(*c);
        state = prev.clone();
    }
    chars.reverse();
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What IAM does: `*` any run, `?` one character (a reference matcher for the tests).
    fn matches(glob: &str, text: &str) -> bool {
        fn go(g: &[char], t: &[char]) -> bool {
            match g.split_first() {
                None => t.is_empty(),
                Some(('*', rest)) => (0..=t.len()).any(|k| go(rest, &t[k..])),
                Some(('?', rest)) => !t.is_empty() && go(rest, &t[1..]),
                Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
            }
        }
        let g: Vec<char> = glob.chars().collect();
        let t: Vec<char> = text.chars().collect();
        go(&g, &t)
    }

    #[test]
    fn finds_a_topic_both_match_and_says_none_when_there_is_none() {
        let cases = [
            ("rooms/*/public", "rooms/B", false),
            ("rooms/*/public", "rooms/B/*", true),
            ("rooms/A/*", "rooms/B/*", false),
            ("rooms/A", "rooms/B", false),
            ("*/A/*", "*/B/*", true),
            ("a/*/c", "a/B/c", true),
            ("a/*/c", "a/B/d", false),
            ("a/?", "a/B", true),
            ("a/?", "a/BB", false),
            ("*", "anything/at/all", true),
            ("", "", true),
            ("", "*", true),
            ("x", "", false),
        ];
        for (a, b, some) in cases {
            let got = common_match(a, b);
            assert_eq!(got.is_some(), some, "{a} ∩ {b}: {got:?}");
            if let Some(w) = got {
                assert!(matches(a, &w) && matches(b, &w), "{a} ∩ {b}: witness {w:?}");
                assert_eq!(common_match(b, a).map(|w| w.len()), Some(w.len()));
            }
        }
        assert_eq!(
            common_match("rooms/*/public", "rooms/B/*").as_deref(),
            Some("rooms/B/public")
        );
    }

    #[test]
    fn beyond_finds_what_the_translation_adds_to_the_filter() {
        // `rooms/+/public` meant one level; `rooms/*/public` also takes several.
        assert_eq!(
            common_match_beyond("rooms/*/public", "rooms/B/*", "rooms/+/public").as_deref(),
            Some("rooms/B/x/public")
        );
        // Only the exact reach overlaps another subtree: nothing beyond it.
        assert_eq!(
            common_match_beyond("rooms/*/public", "rooms/B/public", "rooms/+/public"),
            None
        );
        // `a/#` is `a` and `a/*` exactly.
        assert_eq!(common_match_beyond("a/*", "a/B/*", "a/#"), None);
        assert_eq!(common_match_beyond("a", "a", "a/#"), None);
        assert_eq!(common_match_beyond("a/*", "a/B", "a/+").as_deref(), None);
        assert_eq!(
            common_match_beyond("a/*", "a/B/*", "a/+").as_deref(),
            Some("a/B/x")
        );
    }

    use crate::mqtt::matches as mqtt_matches;

    fn filter() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        (
            prop::collection::vec(prop_oneof!["a", "b", "", "\\+"], 1..4),
            any::<bool>(),
        )
            .prop_map(|(levels, hash)| {
                let mut f = levels.join("/");
                if hash {
                    f.push_str("/#");
                }
                f
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 400,
            failure_persistence: None,
            .. proptest::prelude::ProptestConfig::default()
        })]

        /// Against brute force over every text of up to 8 characters of the globs' alphabet
        /// (enough: a shortest common match is at most the literals of both, 8 here; where
        /// both globs take any character, `a` serves): a witness exists exactly when some text
        /// matches both, and the witness matches both.
        #[test]
        fn agrees_with_brute_force(a in "[ab/*?]{0,4}", b in "[ab/*?]{0,4}") {
            let got = common_match(&a, &b);
            if let Some(w) = &got {
                proptest::prop_assert!(matches(&a, w) && matches(&b, w), "{a} ∩ {b}: {w}");
            }
            let alphabet = ['a', 'b', '/'];
            let mut texts = vec![String::new()];
            let mut any = false;
            for _ in 0..=8 {
                any |= texts.iter().any(|t| matches(&a, t) && matches(&b, t));
                texts = texts
                    .iter()
                    .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                    .collect();
            }
            proptest::prop_assert_eq!(got.is_some(), any, "{} ∩ {}: {:?}", a, b, got);
        }

        /// The same with an MQTT filter excluded: a witness exists exactly when some text
        /// matches both globs and not the filter.
        #[test]
        fn beyond_agrees_with_brute_force(a in "[ab/*]{0,4}", b in "[ab/*]{0,4}", f in filter()) {
            let got = common_match_beyond(&a, &b, &f);
            if let Some(w) = &got {
                proptest::prop_assert!(matches(&a, w) && matches(&b, w) && !mqtt_matches(&f, w), "{a} ∩ {b} - {f}: {w}");
            }
            let alphabet = ['a', 'b', '/'];
            let mut texts = vec![String::new()];
            let mut any = false;
            for _ in 0..=8 {
                any |= texts.iter().any(|t| matches(&a, t) && matches(&b, t) && !mqtt_matches(&f, t));
                texts = texts
                    .iter()
                    .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                    .collect();
            }
            proptest::prop_assert_eq!(got.is_some(), any, "{} ∩ {} - {}: {:?}", a, b, f, got);
        }

        /// The sorted lookup finds exactly the keys that start the given one or start with it.
        #[test]
        fn related_keys_are_the_prefixes_and_extensions(
            keys in proptest::collection::vec("[ab]{0,4}", 0..24),
            key in "[ab]{0,5}",
        ) {
            let sorted = Sorted::new(keys.iter().map(|k| k.as_bytes().to_vec()).collect());
            let (count, runs) = sorted.related(key.as_bytes());
            let mut got: Vec<usize> = runs.iter().flat_map(|r| r.iter().map(|k| k.1)).collect();
            got.sort_unstable();
            let want: Vec<usize> = (0..keys.len())
                .filter(|&i| keys[i].starts_with(&key) || key.starts_with(&keys[i]))
                .collect();
            proptest::prop_assert_eq!(count, got.len());
            proptest::prop_assert_eq!(got, want);
        }

        /// `reached` answers as the scan over every subtree in order did before the index: the
        /// same witness and the same (first) subtree.
        #[test]
        fn reached_agrees_with_a_scan_of_every_subtree(
            subtrees in proptest::collection::vec("[ab]{0,2}(/\\$\\{identity\\})?(/[ab*]{0,2}){0,2}", 0..12),
            name in "[ab*]{0,2}(/[ab*]{0,2}){0,3}",
            meant in proptest::option::of("[ab+]{0,2}(/[ab+#]){0,2}"),
        ) {
            let index = Subtrees::new(subtrees.iter().cloned().zip(0..));
            let glob = Glob::new(name.replace(IDENTITY, CALLER));
            let exclude = meant.as_ref().map(|m| Filter::new(m));
            let scan = index
                .items
                .iter()
                .filter(|(s, _)| glob.may_meet(s))
                .find_map(|(s, t)| search(&glob.text, &s.text, exclude.as_ref()).map(|w| (w, t)));
            proptest::prop_assert_eq!(index.reached(&name, meant.as_deref()), scan);
        }
    }
}
