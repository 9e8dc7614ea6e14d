"""`python -m postil`: the same command line as the `postil` script."""
from .cli import main

raise SystemExit(main())
