"""The rule-writing step of SIMBA: what the prompt model is shown, and how it answers."""

from __future__ import annotations

from dspex_nb.modules.module import Module
from dspex_nb.signatures import InputField, OutputField, Signature


class RULE_SIGNATURE(Signature):
    """Two runs of the same LM program on the same input are shown: one scored worse, one
    better. Work out what the better run did differently, then give each module of the
    program one short piece of advice that would make future runs on similar inputs score
    like the better one. Write each piece as "If the module receives ..., it should ...",
    concrete to the kind of input, not to this one example."""

    program_code: str = InputField(desc="the program's modules and their signatures")
    modules_defn: str = InputField(desc="each module's current instructions")
    program_inputs: str = InputField()
    oracle_metadata: str = InputField(desc="the gold labels for this input")
    worse_program_trajectory: str = InputField(desc="each module's inputs and outputs")
    worse_program_outputs: str = InputField()
    worse_reward_value: float = InputField()
    worse_reward_info: str = InputField(desc="the metric's feedback, if any")
    better_program_trajectory: str = InputField()
    better_program_outputs: str = InputField()
    better_reward_value: float = InputField()
    better_reward_info: str = InputField()
    module_names: list[str] = InputField()
    discussion: str = OutputField(desc="what the better run did differently, briefly")
    module_advice: dict[str, str] = OutputField(desc="module name -> one piece of advice")


def describe_program(program: Module) -> tuple[str, str]:
    """The program's structure and each module's instructions, as text for the prompt model."""
    structure = "\n".join(f"{name}: {p.signature.signature_text}"
                          for name, p in program.named_predictors())
    definitions = "\n\n".join(f"{name}:\n{p.instructions}"
                              for name, p in program.named_predictors())
    return structure, definitions
