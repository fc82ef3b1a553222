"""``python -m routing`` runs the CLI."""

from routing.cli import main

main()
