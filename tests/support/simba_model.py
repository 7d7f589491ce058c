"""A scripted model for SIMBA tests: it writes one rule when asked for advice, and answers a
question right ("yes") when the test says the program deserves it, or by luck when SIMBA
samples at temperature 1."""

from __future__ import annotations

import json
import random
from collections.abc import Callable

from dspex_nb.lm import LMRequest

RULE = "RULE: if the module receives a question, it should answer yes."


def rule_following(right: Callable[[LMRequest], bool], rule: str = RULE
                   ) -> Callable[[LMRequest], dict[str, object]]:
    """The answer function of a `dx.ScriptedLM`: `rule` for every module the rule writer
    names; "yes" when `right(request)`; at temperature 1, "yes" half the time (seeded by the
    sample and the question); else "no"."""

    def answer(request: LMRequest) -> dict[str, object]:
        props = list((request.response_schema or {}).get("properties", {}))
        if "module_advice" in props:
            names = json.loads(request.messages[-1]["content"].split("module_names: ")[1])
            return {"discussion": "the better run said yes",
                    "module_advice": dict.fromkeys(names, rule)}
        if right(request):
            return {"answer": "yes"}
        if request.params.get("temperature") == 1.0:
            seed = f"{request.sample_id}|{request.messages[-1]['content']}"
            return {"answer": "yes" if random.Random(seed).random() < 0.5 else "no"}
        return {"answer": "no"}

    return answer
