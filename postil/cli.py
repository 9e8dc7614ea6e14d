"""The command line: `postil build` (the default). The one place that catches PostilError."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import PostilError, UsageError

DEFAULT_OUT = "public"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would exit 2 itself; keep one exit path
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = _Parser(prog="postil", description="Build a static site of annotated essays.")
    parser.add_argument("-C", "--site", type=Path, default=Path("."), help="the site folder (default: here)")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    build = commands.add_parser("build", help="build the site into a folder (the default command)")
    _add_output_options(build)
    build.add_argument("--strict", action="store_true", help="treat warnings as errors")
    build.set_defaults(run=_run_build)

    serve = commands.add_parser("serve", help="preview the site, rebuilding and reloading on every save")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on; the next free one if taken (default: 8000)")
    serve.add_argument("--drafts", action=argparse.BooleanOptionalAction, default=True, help="show drafts, marked as such (default: yes)")
    serve.add_argument("--strict", action="store_true", help="treat warnings as errors")
    serve.set_defaults(run=_run_serve)

    importer = commands.add_parser("import", help="turn comments from another system into reply files")
    importer.add_argument("format", choices=["staticman"], help="where the comments come from")
    importer.add_argument("folder", type=Path, help="the folder of comment files (one post's, or one per post)")
    importer.add_argument("--to", type=Path, help="the essay bundle folder to add replies to (default: same name as the post folder)")
    importer.set_defaults(run=_run_import)

    new = commands.add_parser("new", help="start a draft essay, or a reply with --reply")
    new.add_argument("title", nargs="?", help="the essay's title (its file name is made from it)")
    new.add_argument("--tags", default="", help="comma-separated tags")
    new.add_argument("--bundle", action="store_true", help="make a folder content/<slug>/index.md for images and replies")
    new.add_argument("--reply-to", default="", metavar="PATH|URL", help="the essay or URL this essay answers")
    new.add_argument("--reply", metavar="ESSAY", help="write a reply to ESSAY (its file, folder or /site-path/) instead")
    new.add_argument("--author", default="", help="the reply's author (with --reply)")
    new.add_argument("--parent", default="", metavar="ID", help="the id of the reply this one answers (with --reply)")
    new.set_defaults(run=_run_new)

    init = commands.add_parser("init", help="create a new site in a folder")
    init.add_argument("folder", type=Path)
    init.set_defaults(run=_run_init)

    check = commands.add_parser("check", help="build, then check links, anchors, footnotes, quotes, ids and feeds")
    _add_output_options(check)
    check.add_argument("--external", action="store_true", help="also check links to other sites (cached for a day)")
    check.set_defaults(run=_run_check)
    return parser, commands.choices


def _run_import(args: argparse.Namespace) -> int:
    from .staticman import import_staticman

    result = import_staticman(args.site, args.folder, args.to)
    for path in result.skipped:
        print(f"{path}: kept the existing file", file=sys.stderr)
    written = len(result.written)
    print(f"Imported {written} repl{'y' if written == 1 else 'ies'}; {len(result.skipped)} already existed and were left alone")
    return 0


def _add_output_options(command: argparse.ArgumentParser) -> None:
    """The options of every command that builds into a folder."""
    command.add_argument("--out", type=Path, default=None, help=f"output folder (default: {DEFAULT_OUT}/)")
    command.add_argument("--base-url", help="the public URL of the site, overriding [tool.postil] base_url")
    command.add_argument("--drafts", action="store_true", help="include essays marked draft: true")


def _run_build(args: argparse.Namespace) -> int:
    from .pipeline import Builder, BuildOptions

    site = args.site
    out = args.out if args.out is not None else site / DEFAULT_OUT
    options = BuildOptions(out_dir=out, drafts=args.drafts, strict=args.strict, base_url=args.base_url)
    builder = Builder(site, options)
    result = builder.build()
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    warnings = len(result.warnings)
    said = f"with {warnings} warning{'s' if warnings != 1 else ''} in {result.seconds:.2f} s"
    if result.up_to_date:
        print(f"Nothing changed since the last build: {out} is up to date ({result.pages} pages) {said}")
    else:
        print(f"Built {result.pages} pages ({result.outputs} files, {len(result.changed)} changed) into {out} {said}")
    return 0


def _run_new(args: argparse.Namespace) -> int:
    from . import scaffold

    if args.reply:
        if args.title or args.tags or args.bundle or args.reply_to:
            raise UsageError("--reply makes a reply: give only --author and --parent with it")
        path = scaffold.new_reply(args.site, args.reply, args.author, parent=args.parent)
    else:
        if not args.title:
            raise UsageError('give a title: new "My essay" (or --reply ESSAY --author NAME)')
        if args.author or args.parent:
            raise UsageError("--author and --parent go with --reply")
        tags = [tag.strip() for tag in args.tags.split(",") if tag.strip()]
        path = scaffold.new_essay(args.site, args.title, tags=tags, bundle=args.bundle, reply_to=args.reply_to)
    print(path)
    return 0


def _run_init(args: argparse.Namespace) -> int:
    from .scaffold import init_site

    for path in init_site(args.folder):
        print(path)
    print(f"Build it with: postil -C {args.folder} build")
    return 0


def _run_check(args: argparse.Namespace) -> int:
    from .check import check_site

    out = args.out if args.out is not None else args.site / DEFAULT_OUT
    checked = check_site(args.site, out, drafts=args.drafts, base_url=args.base_url, external=args.external)
    for path, line in checked.draft_replies:
        print(f"{path}:{line}: draft reply, not published — remove the line 'draft: true' to publish it")
    problems = checked.problems
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"Check found {len(problems)} problem{'s' if len(problems) != 1 else ''}.", file=sys.stderr)
        return 1
    print(f"Checked {out}: no problems.")
    return 0


def _run_serve(args: argparse.Namespace) -> int:
    from .preview import serve

    return serve(args.site, args.host, args.port, args.drafts, args.strict)


def main(argv: list[str] | None = None) -> int:
    """Run a command; return the process exit code (0 ok, 1 content errors, 2 usage)."""
    argv = sys.argv[1:] if argv is None else argv
    parser, commands = _parser()
    command = "build"
    try:
        args = parser.parse_args(_with_default_command(commands, argv))
        command = args.command
        return args.run(args)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return exc.exit_code
    except PostilError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        errors = sum(problem.severity == "error" for problem in exc.problems)
        if command in ("build", "check"):
            print(f"Build failed: {errors} error{'s' if errors != 1 else ''}; the previous output was left as it was.", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Interrupted; the previous output was left as it was.", file=sys.stderr)
        return 130


def _with_default_command(commands: dict, argv: list[str]) -> list[str]:
    """Insert 'build' when no command is named, after any leading `-C DIR`."""
    start = 0
    while start + 1 < len(argv) and argv[start] in ("-C", "--site"):
        start += 2
    rest = argv[start:]
    if rest and (rest[0] in commands or rest[0] in ("-h", "--help")):
        return argv
    return [*argv[:start], "build", *rest]
