"""MkDocs hooks for the docs site (`make docs`): README.md is the quickstart page, the preset
folders and examples are served beside the guides (which link to them as ../weights/ and
../examples/, the paths that work on GitHub too), and one page per `kgen` command is
written from the CLI's own parser."""

import argparse
import glob
import os

from mkdocs.structure.files import File

ROOT = os.path.dirname(os.path.abspath(__file__))
SHIPPED = ("weights/*/README.md", "weights/*/*.png", "weights/*/*.gif", "examples/*.py", "examples/images/*.png")


def _command_pages(config):
    """cli/index.md and cli/<command>.md, each the parser's own help text."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from kgen import cli

    parser = cli.build_parser()
    commands = next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
    helps = {choice.dest: choice.help for choice in commands._choices_actions}
    pages = []
    index = ["# Command line", "", "`kgen COMMAND --help` prints each page below.", "", "```text",
             parser.format_help().rstrip(), "```", ""]
    for name, subparser in commands.choices.items():
        index.append(f"- [`kgen {name}`]({name}.md): {helps.get(name, '')}")
        text = f"# kgen {name}\n\n{helps.get(name, '')}\n\n```text\n{subparser.format_help().rstrip()}\n```\n"
        pages.append(File.generated(config, f"cli/{name}.md", content=text))
    pages.append(File.generated(config, "cli/index.md", content="\n".join(index) + "\n"))
    return pages


def on_files(files, config):
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        files.append(File.generated(config, "index.md", content=f.read()))
    for pattern in SHIPPED:
        for path in sorted(glob.glob(os.path.join(ROOT, pattern))):
            uri = os.path.relpath(path, ROOT).replace(os.sep, "/")
            files.append(File(uri, ROOT, config["site_dir"], config["use_directory_urls"]))
    for page in _command_pages(config):
        files.append(page)
    return files


def on_page_markdown(markdown, page, config, files):
    """Links as GitHub resolves them, rewritten for the site's one folder."""
    if page.file.src_uri == "index.md":  # README.md, at the repository's root
        return markdown.replace("](docs/", "](")
    return markdown.replace("](../weights/", "](weights/").replace("](../examples/", "](examples/")
