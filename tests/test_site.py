"""The static site (Jupyter Book) and the static slides: every lesson and its worked solutions, built
from the committed lessons, linked both ways, with the links a reader uses to run or download it.

The site is built once (tests/conftest.py, `built_site`), from a clone of this checkout in which a
student has been at work: a scratch cell in lesson 04 and a new notebook, neither committed. They must
not be published.
"""
import html
import html.parser
import pathlib
import re
import subprocess
import sys
import tomllib
import urllib.parse

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
LESSONS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
from conftest import SCRATCH  # what the student typed: it must not appear anywhere
sys.path.insert(0, str(ROOT / "scripts"))
import hosted  # noqa: E402


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.images, self.scripts, self.classes = [], [], [], {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
            for c in (attrs.get("class") or "").split():
                self.classes.setdefault(c, []).append(attrs["href"])
        if tag in ("script", "link") and (attrs.get("src") or attrs.get("href")):
            self.scripts.append(attrs.get("src") or attrs.get("href"))
        if tag == "img":
            self.images.append(attrs)


def parse(path):
    p = Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


def test_the_site_is_built_from_the_committed_lessons_and_names_what_it_left_out(built_site):
    out, stderr, _ = built_site
    assert "notebooks/04_softmax_scratch.ipynb" in stderr and "notebooks/Untitled.ipynb" in stderr, stderr
    assert "notebooks/17_new lesson.ipynb" in stderr, stderr  # staged, not committed: named as it is, left out
    published = [p for p in out.rglob("*") if p.is_file() and p.suffix in (".html", ".ipynb", ".js", ".txt")]
    assert not [p for p in published if SCRATCH in p.read_text(encoding="utf-8", errors="replace")]
    assert not list(out.rglob("Untitled*")) and not list(out.rglob("17_*"))
    # the download is the committed notebook, byte for byte
    committed = subprocess.run(["git", "show", "HEAD:notebooks/04_softmax_scratch.ipynb"], cwd=ROOT,
                               capture_output=True, check=True).stdout
    assert (out / "notebooks" / "04_softmax_scratch.ipynb").read_bytes() == committed


def test_the_site_is_not_built_over_a_checkout_or_a_folder_of_other_files(built_site, tmp_path):
    # the build merges its notebooks/ into the folder: into a checkout it overwrote uncommitted lessons
    import build_site
    out, _, clone = built_site
    for folder, says in ((ROOT, "holds the course's checkout"), (ROOT.parent, "holds the course's checkout"),
                         (ROOT / "notebooks", "not a site built before")):
        with pytest.raises(SystemExit, match=says):
            build_site.check_target(folder)
    (tmp_path / "mine.txt").write_text("a reader's file")
    with pytest.raises(SystemExit, match=r"not a site built before \(mine\.txt"):
        build_site.check_target(tmp_path)
    assert (out / build_site.MARKER).is_file()  # a site built before may be built over
    assert (out / "index.html").is_file() and (out / "searchindex.js").is_file()  # what an older build has too
    assert build_site.check_target(ROOT / "_site") == ROOT / "_site"  # the default folder, whatever it holds
    older = tmp_path / "older"  # a site built before the marker: a Sphinx site's index and search index
    older.mkdir()
    for name in ("index.html", "searchindex.js"):
        (older / name).write_text("")
    for folder in (out, older, tmp_path / "new", tmp_path / "empty"):
        if folder.name == "empty":
            folder.mkdir()
        assert build_site.check_target(folder) == folder.resolve()
    run = subprocess.run([sys.executable, str(clone / "scripts" / "build_site.py"), str(clone)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "holds the course's checkout" in run.stderr
    assert SCRATCH in (clone / "notebooks" / "04_softmax_scratch.ipynb").read_text()  # the student's cell kept


def test_every_lesson_and_its_solutions_are_pages_linked_both_ways_and_in_order(built_site):
    out, _, _ = built_site
    index = parse(out / "index.html")
    for name in LESSONS:
        assert f"{name}.html" in index.hrefs and f"solutions/{name}_solutions.html" in index.hrefs, name
        assert f"slides/{name}.slides.html" in index.hrefs, name
    order = [p for name in LESSONS for p in (f"{name}.html", f"solutions/{name}_solutions.html")]
    for i, page in enumerate(order):
        targets = [(out / page).parent / h.split("#")[0] for h in parse(out / page).hrefs
                   if not urllib.parse.urlparse(h).scheme and h.split("#")[0]]
        missing = [str(t) for t in targets if not t.exists()]
        assert missing == [], (page, missing)  # no broken link between pages, slides and downloads
        norm = {t.resolve().relative_to(out.resolve()).as_posix() for t in targets}
        if i > 0:
            assert order[i - 1] in norm, (page, "previous")
        if i + 1 < len(order):
            assert order[i + 1] in norm, (page, "next")
    # a lesson's Exercises link to its solutions page, and the solutions back to the lesson
    assert "solutions/16_penguins_capstone_solutions.html" in parse(out / "16_penguins_capstone.html").hrefs
    assert "../16_penguins_capstone.html" in parse(out / "solutions" / "16_penguins_capstone_solutions.html").hrefs


def test_each_lesson_says_when_it_was_verified_and_links_to_run_download_and_present_it(built_site):
    out, _, clone = built_site
    head_short, head_date = git("log", "-1", "--format=%h %cs", cwd=clone).split()
    site = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["d2lcore"]["site"]
    repository, ref = hosted.settings()
    for name in LESSONS:
        text = (out / f"{name}.html").read_text(encoding="utf-8")
        changed_short, changed_date = git("log", "-1", "--format=%h %cs", "--", f"notebooks/{name}.ipynb",
                                          cwd=clone).split()
        assert (f"Outputs last verified: {head_date}, commit <code>{head_short}</code>" in text
                and f"outputs last changed {changed_date}, commit <code>{changed_short}</code>" in text), name
        links = parse(out / f"{name}.html").classes
        assert links["d2l-open-lab"] == [f"{site['lab_url']}/lab/tree/{name}.ipynb"]
        assert links["d2l-open-colab"] == [hosted.colab_url(ROOT / "notebooks" / f"{name}.ipynb", repository, ref)]
        # the hub link: nbgitpuller clones (first time) or merges (later) the course into ~/d2lcore,
        # then opens the lesson there
        hub = urllib.parse.urlparse(links["d2l-open-hub"][0])
        assert f"{hub.scheme}://{hub.netloc}" == site["hub_url"] and hub.path == "/hub/user-redirect/git-pull"
        query = urllib.parse.parse_qs(hub.query)
        assert query == {"repo": [site["hub_repo"]], "branch": [site["hub_branch"]], "targetpath": ["d2lcore"],
                         "urlpath": [f"lab/tree/d2lcore/notebooks/{name}.ipynb"]}, query
        assert links["d2l-slides"] == [f"slides/{name}.slides.html"]
        assert links["d2l-download"] == [f"notebooks/{name}.ipynb"]
        nbformat.validate(nbformat.read(out / "notebooks" / f"{name}.ipynb", as_version=4))
        # a solutions page: no launch line (the solutions run their lesson first), its own download
        assert "d2l-open-colab" not in parse(out / "solutions" / f"{name}_solutions.html").classes
        assert (out / "notebooks" / "solutions" / f"{name}_solutions.ipynb").is_file()


def test_the_site_and_its_slides_ask_nothing_of_the_network_and_figures_have_alt_text(built_site):
    out, _, _ = built_site
    pages = [out / "index.html", out / "glossary.html", out / "search.html"] + [
        out / f"{n}.html" for n in LESSONS] + [out / "solutions" / f"{n}_solutions.html" for n in LESSONS] + [
        out / "slides" / f"{n}.slides.html" for n in LESSONS]
    figures = 0
    for page in pages:
        links = parse(page)
        remote = [s for s in links.scripts if urllib.parse.urlparse(s).scheme]
        assert remote == [], (page.name, remote)
        missing = [s for s in links.scripts if s != "#" and not (page.parent / s.split("?")[0]).resolve().is_file()]
        assert missing == [], (page.name, missing)
        for img in links.images:
            figures += 1
            assert img.get("alt") and "_images/" not in img["alt"], (page.name, img)
    assert figures > 50
    # a deck is reveal.js at 1280×720 with the set-up cell on its title slide, hints and solutions left out
    deck = (out / "slides" / "06_loss_functions.slides.html").read_text(encoding="utf-8")
    assert "width: 1280" in deck and "height: 720" in deck
    deck = html.unescape(re.sub(r"<[^>]+>", "", deck))
    assert "import d2lcore as d2l" in deck and hosted.FIRST_LINE not in deck and "Solution 1" not in deck
    # the glossary is a page, each term linked to the lesson that introduces it
    glossary = parse(out / "glossary.html")
    assert sum(h.endswith(".html") and h[:2].isdigit() for h in glossary.hrefs) > 30
