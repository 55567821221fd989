"""The version of skae, in one place: the package, its metadata and its files."""

__version__ = "0.2.0.dev0"
