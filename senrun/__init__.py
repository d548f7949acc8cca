"""senrun: a local authority's yearly cluster SEN funding run.

    from senrun import allocate, load_config
    result = allocate(load_config("config/senrun.yaml"))
    result.schools      # a Polars frame, money in integer pence

Importing senrun is cheap: Polars is loaded only when a run needs it.
"""

__version__ = "0.2.0"

__all__ = ["__version__", "allocate", "load_config"]


def __getattr__(name: str):
    if name == "allocate":
        from .pipeline import allocate

        return allocate
    if name == "load_config":
        from .config.loader import load_config

        return load_config
    raise AttributeError(name)
