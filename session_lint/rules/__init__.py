"""Every rule, one per module; importing this package registers them all."""

from session_lint.rules.ses000_unparsable_file import UnparsableFile
from session_lint.rules.ses001_ambient_session_at_dispatch import AmbientSessionAtDispatch
from session_lint.rules.ses002_ambient_builder_not_overridden import AmbientBuilderNotOverridden
from session_lint.rules.ses003_routing_from_ambient_payload import RoutingFromAmbientPayload
from session_lint.rules.ses004_resolver_drops_override import ResolverDropsOverride
from session_lint.rules.ses005_split_session import SplitSession
from session_lint.rules.ses006_missing_routing_session import MissingRoutingSession
from session_lint.rules.ses007_hand_rolled_precedence import HandRolledPrecedence
from session_lint.rules.ses008_ambient_payload_builder import AmbientPayloadBuilder
from session_lint.rules.ses009_repeated_resolution import RepeatedResolution

__all__ = [
    "AmbientBuilderNotOverridden",
    "AmbientPayloadBuilder",
    "AmbientSessionAtDispatch",
    "HandRolledPrecedence",
    "MissingRoutingSession",
    "RepeatedResolution",
    "ResolverDropsOverride",
    "RoutingFromAmbientPayload",
    "SplitSession",
    "UnparsableFile",
]
