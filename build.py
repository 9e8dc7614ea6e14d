"""Build the site in this folder: `python build.py --help` lists the commands."""
from postil.cli import main

raise SystemExit(main())
