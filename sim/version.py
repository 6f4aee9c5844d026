"""The package version, in a module of its own (nothing to import)."""

__all__ = ["__version__"]

__version__ = "0.1.0"
