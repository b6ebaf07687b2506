"""The glossary (docs/glossary.md) and the lessons name every key term the same way."""
import pathlib
import re

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
CJK = r"\u4e00-\u9fff"
# "term (中文)" or "**term (中文)**" in a lesson's prose: the Chinese name at a term's use; full-width
# parentheses and comma too, which a Chinese input method types; a name may start with a Latin word
# joined to the Chinese (softmax回归, KL-散度)
USE = re.compile(rf"[(（]((?:[A-Za-z][A-Za-z-]*)?[{CJK}][{CJK}/ A-Za-z0-9]*?)[,)，）]")


def glossary():
    text = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (.+?) \| (.+?) \| `(\d\d)_[^`]+\.ipynb` \|$", text, flags=re.M)
    return {zh: (en, lesson) for en, zh, lesson in rows}


def chinese_names_by_lesson():
    found = {}
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                for zh in USE.findall(cell.source):
                    found.setdefault(zh.strip(), path.name[:2])
    return found


def test_a_chinese_name_is_found_in_ascii_or_full_width_parentheses():
    text = "a **minibatch (小批量)**, a logit (未规范化的预测，logit) and a score（分数）"
    assert USE.findall(text) == ["小批量", "未规范化的预测", "分数"]


def test_a_chinese_name_that_starts_with_a_latin_word_is_found_and_english_in_parentheses_is_not():
    text = "**softmax regression (softmax回归)**, the **KL divergence (KL-散度)**; (see 小批量) (in bits)"
    assert USE.findall(text) == ["softmax回归", "KL-散度"]


def test_every_chinese_name_in_the_lessons_is_in_the_glossary():
    missing = sorted(set(chinese_names_by_lesson()) - set(glossary()))
    assert not missing, f"add these to docs/glossary.md: {missing}"


def test_the_glossary_names_the_lesson_that_introduces_each_term():
    first = chinese_names_by_lesson()
    wrong = {zh: (lesson, first[zh]) for zh, (_, lesson) in glossary().items() if zh in first and first[zh] != lesson}
    assert not wrong, f"glossary lesson vs first use: {wrong}"


def test_every_glossary_term_is_used_in_its_lesson():
    for zh, (en, lesson) in glossary().items():
        path = next((ROOT / "notebooks").glob(f"{lesson}_*.ipynb"))
        prose = " ".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
        assert zh in prose, f"{en} ({zh}) is not in {path.name}"
