"""The one schema: each domain's Query and Mutation merged, plus `node` and the limits."""

from __future__ import annotations

from functools import lru_cache

import strawberry
from graphql import GraphQLError, parse
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import validate_document
from strawberry.tools import merge_types
from strawberry.types.graphql import OperationType

from backend.agents import schema as agents
from backend.api import arguments
from backend.api.context import Info, LiveContext
from backend.api.errors import with_codes
from backend.api.execution import Executor
from backend.api.relay import Node, from_global_id
from backend.api.scalars import SCALARS
from backend.areas import admin_schema as areas_admin
from backend.areas import schema as areas
from backend.auth import schema as auth
from backend.db.engine import reading
from backend.errors import AppError, NotFound
from backend.events import schema as events
from backend.inspections import schema as inspections
from backend.services import schema as services
from backend.sync import schema as sync
from backend.tasks import schema as tasks

NODE_RESOLVERS = {**areas.NODES, **auth.NODES, **events.NODES, **services.NODES,
                  **inspections.NODES}


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Anything the caller may see, by global id.")
    def node(self, info: Info, id: strawberry.ID) -> Node | None:
        type_name, pk = from_global_id(id)
        resolve = NODE_RESOLVERS.get(type_name)
        if resolve is None:
            raise NotFound(f"no object with id {id}", "id")
        found = resolve(info, pk)
        if found is None:
            raise NotFound(f"no {type_name} with id {id}", "id")
        return found


# The limiters' validation rules are built once: a rule class made afresh per request would
# change the validation cache's key and defeat it (validation is most of a small query's cost).
_LIMIT_RULES = (
    *QueryDepthLimiter(max_depth=10).validation_rules,
    *MaxAliasesLimiter(max_alias_count=30).validation_rules,
)
MAX_TOKENS = 2000
_parse = lru_cache(maxsize=256)(parse)
_validate = lru_cache(maxsize=256)(validate_document)


_NUL = ("text may not contain the NUL character (\\u0000): PostgreSQL cannot store it, "
        "and no name, note or code has one")


def _has_nul(value: object) -> bool:
    """Whether any string in a JSON value holds a NUL: a loop, as variables nest at will."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if "\x00" in v:
                return True
        elif isinstance(v, dict):
            stack.extend(v)
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


_OVER_HTTP = ("subscriptions are served over a websocket on this path "
              "(subprotocol graphql-transport-ws), not over HTTP")


class Pipeline(SchemaExtension):
    """What strawberry's ParserCache, ValidationCache, MaxTokensLimiter and AddValidationRules
    do, and the request's session: one extension, as strawberry's machinery for each hook of
    each extension was a third of a small request's CPU.

    - the document is parsed with a token limit and validated with the depth and alias
      limits, both cached by their inputs;
    - a query reads outside a transaction (`reading`);
    - the session ends with the operation: a query's with COMMIT, not the ROLLBACK of a plain
      close, as psycopg forgets its prepared statements at every ROLLBACK (planning the list
      queries afresh cost PostgreSQL more than running them), should a query's session have
      begun a transaction before reading(). Mutations commit or roll back themselves."""

    def on_operation(self):  # type: ignore[no-untyped-def]
        ec = self.execution_context
        if isinstance(ec.context, LiveContext):
            ec.context.begin_operation()
        ec.parse_options["max_tokens"] = MAX_TOKENS
        ec.validation_rules = ec.validation_rules + _LIMIT_RULES
        done = False
        try:
            yield
            done = True
        finally:  # also when an error escapes (a syntax error, a lost database): plain close
            ec.context.close(commit=done and ec.operation_type == OperationType.QUERY)

    def on_parse(self):  # type: ignore[no-untyped-def]
        ec = self.execution_context
        ec.graphql_document = _parse(ec.query, **ec.parse_options)
        yield

    def on_validate(self):  # type: ignore[no-untyped-def]
        ec = self.execution_context
        ec.pre_execution_errors = _validate(ec.schema._schema, ec.graphql_document,
                                            ec.validation_rules)
        if not ec.pre_execution_errors and not isinstance(ec.context, LiveContext) \
                and ec.operation_type == OperationType.SUBSCRIPTION:
            ec.pre_execution_errors = [GraphQLError(_OVER_HTTP)]
        # one check for every text argument, on both databases alike (SQLite would store it)
        if not ec.pre_execution_errors and ("\x00" in (q := ec.query or "") or "\\u0000" in q
                                            or _has_nul(ec.variables)):
            ec.pre_execution_errors = [GraphQLError(_NUL)]
        yield

    def on_execute(self):  # type: ignore[no-untyped-def]
        if self.execution_context.operation_type == OperationType.QUERY:
            reading(self.execution_context.context.session)
        yield

    def on_stream_result(self, result):  # type: ignore[no-untyped-def]
        # a websocket's results (HTTP's get their codes in GraphQLApp.process_result)
        if getattr(result, "errors", None):
            with_codes(result)
        yield
        context = self.execution_context.context
        if isinstance(context, LiveContext):  # sent: what the next result reads is read anew
            context.end_task()


class WangSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context=None) -> None:
        # Errors with a code are the API working as designed; only log the unexpected.
        unexpected = [e for e in errors
                      if e.original_error is not None and not isinstance(e.original_error,
                                                                          AppError)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


Query = merge_types("Query", (NodeQuery, auth.AuthQuery, areas.AreasQuery,
                              areas_admin.AreasAdminQuery, events.EventsQuery, tasks.TasksQuery,
                              services.ServicesQuery, inspections.InspectionsQuery,
                              agents.AgentsQuery))
Mutation = merge_types("Mutation", (auth.AuthMutation, areas_admin.AreasAdminMutation,
                                    events.EventsMutation, events.EventsAdminMutation,
                                    tasks.TasksMutation, services.ServicesMutation,
                                    inspections.InspectionsMutation,
                                    inspections.InspectionsAdminMutation, agents.AgentsMutation,
                                    sync.SyncMutation))

Subscription = merge_types("Subscription", (tasks.TasksSubscription, events.EventsSubscription))

arguments.install()
schema = WangSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[areas.Township, areas.Village, areas.Grid, areas.Household, auth.User, events.Event,
           tasks.Task, areas.Resident, services.ServiceRequest, services.Visit,
           services.Reminder, inspections.InspectionTarget, inspections.InspectionPlan,
           inspections.InspectionAssignment, inspections.Inspection],
    config=StrawberryConfig(scalar_map=SCALARS),
    execution_context_class=Executor,
    extensions=[Pipeline],
)
