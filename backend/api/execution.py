"""The executor: graphql-core's, with short paths for plain selections.

A page of 50 events is a few hundred fields: plain attributes, or small resolvers such as
`location`. For each of them graphql-core builds a resolve info, strawberry wraps the call
(its Info, argument conversion, the extension chain) and graphql-core completes the value
through its generic machinery: that was most of a page's cost. Two short paths skip it:

- an object whose selected fields are all plain (leaves, objects and lists of them, read as
  attributes or from resolvers without arguments, field extensions or async) is answered by
  a plan made once per selection (and kept for later requests of the same parsed document);
- any other leaf field without arguments is read (or its resolver called) and coerced
  directly.

Anything else, and any value that would be an error (an exception, a null in a non-null
field, a value the scalar refuses, a resolver answering with an awaitable), takes the
standard path for that object or field, so answers and errors stay exactly graphql-core's
and strawberry's: a failed plan's resolvers are called again by it, so plans take only
resolvers without side effects, which plain fields are. (Strawberry's exception handlers
and custom `is_type_of` are not used in this schema; a type with either needs the standard
path.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from graphql import (
    FragmentSpreadNode,
    GraphQLField,
    GraphQLObjectType,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.executor import to_nodes
from graphql.pyutils import Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import CustomGraphQLEnumType
from strawberry.types import Info


class _Leaf(NamedTuple):
    name: str  # the attribute, for a plain field
    resolver: Any  # strawberry's definition of the field, or None for a plain one
    coerce: Callable[[Any], Any]
    nullable: bool


_UNPLANNED = object()


def _coercer(leaf_type: Any) -> Callable[[Any], Any]:
    """The leaf type's output coercion; for strawberry's enums a lookup of the member (theirs
    compares the value with each of the enum's values in turn: most of a status's cost)."""
    coerce = leaf_type.coerce_output_value
    if not isinstance(leaf_type, CustomGraphQLEnumType):
        return coerce
    enum = leaf_type.wrapped_cls
    names = {member: coerce(member) for member in enum}  # the names strawberry's coercion gives

    def coerce_member(value: Any) -> Any:
        if type(value) is enum:
            return names[value]
        return coerce(value)

    return coerce_member


def _leaf(field_def: GraphQLField) -> _Leaf | None:
    """The field's plan, kept on the field itself (graphql-core's fields compare by value
    and are not hashable; an id could be reused by another schema's field)."""
    plan = getattr(field_def, "_wangge_leaf", _UNPLANNED)
    if plan is _UNPLANNED:
        plan = field_def._wangge_leaf = _plan(field_def)  # type: ignore[attr-defined]
    return plan  # type: ignore[return-value]


def _plain_resolver(field_def: GraphQLField) -> tuple[bool, Any]:
    """(plannable, strawberry definition when a resolver is to be called)."""
    definition = field_def.extensions.get("strawberry-definition")
    if definition is None or field_def.args or definition.extensions:
        return False, None
    if getattr(field_def.resolve, "_is_default", False):
        return True, None
    r = definition.base_resolver
    if r is None or r.is_async or r.arguments:
        return False, None
    return True, definition


def _plan(field_def: GraphQLField) -> _Leaf | None:
    leaf = get_nullable_type(field_def.type)
    plain, definition = _plain_resolver(field_def)
    if not plain or not is_leaf_type(leaf):
        return None
    name = field_def.extensions["strawberry-definition"].python_name
    return _Leaf(name, definition, _coercer(leaf),
                 not is_non_null_type(field_def.type))


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


class _Step(NamedTuple):
    """One selected field of an object plan."""
    key: str  # the response key (alias or name)
    name: str
    resolver: Any  # as _Leaf.resolver
    info: tuple | None  # (field, nodes, parent type) when the resolver takes info
    leaf: _Leaf | None  # a leaf, or items of a list of leaves
    sub: tuple | None  # (object type, its steps) for an object or items of a list
    nullable: bool
    items_nullable: bool | None  # None: not a list
    paths: bool  # whether a resolver below needs the path (paths are built only then)


class Executor(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._object_plans: dict[tuple, tuple] = {}

    def collect_and_execute_subfields(self, return_type, field_details_list, path, result,  # type: ignore[no-untyped-def,override]
                                      position_context):
        steps = self._object_plan(return_type, field_details_list)
        if steps is not None:
            done = self._answer(steps, result, path, return_type)
            if done is not _MISS:
                return done
        return super().collect_and_execute_subfields(return_type, field_details_list, path,
                                                     result, position_context)

    def _object_plan(self, return_type: GraphQLObjectType, field_details_list: Any,
                     ) -> tuple[_Step, ...] | None:
        # Memoized on the identity of the field list, as graphql-core's collect_subfields
        # is (which keeps the list alive, so the id is not reused during the request); and
        # across requests on the identity of the document's field nodes (the parser cache
        # hands out the same document for the same text), unless a directive could make
        # the selection depend on the request's variables.
        key = (return_type, id(field_details_list))
        plan = self._object_plans.get(key, _UNPLANNED)
        if plan is _UNPLANNED:
            nodes = tuple(d.node for d in field_details_list)
            shared_key = (return_type, tuple(map(id, nodes)))
            shared = _SHARED_PLANS.get(shared_key)
            if shared is not None:
                plan = shared[1]
            else:
                plan = self._make_plan(return_type, field_details_list)
                if not _has_directives(nodes, self.fragments):
                    # the nodes are kept with the plan, so their ids cannot be reused
                    _SHARED_PLANS[shared_key] = (nodes, plan)
                    if len(_SHARED_PLANS) > _SHARED_MAX:
                        del _SHARED_PLANS[next(iter(_SHARED_PLANS))]
            self._object_plans[key] = plan
        return plan  # type: ignore[return-value]

    def _make_plan(self, return_type: GraphQLObjectType, field_details_list: Any,
                   ) -> tuple[_Step, ...] | None:
        manager = self.middleware_manager
        if manager is not None and manager._middleware_resolvers is not None:
            return None
        grouped, defers, _ = self.collect_subfields(return_type, field_details_list)
        if defers:
            return None
        steps = []
        for key, details in grouped.items():
            name = details[0].node.name.value
            if name == "__typename":
                steps.append(_Step(key, return_type.name, _TYPENAME, None, None, None,
                                   False, None, False))
                continue
            field_def = self.schema.get_field(return_type, name)
            if field_def is None:
                return None
            plain, definition = _plain_resolver(field_def)
            if not plain:
                return None
            info = None
            if definition is not None and definition.base_resolver.info_parameter:
                info = (field_def, to_nodes(details), return_type)
            nullable = not is_non_null_type(field_def.type)
            inner = get_nullable_type(field_def.type)
            items_nullable = None
            if is_list_type(inner):
                items_nullable = not is_non_null_type(inner.of_type)
                inner = get_nullable_type(inner.of_type)
            leaf = sub = None
            if is_leaf_type(inner):
                leaf = _Leaf("", None, _coercer(inner), True)  # nulls seen before
            elif is_object_type(inner):
                if inner.is_type_of is not None and not _strawberry_made(inner):
                    return None
                sub_steps = self._object_plan(inner, details)
                if sub_steps is None:
                    return None
                sub = (inner, sub_steps)
            else:  # abstract types and nested lists
                return None
            paths = sub is not None and any(t.info is not None or t.paths for t in sub[1])
            steps.append(_Step(key, field_def.extensions["strawberry-definition"].python_name,
                               definition, info, leaf, sub, nullable, items_nullable, paths))
        return tuple(steps)

    def _answer(self, steps: tuple[_Step, ...], source: Any, path: Any,
                parent: GraphQLObjectType) -> Any:
        """The object's answer, or _MISS when the standard path must give it."""
        out = {}
        for s in steps:
            if s.resolver is None:
                value = getattr(source, s.name, Undefined)
            elif s.resolver is _TYPENAME:
                out[s.key] = s.name
                continue
            else:
                info = (_LazyInfo(self, s.info, path.add_key(s.key, parent.name))
                        if s.info is not None else None)
                try:
                    value = _call(s.resolver, source, info)
                except Exception:
                    return _MISS
                if self.is_awaitable(value):
                    _discard(value)
                    return _MISS
            if value is None:
                if not s.nullable:
                    return _MISS
                out[s.key] = None
                continue
            if value is Undefined:
                return _MISS
            here = path.add_key(s.key, parent.name) if s.paths else None
            if s.items_nullable is None:
                done = (_coerced(s.leaf, value) if s.leaf is not None
                        else self._complete(s, value, here))
            elif isinstance(value, (list, tuple)):
                done = []
                for i, item in enumerate(value):
                    if item is None:
                        if not s.items_nullable:
                            return _MISS
                        done.append(None)
                        continue
                    one = self._complete(s, item, here.add_key(i, None) if s.paths else None)
                    if one is _MISS:
                        return _MISS
                    done.append(one)
            else:
                return _MISS
            if done is _MISS:
                return _MISS
            out[s.key] = done
        return out

    def _complete(self, s: _Step, value: Any, path: Any) -> Any:
        if s.leaf is not None:
            return _coerced(s.leaf, value)
        object_type, steps = s.sub  # type: ignore[misc]
        check = object_type.is_type_of
        if check is not None:
            try:
                if check(value, None) is not True:
                    return _MISS
            except Exception:
                return _MISS
        return self._answer(steps, value, path, object_type)

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


_TYPENAME = object()
_SHARED_PLANS: dict[tuple, tuple] = {}  # oldest first: the first one goes when it is full
_SHARED_MAX = 2048


def _has_directives(nodes: tuple, fragments: dict) -> bool:
    """Whether any field, fragment or spread in the selections below has a directive (or a
    fragment has variables): then the selection can depend on the request's variables."""
    stack, seen = list(nodes), set()
    while stack:
        node = stack.pop()
        if node.directives:
            return True
        if isinstance(node, FragmentSpreadNode):
            name = node.name.value
            if name in seen:
                continue
            seen.add(name)
            details = fragments.get(name)  # graphql-core's FragmentDetails
            if details is None or details.variable_signatures or details.definition.directives:
                return True
            stack.extend(details.definition.selection_set.selections)
        elif node.selection_set is not None:
            stack.extend(node.selection_set.selections)
    return False


class _LazyInfo:
    """graphql-core's resolve info, built when the resolver first reads it: `location`
    takes info for a single event's loader and never reads it in a list, where building it
    was a third of the field's cost."""

    __slots__ = ("_executor", "_field", "_path", "_built")

    def __init__(self, executor: Executor, field: tuple, path: Any) -> None:
        self._executor, self._field, self._path, self._built = executor, field, path, None

    def __getattr__(self, name: str) -> Any:
        built = self._built
        if built is None:
            field_def, nodes, parent = self._field
            built = self._built = self._executor.build_resolve_info(field_def, nodes, parent,
                                                                    self._path)
        return getattr(built, name)


def _strawberry_made(object_type: GraphQLObjectType) -> bool:
    """Whether the type's is_type_of is strawberry's own (an isinstance test that ignores
    its info), not one a type defined."""
    definition = object_type.extensions.get("strawberry-definition")
    return definition is not None and definition.is_type_of is None


def _discard(value: Any) -> None:
    close = getattr(value, "close", None)  # a coroutine never awaited would warn
    if close is not None:
        close()


def _call(definition: Any, source: Any, raw_info: Any) -> Any:
    """The field's resolver as strawberry calls one without arguments: `self` is the
    source; root and parent the source as keywords; `info` strawberry's Info."""
    r = definition.base_resolver
    kwargs = {}
    if r.info_parameter:
        kwargs[r.info_parameter.name] = Info(_raw_info=raw_info, _field=definition)
    if r.root_parameter:
        kwargs[r.root_parameter.name] = source
    if r.parent_parameter:
        kwargs[r.parent_parameter.name] = source
    return r(source, **kwargs) if r.self_parameter else r(**kwargs)
