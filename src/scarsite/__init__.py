"""scarsite: a static site generator for a patient-education website about acne scars."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("scarsite")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
