"""Secure delivery: the steps before an invoice email that publish its link and send its PIN,
and the feed of the portal's download events. ``build_secure_steps`` and ``build_secure_syncs``
wire them from the config (``agent.service.build_agent`` calls them)."""

from agent.delivery.build import build_portal, build_secure_steps, build_secure_syncs, build_sms
from agent.delivery.events import PortalEventsJob
from agent.delivery.pin_sms import PinSmsStep, pin_sms_text
from agent.delivery.publish import PortalPublishStep

__all__ = [
    "PinSmsStep",
    "PortalEventsJob",
    "PortalPublishStep",
    "build_portal",
    "build_secure_steps",
    "build_secure_syncs",
    "build_sms",
    "pin_sms_text",
]
