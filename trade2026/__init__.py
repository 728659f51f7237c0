"""Trade2026: a CLI-first quant research toolkit over a local Delta Lake.

Importing this package is cheap: it pulls in no numpy, polars or other heavy dependency. The
subpackages (``trade2026.lake``, ``trade2026.datasets``, ...) import what they need.
"""

from trade2026._jit import set_compile_listener
from trade2026._json import dumps, json_default
from trade2026.errors import ConfigError, DataError, NotFoundError, T26Error

__version__ = "0.1.0"

# dumps/json_default: the JSON rendering of results (what --json prints); set_compile_listener: who
# hears that numba kernels are compiling (the CLI prints it on stderr). Both import only the stdlib.
__all__ = [
    "ConfigError",
    "DataError",
    "NotFoundError",
    "T26Error",
    "__version__",
    "dumps",
    "json_default",
    "set_compile_listener",
]
