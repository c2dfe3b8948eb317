"""Look at built pages as a reader does: headless-Chromium screenshots at 1280 px, and a list of
every table or display equation wider than its box.

    python tools/page_check.py _build/html [--pages 02_momentum_nesterov 18_replication_report ...]
        [--mathjax /path/to/mathjax/es5/tex-mml-chtml.js] [--out /tmp/pages]

It copies the built HTML to ``--out``, points the pages at a local MathJax when one is given (the
published book loads it from a CDN, which an offline machine cannot reach, so equations would stay
raw TeX), and for each page:

- writes ``<page>.png`` (1280 px wide, the page's full height) and ``<page>-N.png`` slices of
  1600 px that an image viewer shows at full size;
- prints every table box or display equation whose content is wider than what the reader sees
  without scrolling, and every table cut off at the text column's edge.

Needs ``chromium-headless-shell`` (``apt-get install chromium-headless-shell``) and, for the slices,
Pillow. Not part of ``make test``: CI has no browser.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
from pathlib import Path

CHROME = shutil.which("chromium-headless-shell") or shutil.which("chromium") or "chromium-headless-shell"
WIDTH = 1280

#: Runs in the page once MathJax has typeset it: overflowing boxes into a <pre id=page-check>.
PROBE = """
<script>
function pageCheck() {
  const found = [];
  const column = document.querySelector('main article, article.bd-article, main') || document.body;
  const edge = column.getBoundingClientRect().right;
  const boxes = document.querySelectorAll(
    'div.optimbook-table, div.cell_output div.output.text_html, div.math, mjx-container[display="true"], table');
  for (const box of boxes) {
    const r = box.getBoundingClientRect();
    if (r.width === 0) continue;
    const what = box.tagName.toLowerCase() + (box.className ? '.' + String(box.className).split(' ')[0] : '');
    const text = (box.innerText || box.textContent || '').trim().slice(0, 60).replace(/\\s+/g, ' ');
    if (box.scrollWidth > box.clientWidth + 1 && getComputedStyle(box).overflowX !== 'visible')
      found.push({what, text, top: Math.round(r.top + window.scrollY), scroll: box.scrollWidth, visible: box.clientWidth});
    let clipped = false;  // inside a box that scrolls: reported as that box
    for (let a = box.parentElement; a; a = a.parentElement)
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(a).overflowX)) { clipped = true; break; }
    if (r.right > edge + 1 && !clipped)
      found.push({what, text, top: Math.round(r.top + window.scrollY), right: Math.round(r.right), edge: Math.round(edge)});
  }
  const out = document.createElement('pre');
  out.id = 'page-check';
  out.textContent = JSON.stringify(found);
  document.body.appendChild(out);
}
function whenTypeset() {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise)
    MathJax.startup.promise.then(() => setTimeout(pageCheck, 200));
  else setTimeout(pageCheck, 500);
}
window.addEventListener('load', () => setTimeout(whenTypeset, 500));
</script>
"""


def prepare(built: Path, out: Path, mathjax: Path | None) -> Path:
    """A copy of the built site with the probe in every page (and a local MathJax if given)."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(built, out)
    for page in out.rglob("*.html"):
        text = page.read_text()
        if mathjax is not None:
            text = re.sub(r'src="https://cdn\.jsdelivr\.net/npm/mathjax@3/es5/[^"]+"',
                          f'src="file://{mathjax.resolve()}"', text)
        page.write_text(text.replace("</body>", PROBE + "</body>"))
    return out


def height_of(page: Path) -> int:
    """The page's full height at 1280 px (from the DOM, after layout)."""
    script = "<script>window.addEventListener('load',()=>{document.title='H'+document.documentElement.scrollHeight})</script>"
    probe = page.with_suffix(".height.html")
    probe.write_text(page.read_text().replace("</body>", script + "</body>"))
    dom = subprocess.run([CHROME, "--no-sandbox", "--allow-file-access-from-files", f"--window-size={WIDTH},1000",
                          "--virtual-time-budget=8000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    probe.unlink()
    match = re.search(r"<title>H(\d+)</title>", dom)
    return int(match.group(1)) if match else 8000


def check(page: Path, shots: Path) -> list[dict]:
    """Screenshot ``page`` and return the boxes wider than what a reader sees."""
    height = min(height_of(page), 30000)
    png = shots / f"{page.stem}.png"
    subprocess.run([CHROME, "--no-sandbox", "--hide-scrollbars", "--allow-file-access-from-files",
                    f"--window-size={WIDTH},{height}", "--virtual-time-budget=10000",
                    f"--screenshot={png}", page.as_uri()], capture_output=True, timeout=180)
    dom = subprocess.run([CHROME, "--no-sandbox", "--allow-file-access-from-files", f"--window-size={WIDTH},{height}",
                          "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=180).stdout
    match = re.search(r'<pre id="page-check">(.*?)</pre>', dom, re.S)
    try:
        from PIL import Image

        image = Image.open(png)
        for i, top in enumerate(range(0, image.height, 1600)):
            image.crop((0, top, image.width, min(top + 1600, image.height))).save(shots / f"{page.stem}-{i}.png")
    except ImportError:
        pass
    if match is None:
        return [{"what": "page", "text": "the probe did not run"}]
    import html

    return json.loads(html.unescape(match.group(1)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("built", type=Path, help="the built site (e.g. _build/html)")
    parser.add_argument("--pages", nargs="*", default=None, help="page stems (default: every chapter)")
    parser.add_argument("--mathjax", type=Path, default=None, help="a local MathJax 3 tex-mml-chtml.js")
    parser.add_argument("--out", type=Path, default=Path("/tmp/pages"))
    args = parser.parse_args(argv)
    site = prepare(args.built, args.out / "site", args.mathjax)
    shots = args.out / "shots"
    shots.mkdir(parents=True, exist_ok=True)
    pages = sorted((site / "book" / "chapters").glob("*.html"))
    if args.pages:
        pages = [p for p in pages if p.stem in args.pages or p.stem[:2] in args.pages]
    bad = 0
    for page in pages:
        found = check(page, shots)
        bad += bool(found)
        print(f"{page.stem}: {'fits' if not found else f'{len(found)} box(es) wider than the page'}")
        for item in found:
            print(f"    {item}")
    print(f"screenshots in {shots}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
