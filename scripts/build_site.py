"""Render the course as a static site with Jupyter Book 1.x, and every lesson as a static slide deck.

    ./course site            # writes _site/index.html, a page per lesson and per worked solutions
    python scripts/build_site.py OUT_DIR

What a reader gets: full-text search, light and dark themes, a copy button on code cells, the
glossary, prev/next navigation, folded hints and solutions, and on each lesson a line saying when
its outputs were last verified and links to run it (JupyterLab, the class hub, Colab), to
download its notebook and to page through its slides. Why Jupyter Book and not MkDocs-material:
docs/site.md.

The site shows the outputs the test suite checked: the notebooks are taken from the last commit
(`git show HEAD:…`), never from the working tree, and nothing is re-executed. A lesson changed
but not committed is named on stderr and published as committed.

Offline, as plain files: no page asks the network for anything. MathJax 2 is copied from
`jupyter-server-mathjax` (Sphinx would load MathJax 3 from a CDN), the slides' reveal.js,
require.js and jQuery from site/vendor/ (nbconvert would load them from unpkg and cdnjs), and
the theme's own scripts, fonts and search index are files of the site.
"""
import html
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import urllib.parse

import jupyter_server_mathjax
import nbformat
import yaml
from nbconvert import SlidesExporter

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import hosted  # noqa: E402  (where "in Colab" points, and the install cell's tag)

SITE = ROOT / "site"  # the book's own stylesheet and the slides' vendored scripts
GLOSSARY = "docs/glossary.md"  # the glossary's one home; the site publishes it as committed
MATHJAX_SRC = pathlib.Path(jupyter_server_mathjax.__file__).parent / "static"
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"
# jupyter-server-mathjax ships only the STIX-Web fonts. MathJax's default, the TeX fonts, would need
# jax/output/HTML-CSS/fonts/TeX/fontdata.js: without it hats float above their letters and bold
# vectors come out plain. The fast preview would draw with the TeX fonts (CommonHTML) before the
# real typesetting: off, so that no page asks for fonts the package lacks.
MATHJAX_FONTS = {"HTML-CSS": {"availableFonts": [], "preferredFont": None, "webFont": "STIX-Web", "imageFont": None},
                 "SVG": {"font": "STIX-Web"}, "fast-preview": {"disabled": True},
                 "menuSettings": {"CHTMLpreview": False}}
TITLE = "d2lcore — linear neural networks, hands on"


def git(*args):
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout


def settings():
    """[tool.d2lcore.site] of pyproject.toml: where "open in JupyterLab" and "on the class hub" point."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return project["tool"]["d2lcore"]["site"]


def committed_sources(stage):
    """Write the committed lessons, their solutions and the glossary (docs/glossary.md) into `stage`.

    Returns the files under notebooks/ (and the glossary) whose working copy differs from the commit:
    they are published as committed, and the caller names them.
    """
    try:  # the last commit's files: a lesson staged but not committed is not in it
        listed = git("ls-tree", "-r", "-z", "--name-only", "HEAD", "--", "notebooks", GLOSSARY).split("\0")
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        raise SystemExit(f"the site is built from the committed lessons, and {ROOT} is not a git checkout "
                         f"with git installed ({e}): clone the course with git") from None
    for name in filter(None, listed):
        if not name.endswith(".ipynb") and name != GLOSSARY:
            continue
        target = stage / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(subprocess.run(["git", "-C", str(ROOT), "show", f"HEAD:{name}"],
                                          capture_output=True, check=True).stdout)
    # -z: names as they are (without it a name with a space comes quoted); a rename's old name follows it
    entries = iter(git("status", "--porcelain", "-z", "--untracked-files=all", "--", "notebooks", GLOSSARY).split("\0"))
    changed = []
    for entry in entries:
        if entry[:1] in ("R", "C"):
            next(entries, None)
        if entry[3:].endswith((".ipynb", GLOSSARY)):
            changed.append(entry[3:])
    return changed


def verified(path):
    """The 'last verified' line: the commit this site is built from, and when the outputs last changed.

    Every commit that lands on main has passed CI, which re-executes each lesson and compares it
    with its stored outputs (nbval) — so the commit is the check, and its date the date.
    """
    head = git("log", "-1", "--format=%h %cs").split()
    changed = git("log", "-1", "--format=%h %cs", "--", path).split() or head
    return (f'<p class="d2l-verified">Outputs last verified: {head[1]}, commit <code>{head[0]}</code> '
            f'(CI re-executes every lesson and compares it with these outputs on every commit); '
            f'outputs last changed {changed[1]}, commit <code>{changed[0]}</code>.</p>')


def lesson_title(nb, fallback):
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if first is not None:
        m = re.match(r"#\s+(.+)", first.source.strip())
        if m:
            return m.group(1).strip()
    return fallback


def hub_link(name, cfg):
    """nbgitpuller's link: log in, clone the course into ~/d2lcore (first time) or merge its new
    commits (keeping the student's changes), then open the lesson in JupyterLab."""
    query = urllib.parse.urlencode({"repo": cfg["hub_repo"], "branch": cfg["hub_branch"], "targetpath": "d2lcore",
                                    "urlpath": f"lab/tree/d2lcore/notebooks/{name}.ipynb"}, safe="/")
    return f"{cfg['hub_url'].rstrip('/')}/hub/user-redirect/git-pull?{query}"


def launch_links(name, cfg, repository, ref):
    """Run it in JupyterLab, on the class hub (nbgitpuller: creates or updates the student's copy),
    in Colab; its slides; download it."""
    lab = f"{cfg['lab_url'].rstrip('/')}/lab/tree/{name}.ipynb"  # ./course lab serves notebooks/
    hub = hub_link(name, cfg)
    colab = hosted.colab_url(ROOT / "notebooks" / f"{name}.ipynb", repository, ref)
    links = [(lab, "in JupyterLab", "d2l-open-lab"), (hub, "on the class hub", "d2l-open-hub"),
             (colab, "in Colab", "d2l-open-colab")]
    run = " · ".join(f'<a class="{c}" href="{html.escape(u)}">{t}</a>' for u, t, c in links)
    return (f'<p class="d2l-launch">Run this lesson {run}. '
            f'<a class="d2l-slides" href="slides/{name}.slides.html">Slides</a> · '
            f'<a class="d2l-download" href="notebooks/{name}.ipynb" download>Download the notebook (.ipynb)</a></p>')


def figure_alt(cell, heading):
    """Alt text for a cell's figures: a screen reader hears what the figure is of, not a file name."""
    comment = next((line.strip("# ").rstrip(":") for line in cell.source.splitlines()
                    if line.startswith("#") and not line.startswith("# NBVAL")), "")
    return f"Figure drawn by the code above{': ' + comment if comment else ''} (section “{heading}”)"


def for_the_site(nb, extra_html=None):
    """The notebook as the site shows it: the install cell left out (a reader has nothing to
    install), worked-solution code folded with its output, figures with alt text, and the
    lesson's lines under its title."""
    cells, heading = [], ""
    for cell in nb.cells:
        tags = cell.metadata.setdefault("tags", [])
        if hosted.TAG in tags:
            continue
        if cell.cell_type == "markdown":
            heading = next((re.sub(r"^#+\s*", "", line) for line in cell.source.splitlines() if line.startswith("#")),
                           heading)
        mystnb = {}
        if cell.cell_type == "code" and "solution" in tags:
            tags.append("hide-cell")
            mystnb.update(code_prompt_show="Worked solution: show the code and its output",
                          code_prompt_hide="Hide the worked solution")
        if cell.cell_type == "code" and any("image/png" in o.get("data", {}) for o in cell.outputs):
            mystnb["image"] = {"alt": figure_alt(cell, heading)}
        if mystnb:
            cell.metadata["mystnb"] = mystnb
        cells.append(cell)
    if extra_html:
        cells.insert(1, nbformat.v4.new_markdown_cell(extra_html))
    nb.cells = cells
    return nb


def glossary_page(text):
    """docs/glossary.md as the site's page: its title, its words and its table."""
    section = text.split("# Glossary\n", 1)[1]
    # the glossary names each term's lesson by its notebook; on the site, link its page
    section = re.sub(r"`((\d\d)_[a-z0-9_]+)\.ipynb`", r"[\1](\1.ipynb)", section)
    return f"# Glossary\n{section}"


def index_page(lessons):
    # markdown links to pages; the slides are files of the site, not pages of the book: a plain <a>
    rows = "\n".join(f"{i}. [{title}]({name}.ipynb) · [worked solutions](solutions/{name}_solutions.ipynb)"
                     f' · <a href="slides/{name}.slides.html">slides</a>'
                     for i, (name, title) in enumerate(lessons))
    return (f"# {TITLE}\n\nA read-only copy of the course, with the outputs the test suite checked. "
            "To run the lessons yourself: `./course lab`, the class hub, or the Colab link on each "
            "lesson.\n\n" + rows + "\n\nTerms and their Chinese names: [Glossary](glossary.md).\n")


# nbconvert sizes its decks' text for 960×700 slides (20 px prose, 19 px code); these are 1280×720,
# as RISE shows them, with JupyterLab's sizes a step up, so that a slide that fits in RISE fits here.
# A slide of one long cell (a traceback, a long loop) scrolls, as RISE's do.
SLIDES_CSS = """<style>
:root { --jp-ui-font-size1: 15px; --jp-content-font-size1: 15px; --jp-code-font-size: 14px;
        --jp-cell-prompt-width: 64px; }
.reveal h1 { font-size: 1.9em; } .reveal h2 { font-size: 1.35em; } .reveal h3 { font-size: 1.15em; }
.reveal p { margin: 0.6em 0; }
.reveal .slides section { padding: 0; max-height: 720px; overflow-y: auto; }
.MJX_Assistive_MathML, .MJX_Assistive_MathML * { font-family: serif !important; }  /* as site/static/d2l.css */
/* printed lines break between words, as in RISE with extensions/rise-widgets/style/index.css */
.jp-OutputArea .jp-OutputArea-output pre { word-break: normal; overflow-wrap: anywhere; }
</style>
"""
MERMAID = re.compile(r'<script type="module">\s*import mermaid from [^<]*</script>\s*')


def slides(nb_path, out_dir, exporter):
    """A lesson as a reveal.js deck: the slide metadata RISE uses, 1280×720 like the RISE slides."""
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells = [c for c in nb.cells if hosted.TAG not in c.metadata.get("tags", [])]
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": lesson_title(nb, nb_path.stem)}})
    # nbconvert's reveal template imports mermaid from a CDN on every deck; no lesson draws a diagram
    body, found = MERMAID.subn("", body)
    assert found == 1, "nbconvert's mermaid import moved: update MERMAID"
    mathjax_tag = f'<script src="{exporter.mathjax_url}"'
    assert mathjax_tag in body, "nbconvert's MathJax tag moved: update the fonts' placement"
    fonts = f'<script type="text/x-mathjax-config">MathJax.Hub.Config({json.dumps(MATHJAX_FONTS)});</script>\n'
    body = body.replace(mathjax_tag, fonts + mathjax_tag, 1).replace("</head>", SLIDES_CSS + "</head>", 1)
    (out_dir / f"{nb_path.stem}.slides.html").write_text(body, encoding="utf-8")


MARKER = ".d2lcore-site"  # written into every site built: a folder holding it may be built over


def check_target(out_dir):
    """The site is merged into out_dir, its notebooks/ included: refuse a folder that holds anything
    but a site built before (the checkout itself would have its uncommitted lessons overwritten)."""
    out_dir = pathlib.Path(out_dir).resolve()
    if out_dir == ROOT or out_dir in ROOT.parents:
        raise SystemExit(f"the site cannot be built into {out_dir}: it holds the course's checkout, whose lessons "
                         f"the site's notebooks/ would overwrite; pass a new folder, e.g. {ROOT / '_site'}")
    # a site built before: the marker (written before the pages, so an interrupted build has it too), or
    # an older build's pages (a Sphinx site: index.html and its search index), or the default _site/
    site_before = (out_dir / MARKER).exists() or out_dir == ROOT / "_site" or all(
        (out_dir / name).is_file() for name in ("index.html", "searchindex.js"))
    if out_dir.is_dir() and any(out_dir.iterdir()) and not site_before:
        shown = ", ".join(sorted(p.name for p in out_dir.iterdir())[:5])
        raise SystemExit(f"the site cannot be built into {out_dir}: it holds files that are not a site built before "
                         f"({shown}, ...), which the build could overwrite; pass an empty or new folder, or the "
                         f"folder of a site built before")
    return out_dir


def build(out_dir):
    out_dir = check_target(out_dir)
    repository, ref = hosted.settings()
    cfg = settings()
    with tempfile.TemporaryDirectory(prefix="d2l-site-") as tmp:
        tmp = pathlib.Path(tmp)
        src = tmp / "committed"
        changed = committed_sources(src)
        if changed:
            print("not published (changed since the last commit; the site shows the committed version): "
                  + ", ".join(changed), file=sys.stderr)
        book = tmp / "book"
        extra = book / "_extra"  # copied as they are to the site's root
        (extra / "notebooks" / "solutions").mkdir(parents=True)
        shutil.copytree(MATHJAX_SRC, extra / "mathjax")
        shutil.copytree(SITE / "vendor", extra / "slides", dirs_exist_ok=True)
        shutil.copytree(SITE / "static", book / "_static")
        exporter = SlidesExporter(template_name="reveal", mathjax_url=f"../mathjax/MathJax.js?config={MATHJAX_CONFIG}",
                                  require_js_url="require.js", jquery_url="jquery.min.js",
                                  reveal_url_prefix="reveal.js", reveal_theme="white", reveal_transition="none",
                                  reveal_width="1280", reveal_height="720", reveal_number="c/t", reveal_scroll=False)
        paths = sorted((src / "notebooks").glob("[0-9][0-9]_*.ipynb"))
        if not paths:
            raise SystemExit("no lessons (notebooks/NN_topic.ipynb) in the last commit")
        lessons, chapters = [], []
        for p in paths:
            nb = nbformat.read(p, as_version=4)
            lessons.append((p.stem, lesson_title(nb, p.stem)))
            shutil.copy(p, extra / "notebooks" / p.name)
            slides(p, extra / "slides", exporter)
            page = for_the_site(nb, verified(f"notebooks/{p.name}") + "\n\n" + launch_links(p.stem, cfg, repository, ref))
            nbformat.write(page, book / p.name)
            chapter = {"file": p.stem}
            sol = p.parent / "solutions" / f"{p.stem}_solutions.ipynb"
            if sol.is_file():
                (book / "solutions").mkdir(exist_ok=True)
                shutil.copy(sol, extra / "notebooks" / "solutions" / sol.name)
                nbformat.write(for_the_site(nbformat.read(sol, as_version=4)), book / "solutions" / sol.name)
                chapter["sections"] = [{"file": f"solutions/{sol.stem}"}]
            chapters.append(chapter)
        (book / "index.md").write_text(index_page(lessons), encoding="utf-8")
        (book / "glossary.md").write_text(glossary_page((src / GLOSSARY).read_text(encoding="utf-8")), encoding="utf-8")
        toc = {"format": "jb-book", "root": "index", "chapters": chapters + [{"file": "glossary"}]}
        (book / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False), encoding="utf-8")
        config = {
            "title": "d2lcore", "author": "the d2lcore authors", "copyright": "2026",
            "only_build_toc_files": True,
            "execute": {"execute_notebooks": "off"},  # the stored outputs, never re-run
            "repository": {"url": repository, "branch": "main", "path_to_book": "notebooks"},
            "html": {"use_repository_button": True, "use_download_button": False, "use_fullscreen_button": False,
                     "home_page_in_navbar": True},
            "launch_buttons": {"notebook_interface": "jupyterlab"},  # no theme buttons: the lesson's own line has them
            "sphinx": {"config": {
                # relative to _static/ in every page's folder: the site's mathjax/ beside it
                "mathjax_path": f"../mathjax/MathJax.js?config={MATHJAX_CONFIG}",
                "mathjax2_config": MATHJAX_FONTS,
                "myst_update_mathjax": False,
                "html_extra_path": ["_extra"],
                "html_theme_options": {"use_download_button": False, "use_fullscreen_button": False,
                                       "use_repository_button": True, "repository_url": repository,
                                       "navigation_with_keys": False},
                "nb_render_markdown_format": "myst",
                "suppress_warnings": ["mystnb.unknown_mime_type"],
            }},
        }
        (book / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
        jb = pathlib.Path(sys.executable).parent / "jupyter-book"
        env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")
        run = subprocess.run([str(jb), "build", str(book), "--path-output", str(tmp / "out"), "-W", "-n",
                              "--keep-going", "-q"], capture_output=True, text=True, env=env)
        if run.returncode != 0:
            sys.stderr.write(run.stdout[-6000:] + run.stderr[-6000:])
            raise SystemExit(f"jupyter-book build failed (exit {run.returncode})")
        html_dir = tmp / "out" / "_build" / "html"
        if out_dir.exists():
            shutil.rmtree(out_dir / "_static", ignore_errors=True)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / MARKER).write_text("built by scripts/build_site.py: ./course site may build over this folder\n")
        shutil.copytree(html_dir, out_dir, dirs_exist_ok=True)
    return [f"{name}.html" for name, _ in lessons] + [f"solutions/{name}_solutions.html" for name, _ in lessons]


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else ROOT / "_site"
    pages = build(out)
    print(f"wrote {len(pages)} pages (lessons and their worked solutions), their slides, index.html "
          f"and the glossary to {out}")
