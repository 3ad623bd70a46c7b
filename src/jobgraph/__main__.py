"""`python -m jobgraph`: the jobgraph command."""

from jobgraph.cli import main

main()
