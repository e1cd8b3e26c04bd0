"""`python -m scarsite` runs the command line."""

from .cli import run

run()
