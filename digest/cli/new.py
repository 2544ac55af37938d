"""`digest new`: a digest project of one's own, which `mkdocs build --strict` builds as it is.

The project's files are kept in digest/cli/skeleton/ as they are written, with a few
placeholders (__SITE_NAME__, __SITE_URL__, __VERSION__) filled in.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import click
from slugify import slugify

from digest import __version__
from digest.cli.options import EXIT_USAGE

# (file in skeleton/, where it goes in the project): the files of a new project.
PROJECT_FILES = (
    ("mkdocs.yml", "mkdocs.yml"),
    ("requirements.txt", "requirements.txt"),
    ("gitignore", ".gitignore"),
    ("workflow.yml", ".github/workflows/digest.yml"),
    # MkDocs needs docs_dir to exist, and git keeps no empty folder.
    ("about.md", "docs/about.md"),
    ("sample-article.md", "content/riverside-tram-line-2025-04-02.md"),
)
TEMPLATES_DIR = "site_templates"


@click.command("new")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", help="The site's name [default: from DIRECTORY's name].")
@click.option(
    "--site-url",
    help="Where the site will be published (feeds need absolute links; on GitHub Pages "
    "https://USER.github.io/REPOSITORY/) [default: https://example.org/DIRECTORY/].",
)
@click.option(
    "--templates",
    is_flag=True,
    help="Also copy the built-in page templates into site_templates/, to edit.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Write into a folder that is not empty (a file already there is kept as it is).",
)
def new_command(
    directory: Path, name: str | None, site_url: str | None, templates: bool, force: bool
) -> None:
    """Create a digest project in DIRECTORY that `mkdocs build --strict` builds as it is.

    It holds mkdocs.yml (the digest plugin with two example topics, and example sources for
    `digest fetch` commented out), content/ with one made-up sample article, docs/about.md,
    a GitHub Actions workflow that fetches, builds and publishes to GitHub Pages every
    morning (keeping the summary cache), requirements.txt and .gitignore. DIRECTORY must be
    new or empty unless --force is given.
    """
    from digest.site.feeds import FeedError, check_site_url

    if directory.exists() and any(directory.iterdir()) and not force:
        click.echo(
            f"Error: {directory} is not empty: choose a new folder, or pass --force to add the "
            "project's files to it (files already there are kept)",
            err=True,
        )
        sys.exit(EXIT_USAGE)
    folder_name = directory.resolve().name
    site_name = name if name is not None else _name_from(folder_name)
    if not site_name.strip():
        raise click.BadParameter("the site needs a name", param_hint="--name")
    url = site_url or f"https://example.org/{slugify(folder_name) or 'digest'}/"
    try:
        check_site_url(url)
    except FeedError as error:
        raise click.BadParameter(str(error), param_hint="--site-url") from None
    values = {
        # JSON strings are YAML's double-quoted scalars: any name is written safely.
        "__SITE_NAME__": json.dumps(site_name.strip(), ensure_ascii=False),
        "__SITE_URL__": json.dumps(url, ensure_ascii=False),
        "__VERSION__": __version__,
    }
    written, kept = _write_project(directory, values, templates)
    _report(directory, written, kept, url)


def _name_from(folder_name: str) -> str:
    """A site name from a folder's name: `my-digest` -> `My digest`."""
    words = " ".join(re.split(r"[-_.\s]+", folder_name)).strip()
    return words[:1].upper() + words[1:] if words else "News digest"


def _write_project(
    directory: Path, values: dict[str, str], templates: bool
) -> tuple[list[str], list[str]]:
    """Write the project's files; those already there are left alone. (written, kept)."""
    skeleton = resources.files("digest.cli") / "skeleton"
    written: list[str] = []
    kept: list[str] = []
    for source, target in PROJECT_FILES:
        text = (skeleton / source).read_text(encoding="utf-8")
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        if _write(directory / target, text):
            written.append(target)
        else:
            kept.append(target)
    if templates:
        from digest.site.render import default_templates_dir

        for template in sorted(default_templates_dir().glob("*.j2")):
            target = f"{TEMPLATES_DIR}/{template.name}"
            if (directory / target).exists():
                kept.append(target)
                continue
            (directory / TEMPLATES_DIR).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(template, directory / target)
            written.append(target)
    return written, kept


def _write(path: Path, text: str) -> bool:
    """Write text to a new file at path; False (nothing written) when something is there."""
    if path.exists() or path.is_symlink():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8", newline="\n") as file:
        file.write(text)
    return True


def _report(directory: Path, written: list[str], kept: list[str], url: str) -> None:
    click.echo(f"Created a digest in {directory}:")
    for target in written:
        click.echo(f"  {target}")
    for target in kept:
        click.echo(f"  {target} (already there: kept as it is)")
    path = urlsplit(url).path or "/"
    click.echo(
        "\nNext:\n"
        f"  cd {directory}\n"
        f"  mkdocs serve             # preview at http://127.0.0.1:8000{path}\n"
        "  mkdocs build --strict    # the site, into site/\n"
        "Put articles in content/, or list `sources:` in mkdocs.yml and run `digest fetch`;\n"
        "set site_url in mkdocs.yml to where the site will be published."
    )
