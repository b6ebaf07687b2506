"""The static site and slides as a reader meets them: served over loopback HTTP, read in Chromium with
every other request blocked. Search, copy, dark mode, download, folded solutions, maths, slides that fit
1280×720, and an accessibility check (axe-core) of the pages in both themes.

Skipped, like tests/test_browser.py, without Playwright or Debian's chromium, or with D2L_BROWSER=0.
"""
import functools
import http.server
import pathlib
import subprocess
import threading

import nbformat
import pytest

from test_browser import CHROMIUM, OUTPUT_LINES, browser, sync_api  # noqa: F401  (the fixture, and the skips it implies)

ROOT = pathlib.Path(__file__).resolve().parents[1]
LESSONS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# a page without maths does not load MathJax
MATHJAX_DONE = ("() => !document.querySelector('script[src*=\"MathJax.js\"]') || "
                "(window.MathJax && MathJax.isReady && MathJax.Hub.queue.pending === 0)")
# MathJax 2 typesets in the page's main thread, which CI's other test streams slow down (2 cores): a page
# of maths may take longer than 30 s there
MATHJAX_S = 90


@pytest.fixture(scope="module")
def site(built_site):
    """The built site (tests/conftest.py), served on 127.0.0.1 as a web server would: its base URL."""
    out = built_site[0]
    handler = functools.partial(Quiet, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def reader(browser, site, request):  # noqa: F811
    """A page that may load the site and nothing else; what it asked elsewhere, or missed, is kept."""
    context = browser.new_context(viewport={"width": 1280, "height": 720}, accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    pg = context.new_page()
    pg.remote, pg.failed = [], []
    pg.route("**/*", lambda r: r.continue_() if r.request.url.startswith(site)
             else (pg.remote.append(r.request.url), r.abort())[1])
    # net::ERR_ABORTED is a request the page itself cancelled, when the reader moved on before it ended
    # (CI once saw MathJax's font data cut off by the search test's move from index.html to its
    # results); a file the server lacks is a 404 (below), a server that fails another net:: error
    pg.on("requestfailed", lambda r: pg.failed.append((r.url, r.failure))
          if not r.url.startswith(("about:", "data:")) and r.failure != "net::ERR_ABORTED" else None)
    pg.on("response", lambda r: pg.failed.append(r.url) if r.status >= 400 else None)
    yield pg
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        shots = ROOT / ".browser-screenshots"
        shots.mkdir(exist_ok=True)
        pg.screenshot(path=str(shots / f"{request.node.name}.png"), full_page=True)
    context.close()


def test_every_formula_is_typeset_offline_with_fonts_that_exist(site, reader):
    typeset = {}
    for page in [f"{n}.html" for n in LESSONS] + [f"solutions/{n}_solutions.html" for n in LESSONS] + ["glossary.html"]:
        reader.goto(f"{site}/{page}")
        reader.wait_for_function(MATHJAX_DONE, timeout=MATHJAX_S * 1000)
        typeset[page] = reader.evaluate("() => document.querySelectorAll('article .MathJax, article .MathJax_Display').length")
        raw = reader.evaluate(r"""() => [...document.querySelectorAll('article p, article li')].map(e => e.innerText)
                                          .filter(t => /\\\(|\$[^$\s][^$]*\$/.test(t)).map(t => t.slice(0, 80))""")
        assert raw == [], f"{page}: raw TeX left on the page: {raw}"
        if typeset[page]:
            assert reader.evaluate("() => MathJax.OutputJax['HTML-CSS'].fontInUse") == "STIX-Web", page
    assert reader.failed == [] and reader.remote == [], (reader.failed, reader.remote)
    assert typeset["06_loss_functions.html"] > 50 and sum(typeset.values()) > 300, typeset


def test_a_reader_finds_a_term_with_the_search_box(site, reader):
    reader.goto(f"{site}/index.html")
    reader.keyboard.press("Control+k")  # the theme's search dialog, as its button says
    box = reader.locator("input[name='q']:visible").first
    box.fill("Huber")
    box.press("Enter")
    reader.wait_for_url("**/search.html?q=Huber*")
    # the search index loads from the server, then the page searches it (under load, slowly)
    reader.wait_for_selector("#search-results ul.search li a", timeout=90000)
    hits = reader.evaluate("() => [...document.querySelectorAll('#search-results ul.search li > a')].map(a => a.getAttribute('href'))")
    assert any(h.startswith("06_loss_functions.html") for h in hits), hits
    assert not any(h.startswith("03_fashion_mnist.html") for h in hits), hits  # a term only some lessons use
    assert reader.failed == [] and reader.remote == [], (reader.failed, reader.remote)


def test_a_code_cell_is_copied_with_one_click(site, reader):
    reader.goto(f"{site}/01_linear_regression_scratch.html")
    cell = reader.locator(".cell_input").first
    cell.hover()
    cell.locator("button.copybtn").click()
    copied = reader.evaluate("() => navigator.clipboard.readText()")
    assert copied.strip() == cell.locator("pre").inner_text().strip() and "import" in copied


def _background(page):
    rgb = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    return [int(v) for v in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3]]


def test_the_dark_theme_is_one_click_away_and_stays_chosen(site, reader):
    reader.goto(f"{site}/06_loss_functions.html")
    reader.evaluate("() => localStorage.clear()")
    reader.reload()
    assert sum(_background(reader)) > 600  # a light page for a reader who never chose
    for _ in range(3):
        if reader.evaluate("() => document.documentElement.dataset.theme") == "dark":
            break
        reader.click(".theme-switch-button")
    assert reader.evaluate("() => document.documentElement.dataset.theme") == "dark"
    assert sum(_background(reader)) < 150
    reader.goto(f"{site}/07_softmax_numerics.html")  # the next page remembers it
    assert reader.evaluate("() => document.documentElement.dataset.theme") == "dark" and sum(_background(reader)) < 150


def test_the_download_link_gives_the_committed_notebook(site, reader):
    reader.goto(f"{site}/03_fashion_mnist.html")
    with reader.expect_download() as got:
        reader.click("a.d2l-download")
    path = got.value.path()
    assert got.value.suggested_filename == "03_fashion_mnist.ipynb"
    committed = subprocess.run(["git", "show", "HEAD:notebooks/03_fashion_mnist.ipynb"], cwd=ROOT,
                               capture_output=True, check=True).stdout
    assert pathlib.Path(path).read_bytes() == committed


CAPSTONE = "16_penguins_capstone"


def test_a_lesson_shows_no_answer_and_its_solutions_page_folds_each_one(site, reader):
    reader.goto(f"{site}/{CAPSTONE}.html")
    assert reader.get_by_text("Worked solution: show the code and its output").count() == 0
    hints = reader.evaluate("() => [...document.querySelectorAll('article details')].map(d => d.open)")
    assert hints and not any(hints), hints  # the hints, folded
    reader.locator(f"article a[href='solutions/{CAPSTONE}_solutions.html']").first.click()
    reader.wait_for_url(f"**/solutions/{CAPSTONE}_solutions.html")
    solutions = nbformat.read(ROOT / "notebooks" / "solutions" / f"{CAPSTONE}_solutions.ipynb", as_version=4)
    code = [c for c in solutions.cells if c.cell_type == "code" and "solution" in c.metadata.get("tags", [])]
    toggles = reader.locator("summary:has-text('Worked solution: show the code and its output')")
    assert toggles.count() == len(code) == 5
    first = reader.locator("details:has(summary:has-text('Worked solution')) .cell_input").first
    assert not first.is_visible()
    toggles.first.click()
    assert first.is_visible() and code[0].source.splitlines()[0].strip() in first.inner_text()


def test_printed_outputs_wrap_between_words_and_never_scroll_sideways(site, reader):
    """Lesson 13 printed sentences four screens wide, which the page showed on one scrolling line."""
    shown = {}
    for page in [f"{n}.html" for n in LESSONS] + [f"solutions/{n}_solutions.html" for n in LESSONS]:
        reader.goto(f"{site}/{page}")
        shown[page] = reader.evaluate(OUTPUT_LINES, ".cell_output .highlight pre")
    assert not {p: s for p, s in shown.items() if s["scroll"] or s["cut"]}, shown
    assert shown["13_training_tricks.html"]["wrapped"] >= 3  # its long printouts do wrap (not cut, not scrolled)
    reader.set_viewport_size({"width": 400, "height": 800})  # a phone
    reader.goto(f"{site}/13_training_tricks.html")
    assert reader.evaluate(OUTPUT_LINES, ".cell_output .highlight pre")["scroll"] == 0


def test_every_slide_deck_pages_through_and_fits_1280x720(site, reader):
    """As the RISE slides are measured: a slide of several cells fits the screen; a slide of one long
    cell (a traceback) may scroll."""
    tall, cut = [], []
    for name in LESSONS:
        reader.goto(f"{site}/slides/{name}.slides.html")
        reader.wait_for_selector(".reveal.ready", timeout=90000)  # the deck's scripts, loaded (under load, slowly)
        reader.wait_for_function(MATHJAX_DONE, timeout=MATHJAX_S * 1000)
        count = reader.evaluate("() => document.querySelectorAll('.reveal .slides section:not(.stack)').length")
        assert count > 5, name
        seen = []
        for i in range(count):
            now = reader.evaluate("""() => { const s = [...document.querySelectorAll('.reveal .slides section.present')].pop();
                return {height: s.scrollHeight, cells: s.querySelectorAll('.jp-Cell').length, hash: location.hash}; }""")
            seen.append(now["hash"])
            printed = reader.evaluate(OUTPUT_LINES, ".jp-OutputArea-output pre")
            if printed["cut"]:
                cut.append((name, i, printed["cut"][:3]))
            if now["height"] > 720 and now["cells"] > 1:
                tall.append((name, i, now["height"]))
            reader.keyboard.press("Space")
        assert len(set(seen)) == count, (name, seen)  # Space went through every slide
    assert tall == [], f"slides taller than 720 px: {tall}"
    assert cut == [], f"printed words cut across two lines: {cut}"  # as extensions/rise-widgets' style in RISE
    assert reader.failed == [] and reader.remote == [], (reader.failed, reader.remote)


def test_the_pages_pass_an_accessibility_check_in_both_themes(site, reader):
    axe = pytest.importorskip("axe_playwright_python.sync_playwright", reason="pip install axe-playwright-python").Axe()
    found, checked = {}, set()
    for theme in ("light", "dark"):
        for page in ["index.html", "06_loss_functions.html", f"{CAPSTONE}.html",
                     f"solutions/{CAPSTONE}_solutions.html", "glossary.html", "search.html?q=softmax"]:
            reader.goto(f"{site}/{page}")
            reader.evaluate(f"() => localStorage.setItem('mode', '{theme}')")
            reader.reload()
            reader.wait_for_function(f"() => document.documentElement.dataset.theme === '{theme}'")
            reader.wait_for_function(MATHJAX_DONE, timeout=MATHJAX_S * 1000)
            # WCAG 2 A and AA (contrast, alt text, names, labels), and the headings' order and structure
            for only in ({"type": "tag", "values": ["wcag2a", "wcag2aa"]},
                         {"type": "rule", "values": ["heading-order", "empty-heading", "page-has-heading-one",
                                                     "landmark-one-main"]}):
                result = axe.run(reader, options={"runOnly": only})
                for v in result.response["violations"]:
                    found.setdefault((theme, page, v["id"]), [n["target"] for n in v["nodes"]][:3])
                checked |= {r["id"] for r in result.response["passes"] + result.response["violations"]}
    assert {"color-contrast", "heading-order", "image-alt"} <= checked  # each was applied, to something
    assert found == {}, found
