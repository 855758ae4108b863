"""``python -m resolvers``: the batch CLI (see ``resolvers.cli``)."""

from resolvers.cli import main

raise SystemExit(main())
