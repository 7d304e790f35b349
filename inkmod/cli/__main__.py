"""`python -m inkmod.cli`: the same as the `inkmod` command."""

from inkmod.cli.app import main

main()
