"""Signatures: the typed inputs and outputs of an LM call, and the instructions for it.

`signature.py` holds the `Signature` class (both forms), `field.py` its fields, `parser.py`
the string form and `types.py` the type expressions inside it.
"""

from dspex_nb.signatures.field import Field, FieldKind, InputField, OutputField
from dspex_nb.signatures.signature import Signature, SignatureMeta, ensure_signature

__all__ = ["Field", "FieldKind", "InputField", "OutputField", "Signature", "SignatureMeta",
           "ensure_signature"]
