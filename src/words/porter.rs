//! The Porter stemmer (M. F. Porter, "An algorithm for suffix stripping", 1980), as the
//! original paper gives it, so that "meetings", "meeting" and "meet" count as one word in
//! ROUGE. The common ROUGE implementations stem with Porter too (`rouge-score` with
//! `use_stemmer=True`, which applies NLTK's variant).
//!
//! Terms, from the paper: a *consonant* is a letter other than a, e, i, o, u, and other than
//! a `y` preceded by a consonant; any other letter is a *vowel*. Every word is
//! `[C](VC)^m[V]` where C and V are runs of consonants and vowels; `m` is its *measure*.
//! `*v*`: the stem holds a vowel; `*d`: it ends in a double consonant; `*o`: it ends
//! consonant-vowel-consonant where the last consonant is not w, x or y.
//!
//! Only words of lowercase ASCII letters longer than two letters are stemmed; anything
//! else (digits, accents) is returned unchanged.

/// Returns the Porter stem of `word`.
pub fn stem(word: &str) -> String {
    if word.len() <= 2 || !word.bytes().all(|b| b.is_ascii_lowercase()) {
        return word.to_string();
    }
    let mut w = word.as_bytes().to_vec();
    step1a(&mut w);
    step1b(&mut w);
    step1c(&mut w);
    step2(&mut w);
    step3(&mut w);
    step4(&mut w);
    step5a(&mut w);
    step5b(&mut w);
    w.into_iter().map(char::from).collect()
}

fn is_consonant(w: &[u8], i: usize) -> bool {
    match w[i] {
        b'a' | b'e' | b'i' | b'o' | b'u' => false,
        b'y' => i == 0 || !is_consonant(w, i - 1),
        _ => true,
    }
}

/// `m` in `[C](VC)^m[V]`.
fn measure(w: &[u8]) -> usize {
    let n = w.len();
    let mut i = 0;
    while i < n && is_consonant(w, i) {
        i += 1;
    }
    let mut m = 0;
    loop {
        while i < n && !is_consonant(w, i) {
            i += 1;
        }
        if i >= n {
            return m;
        }
        while i < n && is_consonant(w, i) {
            i += 1;
        }
        m += 1;
    }
}

fn has_vowel(w: &[u8]) -> bool {
    (0..w.len()).any(|i| !is_consonant(w, i))
}

fn ends_double_consonant(w: &[u8]) -> bool {
    let n = w.len();
    n >= 2 && w[n - 1] == w[n - 2] && is_consonant(w, n - 1)
}

fn ends_cvc(w: &[u8]) -> bool {
    let n = w.len();
    n >= 3
        && is_consonant(w, n - 3)
        && !is_consonant(w, n - 2)
        && is_consonant(w, n - 1)
        && !matches!(w[n - 1], b'w' | b'x' | b'y')
}

fn replace_suffix(w: &mut Vec<u8>, suffix: &str, with: &str) {
    w.truncate(w.len() - suffix.len());
    w.extend_from_slice(with.as_bytes());
}

/// Applies the rule with the longest suffix that `w` ends with, when `condition` holds for
/// the stem before it. As in the paper, a matching suffix whose condition fails stops the
/// step: no shorter suffix is tried.
fn longest_rule(w: &mut Vec<u8>, rules: &[(&str, &str)], condition: impl Fn(&[u8], &str) -> bool) {
    let best = rules
        .iter()
        .filter(|(suffix, _)| w.ends_with(suffix.as_bytes()))
        .max_by_key(|(suffix, _)| suffix.len());
    if let Some((suffix, with)) = best {
        if condition(&w[..w.len() - suffix.len()], suffix) {
            replace_suffix(w, suffix, with);
        }
    }
}

fn step1a(w: &mut Vec<u8>) {
    if w.ends_with(b"sses") || w.ends_with(b"ies") {
        w.truncate(w.len() - 2);
    } else if w.ends_with(b"ss") {
    } else if w.ends_with(b"s") {
        w.pop();
    }
}

fn step1b(w: &mut Vec<u8>) {
    if w.ends_with(b"eed") {
        if measure(&w[..w.len() - 3]) > 0 {
            w.pop();
        }
        return;
    }
    let cut = if w.ends_with(b"ed") && has_vowel(&w[..w.len() - 2]) {
        2
    } else if w.ends_with(b"ing") && has_vowel(&w[..w.len() - 3]) {
        3
    } else {
        return;
    };
    w.truncate(w.len() - cut);
    if w.ends_with(b"at") || w.ends_with(b"bl") || w.ends_with(b"iz") {
        w.push(b'e');
    } else if ends_double_consonant(w) && !matches!(w[w.len() - 1], b'l' | b's' | b'z') {
        w.pop();
    } else if measure(w) == 1 && ends_cvc(w) {
        w.push(b'e');
    }
}

fn step1c(w: &mut [u8]) {
    let n = w.len();
    if w.ends_with(b"y") && has_vowel(&w[..n - 1]) {
        w[n - 1] = b'i';
    }
}

fn step2(w: &mut Vec<u8>) {
    const RULES: [(&str, &str); 20] = [
        ("ational", "ate"),
        ("tional", "tion"),
        ("enci", "ence"),
        ("anci", "ance"),
        ("izer", "ize"),
        ("abli", "able"),
        ("alli", "al"),
        ("entli", "ent"),
        ("eli", "e"),
        ("ousli", "ous"),
        ("ization", "ize"),
        ("ation", "ate"),
        ("ator", "ate"),
        ("alism", "al"),
        ("iveness", "ive"),
        ("fulness", "ful"),
        ("ousness", "ous"),
        ("aliti", "al"),
        ("iviti", "ive"),
        ("biliti", "ble"),
    ];
    longest_rule(w, &RULES, |stem, _| measure(stem) > 0);
}

fn step3(w: &mut Vec<u8>) {
    const RULES: [(&str, &str); 7] = [
        ("icate", "ic"),
        ("ative", ""),
        ("alize", "al"),
        ("iciti", "ic"),
        ("ical", "ic"),
        ("ful", ""),
        ("ness", ""),
    ];
    longest_rule(w, &RULES, |stem, _| measure(stem) > 0);
}

fn step4(w: &mut Vec<u8>) {
    const RULES: [(&str, &str); 19] = [
        ("al", ""),
        ("ance", ""),
        ("ence", ""),
        ("er", ""),
        ("ic", ""),
        ("able", ""),
        ("ible", ""),
        ("ant", ""),
        ("ement", ""),
        ("ment", ""),
        ("ent", ""),
        ("ion", ""),
        ("ou", ""),
        ("ism", ""),
        ("ate", ""),
        ("iti", ""),
        ("ous", ""),
        ("ive", ""),
        ("ize", ""),
    ];
    longest_rule(w, &RULES, |stem, suffix| {
        measure(stem) > 1 && (suffix != "ion" || matches!(stem.last(), Some(b's' | b't')))
    });
}

fn step5a(w: &mut Vec<u8>) {
    if w.ends_with(b"e") {
        let stem = &w[..w.len() - 1];
        let m = measure(stem);
        if m > 1 || (m == 1 && !ends_cvc(stem)) {
            w.pop();
        }
    }
}

fn step5b(w: &mut Vec<u8>) {
    if measure(w) > 1 && ends_double_consonant(w) && w.ends_with(b"l") {
        w.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs one step on each word and compares with the paper's examples for that step.
    fn check_step(step: fn(&mut Vec<u8>), cases: &[(&str, &str)]) {
        for (word, want) in cases {
            let mut w = word.as_bytes().to_vec();
            step(&mut w);
            assert_eq!(String::from_utf8(w).unwrap(), *want, "{word}");
        }
    }

    #[test]
    fn measure_matches_the_papers_examples() {
        for (word, m) in [
            ("tr", 0),
            ("ee", 0),
            ("tree", 0),
            ("y", 0),
            ("by", 0),
            ("trouble", 1),
            ("oats", 1),
            ("trees", 1),
            ("ivy", 1),
            ("troubles", 2),
            ("private", 2),
            ("oaten", 2),
            ("orrery", 2),
        ] {
            assert_eq!(measure(word.as_bytes()), m, "{word}");
        }
    }

    #[test]
    fn step1_matches_the_paper() {
        check_step(
            step1a,
            &[
                ("caresses", "caress"),
                ("ponies", "poni"),
                ("ties", "ti"),
                ("caress", "caress"),
                ("cats", "cat"),
            ],
        );
        check_step(
            step1b,
            &[
                ("feed", "feed"),
                ("agreed", "agree"),
                ("plastered", "plaster"),
                ("bled", "bled"),
                ("motoring", "motor"),
                ("sing", "sing"),
                ("conflated", "conflate"),
                ("troubled", "trouble"),
                ("sized", "size"),
                ("hopping", "hop"),
                ("tanned", "tan"),
                ("falling", "fall"),
                ("hissing", "hiss"),
                ("fizzed", "fizz"),
                ("failing", "fail"),
                ("filing", "file"),
            ],
        );
        check_step(|w| step1c(w), &[("happy", "happi"), ("sky", "sky")]);
    }

    #[test]
    fn step2_matches_the_paper() {
        check_step(
            step2,
            &[
                ("relational", "relate"),
                ("conditional", "condition"),
                ("rational", "rational"),
                ("valenci", "valence"),
                ("hesitanci", "hesitance"),
                ("digitizer", "digitize"),
                ("conformabli", "conformable"),
                ("radicalli", "radical"),
                ("differentli", "different"),
                ("vileli", "vile"),
                ("analogousli", "analogous"),
                ("vietnamization", "vietnamize"),
                ("predication", "predicate"),
                ("operator", "operate"),
                ("feudalism", "feudal"),
                ("decisiveness", "decisive"),
                ("hopefulness", "hopeful"),
                ("callousness", "callous"),
                ("formaliti", "formal"),
                ("sensitiviti", "sensitive"),
                ("sensibiliti", "sensible"),
            ],
        );
    }

    #[test]
    fn steps_3_to_5_match_the_paper() {
        check_step(
            step3,
            &[
                ("triplicate", "triplic"),
                ("formative", "form"),
                ("formalize", "formal"),
                ("electriciti", "electric"),
                ("electrical", "electric"),
                ("hopeful", "hope"),
                ("goodness", "good"),
            ],
        );
        check_step(
            step4,
            &[
                ("revival", "reviv"),
                ("allowance", "allow"),
                ("inference", "infer"),
                ("airliner", "airlin"),
                ("gyroscopic", "gyroscop"),
                ("adjustable", "adjust"),
                ("defensible", "defens"),
                ("irritant", "irrit"),
                ("replacement", "replac"),
                ("adjustment", "adjust"),
                ("dependent", "depend"),
                ("adoption", "adopt"),
                ("homologou", "homolog"),
                ("communism", "commun"),
                ("activate", "activ"),
                ("angulariti", "angular"),
                ("homologous", "homolog"),
                ("effective", "effect"),
                ("bowdlerize", "bowdler"),
            ],
        );
        check_step(
            step5a,
            &[("probate", "probat"), ("rate", "rate"), ("cease", "ceas")],
        );
        check_step(step5b, &[("controll", "control"), ("roll", "roll")]);
    }

    #[test]
    fn whole_words() {
        // The paper's worked example: generalizations -> generalization (1a) -> generalize
        // (2) -> general (3) -> gener (4).
        assert_eq!(stem("generalizations"), "gener");
        assert_eq!(stem("meetings"), "meet");
        assert_eq!(stem("agreed"), "agre");
        assert_eq!(stem("decided"), "decid");
        assert_eq!(stem("remote"), "remot");
        // Not stemmed: short, capitalised or non-letter tokens.
        assert_eq!(stem("is"), "is");
        assert_eq!(stem("12.50"), "12.50");
        assert_eq!(stem("café"), "café");
    }
}
