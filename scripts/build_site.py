"""Render every lesson to a static, read-only HTML site with navigation between lessons.

    ./course site            # writes _site/index.html and one page per lesson
    python scripts/build_site.py OUT_DIR

Uses nbconvert's HTML exporter on the committed (executed) notebooks: nothing is re-run, so the
site shows exactly the outputs CI checked. Each page gets a bar with links to the previous lesson,
the index and the next lesson. Each lesson's worked solutions (notebooks/solutions/) get a page of
their own, `NN_topic_solutions.html`, linked from the lesson's Exercises and from the index, with
every solution folded as in JupyterLab.

The site works offline, as plain files: MathJax is copied from the `jupyter-server-mathjax`
package into `mathjax/` (nbconvert would load it from a CDN) and set to the STIX-Web fonts that
package ships, figures are embedded, and the require.js tag nbconvert adds for widget views is
dropped — no page stores widget state.
"""
import html
import pathlib
import re
import shutil
import sys

import jupyter_server_mathjax
import nbformat
from nbconvert import HTMLExporter

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import hosted  # noqa: E402  (where "Open in Colab" points: pyproject.toml's [tool.d2lcore.hosted])

MATHJAX_SRC = pathlib.Path(jupyter_server_mathjax.__file__).parent / "static"
MATHJAX_URL = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
# jupyter-server-mathjax ships only the STIX-Web fonts. MathJax's default, the TeX fonts, would need
# jax/output/HTML-CSS/fonts/TeX/fontdata.js: without it hats float above their letters and bold
# vectors come out plain. The lessons' text stays hidden until the first typesetting is done, so
# that no raw $...$ flashes by (shown anyway after 5 s, should MathJax fail).
MATHJAX_SETUP = """<script type="text/x-mathjax-config">
MathJax.Hub.Config({"HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null},
                    SVG: {font: "STIX-Web"}});
MathJax.Hub.Register.StartupHook("End", function () { document.documentElement.classList.remove("d2l-typesetting"); });
</script>
<style>
html.d2l-typesetting .jp-RenderedMarkdown { visibility: hidden; }
/* the hidden MathML copy for screen readers would ask for TeX web fonts the package lacks */
.MJX_Assistive_MathML, .MJX_Assistive_MathML * { font-family: serif !important; }
</style>
<script>
document.documentElement.classList.add("d2l-typesetting");
setTimeout(function () { document.documentElement.classList.remove("d2l-typesetting"); }, 5000);
</script>
"""


def lesson_title(nb, fallback):
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if first is not None:
        m = re.match(r"#\s+(.+)", first.source.strip())
        if m:
            return m.group(1).strip()
    return fallback


def nav_bar(prev_page, next_page, colab=None):
    """The bar: previous page, the index (and the page's notebook in Colab), next page."""
    def link(page, label):
        if page is None:
            return f'<span class="d2l-nav-off">{label}</span>'
        return f'<a href="{html.escape(page[0])}">{label} {html.escape(page[1])}</a>'
    middle = '<a href="index.html">All lessons</a>' + (
        f' · <a class="d2l-colab" href="{html.escape(colab)}">Open in Colab</a>' if colab else "")
    return ('<nav class="d2l-nav" style="display:flex;justify-content:space-between;gap:1em;'
            'padding:0.6em 1em;border-bottom:1px solid #ddd;font-family:sans-serif;font-size:0.9em">'
            f'{link(prev_page, "&larr;")}<span>{middle}</span>{link(next_page, "&rarr;")}</nav>')

# Worked solutions start folded, as in JupyterLab (scripts/slides.py): a student opens them on
# purpose. nbconvert marks a cell tagged "solution" with the class celltag_solution; markdown
# hints and solutions fold themselves with <details>, code cells are put into one here.
FOLD_SOLUTIONS = """<script>
document.querySelectorAll(".jp-CodeCell.celltag_solution").forEach(function (cell) {
  var box = document.createElement("details"), label = document.createElement("summary");
  box.className = "d2l-solution";
  label.textContent = "Worked solution: code and output";
  cell.parentNode.insertBefore(box, cell);
  box.appendChild(label);
  box.appendChild(cell);
});
</script>
"""


def render(exporter, nb, title, bar):
    """One page: nbconvert's HTML with MathJax served from the site, the bars and the folding."""
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    body = body.replace(f'<script src="{exporter.require_js_url}"></script>', "", 1)
    mathjax_tag = f'<script src="{MATHJAX_URL}"'
    assert mathjax_tag in body, "nbconvert's MathJax tag moved: update MATHJAX_SETUP's placement"
    body = body.replace(mathjax_tag, MATHJAX_SETUP + mathjax_tag, 1)
    # links between a lesson and its solutions point at notebooks; on the site, at their pages
    body = re.sub(r'href="(?:solutions/|\.\./)?([0-9][0-9]_[a-z0-9_]+)\.ipynb"', r'href="\1.html"', body)
    body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + bar, body, count=1)
    return body.replace("</body>", bar + FOLD_SOLUTIONS + "</body>", 1)


def build(out_dir, notebooks_dir=ROOT / "notebooks"):
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = sorted(pathlib.Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise SystemExit(f"no lessons (NN_topic.ipynb) found in {notebooks_dir}")
    shutil.copytree(MATHJAX_SRC, out_dir / "mathjax", dirs_exist_ok=True)
    exporter = HTMLExporter(template_name="lab", mathjax_url=MATHJAX_URL)
    lessons = []
    for p in paths:
        nb = nbformat.read(p, as_version=4)
        lessons.append((p, nb, p.stem + ".html", lesson_title(nb, p.stem)))
    written = []
    repository, ref = hosted.settings()

    def colab(path):  # the lessons of this checkout only: a notebooks_dir elsewhere is in no repository
        return hosted.colab_url(path, repository, ref) if path.resolve().is_relative_to(ROOT) else None

    for i, (p, nb, page, title) in enumerate(lessons):
        prev_page = lessons[i - 1][2:] if i > 0 else None
        next_page = lessons[i + 1][2:] if i + 1 < len(lessons) else None
        bar = nav_bar(prev_page, next_page, colab(p))
        (out_dir / page).write_text(render(exporter, nb, title, bar), encoding="utf-8")
        written.append(page)
        solutions = p.parent / "solutions" / f"{p.stem}_solutions.ipynb"
        if solutions.is_file():
            sol = nbformat.read(solutions, as_version=4)
            sol_page = f"{p.stem}_solutions.html"
            # the solutions page sits between its lesson and the next one
            # no Colab link: the solutions run their lesson first, which Colab would not have beside them
            bar = nav_bar((page, title), next_page)
            (out_dir / sol_page).write_text(render(exporter, sol, lesson_title(sol, sol_page), bar), encoding="utf-8")
            written.append(sol_page)
    items = "\n".join(
        f'<li><a href="{html.escape(page)}">{html.escape(title)}</a>'
        + (f' · <a href="{p.stem}_solutions.html">worked solutions</a>' if f"{p.stem}_solutions.html" in written else "")
        + "</li>" for p, _, page, title in lessons)
    (out_dir / "index.html").write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>d2lcore: linear neural networks</title>'
        '</head><body style="font-family:sans-serif;max-width:50em;margin:2em auto">'
        "<h1>d2lcore — linear neural networks, hands on</h1>"
        "<p>A read-only copy of the course, with the outputs the test suite checked. "
        "To run the lessons yourself: <code>./course lab</code>.</p>"
        f"<ol start=\"0\">{items}</ol></body></html>", encoding="utf-8")
    return written

if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else ROOT / "_site"
    pages = build(out)
    print(f"wrote {len(pages)} pages (lessons and their worked solutions) and index.html to {out}")
