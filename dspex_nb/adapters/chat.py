"""`ChatAdapter`: fields between `[[ ## name ## ]]` markers, for models without JSON modes."""

from __future__ import annotations

import functools
import re
from typing import Any

import orjson

from dspex_nb.adapters._outputs import validate_outputs
from dspex_nb.adapters._render import describe_task, render_value
from dspex_nb.adapters.base import Adapter
from dspex_nb.errors import ParseError
from dspex_nb.lm.types import LMRequest
from dspex_nb.signatures import Signature

_MARKER = re.compile(r"\[\[ ## (\w+) ## \]\]")


def _block(values: dict[str, Any], names: list[str]) -> str:
    return "\n\n".join(f"[[ ## {k} ## ]]\n{render_value(values[k])}" for k in names if k in values)


@functools.lru_cache(maxsize=4096)
def _system_prompt(signature: type[Signature]) -> str:
    order = " ".join(f"[[ ## {k} ## ]]" for k in signature.output_fields)
    return (f"{describe_task(signature)}Write each output after its marker, in this order: "
            f"{order}; then end with [[ ## completed ## ]].")


class ChatAdapter(Adapter):
    """Fields as `[[ ## name ## ]]` sections in the prompt and the reply (DSPy's chat format);
    a reply that does not parse is retried once in JSON."""

    name = "chat"

    def system_prompt(self, signature: type[Signature]) -> str:
        return _system_prompt(signature)

    def format(self, signature: type[Signature], demos: list[dict[str, Any]],
               inputs: dict[str, Any]) -> LMRequest:
        ins, outs = list(signature.input_fields), list(signature.output_fields)
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": self.system_prompt(signature)}
        ]
        for demo in demos:
            if not any(k in demo for k in outs) or not any(k in demo for k in ins):
                continue
            messages.append({"role": "user", "content": _block(demo, ins)})
            messages.append(
                {"role": "assistant", "content": _block(demo, outs) + "\n\n[[ ## completed ## ]]"}
            )
        messages.append({"role": "user", "content": _block(inputs, ins)})
        return LMRequest(messages, schema_name=signature.__name__)

    def parse(self, signature: type[Signature], text: str) -> dict[str, Any]:
        sections: dict[str, str] = {}
        matches = list(_MARKER.finditer(text))
        for i, match in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
            name = match.group(1)
            if name in signature.output_fields and name not in sections:
                sections[name] = text[match.end() : end].strip()
        if not sections:
            raise ParseError("the reply has no [[ ## field ## ]] markers", raw=text)
        values: dict[str, Any] = {}
        for name, raw in sections.items():
            if signature.output_fields[name].annotation is str:
                values[name] = raw
                continue
            try:
                values[name] = orjson.loads(raw)
            except orjson.JSONDecodeError:
                values[name] = raw.strip("'\"")
        return validate_outputs(signature, values, text)
