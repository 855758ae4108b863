"""``python -m service`` runs the ``throughline`` command (the same as the installed console script)."""

from service.cli import main

main()
