"""LM response caching: a memory LRU in front of a disk store that survives restarts."""

from dspex_nb.caching.cache import Cache, current_cache, default_cache
from dspex_nb.caching.key import request_key

__all__ = ["Cache", "current_cache", "default_cache", "request_key"]
