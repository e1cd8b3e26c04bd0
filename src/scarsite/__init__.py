"""scarsite: a static site generator for a patient-education website about acne scars."""

__version__ = "0.1.0"  # the one place the version is set (pyproject.toml reads it from here)

__all__ = ["__version__"]
