"""The read-only HTML version of the course: every lesson and its worked solutions rendered, linked both ways."""
import html.parser
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
LESSONS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.images, self.scripts = [], 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag in ("script", "link") and (attrs.get("src") or attrs.get("href")):
            self.scripts.append(attrs.get("src") or attrs.get("href"))
        if tag == "img" and (attrs.get("src") or "").startswith("data:image/png;base64,"):
            self.images += 1


def parse(path):
    p = Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def test_the_site_command_renders_every_lesson_with_working_navigation(tmp_path):
    out = tmp_path / "site"
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_site.py"), str(out)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    index = parse(out / "index.html")
    assert [h for h in index.hrefs] == [f"{name}{kind}.html" for name in LESSONS for kind in ("", "_solutions")]
    for i, name in enumerate(LESSONS):
        # a lesson's Exercises link to its solutions page, which links back (the notebooks' links, rewritten)
        assert f"{name}_solutions.html" in parse(out / f"{name}.html").hrefs
        solutions = parse(out / f"{name}_solutions.html")
        assert f"{name}.html" in solutions.hrefs and not [h for h in solutions.hrefs if h.endswith(".ipynb") and "colab" not in h]
        assert solutions.scripts == parse(out / f"{name}.html").scripts  # the same offline MathJax
        page = parse(out / f"{name}.html")
        local = {h for h in page.hrefs if h.endswith(".html") and "://" not in h}
        assert "index.html" in local
        assert all((out / h).exists() for h in local), local  # no broken link between pages
        if i > 0:
            assert f"{LESSONS[i - 1]}.html" in local
        if i + 1 < len(LESSONS):
            assert f"{LESSONS[i + 1]}.html" in local
        # offline: every script and stylesheet is a file of the site (MathJax included), none from a CDN
        assert page.scripts and all("://" not in s and (out / s.split("?")[0]).is_file() for s in page.scripts), \
            page.scripts
    # each lesson's page opens it in Colab, at the release the hosted lessons install (a solutions
    # page does not: the solutions run their lesson first, which Colab would not have beside them)
    sys.path.insert(0, str(ROOT / "scripts"))
    import hosted
    for name in LESSONS:
        lesson = parse(out / f"{name}.html").hrefs
        assert hosted.colab_url(ROOT / "notebooks" / f"{name}.ipynb", *hosted.settings()) in lesson, name
        assert not [h for h in parse(out / f"{name}_solutions.html").hrefs if "colab" in h], name
    # stored figures are embedded, so the site works as plain files
    assert parse(out / "01_linear_regression_scratch.html").images >= 3
    # the MathJax configuration a page asks for is there too (MathJax.js alone renders nothing)
    config = parse(out / "00_preliminaries.html").scripts[0].split("config=")[1].split(",")
    assert all((out / "mathjax" / "config" / f"{name}.js").is_file() for name in config), config
