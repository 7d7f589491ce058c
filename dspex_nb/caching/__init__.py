"""LM response caching: layers (memory, disk, Redis, or your own) composed by `Cache`."""

from dspex_nb.caching.backend import CacheLayer
from dspex_nb.caching.cache import Cache, current_cache, default_cache
from dspex_nb.caching.disk import DiskCache
from dspex_nb.caching.key import request_key
from dspex_nb.caching.memory import MemoryCache
from dspex_nb.caching.redis_layer import RedisCache

__all__ = ["Cache", "CacheLayer", "DiskCache", "MemoryCache", "RedisCache", "current_cache",
           "default_cache", "request_key"]
