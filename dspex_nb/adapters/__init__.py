"""Adapters between signatures and chat messages: JSON (default) and field-marker chat."""

from dspex_nb.adapters.base import Adapter, AdapterResult, LMCall
from dspex_nb.adapters.chat import ChatAdapter
from dspex_nb.adapters.json import JSONAdapter

__all__ = ["Adapter", "AdapterResult", "ChatAdapter", "JSONAdapter", "LMCall"]
