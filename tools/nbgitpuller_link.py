"""Print the nbgitpuller link that gives each learner the course on a JupyterHub.

    python tools/nbgitpuller_link.py https://hub.example.edu https://github.com/ORG/cross-entropy-course
    python tools/nbgitpuller_link.py HUB REPO --lesson 03_softmax --branch main

The first click on the link clones the repository into the learner's home folder on the
hub (in a folder named after the repository) and opens the lesson; every later click
fetches the course's updates and merges them, keeping the learner's own edits
(TEACHING.md, "On your own JupyterHub").
"""

from __future__ import annotations

import argparse
import sys
from urllib.parse import quote, urlsplit


def folder_of(repo: str) -> str:
    """The folder nbgitpuller clones ``repo`` into: the last part of its URL, without .git."""
    name = urlsplit(repo).path.rstrip("/").rsplit("/", 1)[-1]
    return name[: -len(".git")] if name.endswith(".git") else name


def link(hub: str, repo: str, lesson: str = "00_welcome", branch: str = "main") -> str:
    """The link to ``lesson`` of the course in ``repo``, on the JupyterHub at ``hub``."""
    urlpath = f"lab/tree/{folder_of(repo)}/notebooks/{lesson}.ipynb"
    return (
        f"{hub.rstrip('/')}/hub/user-redirect/git-pull?repo={quote(repo, safe='')}"
        f"&urlpath={urlpath}&branch={quote(branch, safe='')}"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("hub", help="the hub's address, e.g. https://hub.example.edu")
    parser.add_argument("repo", help="the course's git repository, as learners' servers reach it")
    parser.add_argument("--lesson", default="00_welcome", help="the notebook to open")
    parser.add_argument("--branch", default="main")
    args = parser.parse_args(argv)
    print(link(args.hub, args.repo, args.lesson, args.branch))
    return 0


if __name__ == "__main__":
    sys.exit(main())
