"""Build the static course site (``make html``): Sphinx, myst-nb and sphinx-book-theme.

    python tools/build_site.py                   # site/ from the notebooks, then check it
    python tools/build_site.py --no-solutions    # learner pages only (a site to give a class)
    python tools/build_site.py --binder OWNER/REPO
    python tools/build_site.py --no-check        # skip the check in Chromium

The site's source is ``book/`` (its Sphinx configuration, front page and extension) plus
the notebooks, laid out as in ``notebooks/``: every ``notebooks/NN_*.ipynb`` a page, every
``notebooks/solutions/NN_*.ipynb`` a page under ``solutions/``, found when the site is built.
The pages show the notebooks' saved outputs (they are saved after Restart & Run All, and
nbval checks them). The one thing the build computes is the widgets' frames, which let them
move on the page without a kernel (``book/_ext/xent_widget_frames.py``): each widget's own
code renders its pictures for a grid of control values, in a kernel where a widget needs the
notebook's state. They are cached by content in ``build/widget-frames/``, so only the first
build after a change to the package renders them (a few CPU-minutes).

Nothing is fetched when a page is read: MathJax comes from npm's ``mathjax`` package (pinned
in ``book/package.json`` and ``book/package-lock.json``; ``npm ci`` installs it into
``book/node_modules/`` the first time) and is served from ``site/_static/mathjax/``. The
launch buttons point at the GitHub repository of the README's Binder link or ``--binder``;
while that is still the placeholder ``OWNER/REPO``, the site has no launch button and says
that the widgets move in ``make lab``. Sphinx builds in ``build/site/`` (git-ignored), and
the finished site is moved to ``site/``. Afterwards every page is opened in
headless Chromium with no network and checked (``tools/site_check.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
BOOK = ROOT / "book"
SITE = ROOT / "site"
BUILD = ROOT / "build" / "site"
LESSON_GLOB = "[0-9][0-9]_*.ipynb"
# What the site takes from npm's mathjax package: the TeX-to-SVG component, and what it
# loads on demand (TeX extensions through autoload, the menu, accessibility).
MATHJAX_PARTS = ("tex-svg.js", "input/tex/extensions", "output/svg", "ui", "a11y", "adaptors")
BINDER_LINK = re.compile(r"mybinder\.org/v2/gh/([\w.-]+/[\w.-]+)/")


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and of the children it has waited for."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def repository(readme: Path = ROOT / "README.md") -> str:
    """OWNER/REPO of the README's Binder link (where the launch buttons point)."""
    found = BINDER_LINK.search(readme.read_text(encoding="utf-8"))
    return found.group(1) if found else "OWNER/REPO"


def npm_package(name: str) -> Path:
    """``book/node_modules/<name>``, the version pinned in book/package.json; ``npm ci``
    installs every pinned package (book/package-lock.json) if one is missing or stale."""
    manifest = json.loads((BOOK / "package.json").read_text())
    pinned = {**manifest.get("dependencies", {}), **manifest.get("devDependencies", {})}[name]
    package = BOOK / "node_modules" / name
    installed = None
    if (package / "package.json").is_file():
        installed = json.loads((package / "package.json").read_text()).get("version")
    if installed != pinned:
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit(
                f"make html needs npm for {name} (Debian: apt-get install -y npm); "
                "it installs the pinned version from book/package-lock.json"
            )
        print(f"installing {name} {pinned} from npm (npm ci in book/)", flush=True)
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=BOOK, check=True
        )
    return package


def mathjax_dir() -> Path:
    """``book/node_modules/mathjax/es5``, installed with ``npm ci`` if it is missing or stale."""
    return npm_package("mathjax") / "es5"


def axe_script() -> Path:
    """axe-core's ``axe.min.js`` (pinned in book/package.json), for the site check's audit."""
    return npm_package("axe-core") / "axe.min.js"


def lay_out_source(src: Path, notebooks: Path, solutions: bool) -> list[Path]:
    """The Sphinx source folder: book/, MathJax, and the notebooks; returns the notebooks."""
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(BOOK, src, ignore=shutil.ignore_patterns("node_modules", "package*.json"))
    mathjax = mathjax_dir()
    for part in MATHJAX_PARTS:
        source, target = mathjax / part, src / "_static" / "mathjax" / part
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, target)
    pages = []
    for path in sorted(notebooks.glob(LESSON_GLOB)):
        pages.append(Path(shutil.copy2(path, src / path.name)))
    if solutions:
        (src / "solutions").mkdir()
        for path in sorted((notebooks / "solutions").glob(LESSON_GLOB)):
            pages.append(Path(shutil.copy2(path, src / "solutions" / path.name)))
    return pages


def build(
    out: Path = SITE,
    notebooks: Path = NOTEBOOKS,
    solutions: bool = True,
    binder: str | None = None,
    work: Path = BUILD,
    quiet: bool = True,
) -> list[Path]:
    """Build the site into ``out``; returns the HTML page of every notebook."""
    src = work / "source"
    wall, cpu = time.monotonic(), cpu_seconds()
    notebook_files = lay_out_source(src, notebooks, solutions)
    laid_out = (time.monotonic() - wall, cpu_seconds() - cpu)
    env = dict(os.environ, XENT_REPOSITORY=binder or repository())
    # -j auto: the pages are read and written in one process per core (the extensions are
    # parallel-safe); the widgets' frames are rendered before that, also on every core.
    command = [sys.executable, "-m", "sphinx", "-j", "auto", "-b", "html"]
    command += ["-d", str(work / "doctrees")]
    command += ["-q"] if quiet else []
    # Sphinx writes into work/html and myst-nb its image files beside it (work/jupyter_execute:
    # myst-nb puts them next to the output folder), both in the git-ignored build folder;
    # the finished site is then moved to ``out``.
    html = work / "html"
    shutil.rmtree(html, ignore_errors=True)
    wall, cpu = time.monotonic(), cpu_seconds()
    subprocess.run([*command, str(src), str(html)], env=env, check=True)
    print(
        f"site build: source laid out (MathJax from npm) in {laid_out[0]:.1f} s, "
        f"CPU {laid_out[1]:.1f} s; Sphinx (the widgets' frames included) in "
        f"{time.monotonic() - wall:.1f} s, CPU {cpu_seconds() - cpu:.1f} s",
        flush=True,
    )
    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(html, out)
    return [out / path.relative_to(src).with_suffix(".html") for path in notebook_files]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SITE, help="output folder (default: site/)")
    parser.add_argument("--no-solutions", action="store_true", help="learner pages only")
    parser.add_argument("--binder", metavar="OWNER/REPO", help="the launch buttons' repository")
    parser.add_argument("--no-check", action="store_true", help="skip the check in Chromium")
    args = parser.parse_args(argv)
    start, cpu = time.monotonic(), cpu_seconds()
    binder = args.binder or repository()
    pages = build(args.out, solutions=not args.no_solutions, binder=binder)
    seconds = time.monotonic() - start
    print(
        f"built {len(pages)} lesson pages in {args.out} in {seconds:.1f} s "
        f"(CPU {cpu_seconds() - cpu:.1f} s)"
    )
    if args.no_check:
        return 0
    from site_check import check_site_or_explain

    start, cpu = time.monotonic(), cpu_seconds()
    status = check_site_or_explain(args.out, pages, launch=binder != "OWNER/REPO")
    print(
        f"site check in Chromium: {time.monotonic() - start:.1f} s, "
        f"CPU {cpu_seconds() - cpu:.1f} s (Chromium's own CPU is not counted)"
    )
    return status


if __name__ == "__main__":
    sys.exit(main())
