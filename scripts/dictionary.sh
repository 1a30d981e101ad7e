#!/usr/bin/env bash
# Install the FreeDict English–Arabic dictionary (GPL-2+, so never vendored into this MIT repo)
# from the Debian archive, for the lexical side of English queries (search/translation/dictionary.py).
#   - already installed system-wide (/usr/share/dictd/freedict-eng-ara.index): nothing to do;
#   - otherwise `apt-get download` the package and unpack it, without root, into
#     ${XDG_CACHE_HOME:-~/.cache}/khabar/dictionary (where Khabar looks next).
# Prints the dictionary's base path. Exits 1 with the reason when neither works.
set -euo pipefail
NAME=freedict-eng-ara
PKG=dict-freedict-eng-ara
if [[ -f /usr/share/dictd/$NAME.index ]]; then
  echo "/usr/share/dictd/$NAME"; exit 0
fi
DEST="${XDG_CACHE_HOME:-$HOME/.cache}/khabar/dictionary"
if [[ -f "$DEST/usr/share/dictd/$NAME.index" ]]; then
  echo "$DEST/usr/share/dictd/$NAME"; exit 0
fi
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || {
  echo "dictionary.sh: no apt-get/dpkg-deb here; install FreeDict eng-ara yourself and set KHABAR_DICTIONARY" >&2; exit 1; }
TMP=$(mktemp -d); chmod 777 "$TMP"; trap 'rm -rf "$TMP"' EXIT
if ! (cd "$TMP" && apt-get download -q "$PKG" >&2); then
  echo "dictionary.sh: 'apt-get download $PKG' failed (apt lists may need 'apt-get update')" >&2; exit 1
fi
mkdir -p "$DEST"
dpkg-deb -x "$TMP"/${PKG}_*.deb "$DEST"
test -f "$DEST/usr/share/dictd/$NAME.index"
echo "$DEST/usr/share/dictd/$NAME"
