"""Trade2026: a CLI-first quant research toolkit over a local Delta Lake.

Importing this package is cheap: it pulls in no numpy, polars or other heavy dependency. The
subpackages (``trade2026.lake``, ``trade2026.datasets``, ...) import what they need.
"""

from trade2026.errors import ConfigError, DataError, NotFoundError, T26Error

__version__ = "0.1.0"

__all__ = ["ConfigError", "DataError", "NotFoundError", "T26Error", "__version__"]
