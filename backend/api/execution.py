"""The executor: graphql-core's, with a short path for leaf fields without arguments.

A page of 50 events is a few hundred scalar fields: plain attributes, or small resolvers
such as `location`. For each of them graphql-core builds a resolve info, strawberry wraps
the call (its Info, argument conversion, the extension chain) and graphql-core completes the
value through its generic machinery: that was most of a page's cost. Here a leaf field
without arguments, field extensions or schema extensions that resolve is read (or its
resolver called) and coerced directly. Anything else, and any value that would be an error
(a null in a non-null field, a value the scalar refuses), takes the standard path, so answers
and errors stay exactly graphql-core's and strawberry's. (Strawberry's exception handlers are
not used in this schema; a field with one would need the standard path.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from graphql import GraphQLField, get_nullable_type, is_leaf_type, is_non_null_type
from graphql.execution.executor import to_nodes
from graphql.pyutils import Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import Info


class _Leaf(NamedTuple):
    name: str  # the attribute, for a plain field
    resolver: Any  # strawberry's resolver of the field, or None for a plain one
    coerce: Callable[[Any], Any]
    nullable: bool


_UNPLANNED = object()


def _leaf(field_def: GraphQLField) -> _Leaf | None:
    """The field's plan, kept on the field itself (graphql-core's fields compare by value
    and are not hashable; an id could be reused by another schema's field)."""
    plan = getattr(field_def, "_wangge_leaf", _UNPLANNED)
    if plan is _UNPLANNED:
        plan = field_def._wangge_leaf = _plan(field_def)  # type: ignore[attr-defined]
    return plan  # type: ignore[return-value]


def _plan(field_def: GraphQLField) -> _Leaf | None:
    definition = field_def.extensions.get("strawberry-definition")
    leaf = get_nullable_type(field_def.type)
    if definition is None or field_def.args or not is_leaf_type(leaf) or definition.extensions:
        return None
    nullable = not is_non_null_type(field_def.type)
    if getattr(field_def.resolve, "_is_default", False):
        return _Leaf(definition.python_name, None, leaf.coerce_output_value, nullable)
    r = definition.base_resolver
    if r is None or r.is_async or r.arguments or r.parent_parameter or r.root_parameter:
        return None
    return _Leaf(definition.python_name, definition, leaf.coerce_output_value, nullable)


_MISS = object()


def _coerced(leaf: _Leaf, value: Any) -> Any:
    """The value as the answer has it, or _MISS when graphql-core must say what is wrong."""
    if value is None:
        return None if leaf.nullable else _MISS
    if value is Undefined:
        return _MISS
    try:
        coerced = leaf.coerce(value)
    except Exception:  # the standard path says what is wrong, with its path
        return _MISS
    return _MISS if coerced is None or coerced is Undefined else coerced


class Executor(StrawberryGraphQLCoreExecutionContext):
    def execute_field(self, parent_type, source, field_details_list, path,  # type: ignore[no-untyped-def,override]
                      position_context):
        manager = self.middleware_manager
        field_def = self.schema.get_field(parent_type, field_details_list[0].node.name.value)
        leaf = (_leaf(field_def) if field_def is not None
                and (manager is None or manager._middleware_resolvers is None) else None)
        if leaf is None:
            return super().execute_field(parent_type, source, field_details_list, path,
                                         position_context)
        if leaf.resolver is None:
            done = _coerced(leaf, getattr(source, leaf.name, Undefined))
            if done is not _MISS:
                return done
            return super().execute_field(parent_type, source, field_details_list, path,
                                         position_context)
        info = self.build_resolve_info(field_def, to_nodes(field_details_list), parent_type,
                                       path)
        try:
            value = _call(leaf.resolver, source, info)
            if self.is_awaitable(value):
                return self.complete_awaitable_value(field_def.type, field_details_list, info,
                                                     path, value, position_context)
            done = _coerced(leaf, value)
            if done is not _MISS:
                return done
            return self.complete_value(field_def.type, field_details_list, info, path, value,
                                       position_context)
        except Exception as error:
            self.handle_field_error(error, field_def.type, field_details_list, path)
            return None


def _call(definition: Any, source: Any, raw_info: Any) -> Any:
    """The field's resolver as strawberry calls one without arguments: `self` is the
    source, `info` strawberry's Info."""
    r = definition.base_resolver
    kwargs = ({r.info_parameter.name: Info(_raw_info=raw_info, _field=definition)}
              if r.info_parameter else {})
    return r(source, **kwargs) if r.self_parameter else r(**kwargs)
