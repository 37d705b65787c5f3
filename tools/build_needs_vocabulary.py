#!/usr/bin/env python3
"""Build content/needs.toml, Signpost's needs vocabulary, from WordNet and a seed.

Why: people bring a need to a link worker in their own words ("widowed", "skint",
"change of life", "food parcel") while services describe themselves in theirs
("bereavement support", "money advice", "menopause group", "food bank"). The search's
lexicon (src/search/text.rs) bridges the two with entries that say which words a
person types (`says`), which words listings use (`finds`) and which activity types the
need points to (`types`). This tool writes those entries for the need areas link
workers meet, with every entry naming where its `says` words come from:

  wordnet:LEMMA.POS.NN  the words of that WordNet 3.0 synset (the NN-th sense of
                        LEMMA, part of speech n/v/a/r, in WordNet's own sense order),
                        or of a synset directly below it ("narrower" in the seed), and
                        the regular plural of a word for a kind of person
                        ("refugee" -> "refugees"): WordNet lists base forms only;
                        and a word with "'s" also without the apostrophe.
  signpost-editors      lay phrasings Signpost's editors wrote (WordNet has no
                        "can't pay my rent"); these come from the seed file.

The seed (tools/needs-seed.toml) is hand-written: for each need area, the synsets whose
senses fit (a sense, not a spelling: "boarding" is not "hoarding", and "drinking" has
water senses), words to leave out of them, the editors' phrases, and the listing-side
`finds` and `types` (chosen by the editors from words listings use). A phrase already in
content/thesaurus.toml is left to that file (a phrase is in one entry only), and
phrases given with --hold-out (a judged query set's queries) are never written, so a
measurement is not tuned to its own questions.

Run (Python 3.11+, standard library only; WordNet from Debian's `wordnet-base`):
    apt-get install wordnet-base
    python3 tools/build_needs_vocabulary.py \
        --wordnet /usr/share/wordnet --seed tools/needs-seed.toml \
        --thesaurus content/thesaurus.toml \
        --hold-out ../shared/data/quality/nlincs-queries.json \
        --out content/needs.toml
Look senses up while editing the seed:
    python3 tools/build_needs_vocabulary.py --wordnet /usr/share/wordnet --show widow
"""
import argparse
import json
import os
import re
import sys
import tomllib

POS_FILES = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
# lex_filenum 18 is noun.person: the words for kinds of people, which people also type
# in the plural ("carers", "veterans").
NOUN_PERSON = 18


class WordNet:
    """The parts of WordNet 3.0's database files this tool needs."""

    def __init__(self, root):
        self.root = root
        self.index = {}  # (lemma, pos) -> [offset, ...] in sense order
        self.data = {}  # (pos, offset) -> parsed line, read on demand
        for pos, name in POS_FILES.items():
            with open(os.path.join(root, f"index.{name}"), encoding="latin-1") as f:
                for line in f:
                    if line.startswith(" "):
                        continue  # licence header
                    parts = line.split()
                    lemma, p_cnt = parts[0], int(parts[3])
                    # lemma pos synset_cnt p_cnt [ptr_symbol]*p_cnt sense_cnt tagsense_cnt offsets
                    offsets = parts[4 + p_cnt + 2 :]
                    self.index[(lemma, pos)] = offsets

    def synset(self, pos, offset):
        key = (pos, offset)
        if key not in self.data:
            with open(os.path.join(self.root, f"data.{POS_FILES[pos]}"), encoding="latin-1") as f:
                f.seek(int(offset))
                line = f.readline()
            body, _, gloss = line.partition(" | ")
            parts = body.split()
            lex_filenum = int(parts[1])
            w_cnt = int(parts[3], 16)
            words = [parts[4 + 2 * i] for i in range(w_cnt)]
            i = 4 + 2 * w_cnt
            p_cnt = int(parts[i])
            pointers = []
            for j in range(p_cnt):
                sym, off, ppos = parts[i + 1 + 4 * j : i + 4 + 4 * j]
                pointers.append((sym, "a" if ppos == "s" else ppos, off))
            self.data[key] = {
                "words": [lemma_text(w) for w in words],
                "lexfile": lex_filenum,
                "pointers": pointers,
                "gloss": gloss.strip(),
            }
        return self.data[key]

    def lookup(self, name):
        """A synset named LEMMA.POS.NN (NN counts from 01): (pos, offset)."""
        m = re.fullmatch(r"(.+)\.([nvar])\.(\d\d)", name)
        if not m:
            raise SystemExit(f"seed: '{name}' is not LEMMA.POS.NN (e.g. widow.n.01)")
        lemma, pos, n = m.group(1), m.group(2), int(m.group(3))
        offsets = self.index.get((lemma.replace(" ", "_"), pos))
        if not offsets or n < 1 or n > len(offsets):
            raise SystemExit(f"seed: WordNet has no synset {name}")
        return pos, offsets[n - 1]

    def narrower(self, pos, offset):
        """The synsets directly below (hyponyms and instances)."""
        return [(p, o) for sym, p, o in self.synset(pos, offset)["pointers"] if sym in ("~", "~i")]


def lemma_text(word):
    # Adjective markers such as "(a)" and "(p)" say where the word goes in a sentence.
    return re.sub(r"\(\w+\)$", "", word).replace("_", " ").lower()


def plural(word):
    # Words of more than one part, abbreviations ("dp") and words already ending in
    # "s" ("homeless") are left as they are.
    if " " in word or "-" in word or len(word) < 4 or word.endswith("s"):
        return None
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    return word + "s"


def key(phrase):
    """How phrases are compared, as the search reads them: lowercase words, a possessive
    "'s" and all punctuation dropped ("Down's syndrome" is "down syndrome", "self-harm"
    is "self harm"; src/listing/taxonomy.rs compares them the same way)."""
    text = re.sub(r"['\u2019]s\b", "", phrase.lower())
    return " ".join(re.findall(r"[^\W_]+", text))


def spellings(word):
    """The word, and as people often type it without the apostrophe
    ("alzheimer's disease" -> "alzheimers disease")."""
    out = [word]
    if re.search(r"'s\b", word):
        out.append(re.sub(r"'s\b", "s", word))
    return out


def show(wn, lemma):
    for pos in POS_FILES:
        for n, off in enumerate(wn.index.get((lemma.replace(" ", "_"), pos), []), 1):
            s = wn.synset(pos, off)
            print(f"{lemma}.{pos}.{n:02d}  {', '.join(s['words'])}  -- {s['gloss'][:110]}")
            below = [w for p, o in wn.narrower(pos, off) for w in wn.synset(p, o)["words"]]
            if below:
                print(f"    narrower: {', '.join(below[:25])}{' ...' if len(below) > 25 else ''}")


def toml_list(items):
    return "[" + ", ".join(json.dumps(i, ensure_ascii=False) for i in items) + "]"


def held_out(paths):
    out = set()
    for path in paths:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        for q in data.get("queries", data if isinstance(data, list) else []):
            out.add(key(q["q"] if isinstance(q, dict) else q))
    return out


def thesaurus_phrases(path):
    with open(path, "rb") as f:
        data = tomllib.load(f)
    return {key(s) for e in data.get("entry", []) for s in e.get("says", [])}


def build(args):
    wn = WordNet(args.wordnet)
    with open(args.seed, "rb") as f:
        seed = tomllib.load(f)
    taken = thesaurus_phrases(args.thesaurus) if args.thesaurus else set()
    hold = held_out(args.hold_out)
    written = {}  # phrase key -> area, across the whole file
    skipped = {"thesaurus": [], "held out": [], "repeated": [], "too long": []}
    out = [HEADER]
    n_entries = 0
    for area in seed["area"]:
        name = area["name"]
        leave_out = {key(w) for w in area.get("not", [])}
        finds, types = area.get("finds", []), area.get("types", [])
        crisis = area.get("crisis", False)
        if crisis and types:
            raise SystemExit(f"seed: crisis area '{name}' must name no types")
        # (source, phrases) in the order they are written.
        groups = []
        for syn in area.get("wordnet", []) + area.get("narrower", []):
            pos, off = wn.lookup(syn)
            targets = [(pos, off)]
            if syn in area.get("narrower", []):
                targets += wn.narrower(pos, off)
            words = []
            for p, o in targets:
                s = wn.synset(p, o)
                for w in s["words"]:
                    if key(w) in leave_out:
                        continue  # and its plural
                    words.extend(spellings(w))
                    if p == "n" and s["lexfile"] == NOUN_PERSON and plural(w):
                        words.append(plural(w))
            gloss = wn.synset(pos, off)["gloss"].split(";")[0]
            groups.append((f"wordnet:{syn}", words, gloss))
        groups.append(("signpost-editors", area.get("says", []), None))
        out.append(f"\n# {'-' * 60} {name}\n")
        if area.get("note"):
            out.append("".join(f"# {line}\n" for line in area["note"].strip().splitlines()))
        for source, words, gloss in groups:
            says = []
            for w in words:
                k = key(w)
                if not k or k in leave_out:
                    continue
                if len(k.split()) > 5:
                    skipped["too long"].append(w)
                elif k in hold:
                    skipped["held out"].append(f"{w} ({name})")
                elif k in taken:
                    skipped["thesaurus"].append(w)
                elif k in written:
                    if written[k][0] != name:
                        skipped["repeated"].append(f"{w} ({name}, already in {written[k][0]})")
                else:
                    written[k] = (name, source)
                    says.append(w)
            if not says:
                continue
            n_entries += 1
            out.append("\n[[entry]]\n")
            if gloss:
                out.append(f"# WordNet: {gloss}\n")
            out.append(f"says = {toml_list(says)}\n")
            out.append(f"finds = {toml_list(finds)}\n")
            out.append(f"types = {toml_list(types)}\n")
            out.append(f"sources = {toml_list([source])}\n")
            if crisis:
                out.append("crisis = true\n")
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("".join(out))
    print(f"wrote {args.out}: {n_entries} entries, {len(written)} phrases", file=sys.stderr)
    for why, words in skipped.items():
        if words:
            print(f"  left out ({why}): {', '.join(words)}", file=sys.stderr)


HEADER = """\
# Signpost needs vocabulary: what people bring to a link worker, in their words.
#
# DERIVED FILE, do not edit by hand: edit tools/needs-seed.toml and rerun
# tools/build_needs_vocabulary.py (see content/needs.LICENSE.md).
#
# Read with content/thesaurus.toml and in the same way (src/listing/taxonomy.rs):
#   says    - what a person might type; a phrase is in one entry of the two files only.
#   finds   - words listings use for the need (chosen by Signpost's editors).
#   types   - activity types (content/taxonomy.toml) the need points to.
#   sources - where the `says` phrases come from:
#             wordnet:LEMMA.POS.NN - the words of that WordNet 3.0 synset, of a synset
#               directly below it, regular plurals of words for kinds of people, and
#               words with "'s" also without the apostrophe ("alzheimers disease")
#               (Princeton WordNet, see content/needs.LICENSE.md);
#             signpost-editors - phrasings written by Signpost's editors.
#
#   crisis  - true for words of someone who may be in crisis (suicidal thoughts): they
#             point only to crisis and listening services, never to activity types,
#             and the search page leads with where to get help now.
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wordnet", default="/usr/share/wordnet")
    ap.add_argument("--seed", default="tools/needs-seed.toml")
    ap.add_argument("--thesaurus", default="content/thesaurus.toml")
    ap.add_argument("--hold-out", action="append", default=[], metavar="QUERIES_JSON")
    ap.add_argument("--out", default="content/needs.toml")
    ap.add_argument("--show", metavar="LEMMA", help="print a word's senses and stop")
    args = ap.parse_args()
    if args.show:
        show(WordNet(args.wordnet), args.show)
        return
    build(args)


if __name__ == "__main__":
    main()
