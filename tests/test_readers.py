"""Readers and text clean-up: decoding, front matter, Markdown to text, bounded cost; and
property tests that push random files through readers, pipeline and pages."""

from __future__ import annotations

import codecs
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from digest.config import DigestConfig, topics_from_list
from digest.pipeline import build_digest
from digest.site.render import PageRenderer, escape_markdown
from digest.sources.files import ContentReader
from digest.sources.text import (
    DecodeError,
    clean,
    decode,
    drop_controls,
    markdown_to_text,
    paragraphs_of,
)
from tests.conftest import run_apart
from tests.safety import fragment_problems

# The Markdown extensions that give text the most ways to become markup.
EXTENSIONS = ["attr_list", "md_in_html", "admonition", "tables", "abbr", "footnotes", "def_list"]


def read(folder: Path, now: datetime | None = None) -> ContentReader:
    return ContentReader(folder, timezone.utc, now=now)


def write(folder: Path, name: str, data: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def article(front: str, body: str = "Officials said the bridge will reopen on Monday.") -> str:
    return f"---\n{front}\n---\n\n{body}\n"


# --- decoding -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", codecs.BOM_UTF8),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-32-le", codecs.BOM_UTF32_LE),
    ],
)
def test_decode_reads_text_with_a_byte_order_mark(encoding: str, bom: bytes) -> None:
    text = "Café in Zürich — «quoted»"
    assert clean(decode(bom + text.encode(encoding))) == text


def test_decode_refuses_binary_and_names_the_byte() -> None:
    with pytest.raises(DecodeError, match="binary"):
        decode(b"\x89PNG\r\n\x1a\n" + bytes(500))
    with pytest.raises(DecodeError, match=r"byte 0xe9 on line 3, offset 10"):
        decode(b"Title\n\ncaf\xe9 au lait")
    with pytest.raises(DecodeError, match="UTF-16 without a byte order mark"):
        decode("A story saved as UTF-16".encode("utf-16-le"))


def test_a_stray_nul_is_removed_not_a_reason_to_refuse() -> None:
    assert clean(decode(b"Headline\n\nA stray\x00 NUL." + b" More text." * 50)).startswith(
        "Headline\n\nA stray NUL."
    )


def test_clean_removes_controls_and_bidi_overrides_and_normalises_line_ends() -> None:
    assert clean("a\r\nb\rc\x1b[31m\u202eevil\u202c\x7f") == "a\nb\nc[31mevil"
    assert clean("e\u0301") == "é"  # NFC


# --- front matter -------------------------------------------------------------------------------


def test_title_no_is_refused_with_the_fix(tmp_path: Path) -> None:
    write(tmp_path, "a-2019-05-14.md", article("title: No\ndate: 2019-05-14"))
    (problem,) = read(tmp_path).read_all().problems
    assert problem.message == "'title: No' reads as a true/false value in YAML, not text; " + (
        'quote it: title: "No"'
    )


def test_quoted_no_is_a_title(tmp_path: Path) -> None:
    write(tmp_path, "a-2019-05-14.md", article('title: "No"\ndate: 2019-05-14'))
    (article_,) = read(tmp_path).read_all().articles
    assert article_.title == "No"


@pytest.mark.parametrize(
    ("front", "message"),
    [
        ("title: T\ndate: 2019-02-30", "'date' '2019-02-30' is not a date"),
        ("title: T\ndate: 2019-13-01 10:00:00", "is not a date"),
        ("title: T\ndate: 0219-05-14", "not a plausible publication date"),
        ("title: T\ndate: [2019]", "is not a date"),
        ("title: T\ndate: 2019-05-14\na: &x 1\nb: *x", "aliases are not allowed"),
        ("title: T\ndate: 2019-05-14\nx: " + "[" * 30_000, "nested too deeply"),  # libyaml: SIGSEGV
        ("title: T\ndate: 2019-05-14\nx: {a: 1", "broken YAML"),
        ("title: !!python/name:os.system\ndate: 2019-05-14", "could not determine a constructor"),
        ("title: [a, b]\ndate: 2019-05-14", "'title' must be text"),
        ("title: T\ndate: 2019-05-14\ndraft: yes please", "'draft' must be true or false"),
    ],
    ids=lambda v: v[:40] if isinstance(v, str) else None,
)
def test_bad_front_matter_is_refused_with_a_reason(
    tmp_path: Path, front: str, message: str
) -> None:
    write(tmp_path, "a.md", article(front))
    result = read(tmp_path).read_all()
    assert result.articles == ()
    (problem,) = result.problems
    assert problem.path == "a.md"
    assert message in problem.message


def test_a_date_in_the_future_is_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "a.md", article("title: T\ndate: 2030-01-01"))
    result = read(tmp_path, now=datetime(2026, 1, 1, tzinfo=timezone.utc)).read_all()
    assert len(result.articles) == 1
    assert [(p.outcome, p.message) for p in result.problems] == [
        ("warning", "date 2030-01-01 lies in the future")
    ]


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://example.org/a?b=1#c", True),
        ("javascript:alert(1)", False),
        ('https://example.org/a" onmouseover="alert(1)', False),
        ("https://exa mple.org/", False),
        ("data:text/html,<script>alert(1)</script>", False),
    ],
)
def test_only_plain_web_addresses_are_linked(tmp_path: Path, url: str, linked: bool) -> None:
    write(tmp_path, "a.md", article(f"title: T\ndate: 2019-05-14\nurl: {yaml.safe_dump(url)}"))
    result = read(tmp_path).read_all()
    assert (result.articles[0].url == url) is linked
    assert bool(result.problems) is not linked


def test_slugs_from_front_matter_stay_inside_the_site(tmp_path: Path) -> None:
    write(tmp_path, "a.md", article("title: A\ndate: 2019-05-14\nslug: ../../../etc/passwd"))
    write(tmp_path, "b.md", article("title: B\ndate: 2019-05-14\nslug: /tmp/x"))
    write(tmp_path, "c.md", article("title: C\ndate: 2019-05-14\nslug: C:\\\\Windows\\\\x"))
    slugs = [a.slug for a in read(tmp_path).read_all().articles]
    assert slugs == ["etc-passwd", "tmp-x", "c-windows-x"]


def test_files_are_read_in_one_order_so_the_same_file_wins(tmp_path: Path) -> None:
    write(tmp_path, "b/story.md", article("title: In a folder\ndate: 2019-05-14"))
    write(tmp_path, "b-story.md", article("title: At the top\ndate: 2019-05-14"))
    result = read(tmp_path).read_all()
    assert [a.source_path for a in result.articles] == ["b-story.md"]
    assert [p.path for p in result.problems] == ["b/story.md"]


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "pipe-2019-05-14.txt")
    (problem,) = read(tmp_path).read_all().problems
    assert problem.message == "file: not a regular file"


def test_a_sidecar_outside_the_content_folder_is_not_read(tmp_path: Path) -> None:
    import os

    content = tmp_path / "content"
    write(content, "story-2019-05-14.txt", "Headline\n\nThe body of the story.\n")
    write(tmp_path, "secret.yml", "source: a secret\n")
    os.symlink(tmp_path / "secret.yml", content / "story-2019-05-14.yml")
    (problem,) = read(content).read_all().problems
    assert "story-2019-05-14.yml: symbolic link points outside the content folder" in str(problem)


def test_long_paragraphs_are_cut_after_sentence_ends(tmp_path: Path) -> None:
    body = " ".join(f"Sentence {i} is about the harbour cranes." for i in range(400))
    write(tmp_path, "a-2019-05-14.txt", f"Headline\n\n{body}\n")
    (story,) = read(tmp_path).read_all().articles
    assert len(story.paragraphs) > 4
    assert all(len(p) <= 3_000 and p.endswith("cranes.") for p in story.paragraphs)
    assert " ".join(story.paragraphs) == body


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Headline\n\nNews. " + "[" * 16_000, "mostly markup characters (16,000 of"),
        ("Headline\n\nNews. " + "<b>*x*</b> " * 3_000, "mostly markup characters"),
        ("H" * 501 + "\n\nBody text.", "the headline (first line) is 501 characters"),
    ],
    ids=["brackets", "tags", "headline"],
)
def test_text_that_is_not_prose_is_refused(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, "a-2019-05-14.txt", text)
    (problem,) = read(tmp_path).read_all().problems
    assert message in problem.message


def test_file_names_that_cannot_be_printed_are_refused_and_shown_escaped(tmp_path: Path) -> None:
    body = b"Headline\n\nThe body of the story.\n"
    (tmp_path / "esc\x1b[2Jname-2019-05-14.txt").write_bytes(body)
    with open(bytes(tmp_path) + b"/bad\xff-2019-05-14.txt", "wb") as handle:
        handle.write(body)
    result = read(tmp_path).read_all()
    assert result.articles == ()
    assert sorted(p.path for p in result.problems) == [
        "bad\\xff-2019-05-14.txt",
        "esc\\x1b[2Jname-2019-05-14.txt",
    ]
    assert all("rename it" in p.message for p in result.problems)


# --- Markdown to text ---------------------------------------------------------------------------


def test_markdown_to_text_keeps_the_words() -> None:
    body = textwrap.dedent(
        """\
        # A heading

        Some *emphasis*, **strong**, `code`, [a link](https://x.org) and ![an image](i.png).
        <script>alert(1)</script><!-- a comment -->

        > - 1. Quoted list item
        >   with a second line

        | a | b |
        |---|---|
        | c | d |

        ```python
        print("code is dropped")
        ```
        """
    )
    assert paragraphs_of(markdown_to_text(body)) == [
        "Some emphasis, strong, code, a link and .",
        "Quoted list item with a second line",
        "a b",
        "c d",
    ]


PATHOLOGICAL = {
    "brackets": "[" * 1_000_000,
    "unclosed fences": "```\n" + "~~~x\n" * 200_000,
    "blank lines": "\n" * 1_000_000,
    "space lines": " \n" * 500_000,
    "nested quotes": ">" * 1_000_000,
    "nested lists": "".join("  " * i + "- x\n" for i in range(1_000)),
    "reference definitions": "[a]:\n" * 200_000,
    "emphasis": "*a " * 330_000,
    "tags": "<a" * 500_000,
    "code spans": "`a" * 500_000,
}


def test_pathological_markdown_finishes() -> None:
    """Each 1 MB case takes about a second; quadratic code would take hours. The generous
    timeout only makes a regression fail instead of hanging the test run."""
    script = textwrap.dedent(
        """\
        import sys
        from digest.sources.text import markdown_to_text
        from tests.test_readers import PATHOLOGICAL
        for name, text in PATHOLOGICAL.items():
            markdown_to_text(text)
            print(name, flush=True)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == list(PATHOLOGICAL)


# --- properties ---------------------------------------------------------------------------------

HOSTILE_PIECES = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "</title><script>alert(2)</script>",
    "[link](javascript:alert(3))",
    "![img](javascript:alert(4))",
    "<javascript:alert(5)>",
    "{{ 7*7 }}",
    "{% include 'home.md.j2' %}",
    "{: onclick=alert(6) }",
    '<div markdown="1" onclick="alert(7)">x</div>',
    "# heading",
    "1. list",
    "- item",
    "> quote",
    "***",
    "&lt;script&gt;",
    "&amp;",
    "\\",
    "`code`",
    "|a|b|",
    "*[HTML]: abbr",
    "[^1]",
    "\u202e",
    "\x00",
    "\r\n",
    "Maduro",
    "Tehran",
]
words = st.sampled_from(HOSTILE_PIECES) | st.text(min_size=1, max_size=12)
prose = st.lists(words, min_size=0, max_size=12).map(" ".join)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@given(prose)
@settings(max_examples=300, deadline=None)
def test_escaped_text_renders_as_exactly_that_text(value: str) -> None:
    """Whatever the text, Markdown (with the riskiest extensions) shows it and nothing more."""
    rendered = markdown.markdown(escape_markdown(value), extensions=EXTENSIONS)
    parsed = _Tags()
    parsed.feed(rendered)
    expected = " ".join(drop_controls(value).split())
    if expected:
        assert parsed.tags == ["p"]
        assert "".join(parsed.text) == expected
    else:
        assert parsed.tags == []


front_values = (
    prose
    | st.integers()
    | st.booleans()
    | st.none()
    | st.lists(prose, max_size=3)
    | st.dates().map(str)
    | st.sampled_from(["2019-05-14", "2019-02-30", "yesterday", "no", "../../x", "/etc/passwd"])
)
front_matter = st.dictionaries(
    st.sampled_from(
        ["title", "date", "source", "url", "author", "dateline", "summary", "slug", "topics"]
    ),
    front_values,
)


@st.composite
def article_files(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["md", "md-raw", "txt", "bytes"]))
    stem = draw(st.text("abcxyz-_ ", min_size=1, max_size=8))
    if kind == "md":
        meta = draw(front_matter)
        if draw(st.booleans()):
            meta.setdefault("title", draw(prose))
            meta.setdefault("date", "2019-05-14")
        text = "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n\n" + draw(prose)
        return f"{stem}.md", text.encode("utf-8", "surrogatepass")
    if kind == "md-raw":
        return f"{stem}.md", draw(prose).encode("utf-8", "surrogatepass")
    if kind == "txt":
        text = draw(prose) + "\n\n" + draw(prose)
        return f"{stem}-2019-05-14.txt", text.encode("utf-8", "surrogatepass")
    return f"{stem}.txt", draw(st.binary(max_size=200))


TOPICS = topics_from_list(
    [{"name": "Venezuela", "keywords": ["Maduro"]}, {"name": "Iran", "keywords": ["Tehran"]}]
)


@given(st.lists(article_files(), min_size=1, max_size=4, unique_by=lambda f: f[0].lower()))
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_random_content_never_crashes_loses_an_article_or_injects_markup(
    tmp_path_factory: pytest.TempPathFactory, files: list[tuple[str, bytes]]
) -> None:
    content = tmp_path_factory.mktemp("content")
    for name, data in files:
        (content / name).write_bytes(data)
    config = DigestConfig(content_dir=content, topics=TOPICS, cache_dir=None, workers=1)
    digest = build_digest(config)
    # Never lost: each file is an entry or has a reason in the report.
    published = {e.article.source_path for e in digest.entries}
    reported = {p.path for p in digest.problems if p.outcome != "warning"}
    assert {name for name, _ in files} == published | reported
    assert not published & reported
    event(f"{len(published)} published")
    # Never injected: every page renders through Markdown to HTML with no live markup, and every
    # title and text an article brought in shows up as text, not as markup.
    for page in PageRenderer(config).render(digest):
        rendered = markdown.markdown(page.markdown, extensions=EXTENSIONS)
        assert fragment_problems(rendered) == [], page.path
        parsed = _Tags()
        parsed.feed(rendered)
        shown = " ".join(parsed.text)
        assert "alert(" not in "".join(parsed.tags)
        for entry in digest.entries:
            if page.path == f"articles/{entry.article.slug}.md":
                assert " ".join(entry.article.title.split()) in " ".join(shown.split())


def _files_read_apart_are_the_ones_read_here() -> None:
    import tempfile
    from functools import partial

    from digest.analysis.parallel import Lookahead
    from digest.language import _loaded_identifier

    class Counted(ContentReader):
        here = 0
        read: list[str] = []

        def read_outcome(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            Counted.here += 1  # counted in this process only: a worker's count stays there
            Counted.read.append(args[1])
            return super().read_outcome(*args, **kwargs)

    from digest.sources.cleanup import Boilerplate
    from digest.store.read_cache import ReadCache

    # Dates in the reader's zone, in UTC and at an offset (quoted: dateutil's zone objects).
    zones = ("", "T09:30:00Z", "T09:30:00+02:00")
    with tempfile.TemporaryDirectory() as folder:
        content = Path(folder) / "content"
        content.mkdir()
        for number in range(40):
            (content / f"note-{number:02d}.md").write_text(
                f"---\ntitle: Council note {number}\ndate: '2024-03-{1 + number % 28:02d}"
                f"{zones[number % 3]}'\n---\n\n"
                f"The council met on day {number} and said the harbour stays open.\n",
                encoding="utf-8",
            )
        (content / "broken.md").write_text("---\ntitle: [unclosed\n---\n\nText.\n")
        # Not plainly English: the language detector's model is needed, which only the
        # build's own process loads, so this one file is read there.
        (content / "caracas.md").write_text(
            "---\ntitle: Protestas en Caracas\ndate: 2024-03-02\n---\n\n"
            "Miles de personas marcharon este martes por las calles de Caracas para exigir "
            "elecciones libres, según informaron los organizadores de la protesta.\n",
            encoding="utf-8",
        )
        here = Counted(content).read_all()
        assert Counted.here == 42
        Counted.here = 0
        _loaded_identifier.cache_clear()  # as a build starts: the model not loaded yet
        spread = partial(Lookahead, workers=2, serial_below=1)
        memo = ReadCache(Path(folder) / "cache", timezone.utc, Boilerplate())
        apart = Counted(content, memo=memo, spread=spread).read_all()
        read_apart = Counted.here
        Counted.read = []
        # What the workers read is kept as if read here: the next build reads no article
        # (the broken file's error is kept only once its stamp has settled).
        memo = ReadCache(Path(folder) / "cache", timezone.utc, Boilerplate(), use_memory=False)
        assert Counted(content, memo=memo).read_all() == here
        assert set(Counted.read) <= {"broken.md"}
    assert apart == here
    assert read_apart == 1  # the Spanish article; the other 41 files were read by workers
    assert [a.language for a in apart.articles if a.slug == "caracas"] == ["es"]
    assert [p.path for p in apart.problems] == ["broken.md"]


def test_many_files_are_read_over_the_cores_as_they_are_here() -> None:
    from digest.analysis.parallel import worker_count

    if worker_count() < 2:
        pytest.skip("one core: no workers start")
    done = run_apart("test_readers", "_files_read_apart_are_the_ones_read_here")
    assert done.returncode == 0, done.stderr
