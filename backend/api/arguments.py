"""Arguments converted by a converter made once per field.

Strawberry turns a resolver's arguments into Python values (input dataclasses, enums, lists)
by walking each argument's type again on every call: the type tests and `resolve_type` of
every input field were a tenth of a report's Python (0.3 ms) and of a page's. The converter
made here does the same for the kinds of types this schema uses and hands any other (Maybe,
GlobalID, inputs that build themselves with `from_input`) to strawberry's own conversion, so
the values are strawberry's. Installed by backend/api/schema.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from strawberry.relay.types import GlobalID
from strawberry.schema import schema_converter
from strawberry.types import arguments as strawberry_arguments
from strawberry.types.arguments import StrawberryArgument, _is_leaf_type, _is_optional_leaf_type
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.enum import has_enum_definition
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

Convert = Callable[[Any, Any, tuple], Any]  # (value, info, path) -> the Python value
_MADE: dict[tuple[int, int, int], tuple[object, object, object, Callable]] = {}


def convert_arguments(value: dict[str, Any], arguments: list[StrawberryArgument],
                      scalar_registry: Mapping, config: Any, info: Any = None
                      ) -> dict[str, Any]:
    """strawberry.types.arguments.convert_arguments, with the converter made once."""
    if not arguments:
        return {}
    key = (id(arguments), id(scalar_registry), id(config))
    made = _MADE.get(key)
    # the objects are kept with it, so a key's ids cannot be those of new objects
    if made is None or made[0] is not arguments or made[1] is not scalar_registry \
            or made[2] is not config:
        made = (arguments, scalar_registry, config,
                _arguments_converter(arguments, scalar_registry, config))
        _MADE[key] = made
    return made[3](value, info)


def install() -> None:
    schema_converter.convert_arguments = convert_arguments  # type: ignore[assignment]


def _arguments_converter(arguments: list[StrawberryArgument], registry: Mapping, config: Any
                         ) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    parts = []
    for argument in arguments:
        assert argument.python_name
        name = config.name_converter.from_argument(argument)
        parts.append((name, argument.python_name,
                      _converter(argument.type, registry, config)))

    def convert(value: dict[str, Any], info: Any) -> dict[str, Any]:
        return {python_name: convert_one(value[name], info, (name,))
                for name, python_name, convert_one in parts if name in value}
    return convert


def _same(value: Any, info: Any, path: tuple) -> Any:
    return value


def _converter(type_: Any, registry: Mapping, config: Any) -> Convert:
    """What strawberry's convert_argument does for a value of type_, decided once."""
    if isinstance(type_, StrawberryMaybe) or type_ is GlobalID:
        return _strawberry(type_, registry, config)
    if isinstance(type_, StrawberryOptional):
        return _converter(type_.of_type, registry, config)
    if isinstance(type_, StrawberryList):
        item = type_.of_type
        if (_is_leaf_type(item, registry, skip_classes=(GlobalID,))
                or _is_optional_leaf_type(item, registry, skip_classes=(GlobalID,))):
            # copied: graphql-core gives every request the same default list
            return lambda v, info, path: v if v is None or v is UNSET else list(v)
        convert_item = _converter(item, registry, config)
        return lambda v, info, path: v if v is None or v is UNSET else [
            convert_item(x, info, (*path, i)) for i, x in enumerate(v)]
    if _is_leaf_type(type_, registry):
        return _same  # scalars and enums come parsed from graphql-core
    if isinstance(type_, LazyType):
        return _converter(type_.resolve_type(), registry, config)
    if has_enum_definition(type_):
        return _same
    if has_object_definition(type_):
        definition = type_.__strawberry_definition__
        if definition.from_input is not None:
            return _strawberry(type_, registry, config)
        return _input_converter(type_, definition, registry, config)
    return _strawberry(type_, registry, config)  # strawberry says what is unsupported


def _input_converter(type_: Any, definition: Any, registry: Mapping, config: Any) -> Convert:
    # Inputs get an implicit None for fields without a default (as strawberry does); the
    # required ones are always given, graphql-core has checked.
    implicit = ({f.python_name: None for f in definition.fields
                 if f.default_value is dataclasses.MISSING
                 and f.default_factory is dataclasses.MISSING}
                if definition.is_input else {})
    fields = [(config.name_converter.from_field(f), f.python_name,
               _converter(f.resolve_type(type_definition=definition), registry, config))
              for f in definition.fields]

    def convert(value: Any, info: Any, path: tuple) -> Any:
        if value is None or value is UNSET:
            return value
        kwargs = dict(implicit)
        for name, python_name, convert_one in fields:
            if name in value:
                kwargs[python_name] = convert_one(value[name], info, (*path, name))
        return type_(**kwargs)
    return convert


def _strawberry(type_: Any, registry: Mapping, config: Any) -> Convert:
    def convert(value: Any, info: Any, path: tuple) -> Any:
        return strawberry_arguments.convert_argument(value, type_, registry, config, info,
                                                     path=path)
    return convert
