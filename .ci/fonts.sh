#!/usr/bin/env bash
# Font independence: PDFium substitutes the machine's fonts for the non-embedded ones municipal PDFs
# use, so glyph boxes move with the machine; the records must not. Runs the PDF tests a second time
# with Debian's CJK fonts in the state this machine does NOT have (installed if absent, removed if
# present), then puts the machine back as it was.
set -euo pipefail
cd "$(dirname "$0")/.."
PKG=fonts-noto-cjk
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "fonts: not root or no apt-get here; the second font state is not tested" >&2
  exit 0
fi
tests=(tests/unit/test_read_pdf.py tests/unit/test_extract.py)
[ -f tests/integration/test_layouts.py ] && tests+=(tests/integration/test_layouts.py)
if dpkg -s "$PKG" >/dev/null 2>&1; then
  had=1
  apt-get remove -y -qq "$PKG" >/dev/null
else
  had=0
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$PKG" >/dev/null
fi
restore() {
  if [ "$had" = 1 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$PKG" >/dev/null
  else
    apt-get remove -y -qq "$PKG" >/dev/null
  fi
}
trap restore EXIT
echo "fonts: PDF tests with $PKG $([ "$had" = 1 ] && echo absent || echo present)" >&2
.venv/bin/python -m pytest -q -p no:cacheprovider "${tests[@]}"
